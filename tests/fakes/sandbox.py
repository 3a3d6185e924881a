"""The sandbox's stores and ad accounts: the platform fakes run as one process for `adly-dev run --sandbox`.

Test equipment turned into a developer's playground (docs/sandbox.md): the Shopify,
WooCommerce, Salla and Zid fakes, each on its own loopback port, with a small seeded
catalogue whose product photos this process serves itself; the Meta, TikTok, Snapchat and
Google Ads fakes with one ad account each (its page or identity or public profile, its pixel
or conversion action, a known token where the platform has long-lived ones; every ad
approved at once; each ad's figures start `history_days` before it was published and grow
with the clock, so analytics is never empty); and a home server that says what the sandbox
holds (`GET /`: the stores and the ad accounts, how to connect each, the WooCommerce keys,
the tokens).

Every name says sandbox (the shop's domain, each store's name, the photos), every answer
of the home server carries `X-Adly-Sandbox: true`, and everything listens on 127.0.0.1
only. The devstack (`adly_kit/devstack/sandbox.py`) owns the plan (ports, app credentials,
names) and passes it here as a JSON file, so both ends agree without the devstack importing
test code.

Run: `python -m tests.fakes.sandbox --plan PLAN.json` from the repository root; prints
`ready <home url>` once every server listens; SIGTERM (or Ctrl-C) stops them.

Adding a kind of sandbox thing: a builder in `BUILDERS` under the component's `kind`, and
the component in the devstack's plan (an ad platform's kind in its `AD_PLATFORMS` too, so
the home lists it under `ad_accounts`).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import signal
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from PIL import Image, ImageDraw, ImageFont
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.google_ads import build_google_ads
from tests.fakes.meta import build_meta
from tests.fakes.salla import FakeSalla
from tests.fakes.server import FakeServer
from tests.fakes.shopify import PRODUCT_BASE, ShopifyFake, iso
from tests.fakes.snapchat import build_snapchat
from tests.fakes.tiktok import build_tiktok
from tests.fakes.woocommerce import FakeWooCommerce, Key
from tests.fakes.zid import FakeZid

SANDBOX_HEADER = "X-Adly-Sandbox"
PHOTOS_PER_PRODUCT = 2
PALETTE = ["#F4A261", "#2A9D8F", "#E76F51", "#264653", "#E9C46A", "#8AB17D", "#B5838D", "#6D597A"]


# -- photos -----------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def photo(platform: str, product: int, index: int) -> bytes:
    """A deterministic JPEG of a 'product' on a coloured background, labelled SANDBOX."""
    digest = hashlib.sha256(f"{platform}/{product}/{index}".encode()).digest()
    background = PALETTE[digest[0] % len(PALETTE)]
    accent = PALETTE[(digest[1] + 3) % len(PALETTE)]
    image = Image.new("RGB", (800, 800), background)
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((220, 200, 580, 640), radius=48, fill=accent, outline="#FFFFFF", width=8)
    draw.ellipse((340, 120, 460, 240), fill="#FFFFFF")
    font = ImageFont.load_default(size=44)
    draw.text((400, 700), f"SANDBOX {platform.upper()} #{product}", fill="#FFFFFF", font=font, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


class SandboxHome(FakeServer):
    """`GET /` what the sandbox holds; `GET /ready`; `GET /photos/<platform>/<product>-<n>.jpg`."""

    def __init__(self, port: int) -> None:
        super().__init__(port)
        self.description: dict[str, Any] = {"sandbox": True, "stores": [], "ad_accounts": []}
        self.app = Starlette(routes=[
            Route("/", self._index), Route("/ready", self._ready),
            Route("/photos/{platform}/{product:int}-{index:int}.jpg", self._photo, methods=["GET", "HEAD"]),
        ])

    def photo_url(self, platform: str, product: int, index: int) -> str:
        return f"{self.url}/photos/{platform}/{product}-{index}.jpg"

    async def _index(self, request: Request) -> Response:
        return JSONResponse(self.description, headers={SANDBOX_HEADER: "true"})

    async def _ready(self, request: Request) -> Response:
        return JSONResponse({"status": "ready", "sandbox": True}, headers={SANDBOX_HEADER: "true"})

    async def _photo(self, request: Request) -> Response:
        params = request.path_params
        if params["platform"] not in BUILDERS.keys() - AD_PLATFORMS or not 0 <= params["index"] < PHOTOS_PER_PRODUCT:
            return Response(status_code=404, headers={SANDBOX_HEADER: "true"})
        return Response(photo(params["platform"], params["product"], params["index"]), media_type="image/jpeg",
                        headers={SANDBOX_HEADER: "true", "Cache-Control": "public, max-age=86400"})


# -- the stores -------------------------------------------------------------------------------
# Each builder makes its fake from the plan's component (port, credentials, names), seeds it
# and points every product photo at the home server; it returns the fake and what `GET /`
# says about it.

Builder = Callable[[dict[str, Any], SandboxHome], tuple[FakeServer, dict[str, Any]]]


def build_shopify(plan: dict[str, Any], home: SandboxHome) -> tuple[FakeServer, dict[str, Any]]:
    # No cost ceiling worth meeting in a sandbox of a dozen products (the e2e stack does the same).
    fake = ShopifyFake(plan["port"], shop=plan["shop"], shop_name=plan["name"], client_id=plan["client_id"],
                       client_secret=plan["client_secret"], max_query_cost=100_000, bucket_size=1_000_000,
                       restore_rate=1_000_000)
    products = plan.get("products", 12)
    fake.seed(products=products, variants=3)
    for index in range(1, products + 1):
        title = (fake.product(PRODUCT_BASE + index) or {}).get("title")
        fake.update_product(PRODUCT_BASE + index, status="ACTIVE", media={"nodes": [
            {"image": {"url": home.photo_url("shopify", index, n), "altText": title if n == 0 else None}}
            for n in range(PHOTOS_PER_PRODUCT)]})
    now = datetime.now(UTC)
    for n in range(plan.get("orders", 5)):  # recent: inside any backfill window a platform keeps
        fake.add_order(createdAt=iso((now - timedelta(days=n + 1)).timestamp()))
    return fake, {"connect": {"platform": "shopify", "shop": plan["shop"]}, "flow": "oauth"}


def build_woocommerce(plan: dict[str, Any], home: SandboxHome) -> tuple[FakeServer, dict[str, Any]]:
    fake = FakeWooCommerce(plan["port"], store_name=plan["name"], base_path=plan.get("base_path", "/sandbox"))
    # Known keys, so the README can show them; the fake's own random key stays valid too.
    fake.keys[plan["consumer_key"]] = Key(1, plan["consumer_secret"], "read_write")
    fake.seed(products=plan.get("products", 8), orders=plan.get("orders", 5))
    for product in list(fake.products.values()):
        pid = product["id"]
        fake.update_product(pid, images=[
            {"id": pid * 10 + n, "src": home.photo_url("woocommerce", pid, n), "name": f"{pid}-{n}",
             "alt": product["name"] if n == 0 else ""} for n in range(PHOTOS_PER_PRODUCT)])
        for vid in list(fake.variations[pid]):
            fake.update_variation(pid, vid, image={"id": vid * 10, "src": home.photo_url("woocommerce", pid, 0),
                                                   "name": str(vid), "alt": ""})
    connect = {"platform": "woocommerce", "site_url": fake.site_url, "consumer_key": plan["consumer_key"],
               "consumer_secret": plan["consumer_secret"]}
    return fake, {"connect": connect, "flow": "keys"}


def build_salla(plan: dict[str, Any], home: SandboxHome) -> tuple[FakeServer, dict[str, Any]]:
    fake = FakeSalla(port=plan["port"], store_name=plan["name"], rate_limit=10_000)
    fake.client_id, fake.client_secret = plan["client_id"], plan["client_secret"]
    fake.webhook_secret = plan["webhook_secret"]
    fake.seed(products=plan.get("products", 6), variants=2, orders=plan.get("orders", 4))
    for pid, raw in list(fake.products.items()):
        alt = raw["_names"]["ar"]
        images = [{"id": pid * 10 + n, "url": home.photo_url("salla", pid, n), "main": n == 0, "three_d_image_url": "",
                   "alt": alt if n == 0 else "", "video_url": "", "type": "image", "sort": n + 1}
                  for n in range(PHOTOS_PER_PRODUCT)]
        fake.update_product(pid, images=images, main_image=images[0]["url"])
    return fake, {"connect": {"platform": "salla"}, "flow": "oauth"}


def build_zid(plan: dict[str, Any], home: SandboxHome) -> tuple[FakeServer, dict[str, Any]]:
    fake = FakeZid(client_id=plan["client_id"], client_secret=plan["client_secret"], store_id=plan["store_id"],
                   port=plan["port"])
    fake.store.update(title=plan["name"], url=plan["store_url"])
    fake.rate_limit(requests=10_000)
    fake.seed(products=plan.get("products", 6), variants=2, orders=plan.get("orders", 4))
    for number, (pid, product) in enumerate(list(fake.products.items())):
        if product["parent_id"] is None:
            fake.update_product(pid, images=[
                {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{pid}/photo/{n}")), "display_order": n,
                 "image": {"full_size": home.photo_url("zid", number, n), "thumbnail": home.photo_url("zid", number, n)},
                 "alt_text": product["name"]["en"]} for n in range(PHOTOS_PER_PRODUCT)])
    return fake, {"connect": {"platform": "zid"}, "flow": "oauth"}


def build_meta_account(plan: dict[str, Any], home: SandboxHome) -> tuple[FakeServer, dict[str, Any]]:
    """The fake Meta with the plan's ad account; `GET /` also gives its token, which the
    merchant pastes as a system user's (`POST /ad-accounts` with `access_token`)."""
    fake, about = build_meta(plan, home)
    fake.insights.history_days = int(plan.get("history_days", 0))
    about["connect"] |= {"access_token": plan["token"], "currency": plan.get("currency", "SAR"),
                         "time_zone": plan.get("time_zone", "Asia/Riyadh")}
    return fake, about


def _stable(plan: dict[str, Any], what: str) -> str:
    """An id that stays the same from one start of the sandbox to the next, so an account
    connected before a restart keeps its page and pixel (the fakes' own are random)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"adly-sandbox/{plan['kind']}/{plan.get('account_id')}/{what}"))


def build_tiktok_account(plan: dict[str, Any], home: SandboxHome) -> tuple[FakeServer, dict[str, Any]]:
    """The fake TikTok with the plan's advertiser, its identity and pixel, and its long-term
    token (`POST /ad-accounts` with `access_token`), or the authorization page."""
    fake, about = build_tiktok(plan, home)
    advertiser = fake.accounts[about["connect"]["account_id"]]
    identity = f"idt-{_stable(plan, 'identity')[:16]}"
    advertiser.identities = {identity: next(iter(advertiser.identities.values()))}
    about["connect"] |= {"page_id": identity, "access_token": plan["token"], "currency": plan.get("currency", "SAR"),
                         "time_zone": plan.get("time_zone", "Asia/Riyadh")}
    return fake, about


def build_snapchat_account(plan: dict[str, Any], home: SandboxHome) -> tuple[FakeServer, dict[str, Any]]:
    """The fake Snapchat with the plan's ad account, its public profile (Snap's `page_id`) and
    pixel, and a token that never expires, or the OAuth consent."""
    fake, about = build_snapchat(plan, home)
    account = fake.accounts[about["connect"]["account_id"]]
    organization = fake.organizations[account.organization_id]
    profile, pixel = _stable(plan, "profile"), _stable(plan, "pixel")
    organization.profiles = {profile: next(iter(organization.profiles.values()))}
    account.pixels = {pixel: next(iter(account.pixels.values()))}
    about["connect"] |= {"page_id": profile, "profile_id": profile, "pixel_id": pixel}
    return fake, about


def build_google_ads_account(plan: dict[str, Any], home: SandboxHome) -> tuple[FakeServer, dict[str, Any]]:
    """The fake Google Ads with the plan's customer and its purchase conversion action (the
    `pixel_id`); connected through the OAuth consent, which approves at once."""
    fake, about = build_google_ads(plan, home)
    about["connect"] |= {"account_id": about["connect"]["customer_id"],
                         "pixel_id": about["connect"]["conversion_action_id"],
                         "currency": plan.get("currency", "SAR"), "time_zone": plan.get("time_zone", "Asia/Riyadh")}
    return fake, about


BUILDERS: dict[str, Builder] = {
    "shopify": build_shopify,
    "woocommerce": build_woocommerce,
    "salla": build_salla,
    "zid": build_zid,
    "meta": build_meta_account,
    "tiktok": build_tiktok_account,
    "snapchat": build_snapchat_account,
    "google_ads": build_google_ads_account,
}
AD_PLATFORMS = frozenset({"meta", "tiktok", "snapchat", "google_ads"})  # listed under `ad_accounts` on the home page


class Sandbox:
    """The home server and every component of the plan, started and stopped together."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.home = SandboxHome(config["home_port"])
        self.servers: list[FakeServer] = []
        for component in config["components"]:
            builder = BUILDERS.get(component["kind"])
            if builder is None:
                raise SystemExit(f"sandbox: no builder for {component['kind']!r}; known: {', '.join(BUILDERS)}")
            fake, about = builder(component, self.home)
            self.servers.append(fake)
            listed = "ad_accounts" if component["kind"] in AD_PLATFORMS else "stores"
            self.home.description[listed].append(
                {"platform": component["kind"], "name": component["name"], "url": fake.url} | about)

    def start(self) -> Sandbox:
        try:
            for server in [*self.servers, self.home]:
                server.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for server in [self.home, *self.servers]:
            server.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="ADLY's sandbox stores on 127.0.0.1 (docs/sandbox.md)")
    parser.add_argument("--plan", required=True, help="the devstack's sandbox plan, a JSON file")
    args = parser.parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with open(args.plan, encoding="utf-8") as plan:
        sandbox = Sandbox(json.load(plan)).start()
    print("*** ADLY SANDBOX: fake stores and ad accounts for development, not real platforms ***", flush=True)
    for thing in sandbox.home.description["stores"] + sandbox.home.description["ad_accounts"]:
        print(f"sandbox {thing['platform']}: {thing['name']} on {thing['url']}", flush=True)
    print(f"ready {sandbox.home.url}", flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    sandbox.stop()


if __name__ == "__main__":
    main()
