"""Blobs in an S3-compatible object store (AWS S3, MinIO, Ceph RGW...), through boto3."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, cast

import boto3
from botocore.exceptions import ClientError


class S3BlobStore:
    def __init__(
        self,
        *,
        bucket: str,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key: str | None = None,
        secret_key: str | None = None,
        create_bucket: bool = True,
    ) -> None:
        self.bucket = bucket
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
        )
        if create_bucket:
            try:
                self.client.head_bucket(Bucket=bucket)
            except ClientError:
                self.client.create_bucket(Bucket=bucket)

    @staticmethod
    def _key(digest: str) -> str:
        return f"sha256/{digest[:2]}/{digest}"

    def _refresh(self, digest: str) -> bool:
        """Whether the object is there, its time set to now if so (copied onto itself): a
        blob written again is young again for garbage collection (:mod:`lienthong.blobs.gc`)."""
        key = self._key(digest)
        try:
            self.client.copy_object(
                Bucket=self.bucket,
                Key=key,
                CopySource={"Bucket": self.bucket, "Key": key},
                MetadataDirective="REPLACE",
                Metadata={"written": datetime.now(UTC).isoformat()},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return False
            raise
        return True

    def put_file(self, path: Path, digest: str) -> None:
        if not self.exists(digest) or not self._refresh(digest):
            self.client.upload_file(str(path), self.bucket, self._key(digest))
        path.unlink(missing_ok=True)

    def put_bytes(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        if not self.exists(digest) or not self._refresh(digest):
            self.client.put_object(Bucket=self.bucket, Key=self._key(digest), Body=data)
        return digest

    def open(self, digest: str) -> BinaryIO:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(digest))
        except ClientError as exc:
            raise KeyError(digest) from exc
        return cast(BinaryIO, answer["Body"])  # botocore's StreamingBody: read(n), close()

    def exists(self, digest: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(digest))
        except ClientError:
            return False
        return True

    def size(self, digest: str) -> int:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._key(digest))
        except ClientError as exc:
            raise KeyError(digest) from exc
        return int(head["ContentLength"])

    def free_bytes(self) -> int | None:
        self.client.head_bucket(Bucket=self.bucket)  # raises when the store cannot be reached
        return None  # an object store does not report free space

    def delete(self, digest: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(digest))

    # -- garbage collection (lienthong.blobs.gc) ----------------------------------------------

    def iter_blobs(self) -> Iterator[tuple[str, datetime]]:
        """Every blob's digest and last write, in digest order (S3 lists keys in order)."""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix="sha256/"
        )
        for page in pages:
            for item in page.get("Contents", []):
                digest = str(item["Key"]).rsplit("/", 1)[-1]
                if len(digest) == 64:
                    yield digest, item["LastModified"]

    def remove_if_older(self, digest: str, cutoff: datetime) -> bool:
        """Remove the object if it was last written before ``cutoff``. S3 offers no atomic
        "delete if unchanged": a write in the milliseconds between the look and the delete
        would be lost, which the grace period makes a send of the same bytes as an old
        orphan within those milliseconds."""
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._key(digest))
        except ClientError:
            return False
        if head["LastModified"] >= cutoff:
            return False
        self.delete(digest)
        return True

    def sweep_leftovers(self, cutoff: datetime) -> int:
        """Abort the multipart uploads a crash interrupted, when begun before ``cutoff``."""
        handled = 0
        answer = self.client.list_multipart_uploads(Bucket=self.bucket, Prefix="sha256/")
        for upload in answer.get("Uploads", []):
            if upload["Initiated"] < cutoff:
                self.client.abort_multipart_upload(
                    Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                )
                handled += 1
        return handled
