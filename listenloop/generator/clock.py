"""Time as int64 UTC epoch seconds, and how timestamps are written into the feeds.

Seconds in plain numpy arrays keep the simulation vectorised; NULL_TS marks "no timestamp".
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from listenloop.generator.params import TimestampParams

NULL_TS = np.iinfo(np.int64).min
HOUR = 3600
DAY = 86400


def epoch_seconds(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


def calling_time_to_wall(window_start: np.ndarray, calling: np.ndarray, open_h: int, close_h: int):
    """Map seconds of calling time (open hours only) after window_start to wall-clock time.

    A 24-hour window always holds exactly one calling day's worth of open hours, possibly split
    over two dates; `calling` must be below (close_h - open_h) hours.
    """
    opens, closes = open_h * HOUR, close_h * HOUR
    midnight = window_start - window_start % DAY
    sec = window_start % DAY
    first_len = closes - sec  # open time left on the first date when the window starts open
    return np.select(
        [sec < opens, (sec < closes) & (calling < first_len)],
        [midnight + opens + calling, window_start + calling],
        default=np.where(
            sec < closes,
            midnight + DAY + opens + (calling - first_len),
            midnight + DAY + opens + calling,
        ),
    )


def format_timestamps(ts: np.ndarray, rng: np.random.Generator, p: TimestampParams) -> pa.Array:
    """ISO-8601 strings: mostly 'Z' or an offset (wall time shifted to match), some naive UTC.

    NULL_TS becomes a null string, so it reaches every writer as a missing value.
    """
    styles = list(p.style_weights)
    weights = np.array([p.style_weights[s] for s in styles], dtype=float)
    style = rng.choice(len(styles), size=ts.size, p=weights / weights.sum())
    offsets = np.asarray(p.offsets_minutes, dtype=np.int64)
    is_offset = style == styles.index("offset")
    offset = np.where(is_offset, offsets[rng.integers(0, offsets.size, ts.size)], 0)
    present = ts != NULL_TS
    wall = np.where(present, ts + offset * 60, 0).astype("datetime64[s]")
    suffix = np.full(ts.size, "", dtype="U6")
    suffix[style == styles.index("z")] = "Z"
    for minutes in np.unique(offset[is_offset]):
        sign = "-" if minutes < 0 else "+"
        hours, mins = divmod(abs(int(minutes)), 60)
        suffix[is_offset & (offset == minutes)] = f"{sign}{hours:02d}:{mins:02d}"
    text = np.strings.add(np.datetime_as_string(wall, unit="s"), suffix)
    return pa.array(text, pa.string(), mask=~present)
