"""What the gateway's routes are handed: its adapters (the kit's one dependency) and the caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.requests import HTTPConnection

from adly_gateway.adapters.container import Adapters, Edge
from adly_gateway.handlers.admission import Caller
from adly_kit.app import adapters

AdaptersDep = Annotated[Adapters, Depends(adapters)]


async def edge(a: AdaptersDep) -> Edge:
    return a.edge


EdgeDep = Annotated[Edge, Depends(edge)]


def client_ip(connection: HTTPConnection) -> str | None:
    return connection.client.host if connection.client else None


def caller_of(request: Request, body: bytes = b"") -> Caller:
    headers = request.headers
    return Caller(
        method=request.method,
        path=request.url.path,
        authorization=headers.get("authorization"),
        two_factor=headers.get("x-2fa-token"),
        ip=client_ip(request),
        body=body,
        content_type=headers.get("content-type"),
    )
