"""What the benchmark needs from a dbt manifest: relations, build order and compiled SQL."""

from __future__ import annotations

import json
from dataclasses import dataclass
from graphlib import TopologicalSorter
from pathlib import Path

# Materializations that leave a table behind (an incremental model's first build is a table).
TABLE_MATERIALIZATIONS = ("table", "incremental")


@dataclass(frozen=True)
class Node:
    unique_id: str
    resource_type: str  # model, seed, test, source
    materialized: str | None
    database: str
    schema: str
    name: str  # the relation's own name (dbt's alias or identifier)
    compiled_code: str | None
    depends_on: tuple[str, ...]

    @property
    def relation(self) -> str:
        return ".".join(_quote(part) for part in (self.database, self.schema, self.name))


class Manifest:
    def __init__(self, path: Path) -> None:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        self.nodes = {uid: _node(uid, raw) for uid, raw in data["nodes"].items()}
        self.nodes.update({uid: _node(uid, raw) for uid, raw in data["sources"].items()})

    def of_type(self, resource_type: str) -> list[Node]:
        return sorted(
            (n for n in self.nodes.values() if n.resource_type == resource_type),
            key=lambda n: n.unique_id,
        )

    def build_order(self) -> list[Node]:
        """Seeds and models, each after everything it selects from."""
        built = {
            n.unique_id: n for n in self.nodes.values() if n.resource_type in ("seed", "model")
        }
        graph = {uid: [d for d in node.depends_on if d in built] for uid, node in built.items()}
        return [built[uid] for uid in TopologicalSorter(graph).static_order()]

    def table_models(self) -> list[Node]:
        return [n for n in self.of_type("model") if n.materialized in TABLE_MATERIALIZATIONS]

    def data_tests(self) -> list[Node]:
        """The data tests dbt compiled (unit tests are a resource type of their own)."""
        return [n for n in self.of_type("test") if n.compiled_code]

    def sources_read(self) -> list[Node]:
        """The sources some model or test selects from."""
        read = {d for n in self.nodes.values() for d in n.depends_on}
        return [n for n in self.of_type("source") if n.unique_id in read]

    def relations_read_by(self, test: Node) -> list[Node]:
        return [self.nodes[uid] for uid in test.depends_on]


def _node(unique_id: str, raw: dict) -> Node:
    return Node(
        unique_id=unique_id,
        resource_type=raw["resource_type"],
        materialized=raw.get("config", {}).get("materialized"),
        database=raw["database"],
        schema=raw["schema"],
        name=raw.get("alias") or raw.get("identifier") or raw["name"],
        compiled_code=raw.get("compiled_code"),
        depends_on=tuple(raw.get("depends_on", {}).get("nodes", [])),
    )


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
