"""`adly-dev run`: all of ADLY on one machine, with no Docker and no system packages.

Starts PostgreSQL (embedded, data in `var/postgres`) and a Kafka-protocol broker (Tansu,
in memory), unless `DATABASE_URL` / `KAFKA_BOOTSTRAP_SERVERS` point at running ones;
migrates every service's schema (`adly-<svc> migrate`); runs each service as its own
process (`adly-<svc> serve`, all roles) logging to `var/logs/<svc>.log`; and waits for
every `/ready`. SIGINT or SIGTERM stops the services (SIGTERM, a grace period, SIGKILL),
then the broker, then PostgreSQL. With `--check` it stops everything once the table is
printed and exits 0 only if every service was ready and a first session works through
the gateway: the smoke test CI runs.

Each service gets the URLs of the others on the ports of this run: the gateway its
upstreams and auth's JWKS, the catalog the gateway's URL as its public one (where the
platforms send merchants and webhooks back), so `--base-port` / `--gateway-port` move the
whole stack. With `--sandbox` (implied by `--check`) the platform fakes run as sandbox
stores and a sandbox Meta ad account beside the services (`adly_kit/devstack/sandbox.py`,
docs/sandbox.md), and `--check` walks a newcomer's journey through them: connect, sync,
generate creatives, publish a campaign.

Every server runs in its own session under the devstack watchdog (`ManagedProcess`), so
the terminal's Ctrl-C reaches only this process, which then stops them in order, and a
killed `adly-dev` still takes its servers down with it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from adly_kit.devstack._process import ManagedProcess, ServerStartError, kill_stale, tail
from adly_kit.devstack.postgres import EmbeddedPostgres
from adly_kit.devstack.sandbox import (
    Journey,
    JourneyFailed,
    SandboxPlan,
    SandboxUnavailable,
    checkout_root,
    describe,
    log_mailbox,
    refuse_in_production,
    sandbox_command,
    sandbox_process_env,
    sign_up,
)
from adly_kit.devstack.tansu import TansuBroker

SERVICES = ("gateway", "auth", "catalog", "campaigns", "creative", "analytics", "notifications")
DATABASE = "adly"
EMBEDDED_BROKER_ENV = {
    "ADLY_KAFKA_BROKER_KIND": "tansu",
    "ADLY_TOPIC_REPLICATION_FACTOR": "1",
    "ADLY_TOPIC_MIN_INSYNC_REPLICAS": "1",
    "ADLY_TOPIC_PARTITIONS": "3",
}
MIGRATE_TIMEOUT = 180.0
MEMBERSHIP_TIMEOUT = 60.0  # the first session's wait for the gateway to learn of a new workspace
SANDBOX_OFFSET = 10  # the sandbox's home on base_port + 10, its stores on the ports after it


class Interrupted(Exception):
    """SIGINT or SIGTERM arrived: stop everything, in order."""


class StackError(RuntimeError):
    """Something the stack needs is missing or could not start."""


@dataclass(frozen=True)
class Options:
    data_dir: Path
    host: str = "127.0.0.1"
    gateway_port: int = 8000
    base_port: int = 8100
    ready_timeout: float = 60.0
    stop_grace: float = 20.0
    check: bool = False
    services: tuple[str, ...] = SERVICES
    sandbox: bool = False

    def port_of(self, service: str) -> int:
        """The gateway on `gateway_port`; the others on `base_port + 1...` in `SERVICES` order."""
        if service == "gateway":
            return self.gateway_port
        return self.base_port + [s for s in SERVICES if s != "gateway"].index(service) + 1

    def url_of(self, service: str) -> str:
        return f"http://{self.host}:{self.port_of(service)}"

    @property
    def sandbox_plan(self) -> SandboxPlan | None:
        return SandboxPlan.for_port(self.base_port + SANDBOX_OFFSET) if self.sandbox else None

    def ports(self) -> dict[str, int]:
        """Every port this run listens on, by what listens there."""
        ports = {name: self.port_of(name) for name in self.services}
        if (plan := self.sandbox_plan) is not None:
            ports |= {"sandbox": plan.home_port} | {f"sandbox {c.kind}": c.port for c in plan.components}
        return ports

    def env_for(self, service: str) -> dict[str, str]:
        """What `service` is told about the others, on this run's ports (and the sandbox's
        settings when it runs). Only the catalog's public URL yields to the environment: a
        developer may reach the gateway through a tunnel that real platforms can call."""
        env = {"ADLY_HTTP_PORT": str(self.port_of(service))}
        if service == "gateway":
            env |= {f"ADLY_UPSTREAM_{name.upper()}": self.url_of(name) for name in SERVICES if name != "gateway"}
            env["ADLY_JWKS_URL"] = f"{self.url_of('auth')}/.well-known/jwks.json"
        if service == "campaigns":
            env["ADLY_CREATIVE_URL"] = self.url_of("creative")  # the ads' media bytes, to upload
        if service == "catalog" and not given("PUBLIC_API_URL"):
            env["ADLY_PUBLIC_API_URL"] = self.url_of("gateway")
        if service in ("auth", "notifications") and not (given("MAIL_TRANSPORT") or given("SMTP_HOST")):
            env["ADLY_MAIL_TRANSPORT"] = "log"  # no mail server here: mails go to var/logs/<service>.log
        if service == "notifications":  # addresses from auth, digest figures from analytics, at send time
            env |= {"ADLY_AUTH_URL": self.url_of("auth"), "ADLY_ANALYTICS_URL": self.url_of("analytics")}
            if not given("PUBLIC_API_URL"):
                env["ADLY_PUBLIC_API_URL"] = self.url_of("gateway")  # where unsubscribe links point
        if (plan := self.sandbox_plan) is not None:
            env |= plan.env_for(service)
        return env


@dataclass
class RunningService:
    name: str
    url: str
    process: ManagedProcess
    ready: bool = False
    detail: str = "starting"
    reported_exit: bool = field(default=False, repr=False)


def default_data_dir(cwd: Path | None = None) -> Path:
    """`var/` at the repository root (the nearest ancestor holding `services/` and `libs/`)."""
    here = (cwd or Path.cwd()).resolve()
    root = next((d for d in (here, *here.parents) if (d / "services").is_dir() and (d / "libs").is_dir()), here)
    return root / "var"


def say(message: str) -> None:
    print(f"adly-dev: {message}", flush=True)


class DevStack:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.logs = options.data_dir / "logs"
        self.postgres: EmbeddedPostgres | None = None
        self.broker: TansuBroker | None = None
        self.services: list[RunningService] = []
        self.mailbox = log_mailbox(self.logs / "auth.log")  # where auth writes mail under adly-dev
        self._interrupted = False

    def run(self) -> int:
        """Start everything, then serve until a signal (or, with `check`, stop at once)."""
        previous = {sig: signal.signal(sig, self._interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            return self._run()
        except Interrupted:
            say("signal received, stopping")
            return 1 if self.options.check else 0
        except (StackError, ServerStartError) as error:
            say(f"cannot start: {error}")
            return 1
        finally:
            self._interrupted = True  # a second signal while stopping does not cut the stop short
            self.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _run(self) -> int:
        commands = {name: service_command(name) for name in self.options.services}
        root = self._sandbox_allowed()
        self._refuse_busy_ports()
        env = self._infrastructure()
        self._migrate(commands, env)
        if root is not None:
            self._start_sandbox(root, env)
        for name in self.options.services:
            self._start(name, commands[name], env | self.options.env_for(name))
        self._wait_until_ready()
        self._print_table()
        if self.options.check:
            healthy = all(s.ready for s in self.services)
            return 0 if healthy and self._first_session_works() and self._sandbox_journey_works() else 1
        self._print_next_steps()
        say(f"logs in {self.logs}; press Ctrl-C to stop")
        self._watch()
        return 0

    def _sandbox_journey_works(self) -> bool:
        """With the sandbox: a newcomer's whole journey through the gateway (sandbox.Journey)."""
        plan = self.options.sandbox_plan
        if plan is None:
            return True
        if not {"gateway", "auth", "catalog", "creative"} <= set(self.options.services):
            say("the sandbox journey needs the gateway, auth, catalog and creative: skipped")
            return True
        campaigns = "campaigns" in self.options.services
        say("walking the sandbox journey: connect every sandbox store, sync, generate creatives"
            + (", publish a campaign on the sandbox ad account" if campaigns else ""))
        if Journey(self.options.url_of("gateway"), plan, say, self.mailbox, campaigns=campaigns).run():
            say("the sandbox journey works")
            return True
        return False

    def _print_next_steps(self) -> None:
        plan = self.options.sandbox_plan
        if plan is None:
            print("No store to connect? `make sandbox` (adly-dev run --sandbox) adds fake Shopify, WooCommerce, "
                  "Salla and Zid stores and fake Meta, TikTok, Snapchat and Google Ads ad accounts: README.md, "
                  "'Sandbox'.\n", flush=True)
            return
        print("\n".join(describe(plan)) + "\n", flush=True)

    def _first_session_works(self) -> bool:
        """Through the gateway: sign up, create a workspace, read it back."""
        gateway = self.options.url_of("gateway")
        email = f"check-{uuid.uuid4().hex[:8]}@example.com"
        try:
            with httpx.Client(base_url=gateway, timeout=10) as client:
                token = sign_up(client, email, "a long enough password", self.mailbox)
                bearer = {"Authorization": f"Bearer {token}"}
                created = client.post("/v1/workspaces", json={"name": "Smoke check"}, headers=bearer)
                created.raise_for_status()
                workspace = created.json()["id"]
                # The gateway learns the membership from auth's events, once its consumer groups
                # have joined: on the embedded broker each join takes seconds, one after another,
                # and a just-started stack may not be there yet.
                deadline = time.monotonic() + MEMBERSHIP_TIMEOUT
                while True:
                    read = client.get(f"/v1/workspaces/{workspace}", headers=bearer)
                    if read.status_code == 200:
                        say(f"a first session works: signed up, created and read workspace {workspace}")
                        return True
                    if time.monotonic() >= deadline:
                        break
                    time.sleep(0.2)
                say(f"the gateway never let the owner read the new workspace ({read.status_code}) "
                    f"within {MEMBERSHIP_TIMEOUT:.0f}s")
        except (httpx.HTTPError, KeyError, ValueError, JourneyFailed) as error:
            say(f"a first session through the gateway failed: {error!r}")
        return False

    def _interrupt(self, signum: int, _frame: object) -> None:
        if self._interrupted:
            # os.write, not print: a handler must not re-enter a buffered stream mid-write.
            os.write(2, f"adly-dev: {signal.Signals(signum).name} received; already stopping\n".encode())
            return
        self._interrupted = True
        raise Interrupted

    # ------------------------------------------------------------ infrastructure

    def _infrastructure(self) -> dict[str, str]:
        env = dict(os.environ) | {"PYTHONUNBUFFERED": "1", "ADLY_HTTP_HOST": self.options.host}
        env["ADLY_DATABASE_URL"] = self._database()
        bootstrap = given("KAFKA_BOOTSTRAP_SERVERS")
        if bootstrap:
            say(f"Kafka: {bootstrap} (from the environment)")
        else:
            env |= EMBEDDED_BROKER_ENV
            bootstrap = self._start_broker()
        env["ADLY_KAFKA_BOOTSTRAP_SERVERS"] = bootstrap
        return env

    def _database(self) -> str:
        url = given("DATABASE_URL")
        if url:
            say(f"PostgreSQL: {make_url(url).render_as_string(hide_password=True)} (from the environment)")
            return url
        self.postgres = EmbeddedPostgres(self.options.data_dir / "postgres")
        say(f"starting PostgreSQL (data in {self.postgres.data_dir})")
        self.postgres.start()
        url = self.postgres.create_database(DATABASE)
        say(f"PostgreSQL: {url}")
        return url

    def _start_broker(self) -> str:
        self.broker = TansuBroker(log_path=self.logs / "tansu.log")
        say("starting the Kafka-protocol broker (Tansu, in memory)")
        bootstrap = self.broker.start()
        say(f"Kafka: {bootstrap} (Tansu)")
        return bootstrap

    # ------------------------------------------------------------------ services

    def _sandbox_allowed(self) -> Path | None:
        """The checkout holding the fakes when the sandbox runs; refused in production."""
        if not self.options.sandbox:
            return None
        try:
            refuse_in_production(os.environ)
            return checkout_root()
        except SandboxUnavailable as error:
            raise StackError(str(error)) from None

    def _refuse_busy_ports(self) -> None:
        ports = self.options.ports()
        clashes = sorted({p for p in ports.values() if list(ports.values()).count(p) > 1})
        if clashes:
            raise StackError(f"ports {clashes} are given twice; pick --gateway-port apart from --base-port..+15")
        for name, port in ports.items():
            host = "127.0.0.1" if name.startswith("sandbox") else self.options.host
            if port_taken(host, port):
                raise StackError(
                    f"port {port} (for {name}) is in use; stop what holds it or pass --gateway-port / --base-port"
                )

    def _migrate(self, commands: dict[str, list[str]], env: dict[str, str]) -> None:
        say(f"migrating {', '.join(commands)}")
        self.logs.mkdir(parents=True, exist_ok=True)
        runs: dict[str, subprocess.Popen[bytes]] = {}
        try:
            for name, command in commands.items():
                with open(self.logs / f"{name}.migrate.log", "wb") as log:
                    runs[name] = subprocess.Popen([*command, "migrate"], env=env, stdout=log, stderr=subprocess.STDOUT)
            failed = [name for name, run in runs.items() if not exited_cleanly(run, MIGRATE_TIMEOUT)]
        finally:
            for run in runs.values():
                if run.poll() is None:
                    run.kill()
                    run.wait()
        if failed:
            details = "\n".join(f"--- {self.logs / f'{n}.migrate.log'} ---\n{self._tail(n, 'migrate')}" for n in failed)
            raise StackError(f"migrations failed for {', '.join(failed)}\n{details}")

    def _start_sandbox(self, root: Path, env: dict[str, str]) -> None:
        plan = self.options.sandbox_plan
        assert plan is not None
        say(f"starting the SANDBOX: fake stores on 127.0.0.1:{plan.components[0].port}-{plan.components[-1].port}, "
            f"their home on {plan.home_url} (never in production)")
        pid_file = self.options.data_dir / "run" / "sandbox.pid"
        pid_file.parent.mkdir(parents=True, exist_ok=True)
        marker = "tests.fakes.sandbox"
        kill_stale(pid_file, marker, grace=self.options.stop_grace)
        process = ManagedProcess(
            "adly-sandbox",
            sandbox_command(plan, self.options.data_dir / "run" / "sandbox-plan.json"),
            log_path=self.logs / "sandbox.log",
            pid_file=pid_file,
            marker=marker,
            env=sandbox_process_env(env, root),
            cwd=root,
            grace=self.options.stop_grace,
        )
        self.services.append(RunningService("sandbox", plan.home_url, process))
        process.start()

    def _start(self, name: str, command: list[str], env: dict[str, str]) -> None:
        port = self.options.port_of(name)
        pid_file = self.options.data_dir / "run" / f"{name}.pid"
        pid_file.parent.mkdir(parents=True, exist_ok=True)
        marker = f"adly-{name} serve"
        kill_stale(pid_file, marker, grace=self.options.stop_grace)  # left by an adly-dev that was killed
        process = ManagedProcess(
            f"adly-{name}",
            [*command, "serve"],
            log_path=self.logs / f"{name}.log",
            pid_file=pid_file,
            marker=marker,
            env=env | {"ADLY_HTTP_PORT": str(port)},
            grace=self.options.stop_grace,
        )
        self.services.append(RunningService(name, self.options.url_of(name), process))
        process.start()

    def _wait_until_ready(self) -> None:
        say(f"waiting up to {self.options.ready_timeout:.0f}s for every /ready")
        deadline = time.monotonic() + self.options.ready_timeout
        with httpx.Client(timeout=2.0) as client:
            while pending := [s for s in self.services if not s.ready and s.process.is_running()]:
                for service in pending:
                    probe(client, service)
                if time.monotonic() >= deadline:
                    break
                time.sleep(0.5)
        for service in self.services:
            if not service.process.is_running():
                service.ready, service.detail = False, f"exited with code {service.process.returncode}"

    def _print_table(self) -> None:
        width = max(len("service"), *(len(s.name) for s in self.services)) + 2
        rows = [f"{'service':<{width}}{'URL':<26}{'healthy':<9}detail"]
        rows += [f"{s.name:<{width}}{s.url:<26}{'yes' if s.ready else 'no':<9}{s.detail}" for s in self.services]
        print("\n" + "\n".join(rows) + "\n", flush=True)
        for service in (s for s in self.services if not s.ready):
            print(f"--- tail of {service.process.log_path} ---\n{self._tail(service.name)}\n", flush=True)
        gateway = next((s for s in self.services if s.name == "gateway"), None)
        if gateway and gateway.ready:
            print(f"Gateway listening on {gateway.url}", flush=True)
        elif gateway:
            print(f"Gateway is NOT ready ({gateway.detail}); see {gateway.process.log_path}", flush=True)

    def _watch(self) -> None:
        """Serve until a signal; say so once if a service dies meanwhile."""
        while True:
            time.sleep(1.0)
            for service in self.services:
                if not service.reported_exit and not service.process.is_running():
                    service.reported_exit = True
                    say(f"{service.name} exited with code {service.process.returncode}:\n{self._tail(service.name)}")

    def _tail(self, name: str, kind: str = "") -> str:
        return tail(self.logs / (f"{name}.{kind}.log" if kind else f"{name}.log"), 20)

    # ---------------------------------------------------------------------- stop

    def stop(self) -> None:
        """Services first (they need the broker and the database to shut down cleanly)."""
        attempt("stop the services", self._stop_services)
        if self.broker is not None:
            say("stopping the Kafka broker")
            attempt("stop the Kafka broker", self.broker.stop)
            self.broker = None
        if self.postgres is not None:
            say("stopping PostgreSQL")
            attempt("stop PostgreSQL", self.postgres.stop)
            self.postgres = None

    def _stop_services(self) -> None:
        running = [s for s in self.services if s.process.is_running()]
        if running:
            say(f"stopping {', '.join(s.name for s in running)} (SIGTERM, up to {self.options.stop_grace:.0f}s)")
        for service in running:
            service.process.signal_group(signal.SIGTERM)
        deadline = time.monotonic() + self.options.stop_grace
        for service in self.services:
            if not service.process.wait(max(0.0, deadline - time.monotonic())):
                say(f"{service.name} did not stop in {self.options.stop_grace:.0f}s: SIGKILL")
            service.process.stop(timeout=0)  # SIGKILLs what is left, releases the watchdog and pid file


def given(name: str) -> str | None:
    """A setting from the environment, `ADLY_<name>` first as `ServiceSettings` reads it."""
    return os.environ.get(f"ADLY_{name}") or os.environ.get(name) or None


def service_command(name: str) -> list[str]:
    """`adly-<name>` from this interpreter's environment (no need to activate the venv)."""
    script = f"adly-{name}"
    for candidate in (Path(sys.executable).parent / script, shutil.which(script)):
        if candidate and Path(candidate).is_file():
            return [str(candidate)]
    raise StackError(f"{script} is not installed: pip install -e services/{name}")


def port_taken(host: str, port: int) -> bool:
    """Whether a server could not bind `host:port` (SO_REUSEADDR, as uvicorn binds)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
        return False


def exited_cleanly(process: subprocess.Popen[bytes], timeout: float) -> bool:
    try:
        return process.wait(timeout) == 0
    except subprocess.TimeoutExpired:
        return False


def probe(client: httpx.Client, service: RunningService) -> None:
    try:
        response = client.get(f"{service.url}/ready")
    except httpx.HTTPError as error:
        service.detail = f"not answering ({type(error).__name__})"
        return
    service.ready = response.status_code == 200
    service.detail = "ready" if service.ready else f"/ready {response.status_code}: {response.text[:120]}"


def attempt(what: str, action: Callable[[], None]) -> None:
    """Run one shutdown step; a failure is reported and the next steps still run."""
    try:
        action()
    except Exception as error:  # noqa: BLE001 - shutting down: keep going
        say(f"could not {what}: {error!r}")


def run(options: Options) -> int:
    return DevStack(options).run()
