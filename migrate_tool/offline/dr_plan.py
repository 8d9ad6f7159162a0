"""The offline plan of the DR project: `dr/__main__.py` under Pulumi's mock engine, fed a wave's outputs.

`python3 migrate.py plan-dr wave1-dr` reads `dr/stacks/Pulumi.wave1-dr.yaml` and the outputs of the wave stack it
names: the wave's offline plan (`plan-out/<wave>/plan.json`, written by `migrate.py plan <wave>`) by default, or
`--wave-outputs FILE`, for example a real wave's `pulumi stack output --json --show-secrets -s <wave>`. The
engine answers the program's StackReference with those outputs, so the DR program reads them through the
outputs contract (`components/contract.py`) exactly as `pulumi up` would. It prints the resource tree, which
machines are protected and which are not DR-ready yet, and the policy pack's verdicts, and writes
`plan-out/<dr-stack>/plan.json`. Nothing is created, read or checked live.
"""

from __future__ import annotations

import json
import runpy
import sys
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks

from components.errors import MigrationError
from migrate_tool.offline import preview_view
from migrate_tool.offline.engine import PlanMocks, ProgramRun, RecordingMonitor, run_program
from migrate_tool.offline.plan import NOTICE, StackFile, print_preview, run_document
from migrate_tool.policy_check import evaluate, format_verdicts, has_mandatory_violation, resources_from_plan

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DR_DIR = PROJECT_ROOT / "dr"
DR_KEY = "migration:dr"
STACK_REFERENCE = "pulumi:pulumi:StackReference"


class WaveStackMocks(PlanMocks):
    """The offline answers, plus the wave's StackReference answered with `outputs`."""

    def __init__(self, outputs: dict[str, Any]) -> None:
        super().__init__()
        self.outputs = outputs
        self.referenced: list[str] = []

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if args.typ == STACK_REFERENCE:
            self.referenced.append(args.inputs["name"])
            return args.inputs["name"], {"name": args.inputs["name"], "outputs": self.outputs, "secretOutputNames": []}
        return super().new_resource(args)


def run_dr(
    dr_config: dict[str, Any], outputs: dict[str, Any], stack: str = "wave1-dr"
) -> tuple[ProgramRun, WaveStackMocks]:
    """Run dr/__main__.py as `pulumi up` would (project migration-dr) against the given wave outputs."""
    mocks = WaveStackMocks(outputs)
    run = run_program(
        lambda: runpy.run_path(str(DR_DIR / "__main__.py"), run_name="__pulumi_main__"),
        project="migration-dr",
        stack=stack,
        config={DR_KEY: json.dumps(dr_config)},
        secret_keys=[],
        monitor=RecordingMonitor(mocks),
    )
    return ProgramRun([r for r in run.resources if r.type != STACK_REFERENCE], run.outputs, run.secret_outputs), mocks


def wave_outputs_from(path: Path) -> tuple[dict[str, Any], bool]:
    """(the wave's outputs, whether they come from an offline plan) from a plan.json or `pulumi stack output
    --json` file."""
    if not path.exists():
        raise FileNotFoundError(
            f"no wave outputs at {path}: run `python3 migrate.py plan <wave>` first, or pass --wave-outputs with"
            " the file `pulumi stack output --json --show-secrets -s <wave>` writes"
        )
    try:
        document = json.loads(path.read_text())
    except ValueError as error:
        raise ValueError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(document, dict):
        raise ValueError(f"{path}: {type(document).__name__} must be a JSON object of stack outputs")
    if document.get("offline") is True and isinstance(document.get("outputs"), dict):
        return document["outputs"], True
    return document, False


def main(
    stack: str, wave_outputs: Path | None = None, out_dir: Path | None = None, stacks_dir: Path | None = None
) -> int:
    """Print and write the offline plan of DR stack `stack`; exit 1 on a bad config, contract or policy."""
    try:
        stack_file = StackFile.load((stacks_dir or DR_DIR / "stacks") / f"Pulumi.{stack}.yaml")
        dr_config = stack_file.config.get(DR_KEY)
        if not isinstance(dr_config, dict) or not isinstance(dr_config.get("waveStack"), str):
            raise ValueError(f"{DR_KEY}.waveStack: must name the wave stack (for example acme/migration/wave1)")
        wave_name = dr_config["waveStack"].rsplit("/", 1)[-1]
        source = wave_outputs or PROJECT_ROOT / "plan-out" / wave_name / "plan.json"
        outputs, offline_wave = wave_outputs_from(source)
        run, _mocks = run_dr(dr_config, outputs, stack)
        plain = {k: v for k, v in stack_file.config.items() if k not in stack_file.encrypted_secrets}
        verdicts = evaluate(resources_from_plan(run.resources), plain, None)
    except (MigrationError, FileNotFoundError, ValueError) as err:
        print(f"error: {err}\nNothing was planned.", file=sys.stderr)
        return 1
    except pulumi.RunError as err:
        print(f"error: the DR program stopped: {err}\nNothing was planned.", file=sys.stderr)
        return 1
    print(NOTICE)
    kind = "the wave's offline plan" if offline_wave else "the wave's stack outputs"
    print(f"\nDR stack '{stack}' - wave stack {dr_config['waveStack']}, outputs from {kind} ({source})\n")
    print_preview(run, "migration-dr", stack)
    if not run.outputs.get("protectedMachines"):
        print(
            "\nnote: no machine of the wave is DR-ready yet (drReady in its outputs): a machine is protected once"
            " the wave has completed its migration and prepared it (phase complete)."
        )
    print("\n" + format_verdicts(verdicts))
    out = out_dir or PROJECT_ROOT / "plan-out" / stack
    out.mkdir(parents=True, exist_ok=True)
    document = {
        "offline": True,
        "notice": NOTICE,
        "project": "migration-dr",
        "stack": stack,
        "waveStack": dr_config["waveStack"],
        "waveOutputs": str(source),
        **run_document(run, verdicts),
    }
    (out / "plan.json").write_text(json.dumps(document, indent=2, sort_keys=True, default=str) + "\n")
    print(f"\nWrote {out / 'plan.json'}.")
    if has_mandatory_violation(verdicts):
        print(
            "error: mandatory policy violations (above): this DR stack must not be deployed as it is.", file=sys.stderr
        )
        return 1
    print("\n" + preview_view.summary(run.resources))
    print(f"\n{NOTICE.split(':')[0]}: nothing was created.")
    return 0
