import uuid

from adly_creative.domain.asset_urls import AssetUrlSigner, Verdict
from adly_creative.domain.assets import asset_id_for, digest

SIGNER = AssetUrlSigner(b"k" * 32, ttl_seconds=3600, window_seconds=300)
ASSET = uuid.uuid4()


def parts(url):
    query = dict(p.split("=") for p in url.split("?")[1].split("&"))
    return query["expires"], query["signature"]


def test_a_signed_url_is_valid_until_it_expires_then_expired():
    url, expires = SIGNER.url(ASSET, now=1_000_000)
    assert url.startswith(f"/v1/assets/{ASSET}?expires=")
    assert SIGNER.verify(ASSET, *parts(url), now=1_000_000) is Verdict.VALID
    assert SIGNER.verify(ASSET, *parts(url), now=expires + 1) is Verdict.EXPIRED


def test_a_url_for_another_asset_a_longer_expiry_or_another_key_is_forged():
    url, _ = SIGNER.url(ASSET, now=1_000_000)
    expires, signature = parts(url)
    assert SIGNER.verify(uuid.uuid4(), expires, signature, now=1_000_000) is Verdict.FORGED
    assert SIGNER.verify(ASSET, str(int(expires) + 300), signature, now=1_000_000) is Verdict.FORGED
    assert AssetUrlSigner(b"x" * 32).verify(ASSET, expires, signature, now=1_000_000) is Verdict.FORGED
    assert SIGNER.verify(ASSET, None, None, now=0) is Verdict.FORGED
    assert SIGNER.verify(ASSET, "1e9", signature, now=0) is Verdict.FORGED


def test_urls_handed_out_within_one_window_are_identical_so_browsers_cache_them():
    assert SIGNER.url(ASSET, now=1_000_010)[0] == SIGNER.url(ASSET, now=1_000_090)[0]


def test_the_same_bytes_are_the_same_asset_in_a_workspace_and_another_in_the_next():
    ws, other = uuid.uuid4(), uuid.uuid4()
    sha = digest(b"png bytes")
    assert asset_id_for(ws, sha) == asset_id_for(ws, sha) != asset_id_for(other, sha)
