"""The asset graph as a Mermaid diagram, for the README (`python -m orchestration.lineage_diagram`).

A test compares the README's diagram with this output, so the picture never drifts from the code.
"""

from __future__ import annotations

from collections import defaultdict

import dagster as dg

from listenloop.settings import Settings

GROUP_ORDER = ("ingestion", "staging", "segments", "outcomes", "serving")


def _node(key: dg.AssetKey) -> str:
    return "_".join(key.path)


def mermaid(defs: dg.Definitions) -> str:
    specs = [s for s in defs.resolve_all_asset_specs() if s.group_name in GROUP_ORDER]
    by_group: dict[str, list[dg.AssetSpec]] = defaultdict(list)
    for spec in sorted(specs, key=lambda s: s.key.to_user_string()):
        by_group[spec.group_name].append(spec)
    lines = ["flowchart LR"]
    for group in GROUP_ORDER:
        if by_group[group]:
            lines.append(f"  subgraph {group}")
            lines += [f"    {_node(s.key)}[{s.key.path[-1]}]" for s in by_group[group]]
            lines.append("  end")
    known = {s.key for s in specs}
    for spec in sorted(specs, key=lambda s: s.key.to_user_string()):
        for dep in sorted(spec.deps, key=lambda d: d.asset_key.to_user_string()):
            if dep.asset_key in known:
                lines.append(f"  {_node(dep.asset_key)} --> {_node(spec.key)}")
    return "\n".join(lines)


if __name__ == "__main__":
    from orchestration.defs import build_definitions
    from orchestration.defs.dbt_models import prepare_manifest

    prepare_manifest()
    print(mermaid(build_definitions(Settings.from_env())))
