"""Run the real program (__main__.py) for a wave config under the offline engine, and pick resources."""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from typing import Any

from migrate_tool.offline.engine import PlannedResource, ProgramRun, RecordingMonitor, run_program
from tests.waves import SECRETS

ROOT = Path(__file__).resolve().parents[1]


def run_wave(
    raw: dict[str, Any],
    secrets: dict[str, str] | None = None,
    stack: str = "test",
    *,
    monitor: RecordingMonitor | None = None,
    preview: bool = False,
) -> ProgramRun:
    """Run __main__.py as `pulumi up` (or `pulumi preview`) would, with `raw` as `migration:wave` and the given
    secrets, against the mock engine or another `monitor` that plays the engine (tests/engine)."""
    secrets = SECRETS if secrets is None else secrets
    return run_program(
        lambda: runpy.run_path(str(ROOT / "__main__.py"), run_name="__pulumi_main__"),
        project="migration",
        stack=stack,
        config={"migration:wave": json.dumps(raw), **secrets},
        secret_keys=list(secrets),
        monitor=monitor,
        preview=preview,
    )


def of_type(run: ProgramRun, typ: str) -> list[PlannedResource]:
    return [r for r in run.resources if r.type == typ]


def one(run: ProgramRun, typ: str) -> PlannedResource:
    found = of_type(run, typ)
    assert len(found) == 1, f"expected one {typ}, got {[r.urn for r in found]}"
    return found[0]
