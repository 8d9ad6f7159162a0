"""`python3 migrate.py status [stack]`: each machine's lifecycle phase and replication state, read live from the vault.

It reads the stack's wave config (stacks/Pulumi.<stack>.yaml) for the vault and the machines, then the vault
through the Site Recovery SDK (same environment and credentials as the dynamic providers, docs/asr-client.md):
the jobs of this wave's items and recovery plan, then fabrics -> protection containers -> protected items. Per
machine the board shows the phase set in config, the stage it is in (`STAGES`: not ready, replicating n%,
ready to test, test running, tested, ready for cutover, cutover running, failed over, migrated, prepared for
DR, failed with the reason...), protection state, replication health, RPO and the last job, then a count per
stage. A progress line on stderr counts what has been read. `--watch` refreshes the board until no job runs on
the wave; `--json` prints the same for scripts; `--outputs` reads the stack outputs for "prepared for DR" and for the steps a
new wave waits for (`pendingSteps`), printed above the board. For a foundation's stack it prints the board of
the whole migration instead (migrate_tool/board.py): every wave, each appliance's load, every failed machine;
`--html FILE` also writes it as a page.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError
from azure.identity import CredentialUnavailableError

from components.asr.arm import site_recovery_client
from components.asr.jobs import RUNNING_STATES
from components.config import CONFIG_PATH, WaveConfig
from components.errors import MigrationError
from components.foundation_config import FOUNDATION_PATH
from components.stack_config import resolve_foundation, resolve_wave, stack_file_config, stack_files
from components.stack_config import stacks_dir as stacks_dir_of

COLUMNS = ("machine", "config phase", "stage", "protection", "health", "RPO", "last job")
STAGES = (
    "not ready", "enabling replication", "replicating", "ready to test", "test running", "tested",
    "cleanup running", "ready for cutover", "cutover running", "failed over", "completing", "migrated",
    "prepared for DR", "failed",
)  # fmt: skip
"""The board's stages, in the order a machine passes them (docs/lifecycle.md); `failed` carries the reason."""
STAGE_WIDTH = 60
# A running job's scenario -> the stage it puts the machine in (scenario names of ReplicationJobs_Get.json).
RUNNING_STAGE = {
    "testfailover": "test running",
    "testfailovercleanup": "cleanup running",
    "cleanuptestfailover": "cleanup running",
    "unplannedfailover": "cutover running",
    "commitfailover": "cutover running",
    "disabledr": "completing",
    "enabledr": "enabling replication",
}
COMPLETED_MIGRATION = {"disabledr"}


@dataclass(frozen=True)
class LastJob:
    name: str
    scenario: str
    state: str
    start_time: str
    error: str

    def text(self) -> str:
        return f"{self.name}: {self.state}" + (f" ({self.start_time[11:16]} UTC)" if self.start_time else "")


@dataclass(frozen=True)
class MachineStatus:
    machine: str
    config_phase: str
    stage: str
    protection: str
    health: str
    rpo_seconds: int | None
    last_job: LastJob | None
    job_running: bool

    @property
    def stage_name(self) -> str:
        """The stage without its detail ('replicating 40%' -> 'replicating'), for the summary."""
        return next(s for s in sorted(STAGES, key=len, reverse=True) if self.stage.startswith(s))

    def row(self) -> tuple[str, ...]:
        job = self.last_job.text() if self.last_job else "-"
        shown = self.stage if len(self.stage) <= STAGE_WIDTH else self.stage[: STAGE_WIDTH - 1] + "…"  # whole in --json
        return (self.machine, self.config_phase, shown, self.protection, self.health, _rpo(self.rpo_seconds), job)

    def as_json(self) -> dict[str, Any]:
        job = self.last_job
        return {
            "machine": self.machine,
            "configPhase": self.config_phase,
            "stage": self.stage_name,
            "stageDetail": self.stage,
            "protection": self.protection,
            "health": self.health,
            "rpoSeconds": self.rpo_seconds,
            "lastJob": None
            if job is None
            else {
                "name": job.name,
                "scenario": job.scenario,
                "state": job.state,
                "startTime": job.start_time,
                "error": job.error,
            },
        }


def _rpo(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def _rpo_seconds(item: Any) -> int | None:
    if item is None:
        return None
    details = item.properties.provider_specific_details
    seconds = getattr(details, "last_rpo_in_seconds", None) or getattr(details, "rpo_in_seconds", None)
    return int(seconds) if seconds is not None else None


def _replication_percent(item: Any) -> int | None:
    """Initial replication (modernized) or resync (classic) progress while it is under 100%."""
    details = item.properties.provider_specific_details
    for name in ("initial_replication_progress_percentage", "resync_progress_percentage"):
        value = getattr(details, name, None)
        if value is not None and value < 100:
            return int(value)
    return None


def stage(item: Any, job: LastJob | None, dr_ready: bool) -> str:
    """Where a machine is, from its live item (None when the vault has none), its last job and the stack outputs."""
    if job is not None and job.state in RUNNING_STATES:
        return RUNNING_STAGE.get(job.scenario.lower(), f"{job.name} running")
    if job is not None and job.state not in ("Succeeded", "Skipped"):
        return f"failed: {job.error}" if job.error else f"failed: {job.name} {job.state}"
    if item is None:
        if job is not None and job.scenario.lower() in COMPLETED_MIGRATION:
            return "prepared for DR" if dr_ready else "migrated"
        return "prepared for DR" if dr_ready else "not ready"
    properties = item.properties
    if (properties.active_location or "") == "Recovery":
        return "failed over"
    if (properties.test_failover_state or "None") not in ("None", ""):
        return "tested"
    percent = _replication_percent(item)
    if percent is not None:
        return f"replicating {percent}%"
    if (properties.protection_state or "") != "Protected":
        return "replicating"
    if properties.last_successful_test_failover_time is not None:
        return "ready for cutover"
    return "ready to test"


def _last_job(job: Any) -> LastJob:
    properties = job.properties
    error = ""
    for detail in properties.errors or []:
        service = getattr(detail, "service_error_details", None)
        provider = getattr(detail, "provider_error_details", None)
        error = (getattr(service, "message", None) or getattr(provider, "error_message", None) or "").strip()
        if error:
            break
    start = properties.start_time.strftime("%Y-%m-%dT%H:%M:%SZ") if properties.start_time is not None else ""
    return LastJob(
        properties.friendly_name or properties.scenario_name or job.name,
        properties.scenario_name or "",
        properties.state or "",
        start,
        error,
    )


@dataclass(frozen=True)
class VaultReading:
    """One read of a vault: the latest job per target (machine or recovery plan), and the protected items by name."""

    jobs: dict[str, Any]
    items: dict[str, Any]


def read_vault(rg: str, vault: str, targets: set[str], progress: Callable[[str], None]) -> VaultReading:
    """The jobs of `targets` (lower-case machine and plan names: a vault may serve several waves), then every
    protected item; `progress` gets a line after each step."""
    items: dict[str, Any] = {}
    jobs: dict[str, Any] = {}
    with site_recovery_client() as client:
        # Jobs first: a job that has ended has changed its item, so the items read next show where it led (read
        # the other way round, a job ending in between shows "Succeeded" beside the item's old state).
        for job in client.replication_jobs.list(rg, vault):
            target = (job.properties.target_object_name or "").lower() if job.properties is not None else ""
            if target in targets and _job_time(job) >= _job_time(jobs.get(target)):
                jobs[target] = job
        progress(f"jobs {len(jobs)}")
        fabrics: list[Any] = list(client.replication_fabrics.list(rg, vault))
        for f_index, fabric in enumerate(fabrics, 1):
            containers: list[Any] = list(
                client.replication_protection_containers.list_by_replication_fabrics(rg, vault, fabric.name)
            )
            for container in containers:
                found: list[Any] = list(
                    client.replication_protected_items.list_by_replication_protection_containers(
                        rg, vault, fabric.name, container.name
                    )
                )
                for item in found:
                    items[(item.properties.friendly_name or item.name).lower()] = item
                    items.setdefault(item.name.lower(), item)
            progress(f"jobs {len(jobs)}, fabrics {f_index}/{len(fabrics)}, protected items {len(items)}")
    return VaultReading(jobs, items)


def targets_of(wave: WaveConfig) -> set[str]:
    """The job targets of the wave: its machines and its recovery plans, lower case."""
    return {m.name.lower() for m in wave.machines} | {layout.name.lower() for layout in wave.recovery_plans()}


def read_status(
    wave: WaveConfig, progress: Callable[[str], None], dr_ready: frozenset[str] = frozenset()
) -> list[MachineStatus]:
    """Read the vault once for this wave, and say where each of its machines is."""
    reading = read_vault(wave.azure.vault_resource_group, wave.azure.vault, targets_of(wave), progress)
    return wave_status(wave, reading, dr_ready)


def wave_status(wave: WaveConfig, reading: VaultReading, dr_ready: frozenset[str] = frozenset()) -> list[MachineStatus]:
    """Each machine of `wave` with its stage, from a reading of its vault."""
    plan_of = {machine: layout.name.lower() for layout in wave.recovery_plans() for machine in layout.machines}
    """The recovery plan each machine is in, were the wave's orchestration recoveryPlan."""
    phases = {m.name: wave.phase_of(m) for m in wave.machines}
    result = []
    for machine in wave.machines:
        live: Any = reading.items.get(machine.name.lower())
        own, of_plan = reading.jobs.get(machine.name.lower()), reading.jobs.get(plan_of.get(machine.name, ""))
        raw_job = max((j for j in (own, of_plan) if j is not None), key=_job_time, default=None)
        last = _last_job(raw_job) if raw_job is not None else None
        result.append(
            MachineStatus(
                machine=machine.name,
                config_phase=phases[machine.name],
                stage=stage(live, last, machine.name in dr_ready),
                protection=(live.properties.protection_state_description or live.properties.protection_state or "-")
                if live is not None
                else "-",
                health=(live.properties.replication_health or "-") if live is not None else "-",
                rpo_seconds=_rpo_seconds(live),
                last_job=last,
                job_running=last is not None and last.state in RUNNING_STATES,
            )
        )
    return result


def _job_time(job: Any) -> float:
    start = job.properties.start_time if job is not None and job.properties is not None else None
    return start.timestamp() if start is not None else 0.0


def stage_counts(rows: list[MachineStatus]) -> dict[str, int]:
    """How many machines are in each stage, in the stages' order, leaving out the empty ones."""
    return {name: n for name in STAGES if (n := sum(r.stage_name == name for r in rows))}


def summary(rows: list[MachineStatus]) -> str:
    return f"{len(rows)} machines: " + ", ".join(f"{n} {name}" for name, n in stage_counts(rows).items())


def render_table(rows: list[MachineStatus]) -> str:
    cells = [COLUMNS, *(row.row() for row in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(value.ljust(width) for value, width in zip(line, widths, strict=True)).rstrip() for line in cells
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join([*lines, "", summary(rows)])


def read_outputs(outputs_path: Path | None) -> tuple[frozenset[str], list[str]]:
    """From the stack outputs (`pulumi stack output --json`): the machines marked drReady, and the pending steps."""
    if outputs_path is None:
        return frozenset(), []
    outputs = json.loads(outputs_path.read_text())
    ready = frozenset(m["name"] for m in outputs.get("machines") or [] if isinstance(m, dict) and m.get("drReady"))
    return ready, [str(step) for step in outputs.get("pendingSteps") or []]


def stack_config_file(stack: str, stacks_dir: Path | None) -> Mapping[str, Any]:
    """The `config:` of the stack's file (components/stack_config.py reads it), or FileNotFoundError."""
    with stack_files(stacks_dir):
        config = stack_file_config(stack)
        where = stacks_dir_of()
    if config is None:
        raise FileNotFoundError(
            f"no stack file {where / f'Pulumi.{stack}.yaml'} (stacks are stacks/Pulumi.<stack>.yaml)"
        )
    return config


def load_wave(stack: str, stacks_dir: Path | None) -> WaveConfig:
    """The wave of stacks/Pulumi.<stack>.yaml, completed from its foundation's stack file when it has one."""
    with stack_files(stacks_dir):
        return resolve_wave(stack_config_file(stack, stacks_dir).get(CONFIG_PATH))


def main(argv: list[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    parser = argparse.ArgumentParser(prog="migrate.py status", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "stack", nargs="?", default="wave1", help="stack name: stacks/Pulumi.<stack>.yaml (default: wave1)"
    )
    parser.add_argument("--stacks-dir", type=Path, help="folder of Pulumi.<stack>.yaml files (default: stacks/)")
    parser.add_argument("--watch", action="store_true", help="refresh the board until no job runs on the wave")
    parser.add_argument("--interval", type=float, default=30.0, help="seconds between polls with --watch (default 30)")
    parser.add_argument("--max-polls", type=int, default=240, help="stop watching after this many polls (default 240)")
    parser.add_argument("--json", action="store_true", help="print the board as JSON, for scripts")
    parser.add_argument(
        "--html", type=Path, help="a foundation's board: also write it as a self-contained HTML page to this file"
    )
    parser.add_argument(
        "--outputs",
        type=Path,
        help="the stack's `pulumi stack output --json`: machines prepared for DR, and the steps a new wave waits for",
    )
    args = parser.parse_args(argv)
    try:
        config = stack_config_file(args.stack, args.stacks_dir)
        if FOUNDATION_PATH in config:
            return _foundation_board(args, config[FOUNDATION_PATH], out, err)
        wave = load_wave(args.stack, args.stacks_dir)
        dr_ready, pending = read_outputs(args.outputs)
    except (MigrationError, FileNotFoundError, ValueError, KeyError, TypeError) as error:
        print(f"status: {error}", file=err)
        return 2
    polls = 0
    while True:
        polls += 1

        def progress(line: str, poll: int = polls) -> None:
            err.write(f"\rreading vault {wave.azure.vault} (poll {poll}): {line}")
            err.flush()

        try:
            rows = read_status(wave, progress, dr_ready)
        except (MigrationError, ClientAuthenticationError, CredentialUnavailableError) as error:
            print(f"\nstatus: cannot read the vault: {_first_line(error)} (see docs/asr-client.md)", file=err)
            return 2
        except (HttpResponseError, ServiceRequestError) as error:
            print(
                f"\nstatus: vault {wave.azure.vault} in {wave.azure.vault_resource_group}: {_first_line(error)}",
                file=err,
            )
            return 2
        err.write("\n")
        running = [row.machine for row in rows if row.job_running]
        if not args.watch or not running or polls >= args.max_polls:
            break
        if not args.json:
            print(f"poll {polls} at {time.strftime('%H:%M:%S')}:\n{render_table(rows)}\n", file=out)
        err.write(f"jobs running on {', '.join(running)}; polling again in {args.interval:g} s\n")
        time.sleep(args.interval)
    if args.json:
        board = {
            "wave": wave.name,
            "vault": wave.azure.vault,
            "machines": [row.as_json() for row in rows],
            "summary": stage_counts(rows),
            "pendingSteps": pending,
        }
        print(json.dumps(board, indent=2), file=out)
    else:
        for number, step in enumerate(pending, 1):
            print(f"Waiting for you ({number}/{len(pending)}): {step}", file=out)
        print(("\n" if pending else "") + render_table(rows), file=out)
    return 0


def _foundation_board(args: argparse.Namespace, raw: Any, out: TextIO, err: TextIO) -> int:
    """The whole migration: every wave of the foundation, read from its vault at once (migrate_tool/board.py)."""
    from migrate_tool import board as boards  # it builds on this module's reading of the vault

    with stack_files(args.stacks_dir):
        foundation = resolve_foundation(raw, args.stack)
    vault = foundation.config.azure
    targets = set().union(*(targets_of(w) for w in foundation.waves))

    def progress(line: str) -> None:
        err.write(f"\rreading vault {vault.vault}: {line}")
        err.flush()

    try:
        reading = read_vault(vault.vault_resource_group, vault.vault, targets, progress)
    except (
        MigrationError,
        ClientAuthenticationError,
        CredentialUnavailableError,
        HttpResponseError,
        ServiceRequestError,
    ) as error:
        print(f"\nstatus: cannot read vault {vault.vault}: {_first_line(error)} (see docs/asr-client.md)", file=err)
        return 2
    err.write("\n")
    board = boards.build_board(foundation, reading)
    if args.html:
        args.html.write_text(boards.render_html(board))
        err.write(f"wrote {args.html}\n")
    print(json.dumps(board, indent=2) if args.json else boards.render_text(board), file=out)
    return 0


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


if __name__ == "__main__":
    sys.exit(main())
