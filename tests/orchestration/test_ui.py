"""The Dagster UI a person opens: a real webserver on 127.0.0.1 over the real definitions, asked
over GraphQL what it lists, and its asset graph loaded in headless Chromium (Debian's package).

The screenshot of the graph is saved as docs/images/asset-graph.png, which the README shows.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from listenloop.settings import PROJECT_ROOT
from orchestration.definitions import defs
from tests.services import service_unavailable

SCREENSHOT = PROJECT_ROOT / "docs" / "images" / "asset-graph.png"
LOCATION = "orchestration.definitions"
GROUPS = ("ingestion", "staging", "segments", "outcomes", "serving")
# Without the background-networking flags Chromium's own connections (updates, sync, field
# trials) fail on machines that reach only package registries, and headless loads stall.
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--no-first-run",
    "--hide-scrollbars",
    # the UI keeps polling, so the page never goes idle: dump it after this much virtual time
    "--virtual-time-budget=30000",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def webserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("ui_home")
    port = _free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "LISTENLOOP_DAGSTER_HOME": str(home),
        "LISTENLOOP_WAREHOUSE": str(home / "warehouse.duckdb"),
    }
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    webserver_bin = Path(sys.executable).with_name("dagster-webserver")
    process = subprocess.Popen(
        [str(webserver_bin), "-m", LOCATION, "-h", "127.0.0.1", "-p", str(port)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/server_info", timeout=2):
                    break
            except OSError:
                assert process.poll() is None, "dagster-webserver exited during start-up"
                time.sleep(1)
        else:
            pytest.fail("dagster-webserver did not answer within 120 s")
        # the newsletter dialog a fresh instance shows would cover the screenshot
        graphql(url, "mutation { setNuxSeen }")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # SIGTERM inherited as ignored
            process.kill()
            process.wait()


def graphql(url: str, query: str) -> dict:
    request = urllib.request.Request(
        f"{url}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        body = json.load(response)
    assert "errors" not in body, body
    return body["data"]


def chromium(*args: str, height: int = 900) -> str:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        service_unavailable("Chromium is not installed (apt-get install chromium)")
    result = subprocess.run(
        [binary, *CHROMIUM_FLAGS, f"--window-size=1600,{height}", *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_graphql_lists_every_asset_check_schedule_and_sensor(webserver: str) -> None:
    data = graphql(
        webserver,
        "{ assetNodes { assetKey { path } groupName"
        "   assetChecksOrError { ... on AssetChecks { checks { name } } } }"
        "  repositoriesOrError { ... on RepositoryConnection { nodes {"
        "   schedules { name } sensors { name } } } } }",
    )
    graph = defs.resolve_asset_graph()
    listed = {tuple(node["assetKey"]["path"]) for node in data["assetNodes"]}
    assert listed == {tuple(key.path) for key in graph.get_all_asset_keys()}
    assert {node["groupName"] for node in data["assetNodes"]} == set(GROUPS)
    checks = {
        (tuple(node["assetKey"]["path"]), check["name"])
        for node in data["assetNodes"]
        for check in node["assetChecksOrError"].get("checks", [])
    }
    assert checks == {(tuple(key.asset_key.path), key.name) for key in graph.asset_check_keys}
    [repository] = data["repositoriesOrError"]["nodes"]
    assert {s["name"] for s in repository["schedules"]} == {
        s.name for s in defs.get_repository_def().schedule_defs
    }
    assert {s["name"] for s in repository["sensors"]} == {
        s.name for s in defs.get_repository_def().sensor_defs
    }


def test_asset_graph_page_shows_the_assets(webserver: str) -> None:
    # the global lineage page draws one box per group
    page = chromium("--dump-dom", f"{webserver}/asset-groups")
    assert "Global asset lineage" in page
    for group in GROUPS:
        assert f">{group}</div>" in page, group
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    chromium(f"--screenshot={SCREENSHOT}", f"{webserver}/asset-groups")
    assert SCREENSHOT.stat().st_size > 20_000
    # each group's page lists its assets by name (the graph view shortens long names); the list
    # renders only the rows in view, so the window is made tall enough for all of them
    graph = defs.resolve_asset_graph()
    for group in GROUPS:
        page = chromium(
            "--dump-dom",
            f"{webserver}/locations/__repository__@{LOCATION}/asset-groups/{group}/list",
            height=4000,
        )
        names = {
            key.path[-1] for key in graph.get_all_asset_keys() if graph.get(key).group_name == group
        }
        missing = sorted(name for name in names if name not in page)
        assert not missing, f"{group}: {missing}"
