"""The gateway's own answers as problem+json, through the kit's `problem`.

Not the kit's `problem_of`: these bodies are the public contract from before the kit's
`code` field (`type`, `title`, `status`, `detail` when there is one), and clients compare
them, e.g. the one 404 that must read the same whatever its cause.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from adly_gateway.domain.refusals import Refusal
from adly_kit.app import problem


def answer(refusal: Refusal) -> JSONResponse:
    extra: dict[str, object] = {"type": refusal.type} if refusal.type != "about:blank" else {}
    if problems := refusal.problems():
        extra["errors"] = [{"path": path, "message": message} for path, message in problems]
    response = problem(refusal.status, refusal.title, refusal.detail, **extra)
    response.headers.update(refusal.headers())
    return response


async def refused(_: Request, error: Exception) -> JSONResponse:
    """The app's handler of `Refusal` (more specific than the kit's handler of every DomainError)."""
    assert isinstance(error, Refusal)
    return answer(error)
