"""A run's files as objects in S3-compatible storage (``SKINSCOPE_FILES_URL=s3://bucket/prefix``,
with the standard AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
AWS_DEFAULT_REGION): ``<prefix>/<run id>/<name>``, with the run id and the name checked as for a
folder (`files.RunFiles`), every read capped in bytes, every request under a deadline. boto3 is
imported only here, and only when the URL is set. The credentials are never in a message."""

from __future__ import annotations

from urllib.parse import urlsplit

from ..errors import StoreError
from .files import FILE_NAME, RunFiles
from .ids import RUN_ID

FILES_URL = "SKINSCOPE_FILES_URL"
CONNECT_TIMEOUT_S, READ_TIMEOUT_S = 5, 30
HINT = (
    "Check SKINSCOPE_FILES_URL (s3://bucket/prefix), AWS_ENDPOINT_URL and the AWS credentials, "
    "or unset SKINSCOPE_FILES_URL to keep the files in the data folder."
)


class S3Files(RunFiles):
    def __init__(self, url: str):
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise StoreError(f"{FILES_URL} is not an s3://bucket/prefix address", hint=HINT)
        self.bucket = parts.netloc
        self.prefix = parts.path.strip("/")
        self.where = f"s3://{self.bucket}/{self.prefix}".rstrip("/")
        import boto3
        from botocore.config import Config

        self._s3 = boto3.client(
            "s3",
            config=Config(
                connect_timeout=CONNECT_TIMEOUT_S,
                read_timeout=READ_TIMEOUT_S,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        )
        self._asked(lambda: self._s3.head_bucket(Bucket=self.bucket), "cannot be reached")

    def _asked(self, request, doing: str = "cannot be used"):
        """`request()`; any failure of the store is a StoreError naming the bucket."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return request()
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "error")
            raise StoreError(f"The file store {self.where} {doing} ({code})", hint=HINT) from None
        except BotoCoreError as exc:
            reason = type(exc).__name__
            raise StoreError(f"The file store {self.where} {doing} ({reason})", hint=HINT) from None

    def _key(self, run_id: str, name: str = "") -> str:
        return "/".join(part for part in (self.prefix, run_id, name) if part)

    def _put(self, run_id: str, name: str, data: bytes) -> None:
        key = self._key(run_id, name)
        self._asked(lambda: self._s3.put_object(Bucket=self.bucket, Key=key, Body=data))

    def _get(self, run_id: str, name: str, cap: int) -> bytes | None:
        from botocore.exceptions import ClientError

        key = self._key(run_id, name)

        def fetch():
            try:
                return self._s3.get_object(Bucket=self.bucket, Key=key)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                    return None
                raise

        answer = self._asked(fetch, "cannot be read")
        if answer is None:
            return None
        body = answer["Body"]
        try:
            if int(answer.get("ContentLength") or 0) > cap:
                raise StoreError(f"{self.where}/{run_id}/{name} is over {cap} bytes", hint=HINT)
            data = self._asked(lambda: body.read(cap + 1), "cannot be read")
        finally:
            body.close()
        if len(data) > cap:
            raise StoreError(f"{self.where}/{run_id}/{name} is over {cap} bytes", hint=HINT)
        return data

    def _listed(self, prefix: str):
        """(key, size) of every object under `prefix`, a page at a time."""
        pages = self._s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        )
        for page in self._asked(lambda: list(pages), "cannot be listed"):
            for item in page.get("Contents", []):
                yield item["Key"], int(item.get("Size") or 0)

    def _run_objects(self, run_id: str):
        start = self._key(run_id) + "/"
        for key, size in self._listed(start):
            if FILE_NAME.fullmatch(key[len(start) :]):
                yield key, size

    def _names(self, run_id: str) -> list[str]:
        start = len(self._key(run_id)) + 1
        return [key[start:] for key, _ in self._run_objects(run_id)]

    def _size(self, run_id: str) -> int:
        return sum(size for _, size in self._run_objects(run_id))

    def _remove(self, keys: list[str]) -> None:
        for at in range(0, len(keys), 1000):
            batch = [{"Key": key} for key in keys[at : at + 1000]]
            self._asked(
                lambda batch=batch: self._s3.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True}
                )
            )

    def _delete(self, run_id: str) -> None:
        self._remove([key for key, _ in self._run_objects(run_id)])

    def purge(self) -> None:
        """Every run's objects under the prefix; anything else there is left alone."""
        start = f"{self.prefix}/" if self.prefix else ""
        ours = []
        for key, _ in self._listed(start):
            run_id, _, name = key[len(start) :].partition("/")
            if RUN_ID.fullmatch(run_id) and FILE_NAME.fullmatch(name):
                ours.append(key)
        self._remove(ours)
