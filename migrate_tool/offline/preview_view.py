"""The offline plan printed the way `pulumi preview` prints a plan, so a change board reads it the same way.

Pulumi's symbols and words (`+ create`; the offline plan always plans a new stack, so it can only claim
create), the resource tree in dependency order grouped by component, each resource's key properties with
long values folded, the stack outputs summarized (the whole values are in plan.json), and the summary
line Pulumi ends with.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from migrate_tool.offline.engine import PlannedResource

CREATE = ("+", "create")
FOLD_AT = 200
"""Longer values keep their start and end (an ARM id's end names the resource) and say their length;
plan.json has them whole. Azure resource ids, up to about 180 characters, are shown whole."""
MAX_LISTED = 4
"""A map of more entries than this is shown as its size and first names."""


def _kahn(items: list[str], waits: dict[str, set[str]], rank: Callable[[str], int]) -> list[str]:
    """Items after what they wait for; among ready ones the lowest rank first (a cycle is broken by rank)."""
    ordered: list[str] = []
    pending = list(items)
    while pending:
        ready = [i for i in pending if not (waits[i] - set(ordered))] or pending
        first = min(ready, key=rank)
        ordered.append(first)
        pending.remove(first)
    return ordered


def _waits(resources: list[PlannedResource]) -> dict[str, set[str]]:
    """Per URN, what it waits for: its dependencies, its parent and its provider."""
    known = {r.urn for r in resources}

    def provider_urn(reference: str) -> str:  # a provider reference is `<urn>::<id>`, or the URN alone offline
        return reference if reference in known else reference.rsplit("::", 1)[0]

    return {
        r.urn: {d for d in [*r.dependencies, r.parent_urn, provider_urn(r.provider)] if d in known} - {r.urn}
        for r in resources
    }


def grouped(resources: list[PlannedResource]) -> list[tuple[PlannedResource, int, bool]]:
    """(resource, depth, last among its siblings) for the tree: each resource under its component, and siblings
    (components included) after the siblings they depend on through any resource inside them."""
    by_urn = {r.urn: r for r in resources}
    position = {r.urn: i for i, r in enumerate(resources)}
    waits = _waits(resources)
    children: dict[str, list[str]] = {}
    for r in resources:
        children.setdefault(r.parent_urn if r.parent_urn in by_urn else "", []).append(r.urn)

    def subtree(urn: str) -> set[str]:
        return {urn}.union(*(subtree(c) for c in children.get(urn, [])))

    rows: list[tuple[PlannedResource, int, bool]] = []

    def walk(parent: str, depth: int) -> None:
        siblings = children.get(parent, [])
        inside = {s: subtree(s) for s in siblings}
        owner = {urn: s for s, urns in inside.items() for urn in urns}
        lifted = {s: {owner[d] for u in inside[s] for d in waits[u] if d in owner} - {s} for s in siblings}
        ordered = _kahn(siblings, lifted, lambda urn: min(position[u] for u in inside[urn]))
        for index, urn in enumerate(ordered):
            rows.append((by_urn[urn], depth, index == len(ordered) - 1))
            walk(urn, depth + 1)

    walk("", 0)
    return rows


def render_table(resources: list[PlannedResource], project: str, stack: str) -> str:
    """The `pulumi preview` table: symbol, type under its parent, name, plan."""
    rows = grouped(resources)
    types: list[str] = []
    open_levels: list[bool] = []
    for _resource, depth, last in rows:
        open_levels[depth:] = [not last]
        prefix = "".join("│  " if still_open else "   " for still_open in open_levels[:depth])
        types.append(f"{prefix}{'└─' if last else '├─'} ")
    lines_in = [("pulumi:pulumi:Stack", f"{project}-{stack}")]
    lines_in += [(tree + r.type, r.name) for tree, (r, _, _) in zip(types, rows, strict=True)]
    width_type = max(len(t) for t, _ in lines_in) + 2
    width_name = max(len(n) for _, n in lines_in) + 2
    symbol, word = CREATE
    header = f"     {'Type'.ljust(width_type)}{'Name'.ljust(width_name)}Plan"
    return "\n".join([header] + [f" {symbol}   {t.ljust(width_type)}{n.ljust(width_name)}{word}" for t, n in lines_in])


def fold(value: Any) -> str:
    """A value on one line, cut when long; maps of many entries as their size and first keys."""
    if isinstance(value, dict) and len(value) > MAX_LISTED:
        names = ", ".join(list(value)[:MAX_LISTED])
        return f"{{{len(value)} entries: {names}, …}}"
    if isinstance(value, list) and len(value) > MAX_LISTED:
        return f"[{len(value)} items]"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    if len(text) <= FOLD_AT:
        return text
    return f"{text[:80]} … {text[-60:]} ({len(text)} characters)"


def render_details(
    resources: list[PlannedResource], key_properties: Callable[[PlannedResource], Iterable[tuple[str, Any]]]
) -> str:
    """Each resource in the table's order, with the inputs worth a reviewer's eye, folded."""
    lines = []
    symbol, word = CREATE
    for resource, _depth, _last in grouped(resources):
        if not resource.custom:
            continue
        lines.append(f"  {symbol} {resource.type}  {resource.name}  ({word})")
        lines.extend(f"        {key}: {fold(value)}" for key, value in key_properties(resource))
    return "\n".join(lines)


def render_outputs(outputs: dict[str, Any], secret: set[str], shown_secret: str) -> str:
    """Stack outputs as `pulumi preview` lists them, one line each, large ones summarized."""
    lines = []
    for key in sorted(outputs):
        value = shown_secret if key in secret else outputs[key]
        if isinstance(value, dict):
            lines.append(
                f"  + {key}: {{{len(value)} keys: {', '.join(sorted(value)[:8])}{', …' if len(value) > 8 else ''}}}"
            )
        elif isinstance(value, list):
            lines.append(f"  + {key}: [{len(value)} items]")
        else:
            lines.append(f"  + {key}: {fold(value)}")
    return "\n".join(lines)


def summary(resources: list[PlannedResource]) -> str:
    """Pulumi's closing count: every resource, component and the stack itself."""
    symbol, word = CREATE
    custom = sum(r.custom for r in resources)
    return (
        f"Resources:\n    {symbol} {len(resources) + 1} to {word}"
        f" ({custom} resources, {len(resources) - custom} components and the stack)"
    )
