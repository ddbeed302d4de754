"""The loop both reader processes run: read, append what was seen as one JSON line, repeat."""

from __future__ import annotations

import json
import time
from collections.abc import Callable


def read_forever(read: Callable[[], dict], out: str, errors: tuple[type[Exception], ...]) -> None:
    """Appends `read()`'s record, or {"error": ...} when it raises one of `errors`, until killed."""
    with open(out, "a", encoding="utf-8") as sink:
        while True:
            try:
                record = read()
            except errors as exc:
                record = {"error": f"{type(exc).__name__}: {exc}"}
            sink.write(json.dumps(record) + "\n")
            sink.flush()
            time.sleep(0.005)
