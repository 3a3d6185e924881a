"""Security headers, CORS allowlist, request ids, body limit, OpenAPI (S10, S12)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from adly_gateway.entrypoints.middleware import SECURITY_HEADERS

pytestmark = pytest.mark.asyncio(loop_scope="module")


def has_security_headers(response: httpx.Response) -> bool:
    return all(response.headers.get(k) == v for k, v in SECURITY_HEADERS.items())


async def test_every_kind_of_response_carries_the_security_headers_and_a_request_id(stack, client):
    user = uuid.uuid4()
    responses = [
        await client.get("/v1/auth/me", headers=stack.bearer(user)),                       # proxied 200
        await client.get("/v1/auth/me"),                                                  # 401
        await client.get("/v1/nothing-here"),                                             # 404 (gateway)
        await client.get("/nowhere"),                                                     # 404 (router)
        await client.put("/v1/workspaces"),                                               # 405 / 401
        await client.post("/v1/auth/signup", content=b"x" * (1024 * 1024 + 1),
                          headers={"content-type": "application/json"}),                  # 413
        await client.get("/health"),
        await client.options("/v1/auth/me", headers={"Origin": "https://app.adly.test", "Access-Control-Request-Method": "GET"}),
    ]
    for response in responses:
        assert has_security_headers(response), (response.request.url, response.headers)
        assert response.headers.get("x-request-id")
        assert "Traceback" not in response.text
    assert responses[5].status_code == 413


async def test_a_chunked_body_over_the_limit_is_413(stack, client):
    async def chunks():
        for _ in range(20):
            yield b"y" * 65536

    response = await client.post("/v1/auth/signup", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert has_security_headers(response)


async def test_request_ids_are_kept_when_sane_and_replaced_when_not(stack, client):
    user = uuid.uuid4()
    response = await client.get("/v1/auth/me", headers=stack.bearer(user) | {"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    assert response.json()["headers"]["x-request-id"] == "abc-123"
    response = await client.get("/v1/auth/me", headers=stack.bearer(user) | {"X-Request-ID": "bad id <script>" + "x" * 300})
    assert response.headers["x-request-id"] != "bad id"
    uuid.UUID(response.headers["x-request-id"])
    assert response.json()["headers"]["x-request-id"] == response.headers["x-request-id"]


async def test_cors_allows_only_listed_origins(stack, client):
    allowed = await client.options("/v1/auth/me", headers={"Origin": "https://app.adly.test", "Access-Control-Request-Method": "GET",
                                                            "Access-Control-Request-Headers": "authorization"})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://app.adly.test"
    for origin in ("https://evil.example", "null", "https://app.adly.test.evil.example"):
        denied = await client.options("/v1/auth/me", headers={"Origin": origin, "Access-Control-Request-Method": "GET"})
        assert denied.headers.get("access-control-allow-origin") in (None, "https://app.adly.test")
        assert denied.headers.get("access-control-allow-origin") != origin
        simple = await client.get("/v1/auth/me", headers=stack.bearer(uuid.uuid4()) | {"Origin": origin})
        assert "access-control-allow-origin" not in simple.headers
    simple = await client.get("/v1/auth/me", headers=stack.bearer(uuid.uuid4()) | {"Origin": "https://app.adly.test"})
    assert simple.headers["access-control-allow-origin"] == "https://app.adly.test"
    assert "RateLimit" in simple.headers["access-control-expose-headers"]


async def test_hop_by_hop_headers_are_not_forwarded(stack, client):
    response = await client.get("/v1/auth/me", headers=stack.bearer(uuid.uuid4()) | {"X-Custom": "1", "Connection": "keep-alive, X-Custom"})
    assert "x-custom" not in response.json()["headers"]


async def test_openapi_merges_the_upstreams_public_paths(stack, client):
    await stack.adapters.edge.openapi.fetch_all()  # the start-up fetch may still be under way: see it through
    document = (await client.get("/openapi.json")).json()
    paths = document["paths"]
    assert "/v1/workspaces/{workspace_id}/audit-log" in paths
    assert "/v1/workspaces/{workspace_id}/campaigns" in paths  # from the echo upstream
    assert not any(p.startswith("/internal/") for p in paths)
    assert "/v1/{path}" not in paths
    docs = await client.get("/docs")
    assert docs.status_code == 200


async def test_production_serves_no_docs_or_openapi(postgres_url, kafka):
    from adly_gateway.bootstrap import build
    from adly_gateway.settings import GatewaySettings
    from adly_kit.app import create_app
    from adly_kit.service import Runtime

    settings = GatewaySettings(
        database_url=postgres_url, kafka_bootstrap_servers=kafka.bootstrap_servers, kafka_broker_kind=kafka.kind,
        environment="production", internal_identity_key="p" * 40, encryption_keys="prod1:" + "A" * 44,
        database_schema=f"gw_prod_{uuid.uuid4().hex[:6]}",
    )
    app = create_app(Runtime(build(), settings), ("api",))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
        for url in ("/openapi.json", "/docs", "/redoc"):
            response = await http.get(url)
            assert response.status_code == 404, url
            assert has_security_headers(response), response.headers
