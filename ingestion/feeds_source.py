"""The files source: one resource per feed, reading only new or changed files of its folder.

Each file is one delivery of the shared landing path (`ingestion.landing`). File fingerprints
live in the resource state, so they are committed together with the rows they describe.
"""

from __future__ import annotations

import hashlib
import logging
import posixpath
from collections.abc import Iterator, Sequence
from datetime import UTC
from typing import Any

import dlt
from dlt.common.storages.fsspec_filesystem import (
    FileItem,
    FileItemDict,
    fsspec_filesystem,
    glob_files,
)
from dlt.extract.resource import DltResource

from ingestion.contract import FEEDS, FEEDS_BY_NAME, FILE_SUFFIXES, Feed
from ingestion.landing import Delivery, contract_resource
from ingestion.pipeline import feed_counts, make_pipeline
from ingestion.readers import FileRejected, read_feed_file

__all__ = ["feed_counts", "feeds_source", "make_pipeline"]

log = logging.getLogger(__name__)


@dlt.source(name="feeds")
def feeds_source(feeds_url: str, feeds: Sequence[str] | None = None) -> list[DltResource]:
    """One resource per feed (named as the feed), reading `<feeds_url>/<feed>/` files.

    `feeds_url` is a local path or any URL fsspec reads; `feeds` limits the feeds (default all).
    """
    names = list(feeds) if feeds else [f.name for f in FEEDS]
    unknown = sorted(set(names) - set(FEEDS_BY_NAME))
    if unknown:
        raise ValueError(f"unknown feeds {unknown}; the contract has {sorted(FEEDS_BY_NAME)}")
    return [feed_resource(feeds_url, FEEDS_BY_NAME[name]) for name in names]


def feed_resource(feeds_url: str, feed: Feed) -> DltResource:
    """The resource for one feed: its new or changed files, landed through the contract."""
    return contract_resource(feed, lambda: _new_files(feeds_url, feed))


def _new_files(feeds_url: str, feed: Feed) -> Iterator[Delivery]:
    fs, _ = fsspec_filesystem(feeds_url)
    fingerprints: dict[str, dict[str, Any]] = dlt.current.resource_state().setdefault("files", {})
    files = sorted(
        (f for f in glob_files(fs, feeds_url, f"{feed.name}/**/*") if _is_feed_file(f)),
        key=lambda f: f["relative_path"],
    )
    read = 0
    for file in files:
        fingerprint = _listing_fingerprint(file)
        known = fingerprints.get(file["relative_path"])
        if known and {k: known.get(k) for k in fingerprint} == fingerprint:
            continue
        data = FileItemDict(file, fs).read_bytes()
        fingerprint["sha256"] = hashlib.sha256(data).hexdigest()
        yield _read_file(feed, file, data, fingerprint["sha256"])
        fingerprints[file["relative_path"]] = fingerprint
        read += 1
    log.info("feeds.%s: %s of %s files new or changed", feed.name, read, len(files))


def _is_feed_file(file: FileItem) -> bool:
    suffix = posixpath.splitext(file["file_name"])[1].lower()
    if suffix in FILE_SUFFIXES:
        return True
    log.warning("feeds: ignoring %s (not one of %s)", file["relative_path"], FILE_SUFFIXES)
    return False


def _listing_fingerprint(file: FileItem) -> dict[str, Any]:
    """What the listing says about a file: unchanged size and mtime means it need not be read.

    The content hash is added once the file is read; it is kept for audit (raw.ingested_files),
    since comparing it would mean reading every file on every run.
    """
    return {
        "size": file.get("size_in_bytes"),
        "modified_at": file["modification_date"].isoformat(),
    }


def _read_file(feed: Feed, file: FileItem, data: bytes, sha256: str) -> Delivery:
    source_file = file["relative_path"]
    delivery = Delivery(
        source_file=source_file,
        result=None,
        size_bytes=len(data),
        modified_at=file["modification_date"].astimezone(UTC).replace(tzinfo=None),
        content_sha256=sha256,
    )
    suffix = posixpath.splitext(file["file_name"])[1].lower()
    try:
        delivery.result = read_feed_file(feed, data, suffix)
    except FileRejected as exc:
        delivery.error = str(exc)
        log.warning("feeds.%s: file %s rejected", feed.name, source_file)
    return delivery
