"""The jobs ListenLoop runs, each an asset selection over the groups, never a list of models."""

from __future__ import annotations

import dagster as dg

from ingestion.contract import RAW_DATASET
from orchestration.defs.partitions import CUTOFF_AT_RUN_START, LIST_CUTOFF_TAG
from orchestration.defs.serving import PUBLISH_KEY


def feed_keys(*feeds: str) -> dg.AssetSelection:
    """The raw assets of these feeds: `raw/<feed>`."""
    return dg.AssetSelection.assets(*(dg.AssetKey([RAW_DATASET, feed]) for feed in feeds))


# The feeds that decide who is on today's call list during the day: a checkout adds a cart
# abandoner, an order takes the customer off again, a call counts as an attempt or a contact,
# and a customer record may withdraw phone consent.
ABANDONMENT_FEEDS = ("checkouts", "orders", "calls", "customers")

_abandonment_feeds = feed_keys(*ABANDONMENT_FEEDS)

everything_job = dg.define_asset_job(
    "build_everything",
    selection=dg.AssetSelection.all(),
    description="Ingest every feed, then build and test every dbt model.",
)

# The outcome marts stay out: they are read weekly and rebuilt every night.
abandonment_path_job = dg.define_asset_job(
    "refresh_call_list",
    selection=_abandonment_feeds
    | (_abandonment_feeds.downstream() & dg.AssetSelection.groups("staging", "segments"))
    # BI tools and agents reading the serving copy see the refreshed list too.
    | dg.AssetSelection.assets(PUBLISH_KEY),
    description=(
        "Ingest checkouts, orders, calls and customers, then rebuild the staging models and the "
        "segments that depend on them, re-deciding today's list as of the schedule's tick (or "
        "the run's creation, when launched by hand): new members are added and those who "
        "ordered, were reached or opted out leave today's call list "
        "(see docs/schedules-and-alerts.md), and publish the serving copy. Outcome marts are "
        "left to the nightly build."
    ),
    tags={LIST_CUTOFF_TAG: CUTOFF_AT_RUN_START},
)

# The feeds sensor narrows each run to the feeds that received files and what depends on them.
feeds_job = dg.define_asset_job(
    "ingest_new_files",
    selection=dg.AssetSelection.groups("ingestion").downstream(),
    description="Ingest the feeds that received new or changed files, then rebuild downstream.",
)

JOBS = [everything_job, abandonment_path_job, feeds_job]
