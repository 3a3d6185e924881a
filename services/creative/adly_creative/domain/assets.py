"""Assets: generated images, audio and video, stored by their content.

The bytes are stored once under their SHA-256 whatever workspace or job made them; the
metadata row is per workspace, and its id follows from (workspace, sha256), so a step
that runs again after a crash (the offline renderer is deterministic) finds its asset
already there instead of adding a second one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID, uuid5

_ASSETS = UUID("0f4f1a3e-2b8d-4c1a-9e57-6a3d2c1b0e9f")
KINDS = ("image", "audio", "video")


class BlobMissing(LookupError):
    """The store has no content under that digest."""


class PhotoRefused(Exception):
    """The photo was not fetched or not used (address refused, bad status, not an image, too large)."""


@dataclass(frozen=True)
class Photo:
    """An image's bytes as checked: what it is and how large."""

    content: bytes
    media_type: str
    width: int
    height: int


class AssetStore(Protocol):
    """Where asset bytes live: a directory, an S3-compatible bucket."""

    name: str

    async def put(self, sha256: str, content: bytes, media_type: str) -> bool:
        """Store `content` under its digest; False when it was there already."""

    async def get(self, sha256: str) -> bytes:
        """The content, or BlobMissing."""

    async def exists(self, sha256: str) -> bool: ...


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def asset_id_for(workspace_id: UUID, sha256: str) -> UUID:
    return uuid5(_ASSETS, f"{workspace_id}:{sha256}")


@dataclass(frozen=True)
class AssetMeta:
    id: UUID
    workspace_id: UUID
    kind: str                 # image | audio | video
    format: str               # 1:1, 9:16, mp3, wav, mp4, photo, logo
    media_type: str
    bytes: int
    sha256: str
    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = None


def describe(workspace_id: UUID, content: bytes, *, kind: str, format: str, media_type: str,
             width: int | None = None, height: int | None = None, duration: float | None = None) -> AssetMeta:
    sha = digest(content)
    return AssetMeta(asset_id_for(workspace_id, sha), workspace_id, kind, format, media_type, len(content), sha,
                     width, height, duration)
