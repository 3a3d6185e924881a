"""Reading what the providers send back: copy variants from a JSON answer, image sizes."""

from __future__ import annotations

import io
import json
import re
from typing import Any

from PIL import Image, UnidentifiedImageError

from adly_creative.domain.ports import CopyVariant

_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)
IMAGE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}


class MalformedAnswer(Exception):
    """The provider answered, but not in the shape asked for (bad JSON, missing fields)."""


def parse_variants(text: str | None, *, wanted: int) -> list[CopyVariant]:
    """The variants the model wrote, as it wrote them (trimmed of surrounding spaces).
    Whether they respect the limits and the brand is the core's check, not ours."""
    data = _json_object(text)
    items = data.get("variants")
    if not isinstance(items, list) or not items:
        raise MalformedAnswer("no `variants` list in the answer")
    return [_variant(item, index) for index, item in enumerate(items[:wanted])]


def _json_object(text: str | None) -> dict[str, Any]:
    if not text or not text.strip():
        raise MalformedAnswer("the answer was empty")
    fenced = _FENCE.match(text)  # a model without structured output may still fence its JSON
    try:
        data = json.loads(fenced.group(1) if fenced else text)
    except ValueError as error:
        raise MalformedAnswer(f"the answer is not JSON ({error})") from None
    if not isinstance(data, dict):
        raise MalformedAnswer("the answer is not a JSON object")
    return data


def _variant(item: Any, index: int) -> CopyVariant:
    if not isinstance(item, dict):
        raise MalformedAnswer(f"variant {index} is not an object")
    headline, primary = _text(item, "headline", index), _text(item, "primary_text", index)
    cta = _text(item, "call_to_action", index)
    description = item.get("description")
    if description is not None and not isinstance(description, str):
        raise MalformedAnswer(f"variant {index}: description is not text")
    return CopyVariant(headline=headline, primary_text=primary,
                       description=(description.strip() or None) if description else None,
                       call_to_action=cta.upper())


def _text(item: dict[str, Any], key: str, index: int) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        raise MalformedAnswer(f"variant {index}: `{key}` is missing or empty")
    return value.strip()


def image_facts(content: bytes) -> tuple[str, int, int]:
    """Media type, width and height read from the image itself, never from what was asked."""
    try:
        with Image.open(io.BytesIO(content)) as image:
            media_type = IMAGE_TYPES.get(image.format or "")
            width, height = image.size
    except (UnidentifiedImageError, OSError) as error:
        raise MalformedAnswer(f"the image could not be read ({error})") from None
    if media_type is None:
        raise MalformedAnswer(f"unexpected image format {image.format}")
    return media_type, width, height
