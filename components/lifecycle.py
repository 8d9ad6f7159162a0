"""The wave's migration lifecycle: phases, the transitions between them, and the action resources of each phase.

    replicate -> test -> tested -> cutover -> complete      (one step per `pulumi up`)
    test -> replicate                                       (the only step back: cleans the test failover up)
    replicate -> cutover                                    (only with machines[].skipTestFailover)

Which action resources exist is a pure function of the phase (`actions_for_phase`); moving the phase one step
adds the next action, and `pulumi up` runs exactly that step. The previous phase comes from `PhaseRecord`, a
dynamic resource whose `check` sees its old and new inputs: a transition the state machine refuses fails
there, in preview already, and every action resource depends on the record, so nothing runs.

`WaveLifecycle` declares one resource per action for the whole wave, whose machines are the ones whose phase
takes it (`orchestration: perMachine`, `components.asr.wave_actions`), or the wave's recovery plan actions
(`recoveryPlan`, with an azure-native ReplicationRecoveryPlan, `components.asr.plan_actions`); docs/lifecycle.md
has the state machine, the config, the guards and what each delete does.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pulumi
import pulumi_azure_native.recoveryservices as rs
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, Resource, UpdateResult

from components.asr import plan_actions, wave_actions
from components.asr.action_inputs import ActionInputs, MachineEntry
from components.asr.post_migration import WavePostMigrationPrep, WavePostMigrationPrepArgs
from components.asr.provider import DeclaredInputsProvider
from components.asr.target_ip import WaveTargetIp
from components.config import PHASES, LifecycleConfig
from components.migration_facts import FAILED_RESULTS
from components.recovery_plans import PlanLayout, plan_layouts

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
    """Which actions a machine takes in `phase`; the later phases keep the earlier actions (their records are the
    audit trail).

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


class PhaseRecordProvider(DeclaredInputsProvider):
    """Remembers each machine's phase; `check` refuses the transitions `transition_problem` refuses.

    `check` is pure (it compares old and new inputs), so `pulumi preview` shows a refused transition too.
    Deleting the record forgets the phases only; the next `pulumi up` then accepts any phase as a start.
    """

    updating = ("phases", "skip_test_failover", "version")

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        old_phases: Mapping[str, str] = olds.get("phases") or {}
        skip: Mapping[str, str] = news.get("skip_test_failover") or {}
        failures = []
        for machine, phase in sorted((news.get("phases") or {}).items()):
            problem = transition_problem(machine, old_phases.get(machine), phase, skip.get(machine))
            if problem:
                failures.append(CheckFailure("phases", problem))
        return CheckResult(news, failures)

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(f"phases-{props['wave']}", {**props, "previous_phases": {}})

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult({**news, "previous_phases": olds.get("phases") or {}})


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


# ---- WaveOutcome --------------------------------------------------------------------------------------


class WaveOutcomeProvider(DeclaredInputsProvider):
    """Fails `pulumi up` (in `check`) when a machine's action did not succeed, naming each one and what to do.

    The action resources never raise for one machine (that would lose every other machine's record); they
    record `Failed` or `Refused`, and this check stops the deployment once their results are known. In preview
    the results are unknown and the check passes. Deleting it forgets it.
    """

    updating = ("results",)

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = [CheckFailure("results", problem) for problem in outcome_problems(news.get("results"))]
        return CheckResult(news, failures)

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(f"outcome-{props['wave']}", props)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(news)


def outcome_problems(results: Any) -> list[str]:
    """One line per machine whose action failed: the action, the error, and how to retry just that machine."""
    if not isinstance(results, dict):
        return []
    problems = []
    for action, by_machine in sorted(results.items()):
        for machine, record in sorted((by_machine or {}).items() if isinstance(by_machine, dict) else []):
            if isinstance(record, dict) and record.get("result") in FAILED_RESULTS:
                problems.append(
                    f"{machine}: {action} {record['result'].lower()}: {record.get('error')}. Fix the cause and run"
                    " `pulumi up` again: it retries only the machines without a successful record; the others keep"
                    " theirs."
                )
    return problems


class WaveOutcome(Resource, module="lifecycle", name="WaveOutcome"):
    """The wave's action results; its check fails the deployment on any failed machine (see the provider)."""

    def __init__(
        self, name: str, wave: str, results: pulumi.Input[dict[str, Any]], opts: pulumi.ResourceOptions
    ) -> None:
        super().__init__(WaveOutcomeProvider(), name, {"wave": wave, "results": results}, opts)


# ---- the component -------------------------------------------------------------------------------------

TARGET_IP_PHASES = ("replicate", "test", "tested")
"""Phases in which a machine's `target.staticIp` is set on its item: before anything fails it over."""


@dataclass(frozen=True)
class LifecycleMachine:
    """One machine as the lifecycle needs it (components/migration_wave.py's `lifecycle_args` fills it in)."""

    name: str
    instance_id: str
    os: str
    phase: str
    """The machine's own phase, else the wave's."""
    skip_test_failover: str | None
    """The reason a machine goes to cutover without a test failover, if it does."""
    static_ip: str | None
    subnet_name: str
    """The target subnet the replica's adapter is in (the machine's, else the network's first)."""
    boot_group: int = 1
    """recoveryPlan: the plan's Boot group the machine starts in (components/recovery_plans.py)."""


@dataclass(frozen=True)
class WaveLifecycleArgs:
    """Where the wave's machines replicate: the vault (by name, known at preview time), the registration's fabric
    and container, the items; the machines that have not retired, and the wave's lifecycle settings."""

    wave_name: str
    vault_resource_group: str
    vault: str
    """The vault's name from config, as `WaveReplicationArgs.vault` (`vault_name` is an Output where it appears)."""
    architecture: str
    aws_region: str
    settings: LifecycleConfig
    machines: list[LifecycleMachine]
    vault_id: pulumi.Input[str]
    test_network_id: pulumi.Input[str]
    fabric_name: pulumi.Input[str]
    container_name: pulumi.Input[str]
    protected_items: pulumi.Input[Mapping[str, Mapping[str, Any]]]
    """machine name -> {"id": the protected item's ARM id, ...}; the item's name is the machine's name."""
    replication: pulumi.Resource
    """What every action waits for (the wave's replication: its items exist before any action runs)."""


@dataclass(frozen=True)
class Progress:
    """What the lifecycle's steps have declared so far, as each step hands it to the next."""

    after: tuple[pulumi.Resource, ...]
    """What the next step waits for."""
    results: Mapping[str, pulumi.Output[dict[str, Any]]] = field(default_factory=dict)
    """Audit name -> the `results` of the wave action declared under it (machine -> record)."""
    members: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Audit name -> the machines that action runs on (their records go into `audit`)."""
    vm_ids: Mapping[str, Any] = field(default_factory=dict)
    """Machine -> its failed-over VM id (an Output), once a failover step is declared."""
    plans: Mapping[str, Any] = field(default_factory=dict)
    """recoveryPlan: plan name -> its actions' records."""

    def then(self, audit: str, resource: Any, machines: list[LifecycleMachine], **changes: Any) -> Progress:
        """The progress once `resource` (with its `results`) is declared for `machines` under `audit`."""
        return replace(
            self,
            after=(resource,),
            results={**self.results, audit: resource.results},
            members={**self.members, audit: tuple(m.name for m in machines)},
            **changes,
        )


@dataclass(frozen=True)
class WaveStep:
    """One wave action in the lifecycle: the resource, which machines take it, and what its inputs add."""

    audit: str
    """The action's name in the audit and the outcome (`testFailover`); its resource is `<lifecycle>-<kebab>`."""
    resource: Callable[..., Any]
    """The wave action resource (`components.asr.wave_actions`), called as (name, inputs, opts)."""
    takes: Callable[[LifecycleMachine, PhaseActions], bool]
    """Whether a machine (in its phase, with the actions the orchestration leaves per machine) takes it."""
    entry: Callable[[WaveLifecycleArgs, LifecycleMachine, Progress], MachineEntry]
    """A machine's entry in the resource's `machines`."""
    inputs: Callable[[LifecycleConfig], dict[str, Any]] = lambda _settings: {}
    """Fields of `ActionInputs` this action sets beyond the wave's (`base`)."""
    names_vms: bool = False
    """Whether its records name the failed-over VMs (`vm_id`), which the later steps take."""
    then: Callable[[WaveLifecycle, str, list[LifecycleMachine], Any, Progress], Progress] | None = None
    """What is declared right after it, for its machines (the post-migration prep)."""

    def declare(self, lifecycle: WaveLifecycle, name: str, progress: Progress) -> Progress:
        args = lifecycle.args
        members = [m for m in args.machines if self.takes(m, lifecycle.wanted[m.name])]
        if not members:
            return progress
        machines = {m.name: self.entry(args, m, progress) for m in members}
        resource = self.resource(
            f"{name}-{_kebab(self.audit)}",
            replace(lifecycle.base, **self.inputs(args.settings), machines=machines),
            pulumi.ResourceOptions(parent=lifecycle, depends_on=list(progress.after)),
        )
        vm_ids = {m.name: _field(resource.results, m.name, "vm_id") for m in members} if self.names_vms else {}
        progress = progress.then(self.audit, resource, members, vm_ids={**progress.vm_ids, **vm_ids})
        return self.then(lifecycle, name, members, resource, progress) if self.then else progress


@dataclass(frozen=True)
class PlanStep:
    """One recovery plan action (`components.asr.plan_actions`) and the phase action it stands for."""

    audit: str
    resource: Callable[..., Any]
    wanted: Callable[[PhaseActions], bool]
    inputs: Callable[[LifecycleConfig], dict[str, Any]] = lambda _settings: {}
    names_vms: bool = False


@dataclass(frozen=True)
class RecoveryPlansStep:
    """recoveryPlan orchestration: the wave's recovery plans (at most 100 machines each,
    components/recovery_plans.py), each with its `steps` in turn, side by side."""

    steps: tuple[PlanStep, ...]

    def declare(self, lifecycle: WaveLifecycle, name: str, progress: Progress) -> Progress:
        args = lifecycle.args
        if args.settings.orchestration != "recoveryPlan":
            return progress
        by_name = {m.name: m for m in args.machines}
        ends: list[pulumi.Resource] = []
        plans: dict[str, Any] = {}
        vm_ids: dict[str, Any] = {}
        for layout in plan_layouts(args.wave_name, [(m.name, m.boot_group) for m in args.machines]):
            members = [by_name[machine] for machine in layout.machines]
            plans[layout.name], last, plan_vm_ids = self._plan(lifecycle, name, layout, members, progress.after)
            vm_ids.update(plan_vm_ids)
            ends += last
        return replace(progress, after=tuple(ends), plans=plans, vm_ids={**progress.vm_ids, **vm_ids})

    def _plan(
        self,
        lifecycle: WaveLifecycle,
        name: str,
        layout: PlanLayout,
        machines: list[LifecycleMachine],
        after: tuple[pulumi.Resource, ...],
    ) -> tuple[dict[str, Any], list[pulumi.Resource], dict[str, Any]]:
        """One recovery plan and its actions; their audit, what comes last, and the failed-over VM ids."""
        args = lifecycle.args
        phase = args.settings.phase
        items = pulumi.Output.from_input(args.protected_items)
        # After `complete` ASR has removed the plan's items: the plan is no longer declared (retain_on_delete: Pulumi
        # forgets it, the vault keeps it), so a refresh and the next up never PUT it again with items that are gone.
        plan = (
            None
            if phase == "complete"
            else rs.ReplicationRecoveryPlan(
                f"{name}-{layout.suffix}",
                resource_group_name=args.vault_resource_group,
                resource_name_=args.vault,
                recovery_plan_name=layout.name,
                properties=rs.CreateRecoveryPlanInputPropertiesArgs(
                    primary_fabric_id=pulumi.Output.concat(args.vault_id, "/replicationFabrics/", args.fabric_name),
                    recovery_fabric_id=AZURE_FABRIC,
                    failover_deployment_model="ResourceManager",
                    groups=[
                        rs.RecoveryPlanGroupArgs(
                            group_type="Boot",
                            replication_protected_items=[
                                rs.RecoveryPlanProtectedItemArgs(id=_item_id(items, machine)) for machine in group
                            ],
                        )
                        for _, group in layout.groups
                    ],
                ),
                opts=pulumi.ResourceOptions(parent=lifecycle, depends_on=list(after), retain_on_delete=True),
            )
        )
        inputs = replace(
            lifecycle.base,
            recovery_plan_name=layout.name,
            max_concurrency=None,
            machines=[replace(_item_entry(args, m), machine_name=m.name) for m in machines],
        )
        wanted = actions_for_phase(phase, all(m.skip_test_failover for m in machines))
        last: list[pulumi.Resource] = [plan] if plan is not None else list(after)
        records: dict[str, Any] = {"name": layout.name, **({"id": plan.id} if plan is not None else {})}
        vm_ids: dict[str, Any] = {}
        for step in self.steps:
            if not step.wanted(wanted):
                continue
            resource = step.resource(
                f"{name}-{layout.suffix}-{_kebab(step.audit)}",
                replace(inputs, **step.inputs(args.settings)),
                pulumi.ResourceOptions(parent=lifecycle, depends_on=last),
            )
            last = [resource]
            records[step.audit] = _plan_audit(resource)
            if step.names_vms:
                vm_ids = {m.name: _plan_vm_id(resource.items, m.name) for m in machines}
        return records, last, vm_ids


def _item_entry(args: WaveLifecycleArgs, machine: LifecycleMachine) -> MachineEntry:
    """A machine's item and what the failover steps need of it."""
    return MachineEntry(
        args.fabric_name,
        args.container_name,
        machine.name,
        instance_id=machine.instance_id,
        skip_test_failover_reason=machine.skip_test_failover,
    )


def _machine_entry(args: WaveLifecycleArgs, machine: LifecycleMachine, progress: Progress) -> MachineEntry:
    """A machine's entry in a lifecycle action: its item, and its failed-over VM once a failover step named it."""
    return replace(_item_entry(args, machine), migrated_vm_id=progress.vm_ids.get(machine.name))


def _address_entry(args: WaveLifecycleArgs, machine: LifecycleMachine, _progress: Progress) -> MachineEntry:
    return MachineEntry(
        args.fabric_name,
        args.container_name,
        machine.name,
        static_ip=machine.static_ip,
        subnet_name=machine.subnet_name,
    )


def _cleanup_notes(settings: LifecycleConfig) -> dict[str, Any]:
    return {"comments": settings.cleanup_notes}


def _post_migration(
    lifecycle: WaveLifecycle,
    name: str,
    members: list[LifecycleMachine],
    complete: Any,
    progress: Progress,
) -> Progress:
    """The seed's "after the move" for completed machines: agent check, Mobility service removal, restart.

    Machines whose complete migration failed are left out: a machine whose job failed has no migrated
    VM to prepare, and its failure must reach `WaveOutcome` (ASR's error and the retry) instead of stopping
    the prep of every other machine. The next `up` retries the complete migration and, once it succeeds,
    adds the machine here.
    """
    prep = WavePostMigrationPrep(
        f"{name}-post-migration",
        WavePostMigrationPrepArgs(
            machines=complete.results.apply(lambda results: _migrated(results, members)),
            max_concurrency=lifecycle.args.settings.max_concurrency,
        ),
        pulumi.ResourceOptions(parent=lifecycle, depends_on=[complete]),
    )
    return replace(progress, after=(prep,), results={**progress.results, POST_MIGRATION: prep.results})


POST_MIGRATION = "postMigration"
"""The post-migration prep's results in the outcome; each machine's record is in `preparations`."""

STEPS: tuple[WaveStep | RecoveryPlansStep, ...] = (
    WaveStep(
        "targetIp", WaveTargetIp, lambda m, _wanted: bool(m.static_ip) and m.phase in TARGET_IP_PHASES, _address_entry
    ),
    RecoveryPlansStep(
        (
            PlanStep("testFailover", plan_actions.PlanTestFailover, lambda w: w.test_failover),
            PlanStep("testFailoverCleanup", plan_actions.PlanTestFailoverCleanup, lambda w: w.cleanup, _cleanup_notes),
            PlanStep("failover", plan_actions.PlanFailover, lambda w: w.failover, names_vms=True),
        )
    ),
    WaveStep("testFailover", wave_actions.WaveTestFailover, lambda _m, w: w.test_failover, _machine_entry),
    WaveStep(
        "testFailoverCleanup", wave_actions.WaveTestFailoverCleanup, lambda _m, w: w.cleanup, _machine_entry,
        inputs=_cleanup_notes,
    ),
    WaveStep("failover", wave_actions.WaveFailover, lambda _m, w: w.failover, _machine_entry, names_vms=True),
    WaveStep(
        "completeMigration", wave_actions.WaveCompleteMigration, lambda _m, w: w.complete, _machine_entry,
        then=_post_migration,
    ),
)  # fmt: skip
"""The lifecycle, in order: each step waits for the one before it that declared something."""


class WaveLifecycle(pulumi.ComponentResource):
    """The wave's test failover, cleanup, failover and complete migration, as the config's phases ask.

    The steps of `STEPS`, folded in order: per step one resource for the whole wave runs the action on the
    machines that take it (`components.asr.wave_actions`; in recoveryPlan mode the plan actions of
    `components.asr.plan_actions`), then `WavePostMigrationPrep` prepares completed machines and `WaveOutcome`
    fails the `pulumi up` if any machine did not succeed. Outputs: `phases` (machine -> phase) and `audit`
    (machine -> the record of each action that ran, plus `recoveryPlans`, plan name -> its actions' records, in
    recoveryPlan mode); `preparations` (machine -> its post-migration record, as an Output) for machines whose
    migration is complete.
    """

    def __init__(self, name: str, args: WaveLifecycleArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("migration:asr:WaveLifecycle", name, None, opts)
        settings, machines = args.settings, args.machines
        phases: dict[str, str] = {m.name: m.phase for m in machines}
        skip = {m.name: m.skip_test_failover for m in machines if m.skip_test_failover}
        record = PhaseRecord(
            f"{name}-phases",
            args.wave_name,
            phases,
            skip,
            pulumi.ResourceOptions(parent=self, depends_on=[args.replication]),
        )
        self.args = args
        # The vault by name from config: an action's identity is known at preview time, so a change upstream
        # (an output not known yet) never shows as a replacement of an action that ran.
        self.base = ActionInputs(
            resource_group_name=args.vault_resource_group,
            vault_name=args.vault,
            architecture=args.architecture,
            recovery_point=settings.recovery_point,
            test_network_id=args.test_network_id,
            test_failover_max_age_days=settings.test_failover_max_age_days,
            shutdown_source=settings.shutdown_source,
            aws_region=args.aws_region,
            max_concurrency=settings.max_concurrency,
        )
        by_plan = settings.orchestration == "recoveryPlan"
        self.wanted = {
            m.name: PhaseActions(False, False, False, settings.phase == "complete")
            if by_plan
            else actions_for_phase(m.phase, bool(m.skip_test_failover))
            for m in machines
        }
        done = functools.reduce(lambda progress, step: step.declare(self, name, progress), STEPS, Progress((record,)))
        WaveOutcome(
            f"{name}-outcome",
            args.wave_name,
            dict(done.results),
            pulumi.ResourceOptions(parent=self, depends_on=list(done.after)),
        )
        completed = done.members.get("completeMigration", ())
        self.preparations: dict[str, pulumi.Output[dict[str, Any]]] = {
            machine: _record(done.results[POST_MIGRATION], machine) for machine in completed
        }
        """machine name -> its post-migration record, for machines whose migration is complete."""
        audit = {
            **({"recoveryPlans": dict(done.plans)} if by_plan else {}),
            **{
                m.name: {
                    action: _record(done.results[action], m.name)
                    for action, members in done.members.items()
                    if m.name in members
                }
                for m in machines
            },
        }
        self.phases = pulumi.Output.from_input(phases)
        self.audit = pulumi.Output.from_input(audit)
        self.register_outputs({"phases": self.phases, "audit": self.audit})


def _item_id(items: pulumi.Output[Mapping[str, Mapping[str, Any]]], machine: str) -> pulumi.Output[str]:
    return items.apply(lambda all_items: str(all_items[machine]["id"]))


def _kebab(key: str) -> str:
    return "".join(f"-{c.lower()}" if c.isupper() else c for c in key)


def _record(results: pulumi.Output[dict[str, Any]], machine: str) -> pulumi.Output[dict[str, Any]]:
    """One machine's record of a wave action, without the empty fields."""
    return results.apply(lambda r: {k: v for k, v in ((r or {}).get(machine) or {}).items() if v is not None})


def _field(results: pulumi.Output[dict[str, Any]], machine: str, key: str) -> pulumi.Output[Any]:
    return results.apply(lambda r: ((r or {}).get(machine) or {}).get(key))


def _migrated(results: Mapping[str, Any] | None, members: list[LifecycleMachine]) -> dict[str, dict[str, Any]]:
    """The post-migration prep's entries: the machines whose complete migration did not fail. (Under the mock
    engine of the offline plan no action runs and there are no records: every machine of the phase is shown.)"""
    records = results or {}
    failed = {name for name, record in records.items() if (record or {}).get("result") in FAILED_RESULTS}
    return {
        m.name: {"vm_resource_id": (records.get(m.name) or {}).get("vm_id"), "os": m.os, "source_type": "physical"}
        for m in members
        if m.name not in failed
    }


def _plan_vm_id(items: pulumi.Output[dict[str, Any]], machine: str) -> pulumi.Output[Any]:
    return items.apply(lambda found: ((found or {}).get(machine) or {}).get("vm_id"))


def _plan_audit(resource: Resource) -> pulumi.Output[dict[str, Any]]:
    """A plan action's audit outputs, without the empty ones."""
    values = {key: getattr(resource, key) for key in plan_actions.RECORD_KEYS if hasattr(resource, key)}
    return pulumi.Output.all(**values).apply(lambda done: {k: v for k, v in done.items() if v is not None})
