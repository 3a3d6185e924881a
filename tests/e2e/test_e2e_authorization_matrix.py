"""The authorization matrix through the gateway, with real auth behind it (RELIABILITY S1, S2).

Every public workspace route × {anonymous, a member of another workspace, that member's API
key, owner, admin, marketer, analyst, an API key of the workspace}. The expected outcome of
each case is computed from `adly_kit.permissions.PERMISSIONS` (docs/identity.md's table), so
the matrix cannot drift from the table:

- anonymous → 401;
- a member of another workspace (or its API key) → 404, byte-identical to the 404 of a
  workspace id that does not exist, and nothing changes;
- a role without the permission → 403, and nothing changes;
- a role with it → 2xx; where the permission needs 2FA: 403 `two-factor-required` without an
  X-2FA-Token (nothing changes), then 2xx with one. An API key can present no 2FA proof.

One rule is auth's, not the table's, and is data here too (`people_only`): an API key
acts on a workspace's data but not on its people or credentials (rename, invite, change a
role, remove, transfer, create keys), since auth records those as done by a person; auth
answers a key 403 there. docs/identity.md does not say so yet.

Every refused case is followed by a snapshot check: the workspace, its members and its API
keys are exactly as before (zero effects, not only the right status). Destructive routes
(delete the workspace, remove a member, transfer ownership) run every case on a fresh
workspace.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import websockets.sync.client as ws_client
from websockets.exceptions import ConnectionClosed

from adly_kit.permissions import PERMISSIONS, Role

from .conftest import ApiKey, People, Person, Stack, eventually, is_two_factor_required

# ----------------------------------------------------------------------------- routes


@dataclass(frozen=True)
class Route:
    method: str
    template: str  # {ws}: the workspace; {member}: a member to act on; {key}: an API key to act on
    permission: str
    destructive: bool = False  # each case on a fresh workspace
    people_only: bool = False  # auth refuses API keys: the action is recorded as done by a person
    body: Any = None

    @property
    def label(self) -> str:
        return f"{self.method} {self.template}"


ROUTES: tuple[Route, ...] = (
    Route("GET", "/v1/workspaces/{ws}", "workspace.read"),
    Route("PATCH", "/v1/workspaces/{ws}", "workspace.update", people_only=True, body={"name": "renamed"}),
    Route("DELETE", "/v1/workspaces/{ws}", "workspace.delete", destructive=True),
    Route("GET", "/v1/workspaces/{ws}/members", "members.read"),
    # The target is an analyst; setting the role it has is a no-op (204) that still needs the permission.
    Route("PATCH", "/v1/workspaces/{ws}/members/{member}", "members.change_role", people_only=True,
          body={"role": "analyst"}),
    Route("DELETE", "/v1/workspaces/{ws}/members/{member}", "members.remove", destructive=True, people_only=True),
    Route("POST", "/v1/workspaces/{ws}/ownership", "ownership.transfer", destructive=True, people_only=True,
          body={"user_id": "{member}"}),
    Route("POST", "/v1/workspaces/{ws}/invitations", "members.invite", people_only=True,
          body={"email": "{email}", "role": "analyst"}),
    Route("GET", "/v1/workspaces/{ws}/api-keys", "api_keys.read"),
    Route("POST", "/v1/workspaces/{ws}/api-keys", "api_keys.create", people_only=True,
          body={"name": "matrix", "role": "analyst"}),
    Route("DELETE", "/v1/workspaces/{ws}/api-keys/{key}", "api_keys.revoke"),
    Route("GET", "/v1/workspaces/{ws}/audit-log", "audit_log.read"),
    # catalog: a WooCommerce store of the world's workspace, on a fake store of this module's own
    Route("GET", "/v1/workspaces/{ws}/stores", "stores.read"),
    Route("POST", "/v1/workspaces/{ws}/stores/connections", "stores.connect", body={"platform": "salla"}),
    Route("POST", "/v1/workspaces/{ws}/stores", "stores.connect", body={  # reconnecting it: new keys, same store
        "platform": "woocommerce", "site_url": "{woo_site}", "consumer_key": "{woo_key}", "consumer_secret": "{woo_secret}"}),
    Route("GET", "/v1/workspaces/{ws}/stores/{store}", "stores.read"),
    Route("POST", "/v1/workspaces/{ws}/stores/{store}/syncs", "stores.sync", body={"kind": "incremental"}),
    Route("GET", "/v1/workspaces/{ws}/stores/{store}/syncs", "stores.read"),
    Route("GET", "/v1/workspaces/{ws}/stores/{store}/syncs/{sync}", "stores.read"),
    Route("GET", "/v1/workspaces/{ws}/stores/{store}/products", "stores.read"),
    Route("GET", "/v1/workspaces/{ws}/stores/{store}/products/{item}", "stores.read"),
    Route("GET", "/v1/workspaces/{ws}/stores/{store}/orders", "stores.read"),
    Route("GET", "/v1/workspaces/{ws}/stores/{store}/orders/{item}", "stores.read"),
    # Last of the store routes: disconnecting is idempotent, so later cases answer 204 too.
    Route("DELETE", "/v1/workspaces/{ws}/stores/{store}", "stores.disconnect"),
)

PRINCIPALS = ("anonymous", "outsider", "outsider_key", "owner", "admin", "marketer", "analyst", "api_key")
API_KEY_ROLE = Role.ADMIN  # the most an API key can be (never owner)
ROLE_OF = {"owner": Role.OWNER, "admin": Role.ADMIN, "marketer": Role.MARKETER, "analyst": Role.ANALYST,
           "api_key": API_KEY_ROLE}


def expected(route: Route, principal: str) -> str:
    """'401' | '404' | '403' | '403-2fa' (no proof possible) | '2fa-then-2xx' | '2xx', from the table."""
    if principal == "anonymous":
        return "401"
    if principal in ("outsider", "outsider_key"):
        return "404"
    roles, needs_two_factor = PERMISSIONS[route.permission]
    if ROLE_OF[principal] not in roles:
        return "403"
    if principal == "api_key":
        if needs_two_factor:
            return "403-2fa"  # a key has no second factor to prove
        return "403" if route.people_only else "2xx"
    return "2fa-then-2xx" if needs_two_factor else "2xx"


# ------------------------------------------------------------------------------ world


@dataclass(frozen=True)
class Store:
    """The world's connected WooCommerce store and what its first sync brought in."""

    site: str
    key: str
    secret: str
    id: str
    sync: str
    product: str
    order: str


@dataclass
class World:
    """A workspace with one member of each role, an analyst to act on, and an admin API key."""

    workspace_id: str
    owner: Person
    admin: Person
    marketer: Person | None = None
    analyst: Person | None = None
    target: Person | None = None
    api_key: ApiKey | None = None
    store: Store | None = None


@dataclass
class Shared:
    world: World
    other_workspace: str
    outsider: Person
    outsider_key: ApiKey
    people: People
    marketer: Person
    analyst: Person
    target: Person
    store: Store | None = None


def connect_store(e2e: Stack, owner: Person, workspace_id: str, fake) -> Store:
    key, secret = fake.add_key()
    base = f"/v1/workspaces/{workspace_id}/stores"
    created = e2e.request("POST", base, who=owner, proof=e2e.two_factor_token(owner), json={
        "platform": "woocommerce", "site_url": fake.site_url, "consumer_key": key, "consumer_secret": secret})
    assert created.status_code == 201, created.text
    store_id = created.json()["id"]

    def synced():
        syncs = e2e.request("GET", f"{base}/{store_id}/syncs", who=owner).json()
        return syncs[0] if syncs and syncs[0]["state"] == "completed" else None

    sync = eventually(synced, timeout=60)
    assert sync, "the store's first sync did not complete"
    first = lambda kind: e2e.request("GET", f"{base}/{store_id}/{kind}", who=owner).json()["items"][0]["id"]  # noqa: E731
    return Store(fake.site_url, key, secret, store_id, sync["id"], first("products"), first("orders"))


@pytest.fixture(scope="module")
def shared(e2e: Stack, people: People):
    marketer, analyst, target = (e2e.signup(prefix=p) for p in ("marketer", "analyst", "target"))
    workspace_id = e2e.create_workspace(people.owner, "matrix")
    e2e.add_members(workspace_id, people.owner,
                    [(people.admin, "admin"), (marketer, "marketer"), (analyst, "analyst"), (target, "analyst")])
    key = e2e.create_api_key(workspace_id, people.owner, API_KEY_ROLE.value)
    other = e2e.create_workspace(people.outsider, "elsewhere")
    outsider_key = e2e.create_api_key(other, people.outsider, API_KEY_ROLE.value)
    world = World(workspace_id, people.owner, people.admin, marketer, analyst, target, key)
    from tests.fakes.woocommerce import FakeWooCommerce

    with FakeWooCommerce() as woo:
        woo.seed(products=3, orders=2)
        store = connect_store(e2e, people.owner, workspace_id, woo)
        world.store = store
        yield Shared(world, other, people.outsider, outsider_key, people, marketer, analyst, target, store)


def fresh_world(e2e: Stack, shared: Shared, principal: str) -> World:
    """A new workspace of the same owner, with only what this case needs: the principal's
    membership (or key) and an analyst to act on."""
    world = World(e2e.create_workspace(shared.people.owner, "fresh"), shared.people.owner, shared.people.admin)
    members = [(shared.target, "analyst")]
    if principal == "admin":
        members.append((shared.people.admin, "admin"))
    elif principal == "marketer":
        members.append((shared.marketer, "marketer"))
    elif principal == "analyst":
        members.append((shared.analyst, "analyst"))
    e2e.add_members(world.workspace_id, world.owner, members)
    world.target = shared.target
    world.marketer = shared.marketer if principal == "marketer" else None
    world.analyst = shared.analyst if principal == "analyst" else None
    if principal == "api_key":
        world.api_key = e2e.create_api_key(world.workspace_id, world.owner, API_KEY_ROLE.value)
    return world


def caller(shared: Shared, world: World, principal: str) -> Person | ApiKey | None:
    return {
        "anonymous": None,
        "outsider": shared.outsider,
        "outsider_key": shared.outsider_key,
        "owner": world.owner,
        "admin": world.admin,
        "marketer": world.marketer,
        "analyst": world.analyst,
        "api_key": world.api_key,
    }[principal]


def render(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, dict):
        return {k: render(v, names) for k, v in value.items()}
    return value


def snapshot(e2e: Stack, world: World) -> dict[str, Any]:
    """The workspace as its owner sees it: name, members and roles, API keys and revocations."""
    owner = world.owner
    base = f"/v1/workspaces/{world.workspace_id}"
    workspace = e2e.request("GET", base, who=owner)
    members = e2e.request("GET", f"{base}/members", who=owner)
    keys = e2e.request("GET", f"{base}/api-keys", who=owner)
    assert workspace.status_code == members.status_code == keys.status_code == 200, "the owner lost the workspace"
    stores = e2e.request("GET", f"{base}/stores", who=owner)
    assert stores.status_code == 200, "the owner lost the workspace's stores"
    return {
        "name": workspace.json()["name"],
        "members": sorted((m["user_id"], m["role"]) for m in members.json()),
        "keys": sorted((k["id"], k["revoked_at"]) for k in keys.json()),
        "stores": sorted((s["id"], s["status"]) for s in stores.json()),
    }


def send(e2e: Stack, route: Route, world: World, who: Person | ApiKey | None, *, proof: str | None = None,
         workspace_id: str | None = None, key_id: str | None = None) -> httpx.Response:
    store = world.store
    names = {
        "ws": workspace_id or world.workspace_id,
        "member": world.target.user_id,
        "key": key_id or "",
        "email": f"invitee-{secrets.token_hex(5)}@example.com",
        "store": store.id if store else "",
        "sync": store.sync if store else "",
        "item": (store.order if "/orders/" in route.template else store.product) if store else "",
        "woo_site": store.site if store else "",
        "woo_key": store.key if store else "",
        "woo_secret": store.secret if store else "",
    }
    body = render(route.body, names)
    return e2e.request(route.method, render(route.template, names), who=who, proof=proof,
                       json=body if body is not None else None)


def show(response: httpx.Response) -> str:
    return f"{response.request.method} {response.request.url.path} -> {response.status_code} {response.text[:300]}"


# ------------------------------------------------------------------------------ cases


CASES = [pytest.param(route, principal, id=f"{route.label}-{principal}") for route in ROUTES for principal in PRINCIPALS]


@pytest.mark.parametrize(("route", "principal"), CASES)
def test_observed_status_equals_the_permission_table(e2e: Stack, shared: Shared, route: Route, principal: str):
    world = fresh_world(e2e, shared, principal) if route.destructive else shared.world
    who = caller(shared, world, principal)
    key_id = None
    if "{key}" in route.template:  # a key of its own to revoke, never the caller's
        key_id = e2e.create_api_key(world.workspace_id, world.owner, "analyst", wait=False).key_id
    want = expected(route, principal)
    proof = e2e.two_factor_token(who) if isinstance(who, Person) and who.totp_secret else None
    before = snapshot(e2e, world)

    if want == "2xx":
        response = send(e2e, route, world, who, key_id=key_id)
        assert response.is_success, show(response)
        return

    if want == "2fa-then-2xx":
        without = send(e2e, route, world, who, key_id=key_id)
        assert is_two_factor_required(without), show(without)
        assert snapshot(e2e, world) == before
        response = send(e2e, route, world, who, proof=proof, key_id=key_id)
        assert response.is_success, show(response)
        if route.method == "DELETE" and route.template == "/v1/workspaces/{ws}":
            gone = eventually(lambda: e2e.request("GET", f"/v1/workspaces/{world.workspace_id}", who=world.owner)
                              .status_code == 404)
            assert gone, "the deleted workspace still answers its owner at the gateway"
        return

    attempts = [send(e2e, route, world, who, key_id=key_id)]
    if proof is not None:  # a 2FA proof unlocks nothing the role or membership does not allow
        attempts.append(send(e2e, route, world, who, proof=proof, key_id=key_id))
    for response in attempts:
        if want == "401":
            assert response.status_code == 401, show(response)
        elif want == "404":
            assert response.status_code == 404, show(response)
            unknown = send(e2e, route, world, who, workspace_id=str(uuid.uuid4()), key_id=key_id)
            assert unknown.status_code == 404 and response.content == unknown.content, (show(response), show(unknown))
            assert world.workspace_id not in response.text
        elif want == "403-2fa":
            assert is_two_factor_required(response), show(response)
        else:
            assert response.status_code == 403 and not is_two_factor_required(response), show(response)
    assert snapshot(e2e, world) == before, f"a refused {route.label} by {principal} changed the workspace"


def test_the_matrix_covers_every_workspace_route_of_the_openapi_document(e2e: Stack):
    """A workspace route added to any service fails here until the matrix lists it."""
    document = e2e.http.get("/openapi.json").json()
    published = {
        (method.upper(), path.replace("{workspace_id}", "{ws}").replace("{user_id}", "{member}").replace("{key_id}", "{key}")
         .replace("{store_id}", "{store}").replace("{sync_id}", "{sync}").replace("{item_id}", "{item}"))
        for path, item in document["paths"].items() if path.startswith("/v1/workspaces/")
        for method in item if method in ("get", "post", "put", "patch", "delete")
    }
    assert published == {(r.method, r.template) for r in ROUTES}
    assert all(r.permission in PERMISSIONS for r in ROUTES)


# ---------------------------------------------------------------- routes without {id}


def test_routes_outside_a_workspace_follow_who_is_calling(e2e: Stack, shared: Shared):
    world = shared.world
    # Anonymous: 401 on every one of them.
    for method, path in (("GET", "/v1/workspaces"), ("POST", "/v1/workspaces"),
                         ("POST", "/v1/invitations/anything/accept")):
        response = e2e.request(method, path, json={"name": "x"} if method == "POST" else None)
        assert response.status_code == 401, show(response)
    # An API key is no person: it lists, creates and accepts nothing.
    for method, path, body in (("GET", "/v1/workspaces", None), ("POST", "/v1/workspaces", {"name": "by a key"}),
                               ("POST", "/v1/invitations/anything/accept", None)):
        response = e2e.request(method, path, who=world.api_key, json=body)
        assert response.status_code == 403, show(response)
    # A person lists exactly their own workspaces: the outsider never sees the matrix workspace.
    mine = e2e.request("GET", "/v1/workspaces", who=shared.outsider)
    assert mine.status_code == 200 and [w["id"] for w in mine.json()] == [shared.other_workspace], show(mine)
    theirs = {w["id"]: w["role"] for w in e2e.request("GET", "/v1/workspaces", who=world.analyst).json()}
    assert theirs[world.workspace_id] == "analyst" and shared.other_workspace not in theirs
    # An invitation works only for the person it was sent to, and only once.
    invitee = e2e.signup(prefix="invitee")
    token = e2e.invite(world.workspace_id, world.owner, invitee.email, "analyst")
    stolen = e2e.request("POST", f"/v1/invitations/{token}/accept", who=shared.outsider)
    assert stolen.status_code == 404, show(stolen)
    assert e2e.request("POST", f"/v1/invitations/{token}/accept", who=invitee).status_code == 200
    again = e2e.request("POST", f"/v1/invitations/{token}/accept", who=invitee)
    assert again.status_code == 404, show(again)


def test_ids_of_one_workspace_do_nothing_under_another(e2e: Stack, shared: Shared):
    """BOLA (S1): the outsider, in its own workspace, names the matrix workspace's member and key."""
    world, other = shared.world, shared.other_workspace
    proof = e2e.two_factor_token(shared.outsider)
    before = snapshot(e2e, world)
    for method, path, body in (
        ("PATCH", f"/v1/workspaces/{other}/members/{world.target.user_id}", {"role": "marketer"}),
        ("DELETE", f"/v1/workspaces/{other}/members/{world.target.user_id}", None),
        ("POST", f"/v1/workspaces/{other}/ownership", {"user_id": world.target.user_id}),
        ("DELETE", f"/v1/workspaces/{other}/api-keys/{world.api_key.key_id}", None),
    ):
        response = e2e.request(method, path, who=shared.outsider, proof=proof, json=body)
        assert response.status_code == 404, show(response)
        assert world.workspace_id not in response.text
    assert snapshot(e2e, world) == before
    assert e2e.request("GET", f"/v1/workspaces/{world.workspace_id}", who=world.api_key).status_code == 200


def test_a_second_factor_counts_only_for_its_own_person(e2e: Stack, shared: Shared):
    world = shared.world
    admins_proof = e2e.two_factor_token(world.admin)
    response = e2e.request("POST", f"/v1/workspaces/{world.workspace_id}/api-keys", who=world.owner,
                           proof=admins_proof, json={"name": "borrowed proof", "role": "analyst"})
    assert is_two_factor_required(response), show(response)


def test_a_member_may_leave_but_the_owner_may_not(e2e: Stack, shared: Shared):
    world = fresh_world(e2e, shared, "analyst")
    leave = e2e.request("DELETE", f"/v1/workspaces/{world.workspace_id}/members/{world.analyst.user_id}",
                        who=world.analyst)
    assert leave.status_code == 204, show(leave)
    gone = eventually(lambda: e2e.request("GET", f"/v1/workspaces/{world.workspace_id}", who=world.analyst)
                      .status_code == 404)
    assert gone, "the gateway still lets a member who left into the workspace"
    owner = world.owner
    stay = e2e.request("DELETE", f"/v1/workspaces/{world.workspace_id}/members/{owner.user_id}", who=owner,
                       proof=e2e.two_factor_token(owner))
    assert stay.status_code == 409, show(stay)


# ----------------------------------------------------------------------- live socket


def live(e2e: Stack, workspace_id: str, first: dict | None) -> tuple[str, Any]:
    """('ready', message) or ('closed', close code)."""
    url = e2e.gateway_url.replace("http://", "ws://") + f"/v1/workspaces/{workspace_id}/live"
    with ws_client.connect(url, open_timeout=10) as socket:
        if first is not None:
            socket.send(json.dumps(first))
        try:
            return "ready", json.loads(socket.recv(timeout=15))
        except ConnectionClosed as closed:
            return "closed", closed.rcvd.code if closed.rcvd else None


def token_of(who: Person | ApiKey) -> str:
    return who.access_token if isinstance(who, Person) else who.secret


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_the_live_socket_is_authorised_like_a_route(e2e: Stack, shared: Shared, principal: str):
    world = shared.world
    who = caller(shared, world, principal)
    first = {"type": "auth"} if who is None else {"type": "auth", "token": token_of(who)}
    outcome = live(e2e, world.workspace_id, first)
    roles, _ = PERMISSIONS["workspace.read"]
    if principal == "anonymous":
        assert outcome == ("closed", 4401)
    elif principal in ("outsider", "outsider_key"):
        assert outcome == ("closed", 4404)
    else:
        assert ROLE_OF[principal] in roles
        assert outcome == ("ready", {"type": "ready", "workspace_id": world.workspace_id})


def test_the_live_socket_carries_the_workspaces_own_events(e2e: Stack, shared: Shared):
    world = shared.world
    url = e2e.gateway_url.replace("http://", "ws://") + f"/v1/workspaces/{world.workspace_id}/live"
    with ws_client.connect(url, open_timeout=10) as socket:
        socket.send(json.dumps({"type": "auth", "token": world.analyst.access_token}))
        assert json.loads(socket.recv(timeout=15))["type"] == "ready"
        elsewhere = e2e.request("PATCH", f"/v1/workspaces/{shared.other_workspace}", who=shared.outsider,
                                json={"name": f"elsewhere {secrets.token_hex(3)}"})
        name = f"live {secrets.token_hex(3)}"
        here = e2e.request("PATCH", f"/v1/workspaces/{world.workspace_id}", who=world.owner, json={"name": name})
        assert elsewhere.status_code == here.status_code == 200
        deadline = time.monotonic() + 20
        while True:  # earlier events of this workspace may still be on their way: skip them
            event = json.loads(socket.recv(timeout=max(deadline - time.monotonic(), 0.1)))
            assert event["workspace_id"] == world.workspace_id, event
            if event["event_type"] == "WorkspaceRenamed" and event["payload"]["name"] == name:
                break
