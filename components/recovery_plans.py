"""How a `recoveryPlan` wave's machines are laid out in ASR recovery plans: pure planning, tested without Pulumi.

ASR takes at most 100 protected instances in one plan and at most 7 groups (components/limits.py), so a wave of
more machines runs as several plans, all in the same phase and in parallel. Inside a plan each boot group
(`machines[].bootGroup`: the database tier before the app tier, the app tier before the web tier) is one of ASR's
Boot groups, started in order. The machines are dealt out round-robin in boot order, so every plan holds a like
share of each tier, and the plans running side by side start their databases, then their app servers, then their
web servers at about the same time; ASR itself orders only within a plan.

The first plan keeps the name a wave has always had (`<wave>-plan`), so a wave that grows past 100 machines adds
plans (`<wave>-plan-2`, ...) without renaming the one it has.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from components.limits import RECOVERY_PLAN_ITEMS


@dataclass(frozen=True)
class PlanLayout:
    suffix: str
    """The plan's part of logical names: `plan`, `plan-2`, ..."""
    name: str
    """The ASR recovery plan's name."""
    groups: tuple[tuple[int, tuple[str, ...]], ...]
    """(boot group, its machines in name order), boot groups in ascending order."""

    @property
    def machines(self) -> tuple[str, ...]:
        return tuple(name for _, names in self.groups for name in names)


def plan_layouts(wave: str, machines: Sequence[tuple[str, int]]) -> list[PlanLayout]:
    """The wave's plans for `machines` (name, boot group): as few as ASR's item limit allows."""
    ordered = sorted(machines, key=lambda m: (m[1], m[0]))
    count = max(1, math.ceil(len(ordered) / RECOVERY_PLAN_ITEMS.value))
    layouts = []
    for index in range(count):
        dealt = ordered[index::count]
        groups = tuple(
            (group, tuple(name for name, g in dealt if g == group)) for group in sorted({g for _, g in dealt})
        )
        suffix = "plan" if index == 0 else f"plan-{index + 1}"
        layouts.append(PlanLayout(suffix=suffix, name=f"{wave}-{suffix}", groups=groups))
    return layouts
