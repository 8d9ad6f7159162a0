"""Run the real program (__main__.py) for a wave config under the offline engine, and pick resources."""

from __future__ import annotations

import copy
import json
import runpy
from pathlib import Path
from typing import Any

import pulumi

from migrate_tool.offline.engine import PlannedResource, ProgramRun, RecordingMonitor, run_program
from tests.host_limits import HostLimitMocks
from tests.waves import SECRETS

ROOT = Path(__file__).resolve().parents[1]


def run_wave(
    raw: dict[str, Any],
    secrets: dict[str, str] | None = None,
    stack: str = "test",
    *,
    monitor: RecordingMonitor | None = None,
    preview: bool = False,
    strip_aliases: bool = False,
    key: str = "migration:wave",
    references: dict[str, ProgramRun] | None = None,
    subnets: dict[tuple[str, str, str], str] | None = None,
) -> ProgramRun:
    """Run __main__.py as `pulumi up` (or `pulumi preview`) would, with `raw` as `migration:wave` and the given
    secrets, against the mock engine or another `monitor` that plays the engine (tests/engine).

    `strip_aliases` drops the aliases azure-native adds to every resource (their URNs dominate a run); only for tests that neither rename nor move resources.
    `key` is the config object (`migration:foundation` for a foundation); `references` answers StackReferences
    (a wave's foundation) with other runs' outputs; `subnets` are the existing subnets Azure holds,
    (resource group, network, subnet) -> range.
    """
    secrets = SECRETS if secrets is None else secrets

    def program() -> None:
        if strip_aliases:
            pulumi.runtime.register_stack_transformation(_without_aliases)
        runpy.run_path(str(ROOT / "__main__.py"), run_name="__pulumi_main__")

    return run_program(
        program,
        project="migration",
        stack=stack,
        config={key: json.dumps(raw), **secrets},
        secret_keys=list(secrets),
        monitor=monitor or RecordingMonitor(HostLimitMocks(references, subnets)),  # refuses what the hosts refuse
        preview=preview,
    )


def _without_aliases(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult:
    opts = copy.copy(args.opts)
    opts.aliases = []
    return pulumi.ResourceTransformationResult(args.props, opts)


def of_type(run: ProgramRun, typ: str) -> list[PlannedResource]:
    return [r for r in run.resources if r.type == typ]


def one(run: ProgramRun, typ: str) -> PlannedResource:
    found = of_type(run, typ)
    assert len(found) == 1, f"expected one {typ}, got {[r.urn for r in found]}"
    return found[0]
