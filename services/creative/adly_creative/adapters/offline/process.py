"""Running a local program (espeak-ng, ffmpeg) from async code: no shell, a timeout, no orphans."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

from adly_creative.domain.ports import ProviderError

PROVIDER = "offline"


@contextlib.asynccontextmanager
async def spawned(args: Sequence[str], *, stdin: bool = False) -> AsyncIterator[asyncio.subprocess.Process]:
    """The process, killed and reaped on the way out if it is still running (timeout, cancellation)."""
    process = await asyncio.create_subprocess_exec(
        *args,
        stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            with contextlib.suppress(ProcessLookupError):
                await process.wait()


async def run(args: Sequence[str], *, input: bytes | None = None, timeout: float, what: str) -> tuple[bytes, bytes]:
    """Runs to completion; a non-zero exit or the timeout is a ProviderError naming `what`."""
    async with spawned(args, stdin=input is not None) as process:
        try:
            stdout, stderr = await asyncio.wait_for(process.communicate(input), timeout)
        except TimeoutError:
            raise ProviderError(PROVIDER, f"{what} took longer than {timeout:g} s", retryable=True) from None
    check_exit(process.returncode, stderr, what)
    return stdout, stderr


def check_exit(returncode: int | None, stderr: bytes, what: str) -> None:
    if returncode != 0:
        detail = stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise ProviderError(PROVIDER, f"{what} failed (exit {returncode}): {' / '.join(detail) or 'no message'}")
