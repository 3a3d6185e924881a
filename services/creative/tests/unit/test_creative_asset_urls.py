import random
import sys
import uuid

import pytest

from adly_creative.domain.asset_urls import AssetUrlSigner, Verdict, parse_asset_id, parse_expires
from adly_creative.domain.assets import asset_id_for, digest

SIGNER = AssetUrlSigner(b"k" * 32, ttl_seconds=3600, window_seconds=300)
ASSET = uuid.uuid4()
NOW = 1_000_000


def parts(url):
    query = dict(p.split("=") for p in url.split("?")[1].split("&"))
    return query["expires"], query["signature"]


def test_a_signed_url_is_valid_until_it_expires_then_expired():
    url, expires = SIGNER.url(ASSET, now=NOW)
    assert url.startswith(f"/v1/assets/{ASSET}?expires=")
    assert SIGNER.verify(ASSET, *parts(url), now=NOW) is Verdict.VALID
    assert SIGNER.verify(str(ASSET), *parts(url), now=NOW) is Verdict.VALID   # the path's string, as the route has it
    assert SIGNER.verify(ASSET, *parts(url), now=expires + 1) is Verdict.EXPIRED


def test_the_check_hands_on_the_values_it_parsed():
    url, expires = SIGNER.url(ASSET, now=NOW)
    checked = SIGNER.check(str(ASSET), *parts(url), now=NOW)
    assert (checked.verdict, checked.asset_id, checked.expires) == (Verdict.VALID, ASSET, expires)
    assert SIGNER.check(ASSET, "²", parts(url)[1], now=NOW).expires is None


def test_a_url_for_another_asset_a_longer_expiry_or_another_key_is_forged():
    url, _ = SIGNER.url(ASSET, now=NOW)
    expires, signature = parts(url)
    assert SIGNER.verify(uuid.uuid4(), expires, signature, now=NOW) is Verdict.FORGED
    assert SIGNER.verify(ASSET, str(int(expires) + 300), signature, now=NOW) is Verdict.FORGED
    assert AssetUrlSigner(b"x" * 32).verify(ASSET, expires, signature, now=NOW) is Verdict.FORGED
    assert SIGNER.verify(ASSET, None, None, now=0) is Verdict.FORGED
    assert SIGNER.verify(ASSET, "1e9", signature, now=0) is Verdict.FORGED


# Every character Python calls a digit or a number, other than 0-9: superscripts (²), Arabic-Indic
# (٣), full-width (３), circled (①), fractions (½), Roman numerals (Ⅻ)... `isdigit()` accepts some
# of them, `int()` others: none is a digit of an expiry we mint.
NOT_ASCII_DIGITS = [chr(c) for c in range(128, sys.maxunicode + 1)
                    if chr(c).isdigit() or chr(c).isdecimal() or chr(c).isnumeric()]


def test_no_digit_outside_ascii_is_an_expiry_even_under_a_genuine_signature():
    url, expires = SIGNER.url(ASSET, now=NOW)
    signature = parts(url)[1]
    assert len(NOT_ASCII_DIGITS) > 1000
    for char in NOT_ASCII_DIGITS:
        for raw in (char, f"1{char}", f"{char}1", f"{expires}{char}"):
            assert parse_expires(raw) is None, repr(raw)
            assert SIGNER.verify(ASSET, raw, signature, now=NOW) is Verdict.FORGED, repr(raw)
    # The same number in another script: int() reads it as the minted expiry, the check does not.
    for zero in ("\u0660", "\u06f0", "\uff10", "\u0966"):   # Arabic-Indic, Persian, full-width, Devanagari
        spelled = "".join(chr(ord(zero) + int(d)) for d in str(expires))
        assert int(spelled) == expires
        assert SIGNER.verify(ASSET, spelled, signature, now=NOW) is Verdict.FORGED


@pytest.mark.parametrize("raw", ["", " ", "+{e}", "-{e}", " {e}", "{e} ", "{e}\n", "\t{e}", "{e}\x00", "1_000",
                                 "0x10", "1e9", "{e}.0", "9" * 13, "9" * 5000, "-0", "nan", "inf", "%32"])
def test_signs_spaces_separators_and_oversized_expiries_are_forged(raw):
    url, expires = SIGNER.url(ASSET, now=NOW)
    raw = raw.format(e=expires)
    assert parse_expires(raw) is None
    assert SIGNER.verify(ASSET, raw, parts(url)[1], now=NOW) is Verdict.FORGED


def test_the_longest_expiry_minted_is_parsed():
    assert parse_expires("9" * 12) == 999_999_999_999 and parse_expires("0") == 0


@pytest.mark.parametrize("change", [lambda s: s + "=", lambda s: s[:-1], lambda s: s + "A", lambda s: s[:-1] + "é",
                                    lambda s: s[:-1] + "+", lambda s: s[:-1] + "/", lambda s: " " + s[1:],
                                    lambda s: s.swapcase(), lambda s: "", lambda s: s * 50])
def test_a_signature_not_exactly_as_minted_is_forged(change):
    url, _ = SIGNER.url(ASSET, now=NOW)
    expires, signature = parts(url)
    assert SIGNER.verify(ASSET, expires, change(signature), now=NOW) is Verdict.FORGED


FULL_WIDTH = {ord(d): 0xFF10 + int(d) for d in "0123456789"}
# Spellings Python's UUID() reads as the same id: each would let one signature stand for many URLs.
SAME_ID = [str.upper, lambda s: "{" + s + "}", lambda s: "urn:uuid:" + s, lambda s: s.replace("-", ""),
           lambda s: s.translate(FULL_WIDTH)]
NOT_AN_ID = [lambda s: "", lambda s: "not-a-uuid", lambda s: s + "/x", lambda s: s[:-1] + "²", lambda s: s + "\x00",
             lambda s: f" {s}", lambda s: f"{s}\n"]


@pytest.mark.parametrize("spell", SAME_ID)
def test_an_asset_id_in_another_spelling_is_forged_even_under_its_genuine_signature(spell):
    url, _ = SIGNER.url(ASSET, now=NOW)
    raw = spell(str(ASSET))
    assert uuid.UUID(raw) == ASSET
    assert parse_asset_id(raw) is None
    assert SIGNER.verify(raw, *parts(url), now=NOW) is Verdict.FORGED


@pytest.mark.parametrize("spell", NOT_AN_ID)
def test_a_path_that_is_no_asset_id_is_forged(spell):
    url, _ = SIGNER.url(ASSET, now=NOW)
    assert SIGNER.verify(spell(str(ASSET)), *parts(url), now=NOW) is Verdict.FORGED


def test_whatever_a_link_says_the_check_answers_and_never_raises():
    """Random strings over digits of several scripts, signs, spaces, base64 and controls."""
    alphabet = "0123456789²³¹٠١٢٣۴５６①½Ⅻ+-_ .eE=/%\x00\t\nAaZz-éß\u200b\ud800"
    rng = random.Random(9)
    url, _ = SIGNER.url(ASSET, now=NOW)
    expires, signature = parts(url)
    for _ in range(3000):
        noise = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        for asset_id, raw_expires, raw_signature in ((noise, expires, signature), (ASSET, noise, signature),
                                                    (ASSET, expires, noise), (noise, noise, noise)):
            assert SIGNER.check(asset_id, raw_expires, raw_signature, now=NOW).verdict is Verdict.FORGED


def test_urls_handed_out_within_one_window_are_identical_so_browsers_cache_them():
    assert SIGNER.url(ASSET, now=1_000_010)[0] == SIGNER.url(ASSET, now=1_000_090)[0]


def test_the_same_bytes_are_the_same_asset_in_a_workspace_and_another_in_the_next():
    ws, other = uuid.uuid4(), uuid.uuid4()
    sha = digest(b"png bytes")
    assert asset_id_for(ws, sha) == asset_id_for(ws, sha) != asset_id_for(other, sha)
