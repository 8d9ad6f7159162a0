"""Names kept for stacks created before the wave-level actions (the provider of a dynamic resource is pickled into
the stack's state by reference to its module and class, and `delete` runs that stored provider).

Per-machine `TestFailover`, `TestFailoverCleanup`, `Failover` and `CompleteMigration` resources were replaced
by one resource per wave and action (`components.asr.wave_actions`); when a stack made with them runs `pulumi up`
on this version, the engine deletes the old records with the providers below, which forget and send nothing,
as the old ones did. The recovery-plan providers moved to `components.asr.plan_actions`; their old names
point there.
"""

from __future__ import annotations

from typing import Any

from components.asr.plan_actions import (
    PlanFailoverProvider,
    PlanTestFailoverCleanupProvider,
    PlanTestFailoverProvider,
)
from components.asr.provider import DeclaredInputsProvider

__all__ = [
    "CompleteMigrationProvider",
    "FailoverProvider",
    "PlanFailoverProvider",
    "PlanTestFailoverCleanupProvider",
    "PlanTestFailoverProvider",
    "TestFailoverCleanupProvider",
    "TestFailoverProvider",
]


class _RetiredActionProvider(DeclaredInputsProvider):
    """A per-machine action record of an older version: it can only be forgotten."""

    def create(self, props: dict[str, Any]) -> Any:
        raise RuntimeError("per-machine action resources were replaced by wave-level ones; upgrade the program")


class TestFailoverProvider(_RetiredActionProvider):
    __test__ = False


class TestFailoverCleanupProvider(_RetiredActionProvider):
    __test__ = False


class FailoverProvider(_RetiredActionProvider):
    pass


class CompleteMigrationProvider(_RetiredActionProvider):
    pass
