"""The migration board: `python3 migrate.py status <foundation>` for every wave of a foundation at once.

One read of the foundation's vault (migrate_tool/status.py `read_vault`) gives each wave's machines their stage.
The board lists the waves with their stage counts, each appliance's load across the waves (machines and churn
against Microsoft's rating), and every failed machine with its reason. `--json` prints it for scripts; `--html
FILE` writes it as one self-contained page (inline CSS, no script, no server, nothing fetched: it opens from
disk) with a progress bar per wave and a lifecycle column per machine (open for the waves with a failure).
"""

from __future__ import annotations

import html
from typing import Any

from components.config import PHASES
from components.stack_config import Foundation
from migrate_tool.status import MachineStatus, VaultReading, stage_counts, wave_status

STAGE_GROUPS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("waiting", ("not ready", "enabling replication"), "#9aa5b1"),
    ("replicating", ("replicating",), "#2563eb"),
    ("testing", ("ready to test", "test running", "tested", "cleanup running", "ready for cutover"), "#0d9488"),
    ("cutting over", ("cutover running", "failed over", "completing"), "#d97706"),
    ("migrated", ("migrated", "prepared for DR"), "#16a34a"),
    ("failed", ("failed",), "#dc2626"),
)
"""The board's stage groups in lifecycle order, with their colours: a wave's bar is these, side by side."""
BAR_WIDTH = 600
REACHED = {
    "not ready": 0, "enabling replication": 0, "replicating": 1, "ready to test": 1, "test running": 2, "tested": 2,
    "cleanup running": 3, "ready for cutover": 3, "cutover running": 4, "failed over": 4, "completing": 4,
    "migrated": 5, "prepared for DR": 5,
}  # fmt: skip
"""How many of the lifecycle's phases (`PHASES`: replicate, test, tested, cutover, complete) a stage has reached."""


def group_of(stage: str) -> str:
    return next(name for name, stages, _ in STAGE_GROUPS if stage in stages)


def build_board(foundation: Foundation, reading: VaultReading) -> dict[str, Any]:
    """The board's data: waves (stage counts, groups, machines), appliances (load) and failed machines."""
    config = foundation.config
    waves, failed = [], []
    for wave in foundation.waves:
        rows = wave_status(wave, reading)
        appliance = {m.name: m.appliance or "" for m in wave.machines}
        groups = {name: sum(group_of(r.stage_name) == name for r in rows) for name, _, _ in STAGE_GROUPS}
        waves.append(
            {
                "wave": wave.name,
                "machines": len(rows),
                "summary": stage_counts(rows),
                "groups": groups,
                "rows": [{**row.as_json(), "appliance": appliance[row.machine]} for row in rows],
            }
        )
        failed += [_failed(wave.name, row, appliance[row.machine]) for row in rows if row.stage_name == "failed"]
    return {
        "foundation": config.name,
        "stack": foundation.stack,
        "vault": config.azure.vault,
        "waves": waves,
        "appliances": foundation.assignment.board(),
        "failed": failed,
    }


def _failed(wave: str, row: MachineStatus, appliance: str) -> dict[str, Any]:
    return {"wave": wave, "machine": row.machine, "appliance": appliance, "reason": row.stage.removeprefix("failed: ")}


def render_text(board: dict[str, Any]) -> str:
    lines = [f"Migration {board['foundation']} (vault {board['vault']}): {len(board['waves'])} waves", ""]
    lines += ["Waves:"]
    for wave in board["waves"]:
        counts = ", ".join(f"{n} {stage}" for stage, n in wave["summary"].items()) or "no machine"
        lines.append(f"  {wave['wave']}: {wave['machines']} machines: {counts}")
    lines += ["", "Appliances (load across the waves):"]
    for name, row in board["appliances"].items():
        per_wave = ", ".join(f"{w} {n}" for w, n in row["waves"].items()) or "no machine"
        lines.append(
            f"  {name} ({row['instanceType']}): {row['machines']}/{row['ratedMachines']} machines,"
            f" {row['churnGbPerDay']:,g}/{row['ratedChurnGbPerDay']:,g} GB a day; {per_wave}"
        )
    lines += ["", f"Failed machines: {len(board['failed'])}"]
    lines += [f"  {f['wave']}/{f['machine']} (appliance {f['appliance']}): {f['reason']}" for f in board["failed"]]
    return "\n".join(lines)


def _bar(counts: dict[str, int], total: int, label: str) -> str:
    """A wave's progress bar: one segment per stage group, widths in pixels of `BAR_WIDTH`."""
    segments, used = [], 0
    present = [(name, color) for name, _, color in STAGE_GROUPS if counts.get(name)]
    for index, (name, color) in enumerate(present):
        width = BAR_WIDTH - used if index == len(present) - 1 else round(BAR_WIDTH * counts[name] / total)
        used += width
        segments.append(
            f'<span class="seg" style="width:{width}px;background:{color}" title="{name}: {counts[name]}"></span>'
        )
    return f'<div class="bar" role="img" aria-label="{html.escape(label)}">{"".join(segments)}</div>'


FAILED_AT = {"enabledr": 1, "testfailover": 2, "testfailovercleanup": 3, "unplannedfailover": 4, "disabledr": 5}
"""The lifecycle step a failed job's scenario belongs to (scenario names of ReplicationJobs_Get.json)."""


def _lifecycle(row: dict[str, Any]) -> str:
    """The machine's five lifecycle steps as dots: reached filled, a failure marked on the step it failed at."""
    stage, job = row["stage"], row["lastJob"]
    failed = stage == "failed"
    at = FAILED_AT.get((job or {}).get("scenario", "").lower(), PHASES.index(row["configPhase"]) + 1)
    reached = at if failed else REACHED.get(stage, 0)
    dots = []
    for index, phase in enumerate(PHASES, 1):
        kind = "fail" if failed and index == reached else "done" if index <= reached else "todo"
        dots.append(f'<span class="dot {kind}" title="{phase}"></span>')
    return "".join(dots)


def render_html(board: dict[str, Any]) -> str:
    """The board as one page that needs nothing but itself."""
    e = html.escape
    legend = "".join(
        f'<span class="key"><span class="swatch" style="background:{color}"></span>{e(name)}</span>'
        for name, _, color in STAGE_GROUPS
    )
    wave_rows = "".join(
        f"<tr><th>{e(w['wave'])}</th><td>{w['machines']}</td><td>{_bar(w['groups'], w['machines'], w['wave'])}</td>"
        f"<td>{e(', '.join(f'{n} {s}' for s, n in w['summary'].items()))}</td></tr>"
        for w in board["waves"]
        if w["machines"]
    )
    appliance_rows = "".join(
        f"<tr><th>{e(name)}</th><td>{e(row['instanceType'])}</td><td>{row['machines']} / {row['ratedMachines']}</td>"
        f"<td>{row['churnGbPerDay']:,g} / {row['ratedChurnGbPerDay']:,g}</td>"
        f"<td>{e(', '.join(f'{w}: {n}' for w, n in row['waves'].items()))}</td></tr>"
        for name, row in board["appliances"].items()
    )
    failed_rows = "".join(
        f"<tr><td>{e(f['wave'])}</td><td>{e(f['machine'])}</td><td>{e(f['appliance'])}</td><td>{e(f['reason'])}</td></tr>"
        for f in board["failed"]
    )
    machine_sections = "".join(
        f"<details{' open' if w['groups']['failed'] else ''}><summary>{e(w['wave'])}: {w['machines']} machines"
        "</summary><table class='machines'>"
        "<tr><th>Machine</th><th>Appliance</th><th>Stage</th><th>Lifecycle</th><th>Last job</th></tr>"
        + "".join(
            f"<tr><td>{e(r['machine'])}</td><td>{e(r['appliance'])}</td><td>{e(r['stageDetail'])}</td>"
            f"<td>{_lifecycle(r)}</td>"
            f"<td>{e(r['lastJob']['name'] + ': ' + r['lastJob']['state']) if r['lastJob'] else '-'}</td></tr>"
            for r in w["rows"]
        )
        + "</table></details>"
        for w in board["waves"]
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Migration {e(board["foundation"])}</title>
<style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #111827; background: #ffffff; }}
h1 {{ font-size: 20px; }} h2 {{ font-size: 16px; margin-top: 28px; }}
table {{ border-collapse: collapse; }} th, td {{ text-align: left; padding: 4px 10px; border-bottom: 1px solid #e5e7eb; }}
.bar {{ display: flex; width: {BAR_WIDTH}px; height: 18px; background: #f3f4f6; }}
.seg {{ display: block; height: 18px; }}
.key {{ margin-right: 14px; }} .swatch {{ display: inline-block; width: 12px; height: 12px; margin-right: 4px; }}
.dot {{ display: inline-block; width: 10px; height: 10px; border-radius: 5px; margin-right: 4px; }}
.dot.done {{ background: #16a34a; }} .dot.todo {{ background: #e5e7eb; }} .dot.fail {{ background: #dc2626; }}
</style></head>
<body>
<h1>Migration {e(board["foundation"])} &middot; vault {e(board["vault"])}</h1>
<p>{legend}</p>
<h2>Waves</h2>
<table><tr><th>Wave</th><th>Machines</th><th>Progress</th><th>Stages</th></tr>{wave_rows}</table>
<h2>Appliances (load across the waves)</h2>
<table><tr><th>Appliance</th><th>Instance type</th><th>Machines / rated</th><th>Churn GB a day / rated</th><th>Per wave</th></tr>{appliance_rows}</table>
<h2>Failed machines ({len(board["failed"])})</h2>
<table><tr><th>Wave</th><th>Machine</th><th>Appliance</th><th>Reason</th></tr>{failed_rows}</table>
<h2>Machines</h2>
{machine_sections}
</body></html>
"""
