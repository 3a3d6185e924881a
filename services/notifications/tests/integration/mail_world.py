"""What the mail tests stand on beside the SMTP server (tests/fakes/smtp.py): a stand-in for the
two internal routes the mail runner calls (auth's contacts, analytics' digest) on real HTTP,
checking the service identity the way auth and analytics do. Their shapes are the ones auth's
and analytics' own tests pin.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from adly_kit.identity import HEADER, verify
from tests.fakes.server import FakeServer


class Colleagues(FakeServer):
    """Auth's contacts route and analytics' digest route, answering from what the test set:
    `contacts[workspace][user]` and `digests[(workspace, day)]`; `down` answers 503."""

    def __init__(self, identity_key: bytes) -> None:
        super().__init__()
        self.key = identity_key
        self.contacts: dict[UUID, dict[UUID, dict[str, Any]]] = {}
        self.digests: dict[tuple[UUID, str], dict[str, Any]] = {}
        self.down = False
        self.asked: list[str] = []
        self.app = Starlette(routes=[
            Route("/internal/auth/workspaces/{workspace_id}/contacts", self._contacts, methods=["POST"]),
            Route("/internal/analytics/workspaces/{workspace_id}/digest", self._digest, methods=["GET"]),
        ])

    def person(self, workspace_id: UUID, user_id: UUID, email: str, language: str = "en",
               time_zone: str = "Asia/Riyadh") -> None:
        self.contacts.setdefault(workspace_id, {})[user_id] = {
            "user_id": str(user_id), "email": email, "email_verified": True, "language": language,
            "time_zone": time_zone}

    def _refused(self, request: Request) -> JSONResponse | None:
        identity = verify(request.headers.get(HEADER), self.key)
        workspace_id = UUID(request.path_params["workspace_id"])
        if identity is None or identity.sub != "service:notifications" or identity.ws != workspace_id:
            return JSONResponse({"title": "Forbidden"}, status_code=403)
        return JSONResponse({"title": "down"}, status_code=503) if self.down else None

    async def _contacts(self, request: Request) -> JSONResponse:
        self.asked.append("contacts")
        if (refused := self._refused(request)) is not None:
            return refused
        wanted = (await request.json())["user_ids"]
        members = self.contacts.get(UUID(request.path_params["workspace_id"]), {})
        return JSONResponse({"contacts": [members[UUID(u)] for u in wanted if UUID(u) in members]})

    async def _digest(self, request: Request) -> JSONResponse:
        self.asked.append("digest")
        if (refused := self._refused(request)) is not None:
            return refused
        workspace_id, day = UUID(request.path_params["workspace_id"]), request.query_params["day"]
        return JSONResponse(self.digests.get((workspace_id, day)) or {
            "workspace_id": str(workspace_id), "day": day, "currency": None, "spend": "0", "revenue": "0",
            "orders": 0, "roas": None, "impressions": 0, "clicks": 0, "campaigns": []})
