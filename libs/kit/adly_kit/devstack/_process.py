"""Process helpers shared by the devstack servers (Postgres, Tansu, Apache Kafka).

Standard library only: this file is also the watchdog script.  Linux-oriented
(``/proc`` is used to recognise stale servers).

How a server is run
-------------------
:class:`ManagedProcess` starts every server under a tiny Python *watchdog*
(this file, run as ``python -I -S _process.py --watchdog ...``) in a new
session (``start_new_session=True``), so the watchdog is the process-group
leader and the server is in its group:

* the server never receives the terminal's Ctrl-C meant for the caller;
* :meth:`ManagedProcess.stop` signals the whole group (SIGTERM or a custom stop
  routine, a grace period, then SIGKILL);
* the watchdog's stdin is a pipe whose only writer is the parent Python process.
  When the parent dies, however it dies (SIGKILL included), the pipe reaches EOF
  and the watchdog stops the server (its ``stop_signal``, then SIGKILL after a
  grace period).  Unlike ``PR_SET_PDEATHSIG`` this does not depend on which
  *thread* started the server (``asyncio.to_thread`` is fine);
* a pid file records the group id and the parent's pid, so a later start on the
  same data dir can recognise and kill a server left over by a dead parent, and
  refuse to touch one that still belongs to a live process.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

CmdArg = str | os.PathLike[str]

__all__ = [
    "ManagedProcess",
    "ServerStartError",
    "free_port",
    "kafka_metadata",
    "kill_stale",
    "log_excerpt",
    "port_is_free",
    "require_free_port",
    "tail",
    "wait_for_port",
    "wait_until",
]


class ServerStartError(RuntimeError):
    """A devstack server failed to start (or to become ready in time)."""


# --------------------------------------------------------------------------- ports


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that is currently free on *host* (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_free(host: str, port: int) -> bool:
    """True if nothing listens on host:port (we can bind it ourselves)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def require_free_port(host: str, port: int, what: str) -> None:
    """Raise ServerStartError if an explicitly requested port is already taken."""
    if not port_is_free(host, port):
        raise ServerStartError(f"{what}: port {host}:{port} is already in use")


def tail(path: Path | None, lines: int = 40) -> str:
    """Last *lines* lines of a (log) file, or a placeholder if it cannot be read."""
    if path is None:
        return "<no log file>"
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 64 * 1024))
            data = fh.read().decode("utf-8", "replace")
    except OSError as exc:
        return f"<cannot read {path}: {exc}>"
    return "\n".join(data.splitlines()[-lines:])


_ERROR_WORDS = ("ERROR", "FATAL", "PANIC", "Exception", "panicked")


def log_excerpt(path: Path | None, lines: int = 40, errors: int = 8) -> str:
    """The first few error-looking lines of a log (they scroll out of the tail
    while a JVM shuts down), then its last *lines* lines."""
    text = tail(path, lines)
    if path is None:
        return text
    try:
        with open(path, "rb") as fh:
            found = []
            for raw in fh:
                line = raw.decode("utf-8", "replace").rstrip()
                if any(w in line for w in _ERROR_WORDS):
                    found.append(line[:500])
                    if len(found) >= errors:
                        break
    except OSError:
        return text
    tail_lines = set(text.splitlines())
    found = [line for line in found if line not in tail_lines]
    if not found:
        return text
    return "\n".join(["(first errors)", *found, "(last lines)", text])


def wait_until(
    check: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    log_path: Path | None = None,
    process: ManagedProcess | None = None,
    interval: float = 0.1,
) -> None:
    """Poll ``check()`` until it returns True.

    Raises :class:`ServerStartError` (with the tail of *log_path*) on timeout, or
    as soon as *process* is seen to have exited.  Exceptions raised by ``check``
    count as "not ready yet"; the last one is included in the timeout message.
    """
    deadline = time.monotonic() + timeout
    last_exc: BaseException | None = None
    while True:
        if process is not None and not process.is_running():
            raise ServerStartError(
                f"{what}: process exited with code {process.returncode} before becoming ready.\n"
                f"--- {log_path} ---\n{log_excerpt(log_path)}"
            )
        try:
            if check():
                return
        except Exception as exc:
            last_exc = exc
        if time.monotonic() >= deadline:
            detail = f" (last error: {last_exc!r})" if last_exc else ""
            raise ServerStartError(
                f"{what}: not ready after {timeout:.0f}s{detail}.\n"
                f"--- {log_path} ---\n{log_excerpt(log_path)}"
            )
        time.sleep(interval)


def wait_for_port(
    host: str,
    port: int,
    *,
    timeout: float = 30.0,
    log_path: Path | None = None,
    process: ManagedProcess | None = None,
) -> None:
    """Wait until a TCP connection to host:port succeeds."""

    def check() -> bool:
        with socket.create_connection((host, port), timeout=1.0):
            return True

    wait_until(check, timeout=timeout, what=f"{host}:{port}", log_path=log_path, process=process)


# --------------------------------------------------------------- Kafka metadata probe


def _kstr(value: str) -> bytes:
    raw = value.encode()
    return struct.pack(">h", len(raw)) + raw


def kafka_metadata(host: str, port: int, timeout: float = 5.0) -> list[tuple[int, str, int]]:
    """Send one real Kafka ``Metadata`` (v4, all topics) request; return the brokers.

    Returns ``[(node_id, host, port), ...]`` as advertised by the broker.  Raw
    socket, no client library.  v4 is the oldest version Kafka 4.x still accepts
    (KIP-896) and Tansu serves it too.
    """
    correlation_id = 0x0DE75AC
    body = struct.pack(">hhi", 3, 4, correlation_id) + _kstr("adly-devstack")  # header v1
    body += struct.pack(">i", -1) + b"\x00"  # topics=null (all), allow_auto_topic_creation=false
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        sock.sendall(struct.pack(">i", len(body)) + body)

        def recv_exact(n: int) -> bytes:
            buf = b""
            while len(buf) < n:
                chunk = sock.recv(n - len(buf))
                if not chunk:
                    raise ConnectionError("connection closed by broker")
                buf += chunk
            return buf

        (size,) = struct.unpack(">i", recv_exact(4))
        resp = recv_exact(size)
    (got_id,) = struct.unpack_from(">i", resp, 0)
    if got_id != correlation_id:
        raise ConnectionError(f"unexpected correlation id {got_id}")
    off = 4 + 4  # correlation id, throttle_time_ms
    (count,) = struct.unpack_from(">i", resp, off)
    off += 4
    brokers = []
    for _ in range(max(count, 0)):
        node_id, hlen = struct.unpack_from(">ih", resp, off)
        off += 6
        bhost = resp[off : off + hlen].decode()
        off += hlen
        (bport, rlen) = struct.unpack_from(">ih", resp, off)
        off += 6 + max(rlen, 0)
        brokers.append((node_id, bhost, bport))
    return brokers


# ----------------------------------------------------------------- stale processes


def _pgid_members(pgid: int) -> list[int]:
    """Pids whose process group is *pgid* (Linux /proc scan)."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...; comm may contain spaces/parens
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 2 and int(fields[2]) == pgid:
            members.append(int(entry))
    return members


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie is not alive for our purposes
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def _killpg_and_wait(
    pgid: int, members: Callable[[], list[int]], grace: float, first: int = signal.SIGTERM
) -> None:
    for sig in (first, signal.SIGKILL):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + (grace if sig != signal.SIGKILL else 10.0)
        while time.monotonic() < deadline:
            if not any(pid_alive(p) for p in members()):
                return
            time.sleep(0.1)


def kill_stale(pid_file: Path, marker: str, *, grace: float = 30.0, sig: int = signal.SIGTERM) -> None:
    """Deal with a server recorded in *pid_file* by an earlier run.

    * no pid file, or its process group is gone: remove the file, nothing to do;
    * the group still runs and a member's command line contains *marker* (e.g.
      the data dir), and the process that started it is dead: send *sig* to the
      group, wait *grace* seconds, SIGKILL;
    * ... but the starting process is still alive: raise ServerStartError (the
      data dir / port is in use by someone else; we do not steal it).
    """
    try:
        info = json.loads(pid_file.read_text())
        pgid, owner = int(info["pgid"]), int(info["owner_pid"])
    except FileNotFoundError:
        return
    except (OSError, ValueError, KeyError, TypeError):
        pid_file.unlink(missing_ok=True)
        return
    members = [p for p in _pgid_members(pgid) if marker in cmdline(p)]
    if members:
        if owner == os.getpid() or pid_alive(owner):
            raise ServerStartError(
                f"{marker} is in use by a server (process group {pgid}) started by live "
                f"process {owner} ({cmdline(owner)[:200]!r}); stop it first."
            )
        _killpg_and_wait(pgid, lambda: _pgid_members(pgid), grace, sig)
    pid_file.unlink(missing_ok=True)


# ------------------------------------------------------------------------ watchdog

def _watchdog_main(argv: list[str]) -> int:
    """Body of the watchdog process: ``_process.py --watchdog SIG GRACE UID GID -- cmd...``.

    Runs *cmd* (as UID/GID unless "-"), waits for it to exit or for stdin (the
    parent's lifeline pipe) to reach EOF; in the latter case sends SIG to the
    server, waits GRACE seconds, then SIGKILL.  Exits with the server's code
    (128+N if it was killed by signal N).
    """
    import select

    stop_sig, grace, uid, gid = int(argv[0]), float(argv[1]), argv[2], argv[3]
    assert argv[4] == "--", argv
    cmd = argv[5:]

    def _noop(signum: int, frame: object) -> None:
        pass

    # The parent signals the whole process group; the server gets those signals
    # directly.  The watchdog just outlives the server and reports its exit code.
    # (Handlers, not SIG_IGN: ignored signals would be inherited through exec.)
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(s, _noop)
    child = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        user=None if uid == "-" else int(uid),
        group=None if gid == "-" else int(gid),
        extra_groups=None if uid == "-" else [],
    )
    try:
        pidfd: int | None = os.pidfd_open(child.pid)
    except (AttributeError, OSError):
        pidfd = None
    fds = [0] if pidfd is None else [0, pidfd]
    parent_gone = False
    while child.poll() is None:
        try:
            ready, _, _ = select.select(fds, [], [], 1.0 if pidfd is not None else 0.2)
        except InterruptedError:
            continue
        if 0 in ready:
            try:
                data = os.read(0, 4096)
            except OSError:
                data = b""
            if not data:
                parent_gone = True
                break
    if parent_gone and child.poll() is None:
        sys.stderr.write(f"[devstack watchdog] parent process is gone; stopping server pid {child.pid}\n")
        sys.stderr.flush()
        child.send_signal(stop_sig)
        try:
            child.wait(grace)
        except subprocess.TimeoutExpired:
            child.kill()
    rc = child.wait()
    return rc if rc >= 0 else 128 - rc


class ManagedProcess:
    """A server process run under the watchdog, in its own session/process group.

    ``stop()`` is idempotent.  ``stop_signal`` is what the watchdog sends to the
    server when the parent dies (e.g. SIGINT = "fast shutdown" for Postgres).
    """

    def __init__(
        self,
        name: str,
        cmd: Sequence[CmdArg],
        *,
        log_path: Path,
        pid_file: Path | None = None,
        marker: str | None = None,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        user: tuple[int, int] | None = None,
        stop_signal: int = signal.SIGTERM,
        grace: float = 30.0,
    ) -> None:
        self.name = name
        self.cmd = [os.fspath(c) for c in cmd]
        self.log_path = log_path
        self.pid_file = pid_file
        self.marker = marker
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.user = user
        self.stop_signal = int(stop_signal)
        self.grace = grace
        self._proc: subprocess.Popen[bytes] | None = None
        self._lifeline: int | None = None
        self._last_returncode: int | None = None

    # -- state
    @property
    def pid(self) -> int | None:
        """Pid of the watchdog (== process group id), None when not started."""
        return self._proc.pid if self._proc else None

    @property
    def returncode(self) -> int | None:
        """Exit code of the watchdog (the server's code, or 128+N if killed by signal N)."""
        return self._proc.poll() if self._proc else self._last_returncode

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # -- lifecycle
    def start(self) -> None:
        if self.is_running():
            return
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        if self.log_path.exists() and self.log_path.stat().st_size > 0:
            os.replace(self.log_path, self.log_path.with_name(self.log_path.name + ".prev"))
        read_end, write_end = os.pipe()  # non-inheritable by default (PEP 446)
        uid, gid = ("-", "-") if self.user is None else (str(self.user[0]), str(self.user[1]))
        # -I -S: stdlib only, no site-packages/venv needed (this file imports only stdlib).
        argv = [
            os.path.realpath(sys.executable), "-I", "-S", os.path.abspath(__file__), "--watchdog",
            str(self.stop_signal), str(self.grace), uid, gid, "--", *self.cmd,
        ]
        with open(self.log_path, "ab") as log:
            log.write(
                f"[devstack] {time.strftime('%Y-%m-%d %H:%M:%S')} starting {self.name}: "
                f"{' '.join(self.cmd)}\n".encode()
            )
            log.flush()
            try:
                self._proc = subprocess.Popen(
                    argv,
                    stdin=read_end,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=self.env,
                    cwd=self.cwd,
                    start_new_session=True,
                )
            except BaseException:
                os.close(write_end)
                raise
            finally:
                os.close(read_end)
        self._lifeline = write_end
        if self.pid_file is not None:
            self.pid_file.write_text(
                json.dumps({"pgid": self._proc.pid, "owner_pid": os.getpid(), "name": self.name})
            )

    def wait(self, timeout: float) -> bool:
        """Wait up to *timeout* s for the watchdog (hence the server) to exit."""
        if self._proc is None:
            return True
        try:
            self._proc.wait(timeout)
            return True
        except subprocess.TimeoutExpired:
            return False

    def signal_group(self, sig: int) -> None:
        if self._proc is not None and self._proc.poll() is None:
            try:
                os.killpg(self._proc.pid, sig)
            except ProcessLookupError:
                pass

    def stop(self, timeout: float | None = None, *, sig: int = signal.SIGTERM) -> None:
        """Signal the process group with *sig*, wait, then SIGKILL.  Idempotent."""
        if self._proc is None:
            return
        timeout = self.grace if timeout is None else timeout
        if self._proc.poll() is None:
            self.signal_group(sig)
            if not self.wait(timeout):
                self.signal_group(signal.SIGKILL)
                self.wait(10.0)
        # Kill any stragglers that stayed in the group (should be none).
        try:
            os.killpg(self._proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self._proc.poll()
        self._release()

    def _release(self) -> None:
        if self._lifeline is not None:
            try:
                os.close(self._lifeline)
            except OSError:
                pass
            self._lifeline = None
        if self.pid_file is not None:
            self.pid_file.unlink(missing_ok=True)
        if self._proc is not None:
            self._last_returncode = self._proc.poll()
        self._proc = None


def run_checked(
    cmd: Sequence[CmdArg],
    *,
    what: str,
    timeout: float = 120.0,
    user: tuple[int, int] | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    input: str | None = None,
) -> str:
    """Run a short command; raise ServerStartError with its output on failure."""
    argv = [os.fspath(c) for c in cmd]
    try:
        res = subprocess.run(
            argv,
            input=input,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            user=None if user is None else user[0],
            group=None if user is None else user[1],
            extra_groups=None if user is None else [],
        )
    except subprocess.TimeoutExpired as exc:
        raise ServerStartError(f"{what}: timed out after {timeout:.0f}s: {exc.output!r}") from exc
    if res.returncode != 0:
        raise ServerStartError(
            f"{what} failed (exit {res.returncode}): {' '.join(argv)}\n{res.stdout[-4000:]}"
        )
    return res.stdout


if __name__ == "__main__" and sys.argv[1:2] == ["--watchdog"]:
    sys.exit(_watchdog_main(sys.argv[2:]))
