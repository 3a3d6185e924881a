"""Signed asset links through the gateway, on real processes (issue 9: `?expires=²` gave a 500).

The session stack runs no creative service, so this module starts its own (`creative_process`,
with the api role only: no consumer groups to join) and beside it a second gateway
(`extra_gateway`: api only, the stack's gateway keeps the shared read model current) that
proxies creative to it. A merchant saves a brand kit with a logo through that gateway; the API
hands back the logo's signed link; then every way a link can differ from the one minted goes
through the gateway too, with GET and HEAD. Each must be a 4xx problem (a 403 `link-forged`
when only the query differs), none a 500, and the genuine link must still serve the logo.
"""

from __future__ import annotations

import base64
import io
import uuid
from collections.abc import Iterator
from urllib.parse import parse_qsl, quote, urlsplit

import httpx
import pytest
from PIL import Image

from adly_kit.devstack.run import service_command
from tests.e2e.conftest import ServiceProcess, Stack, creative_process, extra_gateway

# Positional digit sets (zero, then one...) and single numeric characters of other scripts.
ZEROS = {"arabic-indic": "\u0660", "persian": "\u06f0", "full-width": "\uff10", "devanagari": "\u0966"}
NUMERALS = {"superscript two": "²", "circled one": "\u2460", "one half": "½", "roman twelve": "\u216b"}


@pytest.fixture(scope="module")
def gateway(e2e: Stack) -> Iterator[ServiceProcess]:
    creative = creative_process(e2e, gateway_url="")       # its public URL is the gateway's, known below
    edge: ServiceProcess | None = None
    try:
        edge = extra_gateway(e2e, "assets", ADLY_UPSTREAM_CREATIVE=creative.url)
        creative.env["ADLY_PUBLIC_BASE_URL"] = edge.url
        creative.start([*service_command("creative"), "serve", "--roles", "api"])
        yield edge
    finally:
        if edge is not None:
            edge.stop()
        creative.stop()


def logo_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 20, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def spelled(number: int, zero: str) -> str:
    return "".join(chr(ord(zero) + int(d)) for d in str(number))


def malformed_links(asset_id: str, expires: str, signature: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(query cases, path cases): (what, path?query) for every way a link can differ from the one
    minted. services/creative/tests/integration/test_creative_asset_links.py runs the same class
    against the service alone."""
    path, good = f"/v1/assets/{asset_id}", f"expires={expires}&signature={signature}"
    raw_expires = [(f"in {name} digits", spelled(int(expires), zero)) for name, zero in ZEROS.items()]
    raw_expires += [(name, char) for name, char in NUMERALS.items()]
    raw_expires += [("ending in ²", f"{expires}²"), ("plus", f"+{expires}"), ("minus", f"-{expires}"),
                    ("space", f" {expires}"), ("trailing space", f"{expires} "), ("newline", f"{expires}\n"),
                    ("nul", f"{expires}\x00"), ("underscore", "1_000"), ("hex", "0x10"), ("exponent", "1e9"),
                    ("decimal", f"{expires}.0"), ("13 digits", "9" * 13), ("5000 digits", "9" * 5000), ("empty", "")]
    query = [(f"expires {what}", f"{path}?expires={quote(raw)}&signature={signature}") for what, raw in raw_expires]
    query.append(("expires bad escape", f"{path}?expires=%zz&signature={signature}"))
    for what, raw in [("padded", signature + "="), ("short", signature[:-1]), ("long", signature + "A"),
                      ("non-ascii", signature[:-1] + "é"), ("empty", ""), ("huge", signature * 100)]:
        query.append((f"signature {what}", f"{path}?expires={expires}&signature={quote(raw)}"))
    query += [("signature invalid utf-8", f"{path}?expires={expires}&signature={signature[:-1]}%FF"),
              ("no expires", f"{path}?signature={signature}"), ("no signature", f"{path}?expires={expires}"),
              ("no query", path), ("expires twice", f"{path}?{good}&expires={expires}"),
              ("signature twice", f"{path}?{good}&signature={signature}"),
              ("expires twice, second ²", f"{path}?{good}&expires=%C2%B2")]
    full_width = asset_id.translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
    paths = [(f"id {what}", f"/v1/assets/{raw}?{good}") for what, raw in [
        ("upper case", asset_id.upper()), ("braces", "%7B" + asset_id + "%7D"), ("urn", f"urn:uuid:{asset_id}"),
        ("no hyphens", asset_id.replace("-", "")), ("full-width digits", quote(full_width)),
        ("not a uuid", "not-a-uuid"), ("superscript", "%C2%B2"), ("nul", "%00"), ("another asset", str(uuid.uuid4()))]]
    return query, paths


def test_every_malformed_asset_link_is_a_4xx_problem_through_the_gateway_and_the_genuine_one_serves(e2e, gateway):
    with httpx.Client(base_url=gateway.url, timeout=30.0) as http:
        check_links(e2e, gateway, http)


def check_links(e2e: Stack, gateway: ServiceProcess, http: httpx.Client) -> None:
    owner = e2e.signup(prefix="assets")
    workspace = e2e.create_workspace(owner)
    logo = logo_png()
    saved = http.put(f"/v1/workspaces/{workspace}/brand-kit", headers=owner.bearer,
                     json={"name": "Dar Oud", "logo": base64.b64encode(logo).decode()})
    assert saved.status_code == 200, saved.text
    link = urlsplit(saved.json()["logo_url"])
    assert f"{link.scheme}://{link.netloc}" == gateway.url    # minted for the public entry
    fields = dict(parse_qsl(link.query))
    asset_id = link.path.rsplit("/", 1)[1]

    genuine = http.get(f"{link.path}?{link.query}")   # no bearer: the signature is the credential
    assert genuine.status_code == 200 and genuine.content == logo, genuine.text
    assert genuine.headers["cache-control"].startswith("private, max-age=")

    query_cases, path_cases = malformed_links(asset_id, fields["expires"], fields["signature"])
    answers: dict[str, tuple[int, str | None, str | None]] = {}
    for what, target in query_cases + path_cases:
        for method in ("GET", "HEAD"):
            answer = http.request(method, target)
            kind = answer.headers.get("content-type")
            code = answer.json().get("code") if method == "GET" and kind == "application/problem+json" else None
            answers[f"{method} {what}"] = (answer.status_code, kind, code)
    assert len(answers) == 2 * len(query_cases + path_cases)   # no two cases share a name

    not_problems = {what: got for what, got in answers.items()
                    if not 400 <= got[0] < 500 or got[1] != "application/problem+json"}
    assert not not_problems, not_problems
    # The path is the asset's own and only the query differs: the gateway forwards it, creative refuses it.
    not_forged = {f"GET {what}": answers[f"GET {what}"] for what, _ in query_cases
                  if answers[f"GET {what}"] != (403, "application/problem+json", "link-forged")}
    assert not not_forged, not_forged

    again = http.get(f"{link.path}?{link.query}", headers={"If-None-Match": genuine.headers["etag"]})
    assert again.status_code == 304    # the service answered all of that and still serves the logo
