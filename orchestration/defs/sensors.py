"""The feeds sensor: a file dropped into the feeds folder starts one ingestion run for its feed.

The cursor is the listing the sensor last acted on, `{feed: {relative_path: fingerprint}}`, with
the fingerprint ingestion uses too (size and modification time): a file triggers a run when its
fingerprint is not in the cursor, once. Files that left the folder leave the cursor, so it stays
the size of the folder, and archiving files away starts nothing.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import dagster as dg
from dlt.common.storages.fsspec_filesystem import FileItem, fsspec_filesystem, glob_files

from ingestion.contract import FEEDS, FILE_SUFFIXES
from ingestion.sources import FILES
from listenloop.settings import Settings
from orchestration.defs.jobs import feed_keys, feeds_job
from orchestration.defs.partitions import CUTOFF_AT_RUN_START, LIST_CUTOFF_TAG, program_day

# A file modified more recently than this may still be being written: it waits for a later tick,
# so that a slow upload starts one run once complete, not one per size it had along the way.
SETTLE_TIME = timedelta(seconds=60)

FEEDS_TAG = "listenloop/feeds"

Listing = dict[str, dict[str, str]]  # feed -> relative path -> fingerprint
FEED_NAMES = tuple(feed.name for feed in FEEDS)


def list_feed_files(
    feeds_url: str, modified_before: datetime, feeds: Iterable[str] = FEED_NAMES
) -> Listing:
    """Every file of `feeds` under `<feeds_url>/<feed>/`, listed as ingestion lists them.

    Files modified at or after `modified_before` are left out: they may still be being written.
    """
    fs, _ = fsspec_filesystem(feeds_url)
    listing: Listing = {}
    for feed in feeds:
        files = {
            item["relative_path"]: _fingerprint(item)
            for item in glob_files(fs, feeds_url, f"{feed}/**/*")
            if posixpath.splitext(item["file_name"])[1].lower() in FILE_SUFFIXES
            and item["modification_date"] < modified_before
        }
        if files:
            listing[feed] = files
    return listing


def _fingerprint(item: FileItem) -> str:
    return f"{item['size_in_bytes']}@{item['modification_date'].astimezone(UTC).isoformat()}"


def changed_files(listing: Listing, previous: Listing) -> Listing:
    """Files new since `previous`, or changed: by feed, feeds without any left out."""
    changes: Listing = {}
    for feed, files in listing.items():
        known = previous.get(feed, {})
        new = {path: fp for path, fp in files.items() if known.get(path) != fp}
        if new:
            changes[feed] = new
    return changes


def run_key(changes: Listing) -> str:
    """The same changes always give the same key, so Dagster launches them at most once."""
    digest = hashlib.sha256(json.dumps(changes, sort_keys=True).encode()).hexdigest()
    return f"feeds-{digest[:32]}"


def build_feeds_sensor(settings: Settings) -> dg.SensorDefinition:
    file_feeds = [feed for feed, source in settings.sources.items() if source == FILES]

    @dg.sensor(
        name="new_feed_files",
        job=feeds_job,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            "Ingests the feeds that received new or changed files in the feeds folder, then "
            "rebuilds what depends on them. Each file starts one run."
        ),
    )
    def new_feed_files(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        previous: Listing = json.loads(context.cursor) if context.cursor else {}
        # Files dropped for a feed that another source delivers are not read, so start nothing.
        listing = list_feed_files(settings.feeds_dir, datetime.now(UTC) - SETTLE_TIME, file_feeds)
        cursor = json.dumps(listing, sort_keys=True)
        changes = changed_files(listing, previous)
        if not changes:
            return dg.SensorResult(skip_reason="no new or changed feed files", cursor=cursor)
        feeds = sorted(changes)
        asset_graph = context.repository_def.asset_graph  # type: ignore[union-attr]
        assets = feed_keys(*feeds).downstream().resolve(asset_graph)
        context.log.info(
            "new or changed files: %s",
            ", ".join(f"{feed} ({len(changes[feed])})" for feed in feeds),
        )
        # When the files reach the daily models: today's partition, and today's list re-decided
        # as of the run, as the intraday refresh does, so a file never brings back a customer an
        # earlier refresh took off.
        partitioned = any(asset_graph.get(key).partitions_def for key in assets)
        tags = {FEEDS_TAG: ",".join(feeds)}
        if partitioned:
            tags[LIST_CUTOFF_TAG] = CUTOFF_AT_RUN_START
        request = dg.RunRequest(
            run_key=run_key(changes),
            asset_selection=sorted(assets),
            partition_key=program_day(settings, datetime.now(UTC)) if partitioned else None,
            tags=tags,
        )
        return dg.SensorResult(run_requests=[request], cursor=cursor)

    return new_feed_files
