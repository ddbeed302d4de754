"""The DuckDB memory limit and spill folder of the settings reach dbt's warehouse connection, and
stay valid after a model has spilled: the 1,000,000-customer benchmark builds under 4 GB so.

dbt-duckdb SETs its profile `settings` again on every cursor, and DuckDB refuses to set
temp_directory once a query has spilled there: with the limit in `settings`, the model after the
first spill failed ("Cannot switch temporary directory after the current one has been used").
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from benchmarks.stages import DBT
from listenloop.settings import DBT_PROJECT_DIR
from tests.warehouse import query

pytestmark = pytest.mark.slow

# A sort of 2,000,000 hashes needs about 100 MB: under this limit it spills.
MEMORY_LIMIT = "64MB"
# How DuckDB shows 64,000,000 bytes.
MEMORY_LIMIT_SHOWN = "61.0 MiB"

PROJECT = {
    "dbt_project.yml": (
        "name: spill_check\nversion: '1.0'\nprofile: listenloop\n"
        "models:\n  spill_check:\n    +materialized: table\n"
    ),
    "models/sorted_keys.sql": (
        "select md5(range::varchar) as key from range(2000000) order by key"
    ),
    "models/after_spill.sql": (
        "select count(*) as keys, current_setting('memory_limit') as memory_limit,"
        " current_setting('temp_directory') as temp_directory from {{ ref('sorted_keys') }}"
    ),
}


def test_a_build_that_spills_keeps_the_limit_and_the_spill_folder(tmp_path: Path) -> None:
    project = tmp_path / "project"
    for name, text in PROJECT.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text, encoding="utf-8")
    warehouse, spill = tmp_path / "warehouse.duckdb", tmp_path / "spill"
    env = {
        **os.environ,
        "LISTENLOOP_WAREHOUSE": str(warehouse),
        "LISTENLOOP_DUCKDB_MEMORY_LIMIT": MEMORY_LIMIT,
        "LISTENLOOP_DUCKDB_TEMP_DIR": str(spill),
        "DBT_SEND_ANONYMOUS_STATS": "0",
    }
    argv = [DBT, "run", "--project-dir", str(project), "--profiles-dir", str(DBT_PROJECT_DIR)]
    argv += ["--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")]
    built = subprocess.run(argv, env=env, capture_output=True, text=True, cwd=project)
    assert built.returncode == 0, built.stdout[-3000:]
    assert query(warehouse, "select * from after_spill") == [
        (2_000_000, MEMORY_LIMIT_SHOWN, str(spill))
    ]
