"""Product photos, fetched from the store's CDN with a guard against server-side request forgery.

A product's image URL comes from a merchant's store, so it may point anywhere: only https
is fetched, the host's addresses are resolved first and every one must be public (no
loopback, private, link-local, multicast or reserved ranges: no cloud metadata endpoint,
no internal service), and the request goes to the address that was checked (pinned, the
TLS name still the host's), so a DNS answer that changes between the check and the
connection cannot steer it inside. Redirects stay on that address (adly_kit.outbound),
bodies stop at a size cap, and what comes back must decode as an image of sane size.
`allow_loopback` (tests only) also lets http://127.0.0.1 through.
"""

from __future__ import annotations

import asyncio
import io
import ipaddress
import socket

import httpx

from adly_creative.domain.assets import Photo, PhotoRefused
from adly_kit.addresses import is_public_address
from adly_kit.outbound import Outbound, OutboundError

MAX_PIXELS = 40_000_000


class PhotoFetcher:
    def __init__(self, outbound: Outbound, *, max_bytes: int, allow_loopback: bool = False) -> None:
        self.outbound = outbound
        self.max_bytes = max_bytes
        self.allow_loopback = allow_loopback

    async def inspect(self, content: bytes) -> Photo:
        """What bytes a merchant sent (a logo) are as an image; decoded off the event loop."""
        return await asyncio.to_thread(decode_image, content)

    async def fetch(self, url: str) -> Photo:
        target = self._checked_url(url)
        address = await self._public_address(target)
        pinned = target.copy_with(host=address)
        try:
            reply = await self.outbound.request(
                "GET", str(pinned), max_bytes=self.max_bytes, headers={"Host": target.netloc.decode(), "Accept": "image/*"},
                extensions={"sni_hostname": target.host})
        except OutboundError as error:
            raise PhotoRefused(str(error)) from None
        if reply.status != 200:
            raise PhotoRefused(f"the store answered {reply.status}")
        return await asyncio.to_thread(decode_image, reply.body)

    def _checked_url(self, url: str) -> httpx.URL:
        try:
            target = httpx.URL(url)
        except (httpx.InvalidURL, TypeError):
            raise PhotoRefused("not a URL") from None
        if target.scheme == "https" or (target.scheme == "http" and self.allow_loopback):
            if target.host:
                return target
        raise PhotoRefused("only https photo URLs are fetched")

    async def _public_address(self, target: httpx.URL) -> str:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                target.host, target.port or (443 if target.scheme == "https" else 80), type=socket.SOCK_STREAM)
        except OSError as error:
            raise PhotoRefused(f"cannot resolve {target.host} ({error})") from None
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
        if not addresses:
            raise PhotoRefused(f"{target.host} has no address")
        for address in addresses:
            if not (is_public_address(address) or (self.allow_loopback and address.is_loopback)):
                raise PhotoRefused(f"{target.host} resolves to a non-public address")
        if target.scheme == "http" and not all(a.is_loopback for a in addresses):
            raise PhotoRefused("only https photo URLs are fetched")
        return str(addresses[0])


def decode_image(content: bytes) -> Photo:
    """What the bytes are as an image; PhotoRefused when they are not one we render from."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(content)) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise PhotoRefused(f"the photo is {width}x{height} pixels, more than we render from")
            kind = (image.format or "").lower()
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as error:
        raise PhotoRefused(f"not a readable image ({type(error).__name__})") from None
    media_type = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif"}.get(kind)
    if media_type is None:
        raise PhotoRefused(f"unsupported image format {kind or 'unknown'}")
    return Photo(content, media_type, width, height)
