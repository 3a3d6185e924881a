"""A workspace's brand kit, routing and provider keys, driven through adly_creative.handlers
on in-memory ports: what is refused, with which field, and what is kept."""

from __future__ import annotations

import io
import uuid
from decimal import Decimal

import pytest
from PIL import Image

from adly_creative.domain.ports import BrandKit
from adly_creative.handlers import configuration
from adly_kit.errors import InvalidInput, NotFound
from adly_kit.testing.doubles import NO_DATABASE

from .doubles import studio


def png(size: tuple[int, int] = (64, 32)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "#7A1F2B").save(buffer, format="PNG")
    return buffer.getvalue()


async def test_a_logo_is_stored_by_its_content_and_kept_when_the_next_kit_says_nothing_of_it():
    s, ws = studio(), uuid.uuid4()
    logo = await configuration.store_logo(s.adapters, ws, png())
    await configuration.put_brand_kit(NO_DATABASE, s.adapters, ws, BrandKit(name="Noor"), logo=logo, keep_logo=False,
                                      by="user-1")

    await configuration.put_brand_kit(NO_DATABASE, s.adapters, ws, BrandKit(name="Noor Oud"), logo=None, keep_logo=True,
                                      by="user-1")

    stored = s.brand_kits.kits[ws]
    assert stored.kit.name == "Noor Oud" and stored.logo_asset_id == logo.id
    assert (logo.media_type, logo.width, logo.height) == ("image/png", 64, 32) and logo.id in s.assets.rows


async def test_bytes_that_are_no_image_are_refused_as_the_logo():
    s = studio()

    with pytest.raises(InvalidInput, match="not a PNG, JPEG or WebP") as refused:
        await configuration.store_logo(s.adapters, uuid.uuid4(), b"<svg/>")

    assert refused.value.path == "body/logo" and s.assets.blobs == {}


@pytest.mark.parametrize("routing,path", [({"text": ["stability"]}, "body/routing/text/0"),
                                          ({"music": ["offline"]}, "body/routing/music"),
                                          ({"image": []}, "body/routing/image")])
async def test_a_routing_no_provider_can_follow_is_refused_with_its_path(routing, path):
    s = studio()

    with pytest.raises(InvalidInput) as refused:
        await configuration.put_settings(NO_DATABASE, s.adapters, uuid.uuid4(), routing=routing, monthly_job_quota=None,
                                         monthly_spend_cap_usd=None, campaign_outputs=None, by="user-1")

    assert refused.value.path == path and s.settings.settings == {}


async def test_settings_keep_each_modalitys_order_once():
    s, ws = studio(), uuid.uuid4()

    await configuration.put_settings(NO_DATABASE, s.adapters, ws, routing={"text": ["anthropic", "offline", "anthropic"]},
                                     monthly_job_quota=10, monthly_spend_cap_usd=Decimal("5"), campaign_outputs=None,
                                     by="user-1")

    kept = s.settings.settings[ws]
    assert kept.routing == {"text": ["anthropic", "offline"]}
    assert kept.limits(500, Decimal(50)).monthly_jobs == 10


async def test_provider_keys_are_kept_trimmed_and_only_for_providers_that_take_one():
    s, ws = studio(), uuid.uuid4()

    await configuration.put_provider_key(NO_DATABASE, s.adapters, ws, "openai", "  sk-test-1234  ", "user-1")

    assert s.keys.keys == {(ws, "openai"): "sk-test-1234"}
    with pytest.raises(InvalidInput, match="needs no key"):
        await configuration.put_provider_key(NO_DATABASE, s.adapters, ws, "offline", "sk-test-1234", "user-1")
    with pytest.raises(NotFound):
        await configuration.put_provider_key(NO_DATABASE, s.adapters, ws, "midjourney", "sk-test-1234", "user-1")


async def test_removing_a_key_the_workspace_does_not_have_is_not_found():
    s, ws = studio(), uuid.uuid4()
    await configuration.put_provider_key(NO_DATABASE, s.adapters, ws, "anthropic", "sk-ant-1234", "user-1")

    await configuration.delete_provider_key(NO_DATABASE, s.adapters, ws, "anthropic")

    assert s.keys.keys == {}
    with pytest.raises(NotFound):
        await configuration.delete_provider_key(NO_DATABASE, s.adapters, ws, "anthropic")
