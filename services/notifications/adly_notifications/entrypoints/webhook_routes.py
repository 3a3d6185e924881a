"""Webhook endpoints: /v1/workspaces/{workspace_id}/webhooks/...

Register an https endpoint and the kinds it wants; the answer carries its signing secret,
shown this once. Rotating the secret answers the new one, and the previous one keeps
signing for the overlap (`webhook_secret_overlap_hours`). Each endpoint's delivery log lists
every attempt (status, latency, the start of the answer); a delivery can be sent again, with
the same `webhook-id`. Reading needs `webhooks.read`, changing `webhooks.manage` (owner and
admin, with a fresh 2FA proof). docs/notifications.md#webhooks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from adly_kit.app import adapters
from adly_kit.db import unit_of_work
from adly_kit.identity import workspace_permission
from adly_kit.sql import utc_now
from adly_notifications.adapters.container import Adapters
from adly_notifications.domain.webhooks import DeliveryLog, Endpoint, retiring_at
from adly_notifications.handlers import webhooks

router = APIRouter(prefix="/v1/workspaces/{workspace_id}/webhooks", tags=["webhooks"])

AdaptersDep = Annotated[Adapters, Depends(adapters)]
WebhooksRead = workspace_permission("webhooks.read")
WebhooksManage = workspace_permission("webhooks.manage")

URL_EXAMPLE = "https://shop.example/adly/webhooks"
KINDS_EXAMPLE = ["sync.failed", "campaign.published"]
SECRET_EXAMPLE = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw0Yr3yXc3ab8="


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EndpointIn(Body):
    url: str = Field(min_length=1, max_length=2000, examples=[URL_EXAMPLE],
                     description="https, and its host must resolve to public addresses only.")
    kinds: list[str] = Field(default_factory=list, max_length=50, examples=[KINDS_EXAMPLE],
                             description="The notification kinds to deliver (docs/notifications.md); none: all.")
    description: str = Field(default="", max_length=500, examples=["Our order system"])


class EndpointChange(Body):
    url: str | None = Field(default=None, min_length=1, max_length=2000, examples=[URL_EXAMPLE])
    kinds: list[str] | None = Field(default=None, max_length=50, examples=[KINDS_EXAMPLE])
    description: str | None = Field(default=None, max_length=500)
    enabled: bool | None = Field(default=None, description="true resumes a disabled endpoint's waiting deliveries.")


class EndpointOut(BaseModel):
    id: UUID
    url: str = Field(examples=[URL_EXAMPLE])
    kinds: list[str] = Field(examples=[KINDS_EXAMPLE], description="Empty: every kind.")
    description: str
    enabled: bool
    disabled_reason: str | None = Field(examples=["answered HTTP 500"])
    failing_since: datetime | None = Field(description="Failing since then; disabled after 72 hours of it.")
    created_at: datetime | None


class RegisteredOut(EndpointOut):
    secret: str = Field(examples=[SECRET_EXAMPLE],
                        description="The signing secret (Standard Webhooks). Shown once: keep it now.")


class SecretOut(BaseModel):
    secret: str = Field(examples=[SECRET_EXAMPLE], description="The new signing secret, shown once.")
    previous_signs_until: datetime = Field(description="Until then deliveries carry both signatures.")


class AttemptOut(BaseModel):
    attempted_at: datetime
    status: int | None = Field(examples=[500], description="The receiver's HTTP status; none if it did not answer.")
    latency_ms: int = Field(examples=[182])
    response_excerpt: str = Field(examples=['{"error":"database down"}'],
                                  description="The first 512 characters of the answer.")
    error: str | None = Field(examples=["timed out after 10 s"])


class DeliveryOut(BaseModel):
    id: UUID
    webhook_id: UUID = Field(description="The `webhook-id` header: the same on every attempt.")
    kind: str = Field(examples=["sync.failed"])
    state: str = Field(description="`pending`, `waiting` (the endpoint is disabled), `delivered` or `failed`.")
    created_at: datetime
    delivered_at: datetime | None
    next_attempt_at: datetime | None
    attempts: list[AttemptOut]


class DeliveryPage(BaseModel):
    deliveries: list[DeliveryOut] = Field(description="Newest first.")
    next_before: UUID | None = Field(description="Pass as `before` for the next page; none at the end.")


def endpoint_out(endpoint: Endpoint) -> EndpointOut:
    return EndpointOut(id=endpoint.id, url=endpoint.url, kinds=list(endpoint.kinds), description=endpoint.description,
                       enabled=endpoint.enabled, disabled_reason=endpoint.disabled_reason,
                       failing_since=endpoint.failing_since, created_at=endpoint.created_at)


def delivery_out(found: DeliveryLog) -> DeliveryOut:
    return DeliveryOut(id=found.id, webhook_id=found.webhook_id, kind=found.kind, state=found.state,
                       created_at=found.created_at, delivered_at=found.delivered_at,
                       next_attempt_at=found.next_attempt_at,
                       attempts=[AttemptOut(attempted_at=t.attempted_at, status=t.status, latency_ms=t.latency_ms,
                                            response_excerpt=t.excerpt, error=t.error) for t in found.attempts])


@router.post("", response_model=RegisteredOut, status_code=201, summary="Register an endpoint (secret shown once)")
async def register(workspace_id: UUID, body: EndpointIn, member: WebhooksManage, a: AdaptersDep,
                   response: Response) -> RegisteredOut:
    target = await webhooks.checked_target(a, body.url)
    async with unit_of_work(a.engine) as tx:
        made = await webhooks.register(tx, a, workspace_id, target, body.kinds, body.description, member.sub)
    response.headers["Location"] = f"/v1/workspaces/{workspace_id}/webhooks/{made.endpoint.id}"
    response.headers["Cache-Control"] = "no-store"
    return RegisteredOut(**endpoint_out(made.endpoint).model_dump(), secret=made.secret)


@router.get("", response_model=list[EndpointOut], summary="The workspace's endpoints")
async def list_endpoints(workspace_id: UUID, member: WebhooksRead, a: AdaptersDep) -> list[EndpointOut]:
    async with a.engine.connect() as conn:
        return [endpoint_out(e) for e in await webhooks.listed(conn, a, workspace_id)]


@router.get("/{endpoint_id}", response_model=EndpointOut, summary="One endpoint")
async def get_endpoint(workspace_id: UUID, endpoint_id: UUID, member: WebhooksRead, a: AdaptersDep) -> EndpointOut:
    async with a.engine.connect() as conn:
        return endpoint_out(await webhooks.get(conn, a, workspace_id, endpoint_id))


@router.patch("/{endpoint_id}", response_model=EndpointOut, summary="Change, disable or enable an endpoint")
async def change(workspace_id: UUID, endpoint_id: UUID, body: EndpointChange, member: WebhooksManage,
                 a: AdaptersDep) -> EndpointOut:
    target = await webhooks.checked_target(a, body.url) if body.url is not None else None
    wanted = webhooks.Change(target=target, kinds=body.kinds, description=body.description, enabled=body.enabled)
    async with unit_of_work(a.engine) as tx:
        return endpoint_out(await webhooks.update(tx, a, workspace_id, endpoint_id, wanted))


@router.delete("/{endpoint_id}", status_code=204, summary="Delete an endpoint and its deliveries")
async def delete(workspace_id: UUID, endpoint_id: UUID, member: WebhooksManage, a: AdaptersDep) -> Response:
    async with unit_of_work(a.engine) as tx:
        await webhooks.delete(tx, a, workspace_id, endpoint_id)
    return Response(status_code=204)


@router.post("/{endpoint_id}/secret", response_model=SecretOut, summary="Rotate the signing secret (shown once)")
async def rotate(workspace_id: UUID, endpoint_id: UUID, member: WebhooksManage, a: AdaptersDep,
                 response: Response) -> SecretOut:
    now = utc_now()
    async with unit_of_work(a.engine) as tx:
        secret = await webhooks.rotate_secret(tx, a, workspace_id, endpoint_id, now)
    response.headers["Cache-Control"] = "no-store"
    return SecretOut(secret=secret, previous_signs_until=retiring_at(now, a.settings.webhook_secret_overlap_hours))


@router.get("/{endpoint_id}/deliveries", response_model=DeliveryPage, summary="The delivery log, newest first")
async def deliveries(workspace_id: UUID, endpoint_id: UUID, member: WebhooksRead, a: AdaptersDep,
                     limit: Annotated[int, Query(ge=1, le=100)] = 20,
                     before: Annotated[UUID | None, Query(description="`next_before` of the previous page")] = None,
                     ) -> DeliveryPage:
    async with a.engine.connect() as conn:
        found = await webhooks.deliveries(conn, a, workspace_id, endpoint_id, limit, before)
    return DeliveryPage(deliveries=[delivery_out(d) for d in found],
                        next_before=found[-1].id if len(found) == limit else None)


@router.post("/{endpoint_id}/deliveries/{delivery_id}/redeliver", status_code=202,
             summary="Send a delivery again now (same webhook-id)")
async def redeliver(workspace_id: UUID, endpoint_id: UUID, delivery_id: UUID, member: WebhooksManage,
                    a: AdaptersDep) -> Response:
    async with unit_of_work(a.engine) as tx:
        await webhooks.redeliver(tx, a, workspace_id, endpoint_id, delivery_id)
    return Response(status_code=202)
