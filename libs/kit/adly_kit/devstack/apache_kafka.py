"""A real single-node Apache Kafka 4.3 (KRaft, combined broker+controller) on loopback.

No Kafka distribution tarball: the jars come from Maven Central through
``deploy/kafka/pom.xml`` (see :func:`ensure_kafka_jars`), and the broker runs as
``java -cp 'deploy/kafka/libs/*' kafka.Kafka <data_dir>/server.properties``.

Layout of *data_dir*::

    data_dir/server.properties   rewritten at every start (ports may change)
    data_dir/log4j2.properties   logging config (console -> kafka.log)
    data_dir/kraft-logs/         log.dirs (topic data + KRaft metadata log); persists
    data_dir/kafka.log           broker log of the current run (previous: kafka.log.prev)
    data_dir/devstack.pid        process group + owner pid of the running broker

The storage is formatted once (``kafka.tools.StorageTool format``) with a static
controller quorum (``controller.quorum.voters=1@host:CONTROLLER_PORT``), so the
PLAINTEXT and CONTROLLER ports can change from one start to the next and the
data (topics, records, committed offsets) still persists.

Broker settings are production-like for a single node: ``auto.create.topics.enable=false``
(provision topics explicitly), replication factors / min ISR 1,
``num.partitions=3``, ``group.initial.rebalance.delay.ms=0``.  Idempotent and
transactional producers work (``enable_idempotence=True, acks='all'``).
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import os
import shutil
import signal
import tempfile
import time
import uuid
from pathlib import Path
from types import TracebackType

from ._process import (
    ManagedProcess,
    ServerStartError,
    free_port,
    kafka_metadata,
    kill_stale,
    require_free_port,
    run_checked,
    wait_until,
)

__all__ = ["ApacheKafka", "ensure_kafka_jars", "find_kafka_dir"]

KAFKA_DIR_ENV = "ADLY_KAFKA_DIR"
_MARKER = ".complete"

_JVM_OPTS = [
    # The client-grade JIT only. This broker lives for a test run or a benchmark, not for
    # weeks: the server-grade compiler spent its whole life compiling, about half the
    # broker's CPU in the first minutes (9.5 of 20 CPU-s at 1,000 events/s, 5.6 without it;
    # docs/benchmarks.md), on a two-core machine whose other core runs the services.
    "-XX:TieredStopAtLevel=1",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-XX:MaxInlineLevel=15",
    "-Djava.awt.headless=true",
]

_LOG4J2 = """\
# written by adly_kit.devstack.apache_kafka
status = warn
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.statechange.name = state.change.logger
logger.statechange.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.authorizer.name = kafka.authorizer.logger
logger.authorizer.level = WARN
# Config dumps of the broker's internal clients are long and not useful here.
logger.configs.name = org.apache.kafka.common.config.AbstractConfig
logger.configs.level = WARN
"""


# --------------------------------------------------------------------------- jars


def find_kafka_dir() -> Path:
    """Locate ``deploy/kafka`` (the directory holding pom.xml).

    ``$ADLY_KAFKA_DIR`` wins; otherwise search upwards from this file (a source
    checkout / editable install), then from the current directory.
    """
    env = os.environ.get(KAFKA_DIR_ENV)
    if env:
        path = Path(env).absolute()
        if not (path / "pom.xml").is_file():
            raise FileNotFoundError(f"${KAFKA_DIR_ENV}={env}: no pom.xml there")
        return path
    for start in (Path(__file__).resolve(), Path.cwd().resolve()):
        for parent in [start, *start.parents]:
            candidate = parent / "deploy" / "kafka"
            if (candidate / "pom.xml").is_file():
                return candidate
    raise FileNotFoundError(
        f"cannot find deploy/kafka/pom.xml above {Path(__file__).parent} or {Path.cwd()}; "
        f"set ${KAFKA_DIR_ENV}"
    )


def ensure_kafka_jars(kafka_dir: Path | None = None) -> Path:
    """Make sure ``deploy/kafka/libs`` holds the Kafka jars; return that directory.

    Runs ``mvn -q -B dependency:copy-dependencies -DoutputDirectory=libs`` in
    ``deploy/kafka`` unless ``libs/.complete`` records the current pom.xml's
    sha256 (so editing the pom re-fetches, and a failed download is retried).
    Safe to call concurrently from several processes (file lock).
    """
    kafka_dir = Path(kafka_dir).absolute() if kafka_dir else find_kafka_dir()
    pom = kafka_dir / "pom.xml"
    libs = kafka_dir / "libs"
    digest = hashlib.sha256(pom.read_bytes()).hexdigest()
    marker = libs / _MARKER

    def present() -> bool:
        try:
            return marker.read_text().strip() == digest
        except OSError:
            return False

    if present():
        return libs
    lock_dir = Path(tempfile.gettempdir()) / "adly-devstack"
    lock_dir.mkdir(parents=True, exist_ok=True)
    lock_path = lock_dir / f"kafka-libs-{hashlib.sha256(str(kafka_dir).encode()).hexdigest()[:12]}.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if present():
            return libs
        mvn = shutil.which("mvn")
        if mvn is None:
            raise ServerStartError("Apache Kafka jars missing and `mvn` is not on PATH (install Maven)")
        if libs.exists():
            shutil.rmtree(libs)  # drop jars of an older pom
        run_checked(
            [mvn, "-q", "-B", "dependency:copy-dependencies", "-DoutputDirectory=libs"],
            what=f"mvn dependency:copy-dependencies in {kafka_dir}",
            cwd=kafka_dir,
            timeout=900,
        )
        if not any(libs.glob("kafka_2.13-*.jar")):
            raise ServerStartError(f"mvn succeeded but {libs} has no kafka_2.13 jar")
        marker.write_text(digest + "\n")
    return libs


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return str(Path(java_home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise ServerStartError("`java` not found (Apache Kafka 4.x needs Java 17+)")
    return java


def _new_cluster_id() -> str:
    """Same format as ``kafka-storage random-uuid``: url-safe base64 of 16 random bytes.

    Like Kafka's ``Uuid.randomUuid()``, never starts with "-" (the CLI would take it
    for an option).
    """
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


# ------------------------------------------------------------------------ broker


class ApacheKafka:
    """Single-node KRaft Kafka on ``host:port`` with its data in *data_dir*.

    ``port=None`` picks a free port at each :meth:`start` (the controller port is
    always picked freely).  Usable as a context manager; :meth:`stop` is idempotent.
    """

    node_id = 1

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        host: str = "127.0.0.1",
        *,
        heap: str = "512m",
        start_timeout: float = 120.0,
        kafka_dir: Path | None = None,
        extra_properties: dict[str, str] | None = None,
    ) -> None:
        self.data_dir = Path(data_dir).absolute()
        self.host = host
        self.port = port
        self.controller_port: int | None = None
        self.heap = heap
        self.start_timeout = start_timeout
        self.kafka_dir = kafka_dir
        self.extra_properties = dict(extra_properties or {})
        self.log_path = self.data_dir / "kafka.log"
        self.log_dirs = self.data_dir / "kraft-logs"
        self.properties_path = self.data_dir / "server.properties"
        self.log4j_path = self.data_dir / "log4j2.properties"
        self._requested_port = port
        self._proc: ManagedProcess | None = None

    # ------------------------------------------------------------------ API
    @property
    def bootstrap_servers(self) -> str:
        if self.port is None:
            raise RuntimeError("ApacheKafka not started (no port chosen yet)")
        return f"{self.host}:{self.port}"

    @property
    def cluster_id(self) -> str | None:
        try:
            for line in (self.log_dirs / "meta.properties").read_text().splitlines():
                if line.startswith("cluster.id="):
                    return line.split("=", 1)[1].strip()
        except OSError:
            pass
        return None

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.is_running()

    def start(self) -> str:
        """Format storage on first use, start the broker, wait for a Metadata response.

        Returns ``host:port``.
        """
        if self.is_running():
            return self.bootstrap_servers
        t0 = time.monotonic()
        libs = ensure_kafka_jars(self.kafka_dir)
        java = _java()
        classpath = f"{libs}/*"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        pid_file = self.data_dir / "devstack.pid"
        kill_stale(pid_file, str(self.properties_path), grace=60.0)

        port = self._requested_port or free_port(self.host)
        require_free_port(self.host, port, "Apache Kafka")
        controller_port = free_port(self.host)
        while controller_port == port:
            controller_port = free_port(self.host)
        self.properties_path.write_text(self._server_properties(port, controller_port))
        self.log4j_path.write_text(_LOG4J2)

        if not (self.log_dirs / "meta.properties").exists():
            t_fmt = time.monotonic()
            run_checked(
                [
                    java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                    f"-Dlog4j2.configurationFile={self.log4j_path}",
                    "-cp", classpath, "kafka.tools.StorageTool",
                    "format", "-t", _new_cluster_id(), "-c", self.properties_path,
                ],
                what="kafka StorageTool format",
                cwd=self.data_dir,
                timeout=120,
            )
            self.format_seconds = time.monotonic() - t_fmt

        cmd: list[str | os.PathLike[str]] = [
            java, f"-Xms{self.heap}", f"-Xmx{self.heap}", *_JVM_OPTS,
            f"-Dlog4j2.configurationFile={self.log4j_path}",
            f"-Dkafka.logs.dir={self.data_dir}",
            "-cp", classpath, "kafka.Kafka", self.properties_path,
        ]
        proc = ManagedProcess(
            "kafka",
            cmd,
            log_path=self.log_path,
            pid_file=pid_file,
            marker=str(self.properties_path),
            cwd=self.data_dir,
            stop_signal=signal.SIGTERM,  # controlled shutdown
            grace=60.0,
        )
        proc.start()
        self._proc, self.port, self.controller_port = proc, port, controller_port

        def ready() -> bool:
            brokers = kafka_metadata(self.host, port, timeout=5.0)
            return any(node == self.node_id and p == port for node, _, p in brokers)

        try:
            wait_until(
                ready,
                timeout=self.start_timeout,
                what=f"Apache Kafka on {self.host}:{port}",
                log_path=self.log_path,
                process=proc,
                interval=0.2,
            )
        except ServerStartError:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - t0
        return self.bootstrap_servers

    def stop(self) -> None:
        """SIGTERM (controlled shutdown), wait up to 60 s, then SIGKILL.  Idempotent."""
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.stop(timeout=60.0)

    # --------------------------------------------------------------- helpers
    def _server_properties(self, port: int, controller_port: int) -> str:
        h = self.host
        props = {
            "process.roles": "broker,controller",
            "node.id": str(self.node_id),
            "controller.quorum.voters": f"{self.node_id}@{h}:{controller_port}",
            "listeners": f"PLAINTEXT://{h}:{port},CONTROLLER://{h}:{controller_port}",
            "advertised.listeners": f"PLAINTEXT://{h}:{port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(self.log_dirs),
            "num.partitions": "3",
            "default.replication.factor": "1",
            "min.insync.replicas": "1",
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "auto.create.topics.enable": "false",
            "group.initial.rebalance.delay.ms": "0",
            **self.extra_properties,
        }
        lines = ["# written by adly_kit.devstack.apache_kafka at every start"]
        lines += [f"{k}={v}" for k, v in props.items()]
        return "\n".join(lines) + "\n"

    # ------------------------------------------------------- context manager
    def __enter__(self) -> ApacheKafka:
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
        return f"ApacheKafka({self.data_dir}, {self.host}:{self.port}, {state})"
