"""Asset storage: the S3-compatible store against moto's server, and the local store."""

import hashlib
import socket
import uuid
from urllib.parse import urlsplit

import pytest
from moto.server import ThreadedMotoServer

from adly_creative.adapters.asset_store import LocalAssetStore, S3AssetStore
from adly_creative.domain.assets import BlobMissing


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def moto_url():
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def s3_store(url: str, bucket: str | None = None) -> S3AssetStore:
    return S3AssetStore(bucket=bucket or f"adly-{uuid.uuid4().hex[:8]}", endpoint_url=url, region="us-east-1",
                        prefix="assets/", access_key_id="testing", secret_access_key="testing")


async def test_s3_stores_content_once_under_its_digest_with_its_media_type(moto_url):
    store = s3_store(moto_url)
    await store.ensure_bucket()
    content = b"\x89PNG fake image bytes"
    sha = hashlib.sha256(content).hexdigest()
    assert await store.put(sha, content, "image/png") is True
    assert await store.put(sha, content, "image/png") is False  # the same bytes again: nothing written
    assert await store.get(sha) == content
    assert await store.exists(sha)
    assert store.metadata(sha) == {"content_type": "image/png", "bytes": len(content), "sha256": sha}
    listed = store.client.list_objects_v2(Bucket=store.bucket)["Contents"]
    assert [o["Key"] for o in listed] == [f"assets/{sha}"]


async def test_s3_says_what_it_does_not_have(moto_url):
    store = s3_store(moto_url)
    await store.ensure_bucket()
    missing = "0" * 64
    assert not await store.exists(missing)
    with pytest.raises(BlobMissing):
        await store.get(missing)


async def test_the_local_store_writes_a_digest_once_and_refuses_paths_that_are_not_digests(tmp_path):
    store = LocalAssetStore(tmp_path)
    sha = hashlib.sha256(b"abc").hexdigest()
    assert await store.put(sha, b"abc", "text/plain") is True
    assert await store.put(sha, b"abc", "text/plain") is False
    assert (tmp_path / sha[:2] / sha[2:4] / sha).read_bytes() == b"abc"
    with pytest.raises(ValueError):
        await store.get("../../etc/passwd")


async def test_a_job_stores_its_assets_in_s3_and_the_signed_url_serves_them(start_creative, moto_url):
    bucket = f"adly-{uuid.uuid4().hex[:8]}"
    await s3_store(moto_url, bucket).ensure_bucket()
    async with start_creative(asset_backend="s3", s3_endpoint_url=moto_url, s3_bucket=bucket,
                              s3_access_key_id="testing", s3_secret_access_key="testing") as creative:
        ws = uuid.uuid4()
        product = await creative.product(ws)
        first = await creative.start_job(ws, [product], modalities={"copy": False, "images": ["1:1"]})
        second = await creative.start_job(ws, [product], modalities={"copy": False, "images": ["1:1"]})
        jobs = [await creative.finished(ws, r.json()["id"]) for r in (first, second)]
        assert [j["status"] for j in jobs] == ["succeeded", "succeeded"]
        asset = jobs[0]["assets"][0]
        assert jobs[1]["assets"][0]["id"] == asset["id"]  # the same bytes: the same asset, stored once
        keys = [o["Key"] for o in creative.adapters.assets.store.client.list_objects_v2(Bucket=bucket)["Contents"]]
        assert keys == [f"assets/{asset['sha256']}"]
        url = urlsplit(asset["url"])
        fetched = await creative.client.get(f"{url.path}?{url.query}")
        assert fetched.status_code == 200 and hashlib.sha256(fetched.content).hexdigest() == asset["sha256"]
