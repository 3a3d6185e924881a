"""Where asset bytes live, by SHA-256: a local directory (the default) or an S3-compatible
bucket (AWS S3, MinIO, Ceph, moto...). Both store a digest once; writing the same bytes
again is a no-op, so content addressing deduplicates across jobs and workspaces."""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from pathlib import Path

from adly_creative.domain.assets import BlobMissing

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _checked(sha256: str) -> str:
    if not _SHA256.match(sha256):
        raise ValueError("not a SHA-256 hex digest")
    return sha256


class LocalAssetStore:
    """Files under `root/ab/cd/<sha256>`, written to a temporary name and renamed into place,
    so a reader never sees half a file and two writers of the same bytes both succeed."""

    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_of(self, sha256: str) -> Path:
        sha256 = _checked(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    async def put(self, sha256: str, content: bytes, media_type: str) -> bool:
        return await asyncio.to_thread(self._put, self.path_of(sha256), content)

    @staticmethod
    def _put(path: Path, content: bytes) -> bool:
        if path.exists():
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        temporary.write_bytes(content)
        os.replace(temporary, path)
        return True

    async def get(self, sha256: str) -> bytes:
        try:
            return await asyncio.to_thread(self.path_of(sha256).read_bytes)
        except FileNotFoundError:
            raise BlobMissing(sha256) from None

    async def exists(self, sha256: str) -> bool:
        return await asyncio.to_thread(self.path_of(sha256).exists)


class S3AssetStore:
    """Objects `<prefix><sha256>` in one bucket. boto3 is synchronous, so each call runs in
    a thread; its client is thread-safe and pooled (max_pool_connections)."""

    name = "s3"

    def __init__(self, *, bucket: str, endpoint_url: str | None = None, region: str = "us-east-1", prefix: str = "assets/",
                 access_key_id: str | None = None, secret_access_key: str | None = None, timeout: float = 30.0,
                 max_connections: int = 20) -> None:
        import boto3
        from botocore.config import Config

        self.bucket, self.prefix = bucket, prefix
        config = Config(region_name=region, connect_timeout=timeout, read_timeout=timeout,
                        retries={"max_attempts": 3, "mode": "standard"}, max_pool_connections=max_connections,
                        s3={"addressing_style": "path"})
        self.client = boto3.session.Session().client(
            "s3", endpoint_url=endpoint_url, aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key,
            config=config)

    def key_of(self, sha256: str) -> str:
        return f"{self.prefix}{_checked(sha256)}"

    async def ensure_bucket(self) -> None:
        """For development and tests; production buckets are provisioned, not created here."""
        await asyncio.to_thread(self._ensure_bucket)

    def _ensure_bucket(self) -> None:
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            self.client.create_bucket(Bucket=self.bucket)

    async def put(self, sha256: str, content: bytes, media_type: str) -> bool:
        return await asyncio.to_thread(self._put, self.key_of(sha256), content, media_type, sha256)

    def _put(self, key: str, content: bytes, media_type: str, sha256: str) -> bool:
        if self._exists(key):
            return False
        self.client.put_object(Bucket=self.bucket, Key=key, Body=content, ContentType=media_type,
                               Metadata={"sha256": sha256})
        return True

    async def get(self, sha256: str) -> bytes:
        return await asyncio.to_thread(self._get, self.key_of(sha256))

    def _get(self, key: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise BlobMissing(key) from None
            raise

    async def exists(self, sha256: str) -> bool:
        return await asyncio.to_thread(self._exists, self.key_of(sha256))

    def _exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
            return True
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise

    def metadata(self, sha256: str) -> dict:
        """The object's stored headers (content type, length, our sha256), for checks."""
        head = self.client.head_object(Bucket=self.bucket, Key=self.key_of(sha256))
        return {"content_type": head["ContentType"], "bytes": head["ContentLength"], "sha256": head["Metadata"].get("sha256")}
