"""Blobs in an S3-compatible object store (AWS S3, MinIO, Ceph RGW...), through boto3."""

from __future__ import annotations

import hashlib
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

    def put_file(self, path: Path, digest: str) -> None:
        if not self.exists(digest):
            self.client.upload_file(str(path), self.bucket, self._key(digest))
        path.unlink(missing_ok=True)

    def put_bytes(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        if not self.exists(digest):
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
