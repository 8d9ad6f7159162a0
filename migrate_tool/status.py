"""`python3 migrate.py status [stack]`: each machine's lifecycle phase and replication state, read live from the vault.

It reads the stack's wave config (stacks/Pulumi.<stack>.yaml) for the vault and the machines, then the vault
through the Site Recovery SDK (same environment and credentials as the dynamic providers, docs/asr-client.md):
fabrics -> protection containers -> protected items, and the vault's jobs. Per machine it prints the phase set
in config, the phase ASR's state shows, replication health, RPO and the last job, as a table. A progress line
on stderr counts what has been read. `--watch` polls again until no job runs on the wave's machines.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import yaml

from components.asr.arm import site_recovery_client
from components.asr.jobs import RUNNING_STATES
from components.config import CONFIG_PATH, WaveConfig, parse_wave

PROJECT_ROOT = Path(__file__).resolve().parents[1]
COLUMNS = ("machine", "config phase", "ASR phase", "health", "RPO", "last job")


@dataclass(frozen=True)
class MachineStatus:
    machine: str
    config_phase: str
    asr_phase: str
    health: str
    rpo: str
    last_job: str
    job_running: bool

    def row(self) -> tuple[str, ...]:
        return (self.machine, self.config_phase, self.asr_phase, self.health, self.rpo, self.last_job)


def asr_phase(item: Any) -> str:
    """The lifecycle phase an item's live state shows (`not protected` when the vault has no item)."""
    if item is None:
        return "not protected"
    properties = item.properties
    if (properties.active_location or "") == "Recovery":
        return "cutover"
    if (properties.test_failover_state or "None") not in ("None", ""):
        return "test"
    if properties.last_successful_test_failover_time is not None:
        return "tested"
    return "replicate"


def _rpo(item: Any) -> str:
    if item is None:
        return "-"
    details = item.properties.provider_specific_details
    seconds = getattr(details, "last_rpo_in_seconds", None) or getattr(details, "rpo_in_seconds", None)
    if seconds is None:
        return "-"
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def read_status(wave: WaveConfig, progress: Callable[[str], None]) -> list[MachineStatus]:
    """Read the vault once; `progress` gets a line after each step."""
    rg, vault = wave.azure.resource_group, wave.azure.vault
    items: dict[str, Any] = {}
    jobs: dict[str, Any] = {}
    with site_recovery_client() as client:
        # Jobs first: a job that has ended has changed its item, so the items read next show where it led (read
        # the other way round, a job ending in between shows "Succeeded" beside the item's old state).
        listed: list[Any] = list(client.replication_jobs.list(rg, vault))
        for job in listed:
            target = (job.properties.target_object_name or "").lower() if job.properties is not None else ""
            if target and _job_time(job) >= _job_time(jobs.get(target)):
                jobs[target] = job
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
            progress(f"fabrics {f_index}/{len(fabrics)}, protected items {len(items)}")
        progress(f"fabrics {len(fabrics)}/{len(fabrics)}, protected items {len(items)}, jobs read")
    phases = {m.name: m.phase or wave.lifecycle.phase for m in wave.machines}
    result = []
    for machine in wave.machines:
        live: Any = items.get(machine.name.lower())
        last: Any = jobs.get(machine.name.lower())
        state = last.properties.state if last is not None else None
        result.append(
            MachineStatus(
                machine=machine.name,
                config_phase=phases[machine.name],
                asr_phase=asr_phase(live),
                health=(live.properties.replication_health or "-") if live is not None else "-",
                rpo=_rpo(live),
                last_job=f"{last.properties.friendly_name or last.properties.scenario_name}: {state}" if last else "-",
                job_running=state in RUNNING_STATES,
            )
        )
    return result


def _job_time(job: Any) -> float:
    start = job.properties.start_time if job is not None and job.properties is not None else None
    return start.timestamp() if start is not None else 0.0


def render_table(rows: list[MachineStatus]) -> str:
    cells = [COLUMNS, *(row.row() for row in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(value.ljust(width) for value, width in zip(line, widths, strict=True)).rstrip() for line in cells
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def load_wave(stack: str, stacks_dir: Path | None) -> WaveConfig:
    path = (stacks_dir or PROJECT_ROOT / "stacks") / f"Pulumi.{stack}.yaml"
    if not path.exists():
        raise FileNotFoundError(f"no stack file {path} (stacks are stacks/Pulumi.<stack>.yaml)")
    config = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
    return parse_wave(config.get(CONFIG_PATH))


def main(argv: list[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    parser = argparse.ArgumentParser(prog="migrate.py status", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "stack", nargs="?", default="wave1", help="stack name: stacks/Pulumi.<stack>.yaml (default: wave1)"
    )
    parser.add_argument("--stacks-dir", type=Path, help="folder of Pulumi.<stack>.yaml files (default: stacks/)")
    parser.add_argument("--watch", action="store_true", help="poll until no job runs on the wave's machines")
    parser.add_argument("--interval", type=float, default=30.0, help="seconds between polls with --watch (default 30)")
    parser.add_argument("--max-polls", type=int, default=240, help="stop watching after this many polls (default 240)")
    args = parser.parse_args(argv)
    try:
        wave = load_wave(args.stack, args.stacks_dir)
    except (FileNotFoundError, ValueError) as error:
        print(f"status: {error}", file=err)
        return 2
    polls = 0
    while True:
        polls += 1

        def progress(line: str, poll: int = polls) -> None:
            err.write(f"\rreading vault {wave.azure.vault} (poll {poll}): {line}")
            err.flush()

        rows = read_status(wave, progress)
        err.write("\n")
        running = [row.machine for row in rows if row.job_running]
        if not args.watch or not running or polls >= args.max_polls:
            break
        err.write(f"jobs running on {', '.join(running)}; polling again in {args.interval:g} s\n")
        time.sleep(args.interval)
    print(render_table(rows), file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
