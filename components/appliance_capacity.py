"""How big a replication appliance a wave needs, and whether the one configured is rated for it.

Microsoft rates an appliance's process server by the machines it protects and the data they change a day
(`components.limits.APPLIANCE_TIERS`); past 200 machines or 2 TB a day one appliance is not enough. The wave's load
is its machines that replicate (not `retire`d) and the sum of their `expectedChurnGbPerDay` (each machine's own,
else `aws.expectedChurnGbPerDay`; undeclared counts as 0, and the runbook says how many are undeclared). Without
`instanceType` / `dataDiskGb`, the appliance host is sized for the load: the smallest tier that serves it.

Pure functions over the raw config mapping, so the size is chosen before the config is parsed and every mistake
is still reported against the file's own keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components.appliance_sizing import INSTANCE_TYPES, MIN_DATA_DISK_GB
from components.limits import APPLIANCE_SIZING_SOURCE, APPLIANCE_TIERS, READ, ApplianceTier, appliance_tier, tier_for

DEFAULT_TYPES = ("c5.2xlarge", "c5.4xlarge")
"""The default host's instance types, smallest first: 8 vCPU / 16 GiB, then 16 vCPU / 32 GiB."""


@dataclass(frozen=True)
class Load:
    machines: int
    churn_gb_per_day: float
    undeclared: int
    """Machines whose churn nobody declared (counted as 0)."""

    def __str__(self) -> str:
        return f"{self.machines} machines and {self.churn_gb_per_day:,g} GB of churn a day"


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0 else None


def wave_load(raw: Mapping[str, Any]) -> Load:
    aws = raw.get("aws")
    default = _number(aws.get("expectedChurnGbPerDay")) if isinstance(aws, Mapping) else None
    machines = [m for m in raw.get("machines") or [] if isinstance(m, Mapping) and m.get("retire") is not True]
    churns = [_number(m.get("expectedChurnGbPerDay")) for m in machines]
    declared = [c if c is not None else default for c in churns]
    return Load(len(machines), sum(c or 0.0 for c in declared), sum(c is None for c in declared))


def default_size(load: Load) -> tuple[str, int]:
    """(instance type, data disk GB) of the smallest host rated for `load` (the largest when none is)."""
    tier = tier_for(load.machines, int(load.churn_gb_per_day)) or APPLIANCE_TIERS[-1]
    instance_type = next(
        t
        for t in DEFAULT_TYPES
        if INSTANCE_TYPES[t].vcpu >= tier.vcpu and INSTANCE_TYPES[t].memory_gib >= tier.memory_gib
    )
    return instance_type, max(MIN_DATA_DISK_GB, tier.cache_gb)


def host_tier(instance_type: str, data_disk_gb: int) -> ApplianceTier | None:
    spec = INSTANCE_TYPES.get(instance_type)
    return appliance_tier(spec.vcpu, spec.memory_gib, data_disk_gb) if spec else None


def too_much_for_one(load: Load) -> str | None:
    """Why no single appliance serves `load`, or None."""
    if tier_for(load.machines, int(load.churn_gb_per_day)) is not None:
        return None
    largest = APPLIANCE_TIERS[-1]
    return (
        f"is more than one replication appliance serves (at most {largest.machines} machines and"
        f" {largest.churn_gb_per_day:,} GB a day: {APPLIANCE_SIZING_SOURCE}, read {READ}); split the machines"
        " into waves an appliance each can serve"
    )


def undersized(instance_type: str, data_disk_gb: int, load: Load) -> str | None:
    """Why a host of this size is not rated for `load`, or None (an unknown type is refused elsewhere)."""
    needed = tier_for(load.machines, int(load.churn_gb_per_day))
    if needed is None or instance_type not in INSTANCE_TYPES:
        return None
    have = host_tier(instance_type, data_disk_gb)
    if have is not None and have.machines >= needed.machines and have.churn_gb_per_day >= needed.churn_gb_per_day:
        return None
    rated = f"rated for up to {have.machines} machines and {have.churn_gb_per_day:,} GB a day" if have else "below"
    return (
        f"with a {data_disk_gb} GB data disk is {rated} Microsoft's sizing table; the wave has {load}, which needs"
        f" at least {needed.vcpu} vCPU, {needed.memory_gib} GiB and a {needed.cache_gb} GB cache disk"
        f" ({APPLIANCE_SIZING_SOURCE}, read {READ}); leave instanceType and dataDiskGb unset to size the host"
        " for the wave"
    )
