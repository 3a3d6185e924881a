"""Signed asset links as the HTTP surface sees them: a link that is not exactly as minted is a
403 `link-forged` problem, whatever its spelling; none is a 500 (issue 9: `?expires=²`).
tests/e2e/test_e2e_hardening_assets.py sends the same class through the gateway to a creative
process."""

from __future__ import annotations

import base64
import uuid
from urllib.parse import parse_qsl, quote, urlsplit

from .conftest import photo_bytes

SCRIPTS = {"superscript": "²", "arabic-indic": "\u0660", "persian": "\u06f0", "full-width": "\uff10",
           "devanagari": "\u0966", "circled": "\u2460", "fraction": "½", "roman": "\u216b"}


def spelled(number: int, zero: str) -> str:
    return "".join(chr(ord(zero) + int(d)) for d in str(number)) if zero not in "²①½Ⅻ" else zero


def malformed_links(asset_id: str, expires: str, signature: str) -> list[tuple[str, str]]:
    """(what, path?query) for every way a link can differ from the one minted."""
    path = f"/v1/assets/{asset_id}"
    good = f"expires={expires}&signature={signature}"
    cases = [("expires " + name, f"{path}?expires={quote(spelled(int(expires), zero))}&signature={signature}")
             for name, zero in SCRIPTS.items()]
    cases += [("expires=²", f"{path}?expires=%C2%B2&signature={signature}"),
              ("expires ends in ²", f"{path}?expires={expires}%C2%B2&signature={signature}")]
    for what, raw in [("plus", f"+{expires}"), ("minus", f"-{expires}"), ("space", f" {expires}"),
                      ("trailing space", f"{expires} "), ("newline", f"{expires}\n"), ("nul", f"{expires}\x00"),
                      ("underscore", "1_000"), ("hex", "0x10"), ("exponent", "1e9"), ("decimal", f"{expires}.0"),
                      ("13 digits", "9" * 13), ("5000 digits", "9" * 5000), ("empty", ""), ("bad escape", "%zz")]:
        cases.append((f"expires {what}", f"{path}?expires={quote(raw, safe='%')}&signature={signature}"))
    for what, raw in [("padded", signature + "="), ("short", signature[:-1]), ("long", signature + "A"),
                      ("non-ascii", signature[:-1] + "é"), ("empty", ""), ("huge", signature * 100),
                      ("invalid utf-8 escape", signature[:-1] + "%FF")]:
        cases.append((f"signature {what}", f"{path}?expires={expires}&signature={quote(raw, safe='%')}"))
    cases += [("no expires", f"{path}?signature={signature}"), ("no signature", f"{path}?expires={expires}"),
              ("no query", path), ("expires twice", f"{path}?{good}&expires={expires}"),
              ("signature twice", f"{path}?{good}&signature={signature}"),
              ("expires twice, second bad", f"{path}?{good}&expires=%C2%B2")]
    for what, raw in [("upper case", asset_id.upper()), ("braces", "%7B" + asset_id + "%7D"),
                      ("urn", f"urn:uuid:{asset_id}"), ("no hyphens", asset_id.replace("-", "")),
                      ("full-width digits", quote(asset_id.translate({ord(d): 0xFF10 + int(d) for d in "0123456789"}))),
                      ("not a uuid", "not-a-uuid"), ("superscript", "%C2%B2"), ("nul", "%00"),
                      ("another asset", str(uuid.uuid4()))]:
        cases.append((f"id {what}", f"/v1/assets/{raw}?{good}"))
    return cases


async def test_every_link_not_exactly_as_minted_is_a_forged_link_problem_and_the_real_one_still_works(creative):
    ws = uuid.uuid4()
    logo = photo_bytes((10, 20, 30), (64, 64))
    saved = await creative.client.put(f"/v1/workspaces/{ws}/brand-kit", headers=creative.identity(ws),
                                      json={"name": "Dar Oud", "logo": base64.b64encode(logo).decode()})
    assert saved.status_code == 200, saved.text
    url = urlsplit(saved.json()["logo_url"])
    query = dict(parse_qsl(url.query))
    asset_id = url.path.rsplit("/", 1)[1]

    answers = {}
    links = malformed_links(asset_id, query["expires"], query["signature"])
    for what, link in links:
        for method in ("GET", "HEAD"):
            answer = await creative.client.request(method, link)
            kind = answer.headers.get("content-type")
            code = answer.json().get("code") if method == "GET" and kind == "application/problem+json" else None
            answers[f"{method} {what}"] = (answer.status_code, kind, code)
    wrong = {what: got for what, got in answers.items()
             if got[:2] != (403, "application/problem+json") or got[2] not in ("link-forged", None)}
    assert not wrong, wrong
    assert len(answers) == 2 * len(links)   # no two cases share a name

    genuine = await creative.client.get(f"{url.path}?{url.query}")
    assert genuine.status_code == 200 and genuine.content == logo


async def test_an_expired_link_stays_expired_and_a_valid_link_to_nothing_is_404(creative):
    signer = creative.adapters.signer
    expired, _ = signer.url(uuid.uuid4(), now=0)
    answer = await creative.client.get(expired)
    assert answer.status_code == 403 and answer.json()["code"] == "link-expired"
    nothing, _ = signer.url(uuid.uuid4(), now=10**9 * 2)   # valid until 2033 and beyond: the check passes
    missing = await creative.client.get(nothing)
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
