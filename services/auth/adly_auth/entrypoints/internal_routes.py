"""Service-to-service routes: the notifications service asks, when it sends a mail, how to
reach the members it writes to. Addresses stay here (no personal data on the bus); only a
signed `service:notifications` identity for that workspace gets them
(`adly_kit.identity.service_identity`). The gateway never routes `/internal/**`."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from adly_auth.entrypoints.deps import AdaptersDep
from adly_auth.entrypoints.schemas import Contact, Contacts, ContactsQuery
from adly_kit.errors import NotAllowed
from adly_kit.identity import CurrentIdentity

router = APIRouter(prefix="/internal/auth", tags=["internal"], include_in_schema=False)
NOTIFICATIONS = "service:notifications"


@router.post("/workspaces/{workspace_id}/contacts", response_model=Contacts)
async def contacts(workspace_id: UUID, body: ContactsQuery, identity: CurrentIdentity, a: AdaptersDep) -> Contacts:
    if identity.kind != "service" or identity.sub != NOTIFICATIONS or identity.ws != workspace_id:
        raise NotAllowed("Only ADLY's notifications service reads members' contacts here.")
    async with a.engine.connect() as conn:
        found = await a.workspace_queries.contacts(conn, workspace_id, body.user_ids)
    return Contacts(contacts=[Contact.model_validate(view, from_attributes=True) for view in found])
