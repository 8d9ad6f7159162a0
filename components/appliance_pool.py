"""Which of a foundation's appliances replicates each machine of each wave, and the load that puts on each.

A foundation's pool serves every wave that names the foundation (docs/foundation.md). The waves are taken in a
fixed order: the foundation itself when it is an all-in-one wave, then its waves by stack name (natural order, so
`wave10` follows `wave9`). In each wave, machines that name an `appliance` go there; each of the others goes to
its most preferred appliance that still has room for it (its machines and churn within its rating in Microsoft's
sizing table, `components/limits.py`). A machine's preference is a fixed order of the appliances derived from its
name (rendezvous hashing), so the spread is even on average and stable: a wave's machines depend only on the waves
before it (adding wave 3 never moves a machine of wave 2), and pinning, adding or removing a machine moves no other
one while the appliances have room. An appliance whose machines and churn across all waves exceed its rating is
refused, naming the waves that use it.

Pure functions over validated configs (the caller reads the stack files: components/stack_config.py).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from components import appliance_capacity
from components.appliance_capacity import Load
from components.config import ApplianceHostConfig, ConfigProblem, WaveConfig


@dataclass(frozen=True)
class PoolMachine:
    name: str
    appliance: str | None
    churn_gb_per_day: float | None


@dataclass(frozen=True)
class PoolWave:
    """One wave as the pool sees it: its name and its machines that replicate (not retired)."""

    name: str
    machines: tuple[PoolMachine, ...]

    @staticmethod
    def of(wave: WaveConfig) -> PoolWave:
        default = wave.aws.expected_churn_gb_per_day
        return PoolWave(
            wave.name,
            tuple(
                PoolMachine(
                    m.name,
                    m.appliance,
                    m.expected_churn_gb_per_day if m.expected_churn_gb_per_day is not None else default,
                )
                for m in wave.machines
                if not m.retire
            ),
        )


@dataclass
class ApplianceLoad:
    """One appliance's load: machines and churn per wave, and its rating."""

    appliance: ApplianceHostConfig
    per_wave: dict[str, list[PoolMachine]] = field(default_factory=dict)
    load: Load = field(default_factory=lambda: Load(0, 0.0, 0))
    """Machines and churn across the waves so far, kept as they are added (every choice reads it)."""

    def add(self, wave: str, machine: PoolMachine) -> None:
        self.per_wave.setdefault(wave, []).append(machine)
        churn = machine.churn_gb_per_day
        load = self.load
        self.load = Load(load.machines + 1, load.churn_gb_per_day + (churn or 0.0), load.undeclared + (churn is None))

    @property
    def rated(self) -> Load:
        tier = appliance_capacity.host_tier(self.appliance.instance_type, self.appliance.data_disk_gb)
        return Load(tier.machines, float(tier.churn_gb_per_day), 0) if tier else Load(0, 0.0, 0)

    def room_after(self, machine: PoolMachine) -> float:
        """The share of the rating still free once `machine` is added (negative: over)."""
        load, rated = self.load, self.rated
        if not rated.machines:
            return -1.0
        used_machines = (load.machines + 1) / rated.machines
        used_churn = (load.churn_gb_per_day + (machine.churn_gb_per_day or 0.0)) / (rated.churn_gb_per_day or 1.0)
        return 1.0 - max(used_machines, used_churn)

    def summary(self) -> dict[str, object]:
        load, rated = self.load, self.rated
        return {
            "instanceType": self.appliance.instance_type,
            "machines": load.machines,
            "churnGbPerDay": load.churn_gb_per_day,
            "ratedMachines": rated.machines,
            "ratedChurnGbPerDay": rated.churn_gb_per_day,
            "waves": {wave: len(ms) for wave, ms in self.per_wave.items() if ms},
        }


@dataclass(frozen=True)
class PoolAssignment:
    """Each wave's machine -> appliance, each appliance's load, and what is wrong with them."""

    machines: dict[str, dict[str, str]]
    loads: dict[str, ApplianceLoad]
    problems: tuple[ConfigProblem, ...]

    def of_wave(self, wave: str) -> dict[str, str]:
        return self.machines.get(wave, {})

    def board(self) -> dict[str, dict[str, object]]:
        """Per appliance: instance type, machines, churn, rating and machines per wave (for plans and the board)."""
        return {name: load.summary() for name, load in self.loads.items()}


def preference(machine: str, appliance: str) -> int:
    """A machine's fixed preference for an appliance (rendezvous hashing): its order of appliances never depends
    on the other machines, so pinning, adding or removing one moves no other machine while its appliance has room."""
    return int.from_bytes(hashlib.sha256(f"{appliance}\n{machine}".encode()).digest()[:8], "big")


def _choose(machine: PoolMachine, loads: list[ApplianceLoad]) -> ApplianceLoad:
    """The machine's most preferred appliance with room for it; with none, the one left with the most room."""
    ranked = sorted(loads, key=lambda load: preference(machine.name, load.appliance.name), reverse=True)
    with_room = [load for load in ranked if load.room_after(machine) >= 0]
    return with_room[0] if with_room else max(ranked, key=lambda load: load.room_after(machine))


def natural_key(name: str) -> list[object]:
    """`wave10` after `wave9`."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def assign(pool: Sequence[ApplianceHostConfig], waves: Sequence[PoolWave], where: Mapping[str, str]) -> PoolAssignment:
    """Spread `waves` (in order) over `pool`; `where[wave]` is the config path a wave's problems are reported under."""
    loads = {a.name: ApplianceLoad(a) for a in pool}
    machines: dict[str, dict[str, str]] = {}
    problems: list[ConfigProblem] = []
    for wave in waves:
        chosen: dict[str, str] = {}
        for index, machine in enumerate(wave.machines):
            if machine.appliance is None:
                continue
            if machine.appliance not in loads:
                problems.append(
                    ConfigProblem(
                        f"{where.get(wave.name, wave.name)}.machines[{index}].appliance",
                        machine.appliance,
                        f"must be one of the foundation's appliances {sorted(loads)}",
                    )
                )
                continue
            chosen[machine.name] = machine.appliance
            loads[machine.appliance].add(wave.name, machine)
        for machine in wave.machines:
            if machine.appliance is not None or not loads:
                continue
            best = _choose(machine, list(loads.values()))
            chosen[machine.name] = best.appliance.name
            best.add(wave.name, machine)
        machines[wave.name] = {m.name: chosen[m.name] for m in wave.machines if m.name in chosen}
    for index, (name, load) in enumerate(loads.items()):
        problem = appliance_capacity.undersized(load.appliance.instance_type, load.appliance.data_disk_gb, load.load)
        too_much = appliance_capacity.too_much_for_one(load.load)
        if too_much or problem:
            users = ", ".join(f"{wave} ({len(ms)})" for wave, ms in load.per_wave.items())
            problems.append(
                ConfigProblem(
                    f"migration:foundation.aws.appliances[{index}]",
                    name,
                    f"carries {load.load} across the waves {users}: "
                    + (too_much or problem or "")
                    + "; add an appliance to the pool or name a less loaded one in machines[].appliance",
                )
            )
    return PoolAssignment(machines, loads, tuple(problems))
