"""CloudTrail log files in S3: which notified objects to read, and reading one into records.

boto3 is imported only when an object must actually be fetched without a client given,
because importing it costs a cold start far more than anything else in this package.
"""

from __future__ import annotations

import functools
import gzip
import zlib
from collections.abc import Callable, Iterator
from json import loads
from typing import Any

from engine.model import Origin, SourceProblem, SourceRecord
from engine.sources.errors import SourceError, describe_json_error, json_type

# Reads the objects one notification names: (bucket, key, origin) → records and problems.
ObjectReader = Callable[[str, str, Origin], Iterator[SourceRecord | SourceProblem]]

_GZIP_MAGIC = b"\x1f\x8b"


def is_cloudtrail_log_key(key: str) -> bool:
    """True for `…/CloudTrail/…/*.json.gz`; digest files and anything else are not records."""
    return "/CloudTrail/" in key and key.endswith(".json.gz") and "/CloudTrail-Digest/" not in key


def s3_event_object(item: dict[str, Any]) -> tuple[str, str] | None:
    """(bucket, decoded key) of one `aws:s3` notification item; None when it is not a creation.

    Raises SourceError when the item lacks the bucket name or object key.
    """
    event_name = item.get("eventName")
    if isinstance(event_name, str) and not event_name.startswith("ObjectCreated"):
        return None  # removals, restores, replication events: nothing new to read
    s3 = item.get("s3")
    bucket = s3.get("bucket") if isinstance(s3, dict) else None
    obj = s3.get("object") if isinstance(s3, dict) else None
    name = bucket.get("name") if isinstance(bucket, dict) else None
    key = obj.get("key") if isinstance(obj, dict) else None
    if not isinstance(name, str) or not isinstance(key, str):
        raise SourceError("S3 notification without s3.bucket.name and s3.object.key strings")
    # S3 notifications URL-encode keys (a space arrives as "+"). Imported here: urllib.parse
    # (with ipaddress) is a cold-start cost that CloudWatch Logs and EventBridge never need.
    from urllib.parse import unquote_plus

    return name, unquote_plus(key)


def cloudtrail_notification_objects(document: dict[str, Any]) -> tuple[str, list[str]]:
    """(bucket, keys) of CloudTrail's own SNS notification; its keys are not URL-encoded.

    Raises SourceError when s3Bucket is not a string or s3ObjectKey not a list of strings.
    """
    bucket = document.get("s3Bucket")
    keys = document.get("s3ObjectKey")
    if not isinstance(bucket, str):
        raise SourceError(f"s3Bucket is a JSON {json_type(bucket)}, not a string")
    if not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
        raise SourceError("s3ObjectKey is not an array of strings")
    return bucket, keys


class S3ObjectReader:
    """Fetch CloudTrail log files with one S3 client, created on first use when none is given."""

    __slots__ = ("_client",)

    def __init__(self, client: object | None = None) -> None:
        self._client = client

    def __call__(
        self, bucket: str, key: str, base: Origin
    ) -> Iterator[SourceRecord | SourceProblem]:
        origin = Origin(base.kind, bucket=bucket, key=key, sqs_message_id=base.sqs_message_id)
        try:
            data = self._fetch(bucket, key)
        except Exception as exc:
            if not _is_fetch_error(exc):
                raise  # a programming error, not S3 saying no
            # Retryable: the handler fails this part of the batch so that AWS delivers it again.
            message = f"cannot fetch the object: {_one_line(exc)}"
            yield SourceProblem(origin, message, retryable=True)
            return
        try:
            records = _log_file_records(data)
        except SourceError as exc:
            yield SourceProblem(origin, str(exc))
            return
        for index, record in enumerate(records):
            place = Origin(
                base.kind, bucket=bucket, key=key, index=index, sqs_message_id=base.sqs_message_id
            )
            if type(record) is dict:
                yield SourceRecord(record, place)
            else:
                yield SourceProblem(place, f"Records[{index}] is a JSON {json_type(record)}")

    def _fetch(self, bucket: str, key: str) -> bytes:
        if self._client is None:
            self._client = default_s3_client()
        body = self._client.get_object(Bucket=bucket, Key=key)["Body"]  # type: ignore[attr-defined]
        try:
            return body.read()
        finally:
            body.close()


@functools.cache
def default_s3_client() -> object:
    """`boto3.client("s3")`, made once per process: warm invocations reuse its connections."""
    import boto3  # lazily: see the module docstring

    return boto3.client("s3")


def unfetched_object_reader(
    bucket: str, key: str, base: Origin
) -> Iterator[SourceRecord | SourceProblem]:
    """For the CLI: a notification in a file names objects but holds no records."""
    yield SourceProblem(base, f"S3 notification: fetch the objects first (s3://{bucket}/{key})")


def _log_file_records(data: bytes) -> list[Any]:
    """The Records list of a CloudTrail log file, gzip-compressed or (when copied around) not."""
    if data[:2] == _GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise SourceError(f"corrupt or truncated gzip data: {exc}") from None
    try:
        document = loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise SourceError(f"not UTF-8 text (byte {exc.start})") from None
    except (ValueError, RecursionError) as exc:
        raise SourceError(f"not JSON: {describe_json_error(exc)}") from None
    records = document.get("Records") if isinstance(document, dict) else None
    if not isinstance(records, list):
        raise SourceError('not a CloudTrail log file: no {"Records": [...]} array')
    return records


def _is_fetch_error(exc: Exception) -> bool:
    if isinstance(exc, OSError):
        return True
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # a client that is not botocore's: only OSError counts
        return False
    return isinstance(exc, (BotoCoreError, ClientError))


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
