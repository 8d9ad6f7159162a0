"""The wave's migration lifecycle: phases, the transitions between them, and the action resources of each phase.

    replicate -> test -> tested -> cutover -> complete      (one step per `pulumi up`)
    test -> replicate                                       (the only step back: cleans the test failover up)
    replicate -> cutover                                    (only with machines[].skipTestFailover)

Which action resources exist is a pure function of the phase (`actions_for_phase`); moving the phase one step
adds the next action, and `pulumi up` runs exactly that step. The previous phase comes from `PhaseRecord`, a
dynamic resource whose `check` sees its old and new inputs: a transition the state machine refuses fails
there, in preview already, and every action resource depends on the record, so nothing runs.

`WaveLifecycle` declares, per machine (`orchestration: perMachine`) or per wave (`recoveryPlan`, with an
azure-native ReplicationRecoveryPlan), the dynamic resources of `components.asr.actions`; docs/lifecycle.md
has the state machine, the config, the guards and what each delete does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_azure_native.recoveryservices as rs
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, Resource, ResourceProvider, UpdateResult

from components.asr import actions
from components.asr.post_migration import PostMigrationPrep, PostMigrationPrepArgs
from components.config import MachineConfig, WaveConfig

PHASES = ("replicate", "test", "tested", "cutover", "complete")
PHASE_RECORD_VERSION = "1"
AZURE_FABRIC = "Microsoft Azure"  # the recovery fabric of a physical-to-Azure recovery plan

_WHY_NOT_BACK = {
    "tested": "the test failover was run and cleaned up; there is nothing to undo",
    "cutover": "the machine has failed over to Azure; the program never fails back or undoes a failover",
    "complete": "the migration is complete; ASR no longer replicates the machine",
}


def transition_problem(machine: str, old: str | None, new: str, skip_reason: str | None = None) -> str | None:
    """Why `machine` may not move from phase `old` to `new`, or None. `old` None: the first record, any phase."""
    if old is None or old == new:
        return None
    if old not in PHASES or new not in PHASES:
        return f"{machine}: unknown phase {old if old not in PHASES else new!r}; phases are {', '.join(PHASES)}"
    step = PHASES.index(new) - PHASES.index(old)
    if step == 1 or (old, new) == ("test", "replicate"):
        return None
    if (old, new) == ("replicate", "cutover") and skip_reason:
        return None
    if step < 0:
        return f"{machine}: moving back from {old} to {new} is refused: {_WHY_NOT_BACK.get(old, '')}".rstrip(": ")
    expected = PHASES[PHASES.index(old) + 1]
    hint = " (or set machines[].skipTestFailover to go from replicate to cutover)" if old == "replicate" else ""
    return f"{machine}: {old} -> {new} skips phases; move one step at a time: next is {expected}{hint}"


@dataclass(frozen=True)
class PhaseActions:
    """The action resources a phase declares for one machine (or, for recovery plans, for the wave)."""

    test_failover: bool
    cleanup: bool
    failover: bool
    complete: bool


def actions_for_phase(phase: str, skip_test: bool) -> PhaseActions:
    """Which actions exist in `phase`. Once declared, an action stays declared (its outputs are the audit trail).

    The cleanup also exists in `replicate`: after `test -> replicate` it cleans the test failover up, and
    otherwise it finds nothing to clean (one read). With `skip_test` the test actions are never declared
    after `tested`, so cutting over never starts a test failover.
    """
    index = PHASES.index(phase)
    tested_path = not skip_test or index <= PHASES.index("tested")
    return PhaseActions(
        test_failover=index >= PHASES.index("test") and tested_path,
        cleanup=phase == "replicate" or (index >= PHASES.index("tested") and tested_path),
        failover=index >= PHASES.index("cutover"),
        complete=phase == "complete",
    )


# ---- PhaseRecord -------------------------------------------------------------------------------------


class PhaseRecordProvider(ResourceProvider):
    """Remembers each machine's phase; `check` refuses the transitions `transition_problem` refuses.

    `check` is pure (it compares old and new inputs), so `pulumi preview` shows a refused transition too.
    Deleting the record forgets the phases only; the next `pulumi up` then accepts any phase as a start.
    """

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        old_phases: Mapping[str, str] = olds.get("phases") or {}
        skip: Mapping[str, str] = news.get("skip_test_failover") or {}
        failures = []
        for machine, phase in sorted((news.get("phases") or {}).items()):
            problem = transition_problem(machine, old_phases.get(machine), phase, skip.get(machine))
            if problem:
                failures.append(CheckFailure("phases", problem))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [key for key in ("phases", "skip_test_failover", "version") if olds.get(key) != news.get(key)]
        return DiffResult(changes=bool(changed), replaces=[], delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(f"phases-{props['wave']}", {**props, "previous_phases": {}})

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult({**news, "previous_phases": olds.get("phases") or {}})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Forget the phases; nothing else."""


class PhaseRecord(Resource, module="lifecycle", name="PhaseRecord"):
    """Each machine's lifecycle phase as of the last successful `pulumi up` (see `PhaseRecordProvider`)."""

    phases: pulumi.Output[dict[str, str]]
    previous_phases: pulumi.Output[dict[str, str]]

    def __init__(
        self,
        name: str,
        wave: str,
        phases: dict[str, str],
        skip: dict[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        inputs = {
            "wave": wave,
            "phases": phases,
            "skip_test_failover": skip,
            "version": PHASE_RECORD_VERSION,
            "previous_phases": None,
        }
        super().__init__(PhaseRecordProvider(), name, inputs, opts)


# ---- the component -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WaveLifecycleArgs:
    """Where the wave's machines replicate: the vault, the registration's fabric and container, the items."""

    wave: WaveConfig
    resource_group_name: pulumi.Input[str]
    vault_name: pulumi.Input[str]
    vault_id: pulumi.Input[str]
    test_network_id: pulumi.Input[str]
    fabric_name: pulumi.Input[str]
    container_name: pulumi.Input[str]
    protected_items: pulumi.Input[Mapping[str, Mapping[str, Any]]]
    """machine name -> {"id": the protected item's ARM id, ...}; the item's name is the machine's name."""
    depends_on: tuple[pulumi.Resource, ...] = ()


class WaveLifecycle(pulumi.ComponentResource):
    """The wave's test failover, cleanup, failover and complete migration, as the config's phases ask.

    Outputs: `phases` (machine -> phase) and `audit` (machine -> the outputs of each action that ran, plus
    `recoveryPlan` in recoveryPlan mode).
    """

    def __init__(self, name: str, args: WaveLifecycleArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("migration:asr:WaveLifecycle", name, None, opts)
        wave, settings = args.wave, args.wave.lifecycle
        machines = [m for m in wave.machines if not getattr(m, "retire", False)]
        phases: dict[str, str] = {m.name: m.phase or settings.phase for m in machines}
        skip = {m.name: m.skip_test_failover for m in machines if m.skip_test_failover}
        record = PhaseRecord(
            f"{name}-phases",
            wave.name,
            phases,
            skip,
            pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on)),
        )
        self._args = args
        base = {
            "resource_group_name": args.resource_group_name,
            "vault_name": args.vault_name,
            "architecture": wave.architecture,
            "recovery_point": settings.recovery_point,
            "test_network_id": args.test_network_id,
            "test_failover_max_age_days": settings.test_failover_max_age_days,
            "shutdown_source": settings.shutdown_source,
            "aws_region": wave.aws.region,
        }
        audit: dict[str, Any] = {}
        self.preparations: dict[str, PostMigrationPrep] = {}
        """machine name -> its post-migration preparation, for machines whose migration is complete."""
        if settings.orchestration == "recoveryPlan":
            audit["recoveryPlan"], plan_last = self._recovery_plan(name, machines, settings.phase, base, record)
            # A recovery plan has no complete-migration action: that runs per item, in parallel, after the plan.
            only_complete = PhaseActions(False, False, False, settings.phase == "complete")
            per_item = {m.name: (only_complete, plan_last) for m in machines}
        else:
            per_item = {
                m.name: (actions_for_phase(phases[m.name], bool(m.skip_test_failover)), record) for m in machines
            }
        for machine in machines:
            wanted, first = per_item[machine.name]
            audit[machine.name] = self._machine(name, machine, wanted, first, base, settings.max_concurrency)
        self.phases = pulumi.Output.from_input(phases)
        self.audit = pulumi.Output.from_input(audit)
        self.register_outputs({"phases": self.phases, "audit": self.audit})

    def _item_inputs(self, machine: MachineConfig, base: dict[str, Any], max_concurrency: int) -> dict[str, Any]:
        return {
            **base,
            "fabric_name": self._args.fabric_name,
            "container_name": self._args.container_name,
            "protected_item_name": machine.name,
            "machine_name": machine.name,
            "instance_id": machine.instance_id,
            "skip_test_failover_reason": machine.skip_test_failover,
            "max_concurrency": max_concurrency,
        }

    def _machine(
        self,
        name: str,
        machine: MachineConfig,
        wanted: PhaseActions,
        first: pulumi.Resource,
        base: dict[str, Any],
        max_concurrency: int,
    ) -> dict[str, Any]:
        """Declare the machine's actions in order, each depending on the one before (the first on `first`)."""
        inputs = self._item_inputs(machine, base, max_concurrency)
        prefix = f"{name}-{machine.name}"
        after: list[pulumi.Resource] = [first]
        records: dict[str, Any] = {}
        for key, wanted_here, cls in (
            ("testFailover", wanted.test_failover, actions.TestFailover),
            ("testFailoverCleanup", wanted.cleanup, actions.TestFailoverCleanup),
            ("failover", wanted.failover, actions.Failover),
            ("completeMigration", wanted.complete, actions.CompleteMigration),
        ):
            if not wanted_here:
                continue
            resource = cls(f"{prefix}-{_kebab(key)}", inputs, pulumi.ResourceOptions(parent=self, depends_on=after))
            after = [resource]
            records[key] = _audit_of(resource)
            if isinstance(resource, actions.CompleteMigration):
                # The seed's "after the move": agent check, Mobility service removal, restart (drReady).
                self.preparations[machine.name] = PostMigrationPrep(
                    f"{prefix}-post-migration",
                    PostMigrationPrepArgs(machine=machine.name, vm_resource_id=resource.vm_id, os=machine.os),
                    pulumi.ResourceOptions(parent=self, depends_on=[resource]),
                )
        return records

    def _recovery_plan(
        self, name: str, machines: list[MachineConfig], phase: str, base: dict[str, Any], record: PhaseRecord
    ) -> tuple[dict[str, Any], pulumi.Resource]:
        """The wave's recovery plan and its actions; returns their audit and the last resource declared."""
        args = self._args
        items = pulumi.Output.from_input(args.protected_items)
        plan_name = f"{args.wave.name}-plan"
        plan = rs.ReplicationRecoveryPlan(
            f"{name}-plan",
            resource_group_name=args.resource_group_name,
            resource_name_=args.vault_name,
            recovery_plan_name=plan_name,
            properties=rs.CreateRecoveryPlanInputPropertiesArgs(
                primary_fabric_id=pulumi.Output.concat(args.vault_id, "/replicationFabrics/", args.fabric_name),
                recovery_fabric_id=AZURE_FABRIC,
                failover_deployment_model="ResourceManager",
                groups=[
                    rs.RecoveryPlanGroupArgs(
                        group_type="Boot",
                        replication_protected_items=[
                            rs.RecoveryPlanProtectedItemArgs(id=_item_id(items, m.name)) for m in machines
                        ],
                    )
                ],
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[record]),
        )
        inputs = {
            **base,
            "recovery_plan_name": plan_name,
            "machines": [
                {
                    "machine_name": m.name,
                    "fabric_name": args.fabric_name,
                    "container_name": args.container_name,
                    "protected_item_name": m.name,
                    "instance_id": m.instance_id,
                    "skip_test_failover_reason": m.skip_test_failover,
                }
                for m in machines
            ],
        }
        wanted = actions_for_phase(phase, all(m.skip_test_failover for m in machines))
        after: list[pulumi.Resource] = [plan]
        records: dict[str, Any] = {"name": plan_name, "id": plan.id}
        for key, wanted_here, cls in (
            ("testFailover", wanted.test_failover, actions.PlanTestFailover),
            ("testFailoverCleanup", wanted.cleanup, actions.PlanTestFailoverCleanup),
            ("failover", wanted.failover, actions.PlanFailover),
        ):
            if not wanted_here:
                continue
            resource = cls(f"{name}-plan-{_kebab(key)}", inputs, pulumi.ResourceOptions(parent=self, depends_on=after))
            after = [resource]
            records[key] = _audit_of(resource)
        return records, after[-1]


def _item_id(items: pulumi.Output[Mapping[str, Mapping[str, Any]]], machine: str) -> pulumi.Output[str]:
    return items.apply(lambda all_items: str(all_items[machine]["id"]))


def _kebab(key: str) -> str:
    return "".join(f"-{c.lower()}" if c.isupper() else c for c in key)


def _audit_of(resource: Resource) -> pulumi.Output[dict[str, Any]]:
    """The resource's audit outputs, without the empty ones."""
    values = {key: getattr(resource, key) for key in actions.OUTPUT_KEYS}
    return pulumi.Output.all(**values).apply(lambda done: {k: v for k, v in done.items() if v is not None})
