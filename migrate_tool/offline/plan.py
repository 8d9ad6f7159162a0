"""The offline plan: the real program for one stack, under Pulumi's mock engine, printed and written down.

`python3 migrate.py plan wave1` validates `stacks/Pulumi.wave1.yaml`, runs `__main__.py` exactly as
`pulumi up` would but against `engine.run_program`, prints the resource tree grouped by component and
the stack outputs, and writes `plan.json` (machine-readable) and `runbook.md` (for a change board)
to `plan-out/<stack>/`. Nothing is created, read or checked live, and the output says so.
"""

from __future__ import annotations

import json
import runpy
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime.rpc import is_rpc_secret

from components.config import CONFIG_PATH, WaveConfig
from components.errors import MigrationError
from components.foundation_config import FOUNDATION_PATH
from components.secrets import NAMESPACE, PASSPHRASE, passphrase_key
from components.stack_config import Foundation, resolve_foundation, resolve_wave, stack_files
from migrate_tool.offline import preview_view, runbook
from migrate_tool.offline.engine import (
    STACK_REFERENCE,
    PlanMocks,
    PlannedResource,
    ProgramRun,
    RecordingMonitor,
    run_program,
)
from migrate_tool.policy_check import Verdict, evaluate, format_verdicts, has_mandatory_violation, resources_from_plan

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NOTICE = (
    "OFFLINE PLAN: the real program ran under Pulumi's mock engine. Nothing was created, read or checked"
    " in Azure or AWS; ids, ARNs and IPs below are computed stand-ins shaped like the real ones."
)
SECRET = "[secret]"
# Stand-in for secrets the stack file cannot give us (unset, or encrypted for a key we do not hold).
PLACEHOLDER_SECRET = "offline-plan-placeholder"


@dataclass
class StackFile:
    """A stack's YAML: its config values, and which secrets it holds, encrypted or not."""

    name: str
    config: dict[str, Any]
    encrypted_secrets: list[str] = field(default_factory=list)
    plaintext_secrets: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> StackFile:
        if not path.exists():
            raise FileNotFoundError(f"no stack file {path} (stacks are stacks/Pulumi.<stack>.yaml)")
        try:
            document = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
            problem = getattr(error, "problem", None) or "is not valid YAML"
            raise ValueError(f"{path}: not valid YAML{where}: {problem}") from None
        if not isinstance(document, dict):
            raise ValueError(
                f"{path}: {type(document).__name__} at the top level must be a mapping with a `config:` key"
            )
        config = document.get("config") or {}
        if not isinstance(config, dict):
            raise ValueError(f"{path}: config: {type(config).__name__} must be a mapping of config keys to values")
        stack = cls(name=path.name[len("Pulumi.") : -len(".yaml")], config=config)
        for key, value in config.items():
            if isinstance(value, dict) and "secure" in value:
                stack.encrypted_secrets.append(key)
        return stack


@dataclass
class Plan:
    stack: str
    wave: WaveConfig | None
    """The wave planned; None for a foundation."""
    run: ProgramRun
    missing_secrets: list[str]
    encrypted_secrets: list[str]
    plaintext_secrets: list[str]
    verdicts: list[Verdict]
    foundation: Foundation | None = None
    """The foundation planned (`migration:foundation`), with the waves of the stack files that name it."""

    @property
    def title(self) -> str:
        if self.foundation is not None:
            config = self.foundation.config
            return f"foundation '{config.name}', {config.architecture} architecture, {len(config.aws.appliances)} appliance(s)"
        assert self.wave is not None
        return f"wave '{self.wave.name}', {self.wave.architecture} architecture ({self.wave.provider_type})"


def stated_subnets(wave: WaveConfig | None, foundation: Foundation | None) -> dict[tuple[str, str, str], str]:
    """The existing subnets as the config states them: what the offline plan answers for Azure's (it reads nothing
    live; `pulumi preview` compares them with the real ones)."""
    azure = foundation.config.azure if foundation is not None else wave.azure if wave is not None else None
    layout = azure.existing_network if azure is not None else None
    if layout is None:
        return {}
    group = layout.id.strip("/").split("/")[3]
    return {(group, layout.name, s.name): s.prefix for s in layout.subnets}


def secret_names(wave: WaveConfig | None, foundation: Foundation | None) -> list[str]:
    """The `migration:` secrets the program reads: a wave's, a foundation's (a passphrase per appliance), or none
    for a wave on a foundation (its appliances' passphrases come from the foundation's outputs)."""
    if foundation is not None:
        profile = foundation.config.profile
        shared = [k for k in profile.required_secrets + profile.staged_secrets if k != PASSPHRASE]
        return shared + [passphrase_key(a.name) for a in foundation.config.aws.appliances]
    assert wave is not None
    return [] if wave.foundation else list(wave.profile.required_secrets + wave.profile.staged_secrets)


def engine_config(stack: StackFile, names: list[str]) -> tuple[dict[str, str], list[str], list[str]]:
    """Config as the engine hands it to the program: strings, objects as JSON, secrets marked.

    Returns the config, the secret keys, and the required secrets the stack does not set.
    """
    config: dict[str, str] = {}
    for key, value in stack.config.items():
        if key in stack.encrypted_secrets:
            continue
        config[key] = value if isinstance(value, str) else json.dumps(value)
    secret_keys, missing = [], []
    for short in names:
        key = f"{NAMESPACE}:{short}"
        secret_keys.append(key)
        if key in stack.config and key not in stack.encrypted_secrets:
            stack.plaintext_secrets.append(key)
        else:
            # Encrypted values need the stack's secrets provider, which only the Pulumi CLI holds.
            config[key] = PLACEHOLDER_SECRET
            if key not in stack.encrypted_secrets:
                missing.append(key)
    return config, secret_keys, missing


def build_plan(stack_name: str, stacks_dir: Path | None = None, policy_config: dict[str, Any] | None = None) -> Plan:
    """Validate the stack's config, run the program, then the policy pack over what it declared.

    Raises WaveConfigError (bad config), pulumi.RunError (the program stopped) or ValueError (bad
    policy config).
    """
    stacks_dir = stacks_dir or PROJECT_ROOT / "stacks"
    stack = StackFile.load(stacks_dir / f"Pulumi.{stack_name}.yaml")
    with stack_files(stacks_dir):
        wave, foundation, referenced = None, None, {}
        if FOUNDATION_PATH in stack.config:
            foundation = resolve_foundation(stack.config[FOUNDATION_PATH], stack_name)
        else:
            wave = resolve_wave(stack.config.get(CONFIG_PATH))
            if wave.foundation is not None:  # its StackReference reads the foundation's offline outputs
                referenced = {wave.foundation.stack: build_plan(wave.foundation.stack_file_name, stacks_dir).run}
        config, secret_keys, missing = engine_config(stack, secret_names(wave, foundation))
        run = run_program(
            lambda: runpy.run_path(str(PROJECT_ROOT / "__main__.py"), run_name="__pulumi_main__"),
            project="migration",
            stack=stack_name,
            config=config,
            secret_keys=secret_keys,
            monitor=RecordingMonitor(PlanMocks(referenced, stated_subnets(wave, foundation))),
        )
    run = ProgramRun([r for r in run.resources if r.type != STACK_REFERENCE], run.outputs, run.secret_outputs)
    plain_config = {k: v for k, v in stack.config.items() if k not in stack.encrypted_secrets and k not in secret_keys}
    verdicts = evaluate(resources_from_plan(run.resources), plain_config, policy_config)
    return Plan(stack_name, wave, run, missing, stack.encrypted_secrets, stack.plaintext_secrets, verdicts, foundation)


# --- Rendering -----------------------------------------------------------------------------------


def redact(value: Any) -> Any:
    """Replace every secret-marked value (as the engine marks them) with `[secret]`."""
    if is_rpc_secret(value):
        return SECRET
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items() if k != "__provider"}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    many_entries = isinstance(value, dict) and len(value) > preview_view.MAX_LISTED
    if many_entries and prefix and all(isinstance(v, dict) for v in value.values()):
        return [(prefix, value)]  # e.g. a wave action's machines: folded to their count and first names
    if isinstance(value, dict):
        return [pair for k, v in value.items() for pair in _flatten(v, f"{prefix}.{k}" if prefix else k)]
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        return [pair for i, v in enumerate(value) for pair in _flatten(v, f"{prefix}[{i}]")]
    return [(prefix, value)]


_HIDDEN = {"tags", "tagsAll", "userData", "secretString", "policy", "assumeRolePolicy", "content"}


def key_properties(resource: PlannedResource) -> list[tuple[str, Any]]:
    """The inputs worth a reviewer's eye: scalars and nested settings, minus tags and large blobs."""
    inputs = redact(resource.inputs)
    shown = [
        (k, int(v) if isinstance(v, float) and v.is_integer() else v)  # the engine hands every number over as a float
        for k, v in _flatten({k: v for k, v in inputs.items() if k not in _HIDDEN})
        if v not in (None, "", [], {}) and ".tags." not in f".{k}."
    ]
    for big in sorted(_HIDDEN & set(inputs)):
        if big not in ("tags", "tagsAll"):
            shown.append((big, SECRET if inputs[big] == SECRET else f"<{len(str(inputs[big]))} characters>"))
    return shown


def run_document(run: ProgramRun, verdicts: list[Verdict]) -> dict[str, Any]:
    """What a plan.json says about a program run, for the wave's plan and the DR project's: its resources, its
    outputs and the pack's verdicts, secrets redacted."""
    return {
        "resources": [
            {
                "urn": r.urn,
                "type": r.type,
                "name": r.name,
                "parent": r.parent_urn,
                "component": not r.custom,
                "inputs": redact(r.inputs),
                "computed": redact({k: v for k, v in r.state.items() if k not in r.inputs}),
            }
            for r in run.resources
        ],
        "outputs": {k: SECRET if k in run.secret_outputs else v for k, v in sorted(run.outputs.items())},
        "policy": [
            {"policy": v.policy_name, "level": v.enforcement_level, "urn": v.urn, "message": v.message}
            for v in verdicts
        ],
    }


def print_preview(run: ProgramRun, project: str, stack: str, outputs_heading: str = "Outputs:") -> None:
    """The `pulumi preview`-style part of a plan's printout: the resource tree, each resource's key inputs, the
    outputs."""
    print("Previewing update (offline):\n")
    print(preview_view.render_table(run.resources, project, stack))
    print("\nDetails:")
    print(preview_view.render_details(run.resources, key_properties))
    print(f"\n{outputs_heading}")
    print(preview_view.render_outputs(run.outputs, set(run.secret_outputs), SECRET))


def plan_document(plan: Plan) -> dict[str, Any]:
    """The machine-readable plan (plan.json): deterministic, secrets redacted."""
    return {
        "offline": True,
        "notice": NOTICE,
        "project": "migration",
        "stack": plan.stack,
        **(
            {"foundation": plan.foundation.config.name, "architecture": plan.foundation.config.architecture}
            if plan.foundation is not None
            else {"wave": plan.wave.name, "architecture": plan.wave.architecture}  # type: ignore[union-attr]
        ),
        "secrets": {
            "missing": plan.missing_secrets,
            "encryptedInStackFile": plan.encrypted_secrets,
            "plaintextInStackFile": plan.plaintext_secrets,
        },
        **run_document(plan.run, plan.verdicts),
    }


def write_plan(plan: Plan, out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    document = plan_document(plan)
    plan_path, runbook_path = out_dir / "plan.json", out_dir / "runbook.md"
    plan_path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    if plan.foundation is not None:
        runbook_path.write_text(runbook.render_foundation(plan.foundation, document))
    else:
        assert plan.wave is not None
        runbook_path.write_text(runbook.render(plan.wave, document))
    return plan_path, runbook_path


def main(
    stack: str, out_dir: Path | None = None, stacks_dir: Path | None = None, policy_config: Path | None = None
) -> int:
    """Print and write the offline plan of `stack`.

    Exit 0 on success; 1 on bad config, a program error or a mandatory policy violation (the plan
    files are still written in that last case, so the violation can be read in context).
    """
    try:
        settings = json.loads(policy_config.read_text()) if policy_config else None
        plan = build_plan(stack, stacks_dir, settings)
    except (MigrationError, FileNotFoundError, ValueError) as err:
        print(f"error: {err}\nNothing was planned.", file=sys.stderr)
        return 1
    except pulumi.RunError as err:
        print(f"error: the program stopped: {err}\nNothing was planned.", file=sys.stderr)
        return 1
    print(NOTICE)
    print(f"\nStack '{stack}' - {plan.title}\n")
    print_preview(plan.run, "migration", stack, "Outputs (whole values in plan.json):")
    staged = {f"{NAMESPACE}:{k}" for k in plan.wave.profile.staged_secrets} if plan.wave else set()
    if plan.foundation is not None:
        staged = {f"{NAMESPACE}:{passphrase_key(a.name)}" for a in plan.foundation.config.aws.appliances}
    for key in plan.missing_secrets:
        if key in staged:
            print(
                f"\nnote: staged secret {key} is not set, so the first `pulumi up` creates the landing zone, vault and"
                " appliance host and stops before replication; it prints what to do next (stack output"
                f" pendingSteps), then `pulumi config set --secret {key} <value>` and `pulumi up` carry on. This plan"
                " shows the wave with it set (placeholder)."
            )
        else:
            print(
                f"\nnote: secret {key} is not set in the stack; `pulumi up` will stop until you run"
                f" `pulumi config set --secret {key} <value>` (the plan used a placeholder)."
            )
    for key in plan.plaintext_secrets:
        print(f"\nwarning: {key} is stored in plain text in the stack file; re-set it with --secret.")
    print("\n" + format_verdicts(plan.verdicts))
    plan_path, runbook_path = write_plan(plan, out_dir or PROJECT_ROOT / "plan-out" / stack)
    print(f"\nWrote {plan_path} and {runbook_path}.")
    if has_mandatory_violation(plan.verdicts):
        print("error: mandatory policy violations (above): this wave must not be deployed as it is.", file=sys.stderr)
        return 1
    print("\n" + preview_view.summary(plan.run.resources))
    print(f"\n{NOTICE.split(':')[0]}: nothing was created.")
    return 0
