"""A user's language and time zone through the API, and the contacts the notifications
service reads at send time (`/internal/auth/workspaces/{id}/contacts`)."""

from __future__ import annotations

import secrets
import uuid

from adly_kit.identity import service_identity

from .conftest import PASSWORD, person_from


async def test_me_answers_language_and_time_zone_and_a_patch_changes_only_what_it_names(auth):
    person = await auth.signup()
    me = (await auth.client.get("/v1/auth/me", headers=auth.identity(person))).json()
    assert (me["language"], me["time_zone"]) == ("en", "Asia/Riyadh")

    arabic = await auth.client.patch("/v1/auth/me", json={"language": "ar"}, headers=auth.identity(person))
    assert arabic.status_code == 200, arabic.text
    assert arabic.json() == me | {"language": "ar"}
    moved = await auth.client.patch("/v1/auth/me", json={"time_zone": "Asia/Dubai"}, headers=auth.identity(person))
    assert moved.json() == me | {"language": "ar", "time_zone": "Asia/Dubai"}
    assert (await auth.client.get("/v1/auth/me", headers=auth.identity(person))).json() == moved.json()


async def test_a_bad_time_zone_or_language_or_an_unknown_field_is_refused_with_its_path(auth):
    person = await auth.signup()
    for body, path in (({"time_zone": "EST"}, "body/time_zone"), ({"time_zone": "Mars/Olympus"}, "body/time_zone"),
                       ({"language": "fr"}, "body/language"), ({"email": "x@example.com"}, "body/email")):
        response = await auth.client.patch("/v1/auth/me", json=body, headers=auth.identity(person))
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert path in [error["path"] for error in response.json()["errors"]], (body, response.json())
    me = (await auth.client.get("/v1/auth/me", headers=auth.identity(person))).json()
    assert (me["language"], me["time_zone"]) == ("en", "Asia/Riyadh")


async def signed_up(auth, body: dict, headers: dict | None = None):
    email = f"user-{secrets.token_hex(4)}@example.com"
    response = await auth.client.post("/v1/auth/signup", json={"email": email, "password": PASSWORD} | body,
                                      headers=headers or {})
    assert response.status_code == 202, response.text
    token = await auth.mail_token(email, "confirm-signup")
    confirmed = await auth.client.post("/v1/auth/signup/confirm", json={"token": token})
    assert confirmed.status_code == 201, confirmed.text
    person = person_from(confirmed.json(), email)
    return (await auth.client.get("/v1/auth/me", headers=auth.identity(person))).json()


async def test_a_sign_up_gives_the_account_its_language_and_time_zone_or_arabic_from_the_browser(auth):
    asked = await signed_up(auth, {"language": "ar", "time_zone": "Asia/Kuwait"})
    assert (asked["language"], asked["time_zone"]) == ("ar", "Asia/Kuwait")
    browser = await signed_up(auth, {}, {"Accept-Language": "ar-SA,ar;q=0.9,en;q=0.5"})
    assert (browser["language"], browser["time_zone"]) == ("ar", "Asia/Riyadh")
    said = await signed_up(auth, {"language": "en"}, {"Accept-Language": "ar"})
    assert said["language"] == "en"
    refused = await auth.client.post("/v1/auth/signup", json={"email": "ada@example.com", "password": PASSWORD,
                                                              "time_zone": "GMT+3"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["path"] == "body/time_zone"


async def workspace_of(auth, owner) -> str:
    created = await auth.client.post("/v1/workspaces", json={"name": "Shop"}, headers=auth.identity(owner))
    assert created.status_code == 201, created.text
    return created.json()["id"]


async def join(auth, ws: str, inviter):
    person = await auth.signup()
    invite = await auth.client.post(f"/v1/workspaces/{ws}/invitations", json={"email": person.email, "role": "analyst"},
                                    headers=auth.identity(inviter))
    assert invite.status_code == 201, invite.text
    token = await auth.mail_token(person.email, "invitations")
    assert (await auth.client.post(f"/v1/invitations/{token}/accept", headers=auth.identity(person))).status_code == 200
    return person


def as_service(auth, service: str, ws) -> dict[str, str]:
    key = auth.settings.internal_identity_key.get_secret_value().encode()
    return {"X-Adly-Identity": service_identity(service, uuid.UUID(str(ws)), key)}


async def test_notifications_gets_the_contacts_of_members_only(auth):
    owner = await auth.signup()
    ws = await workspace_of(auth, owner)
    member, stranger = await join(auth, ws, owner), await auth.signup()
    await auth.client.patch("/v1/auth/me", json={"language": "ar", "time_zone": "Asia/Dubai"},
                            headers=auth.identity(member))
    asked = [str(member.user_id), str(stranger.user_id), str(uuid.uuid4()), str(owner.user_id)]
    response = await auth.client.post(f"/internal/auth/workspaces/{ws}/contacts", json={"user_ids": asked},
                                      headers=as_service(auth, "notifications", ws))
    assert response.status_code == 200, response.text
    contacts = {c["user_id"]: c for c in response.json()["contacts"]}
    assert set(contacts) == {str(member.user_id), str(owner.user_id)}
    assert contacts[str(member.user_id)] == {"user_id": str(member.user_id), "email": member.email,
                                             "email_verified": True, "language": "ar", "time_zone": "Asia/Dubai"}
    assert contacts[str(owner.user_id)]["language"] == "en"

    removed = await auth.client.delete(f"/v1/workspaces/{ws}/members/{member.user_id}", headers=auth.identity(member))
    assert removed.status_code == 204, removed.text
    after = await auth.client.post(f"/internal/auth/workspaces/{ws}/contacts", json={"user_ids": asked},
                                   headers=as_service(auth, "notifications", ws))
    assert [c["user_id"] for c in after.json()["contacts"]] == [str(owner.user_id)]


async def test_contacts_are_refused_to_people_other_services_and_other_workspaces(auth):
    owner = await auth.signup()
    ws, other_ws = await workspace_of(auth, owner), await workspace_of(auth, owner)
    body = {"user_ids": [str(owner.user_id)]}
    path = f"/internal/auth/workspaces/{ws}/contacts"
    for headers in (auth.identity(owner), auth.identity(owner, ws=ws, role="owner"), as_service(auth, "campaigns", ws),
                    as_service(auth, "notifications", other_ws)):
        response = await auth.client.post(path, json=body, headers=headers)
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "forbidden"
    assert (await auth.client.post(path, json=body)).status_code == 401


async def test_at_most_500_ids_are_asked_at_once_and_nothing_else(auth):
    owner = await auth.signup()
    ws = await workspace_of(auth, owner)
    path, headers = f"/internal/auth/workspaces/{ws}/contacts", as_service(auth, "notifications", ws)
    too_many = await auth.client.post(path, json={"user_ids": [str(uuid.uuid4()) for _ in range(501)]}, headers=headers)
    assert too_many.status_code == 422 and too_many.json()["errors"][0]["path"] == "body/user_ids"
    extra = await auth.client.post(path, json={"user_ids": [], "emails": True}, headers=headers)
    assert extra.status_code == 422
    empty = await auth.client.post(path, json={"user_ids": []}, headers=headers)
    assert empty.json() == {"contacts": []}
