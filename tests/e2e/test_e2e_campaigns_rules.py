"""What campaigns refuses, and how a lost Meta token ends, through the gateway (issue 10).

- An action the lifecycle does not allow answers 409 problem+json `illegal-transition`,
  saying why in the merchant's words.
- A plan below Meta's minimum daily budget is refused with the field's path.
- A revoked Meta token turns a publication into `failed` with Meta's reason and the ad
  account into `access_lost`; nothing retries in a loop (the fake sees no further request for
  that account while another campaign publishes), publishing again is refused until the
  merchant reconnects, and then it goes live.
- Another workspace's campaign id answers 404 and changes nothing.

The seed's metrics move on the way: `platform_api_errors_total{platform,error_type}` counts
Meta's refusal of the token, `campaign_creation_duration_seconds{platform}` each campaign
that went live (read from campaigns' own /metrics, which the gateway never serves).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import (
    People,
    Person,
    Stack,
    campaign_after,
    campaign_in_review,
    connect_meta,
    connect_woocommerce,
    plan_of,
)

BRIEF = "Oud Perfume ads on Instagram in Saudi Arabia, 150 SAR a day for two weeks"


@dataclass
class Shop:
    owner: Person
    workspace: str
    plan: dict[str, Any]
    accounts: dict[str, Any]      # name -> the fake's SeededAccount
    connected: dict[str, str]     # name -> ADLY's ad account id

    def path(self, tail: str = "") -> str:
        return f"/v1/workspaces/{self.workspace}{tail}"


@pytest.fixture(scope="module")
def shop(e2e: Stack, people: People) -> Iterator[Shop]:
    """A workspace with a WooCommerce store (one perfume) and two Meta ad accounts of its own."""
    from tests.fakes.woocommerce import FakeWooCommerce

    owner = people.owner
    workspace = e2e.create_workspace(owner, "rules")
    accounts = {name: e2e.meta.seed_account(name=f"Rules {name}", currency="SAR", time_zone="Asia/Riyadh")
                for name in ("revoked", "healthy")}
    connected = {name: connect_meta(e2e, owner, workspace, account)["id"] for name, account in accounts.items()}
    with FakeWooCommerce(store_name="Rules Perfumes") as store:
        store.add_product("Oud Perfume", price="180.00", category="Perfume")
        connect_woocommerce(e2e, owner, workspace, store)
        plan = plan_of(e2e, owner, workspace, BRIEF)["plan"] | {"variants_per_platform": 1}
        yield Shop(owner, workspace, plan, accounts, connected)


def metric(e2e: Stack, sample: str, **labels: str) -> float:
    """One sample of campaigns' /metrics (0 until it has been recorded)."""
    answer = httpx.get(f"{e2e.campaigns_url}/metrics", timeout=10, follow_redirects=True)
    assert answer.status_code == 200, answer.text
    text = answer.text
    assert sample.removesuffix("_count").removesuffix("_total") in text, f"campaigns has no {sample}"
    return sum(s.value for family in text_string_to_metric_families(text) for s in family.samples
               if s.name == sample and labels.items() <= s.labels.items())


def problem(response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    return response.json()


def test_an_action_the_lifecycle_forbids_is_a_409_that_says_why(e2e: Stack, shop: Shop):
    drafted = e2e.request("POST", shop.path("/campaigns"), who=shop.owner, json={"name": "Too early", "plan": shop.plan})
    assert drafted.status_code == 201, drafted.text
    campaign = drafted.json()
    publish_to = {"ad_accounts": {"meta": shop.connected["healthy"]}}
    for action, body in (("pause", None), ("approval", {}), ("publication", publish_to), ("end", {})):
        refused = e2e.request("POST", shop.path(f"/campaigns/{campaign['id']}/{action}"), who=shop.owner, json=body)
        assert refused.status_code == 409, (action, refused.text)
        body = problem(refused)
        assert body["code"] == "illegal-transition" and body["status"] == 409, body
        assert "draft" in body["detail"], body
    pause = problem(e2e.request("POST", shop.path(f"/campaigns/{campaign['id']}/pause"), who=shop.owner))
    assert pause["detail"] == "You cannot pause now: the campaign is still a draft."
    after = e2e.request("GET", shop.path(f"/campaigns/{campaign['id']}"), who=shop.owner).json()
    assert (after["state"], after["version"]) == ("draft", campaign["version"])


def test_a_budget_below_metas_minimum_is_refused_with_the_fields_path(e2e: Stack, shop: Shop):
    tiny = shop.plan | {"budgets": [{"platform": "meta", "budget": {"kind": "daily",
                                                                     "amount": {"amount": "1", "currency": "SAR"}}}]}
    before = e2e.request("GET", shop.path("/campaigns"), who=shop.owner).json()["items"]
    refused = e2e.request("POST", shop.path("/campaigns"), who=shop.owner, json={"name": "Too small", "plan": tiny})
    assert refused.status_code == 422, refused.text
    paths = [error["path"] for error in problem(refused)["errors"]]
    assert any(path.startswith("body/plan.budgets.0") for path in paths), paths
    assert e2e.request("GET", shop.path("/campaigns"), who=shop.owner).json()["items"] == before


def test_a_revoked_meta_token_fails_the_publication_and_loses_the_account_without_a_retry_loop(e2e: Stack, shop: Shop):
    meta, owner = e2e.meta, shop.owner
    revoked, healthy = shop.accounts["revoked"], shop.accounts["healthy"]
    campaigns = [campaign_in_review(e2e, owner, shop.workspace, {"name": f"Oud {n}", "plan": shop.plan})
                 for n in ("one", "two")]
    for campaign in campaigns:
        approved = e2e.request("POST", shop.path(f"/campaigns/{campaign['id']}/approval"), who=owner, json={})
        assert approved.status_code == 200, approved.text
    lost, other = (c["id"] for c in campaigns)

    token_errors = metric(e2e, "platform_api_errors_total", platform="meta", error_type="token_invalid")
    went_live = metric(e2e, "campaign_creation_duration_seconds_count", platform="meta")
    meta.revoke(revoked.token)  # the merchant changed their Facebook password
    published = e2e.request("POST", shop.path(f"/campaigns/{lost}/publication"), who=owner,
                            json={"ad_accounts": {"meta": shop.connected["revoked"]}})
    assert published.status_code == 202, published.text
    failed = campaign_after(e2e, owner, shop.workspace, lost, {"approved", "publishing"})
    run = failed["platforms"]["meta"]
    assert (failed["state"], run["status"], run["retryable"]) == ("failed", "failed", False), failed
    assert run["reason"] and "190" in str(run["error_code"]), run
    account = e2e.request("GET", shop.path(f"/ad-accounts/{shop.connected['revoked']}"), who=owner).json()
    assert account["status"] == "access_lost" and account["status_reason"], account
    assert metric(e2e, "platform_api_errors_total", platform="meta", error_type="token_invalid") > token_errors
    calls = lambda: len([r for r in meta.requests if f"act_{revoked.account_id}" in r.path])  # noqa: E731
    after_failure = calls()

    # Another campaign publishes meanwhile: the publisher keeps working and never returns to the lost account.
    elsewhere = e2e.request("POST", shop.path(f"/campaigns/{other}/publication"), who=owner,
                            json={"ad_accounts": {"meta": shop.connected["healthy"]}})
    assert elsewhere.status_code == 202, elsewhere.text
    assert campaign_after(e2e, owner, shop.workspace, other, {"approved", "publishing"})["state"] == "live"
    assert calls() == after_failure
    assert meta.count("campaign", revoked.account_id) == 0 and meta.count("campaign", healthy.account_id) == 1
    assert metric(e2e, "campaign_creation_duration_seconds_count", platform="meta") > went_live

    # Publishing again is refused until the merchant reconnects; then it goes live.
    again = e2e.request("POST", shop.path(f"/campaigns/{lost}/publication"), who=owner,
                        json={"ad_accounts": {"meta": shop.connected["revoked"]}})
    assert again.status_code == 422 and problem(again)["code"] == "ad-account-access-lost", again.text
    renewed = replace(revoked, token=meta.issue_token())  # a new login on the same account
    assert connect_meta(e2e, owner, shop.workspace, renewed)["status"] == "connected"
    retried = e2e.request("POST", shop.path(f"/campaigns/{lost}/publication"), who=owner,
                          json={"ad_accounts": {"meta": shop.connected["revoked"]}})
    assert retried.status_code == 202, retried.text
    assert campaign_after(e2e, owner, shop.workspace, lost, {"failed", "publishing"})["state"] == "live"
    assert meta.count("campaign", revoked.account_id) == 1


def test_another_workspaces_campaign_is_404_and_stays_as_it_was(e2e: Stack, shop: Shop):
    someone = e2e.signup(prefix="someone")
    theirs_ws = e2e.create_workspace(someone, "someone else")
    drafted = e2e.request("POST", f"/v1/workspaces/{theirs_ws}/campaigns", who=someone,
                          json={"name": "Not yours", "plan": shop.plan | {"product_ids": []}})
    assert drafted.status_code == 201, drafted.text
    theirs = drafted.json()
    for method, tail, body in (("GET", "", None), ("PATCH", "", {"name": "Mine now"}), ("POST", "/archive", None),
                               ("GET", "/creatives", None), ("POST", "/duplicate", None)):
        answer = e2e.request(method, shop.path(f"/campaigns/{theirs['id']}{tail}"), who=shop.owner, json=body)
        assert answer.status_code == 404, (method, tail, answer.text)
        assert problem(answer)["status"] == 404
    mine = e2e.request("GET", shop.path("/campaigns"), who=shop.owner).json()["items"]
    assert theirs["id"] not in {c["id"] for c in mine}
    still = e2e.request("GET", f"/v1/workspaces/{theirs_ws}/campaigns/{theirs['id']}", who=someone).json()
    assert (still["name"], still["state"], still["version"]) == ("Not yours", "draft", theirs["version"])
