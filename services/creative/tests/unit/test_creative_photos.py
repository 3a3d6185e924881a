import pytest

from adly_creative.adapters.photos import PhotoFetcher, PhotoRefused, decode_image
from adly_kit.outbound import NO_RETRY, Outbound, make_client


@pytest.fixture
async def fetcher():
    outbound = Outbound(make_client(timeout=1), max_bytes=1024, retry=NO_RETRY)
    yield PhotoFetcher(outbound, max_bytes=1024)
    await outbound.aclose()


@pytest.mark.parametrize("url", [
    "http://cdn.example.com/p.jpg",                 # not https
    "https://127.0.0.1/p.jpg",                      # loopback
    "https://10.1.2.3/p.jpg",                       # private
    "https://169.254.169.254/latest/meta-data/",    # link-local: cloud metadata
    "https://[::1]/p.jpg",
    "https://[::ffff:192.168.0.1]/p.jpg",           # a private IPv4 mapped in IPv6
    "https://localhost/p.jpg",                      # a name that resolves inside
    "file:///etc/passwd",
])
async def test_photos_are_fetched_only_from_public_https_addresses(fetcher, url):
    with pytest.raises(PhotoRefused):
        await fetcher.fetch(url)


async def test_the_test_setting_lets_loopback_http_through_to_the_connection():
    outbound = Outbound(make_client(timeout=1), max_bytes=1024, retry=NO_RETRY)
    try:
        fetcher = PhotoFetcher(outbound, max_bytes=1024, allow_loopback=True)
        with pytest.raises(PhotoRefused, match="ConnectError"):
            await fetcher.fetch("http://127.0.0.1:9/p.jpg")  # allowed, then nothing listens on port 9
        with pytest.raises(PhotoRefused, match="non-public"):
            await fetcher.fetch("http://10.0.0.1/p.jpg")
    finally:
        await outbound.aclose()


def test_bytes_that_are_not_an_image_are_refused():
    with pytest.raises(PhotoRefused, match="not a readable image"):
        decode_image(b"<html>not found</html>")
