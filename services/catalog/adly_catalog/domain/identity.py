"""Stable ids and change fingerprints of what the catalog mirrors.

A product's or order's id is derived from its store and its platform id, so every sync,
webhook and replay names the same aggregate without a lookup, and two deliveries of the
same product can never create two aggregates.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from uuid import UUID

from pydantic import BaseModel
from uuid_utils.compat import uuid5  # the standard's uuid5, the same ids, in a third of the time

_PRODUCTS = UUID("6f7c8c02-9a3c-4e0e-9a8e-5b8f0d1c2a01")
_ORDERS = UUID("2b1d6a54-43f7-4c5b-8f0e-7d9c3e4a5b02")


def product_id(store_id: UUID, external_id: str) -> UUID:
    return uuid5(_PRODUCTS, f"{store_id}:{external_id}")


def order_id(store_id: UUID, external_id: str) -> UUID:
    return uuid5(_ORDERS, f"{store_id}:{external_id}")


def product_ids(store_id: UUID) -> Callable[[str], UUID]:
    """`product_id` for one store's many products (a sync page): the store's part of the
    name is written once, not per product."""
    return _ids(_PRODUCTS, store_id)


def order_ids(store_id: UUID) -> Callable[[str], UUID]:
    return _ids(_ORDERS, store_id)


def _ids(namespace: UUID, store_id: UUID) -> Callable[[str], UUID]:
    prefix = f"{store_id}:"
    return lambda external_id: uuid5(namespace, prefix + external_id)


def fingerprint(item: BaseModel) -> str:
    """What decides "changed": the normalised state, not the platform's timestamp, so a
    re-read of an unchanged product (a resumed or repeated sync) produces no event."""
    return fingerprint_of(item.model_dump_json())


def fingerprint_of(normalised_json: str) -> str:
    """The fingerprint of an item already serialised (the mirror stores that same text)."""
    return hashlib.sha256(normalised_json.encode()).hexdigest()


def secret_hash(secret: str) -> str:
    """What is kept of a single-use state or a URL token: its SHA-256, never the secret."""
    return hashlib.sha256(secret.encode()).hexdigest()
