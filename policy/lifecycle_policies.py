"""The migration lifecycle: a tested failover before cutover, the classic architecture's retirement, no Commit on a migration."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from migration_facts import (  # beside this file: the facts the program imports too
    ASR_DYNAMIC_PREFIX,
    DONE_RESULTS,
    FAILOVER_COMMIT,
    PLAN_TEST_FAILOVER,
    PLAN_TEST_FAILOVER_CLEANUP,
    VAULT_SETTING,
    WAVE_TEST_FAILOVER,
    WAVE_TEST_FAILOVER_CLEANUP,
)
from pack_base import (
    DR_KEY,
    StackConfig,
    Wave,
    as_list,
    dig,
    policy_settings,
    prop,
)
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

TEST_FAILOVER_SCHEMA = PolicyConfigSchema(
    properties={
        "cutoverPhases": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Lifecycle phases that fail machines over for real.",
            "default": ["cutover", "complete"],
        },
        "requireCleanup": {
            "type": "boolean",
            "description": "Also require the test failover to have been cleaned up (ASR allows no failover before).",
            "default": True,
        },
    }
)

CLASSIC_SCHEMA = PolicyConfigSchema(
    properties={
        "retirementNotice": {
            "type": "string",
            "description": "The facts shown for a classic wave.",
            "default": (
                "The classic architecture (configuration server, InMageAzureV2) is retired: new vaults cannot use it"
                " since 15 November 2022 and support ended on 15 November 2023 (Microsoft Learn,"
                " vmware-physical-azure-classic-deprecation). Use architecture 'modernized' (ASR replication appliance,"
                " InMageRcm) in a new vault."
            ),
        }
    }
)

COMMIT_SCHEMA = PolicyConfigSchema(
    properties={
        "commitActions": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Values of a dynamic ASR resource's `action` input that mean Commit.",
            "default": ["Commit", "FailoverCommit"],
        }
    }
)


def _succeeded_machines(resource: PolicyResource) -> set[str]:
    """Machines (lower case) an action resource recorded as done: per machine in a wave action's `results`,
    all of `machines[]` for a plan action whose `result` is done."""
    results = prop(resource, "results")
    if isinstance(results, Mapping):
        return {
            str(name).lower()
            for name, record in results.items()
            if isinstance(record, Mapping) and record.get("result") in DONE_RESULTS
        }
    if prop(resource, "result") not in DONE_RESULTS:
        return set()
    return {str(m.get("machine_name")).lower() for m in as_list(prop(resource, "machines")) if isinstance(m, Mapping)}


def _recorded_test_failovers(resources: Iterable[PolicyResource], require_cleanup: bool) -> set[str]:
    """Machine names (lower case) with a succeeded test failover (and, if required, a succeeded cleanup).

    The actions are the lifecycle's dynamic resources: `WaveTestFailover` / `PlanTestFailover` and
    `WaveTestFailoverCleanup` / `PlanTestFailoverCleanup`, whose outputs record how each machine's step ended.
    """
    tested: set[str] = set()
    cleaned: set[str] = set()
    for resource in resources:
        if resource.resource_type in (WAVE_TEST_FAILOVER, PLAN_TEST_FAILOVER):
            tested |= _succeeded_machines(resource)
        elif resource.resource_type in (WAVE_TEST_FAILOVER_CLEANUP, PLAN_TEST_FAILOVER_CLEANUP):
            cleaned |= _succeeded_machines(resource)
    return tested & cleaned if require_cleanup else tested


def _test_failover_before_cutover(stack_config: StackConfig) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        settings = policy_settings(args, TEST_FAILOVER_SCHEMA)
        cutover_phases = {str(p) for p in as_list(settings["cutoverPhases"])}
        wave = Wave.read(stack_config)
        wave_phase = dig(wave.raw, "lifecycle", "phase")
        recorded = _recorded_test_failovers(args.resources, bool(settings["requireCleanup"]))
        for index, machine in enumerate(wave.machines):
            name, phase = str(machine.get("name")), machine.get("phase") or wave_phase
            if phase not in cutover_phases or name.lower() in recorded:
                continue
            skip = machine.get("skipTestFailover")
            if isinstance(skip, str) and skip.strip():
                continue
            report_violation(
                f"machine {name!r} is in phase {phase!r} without a recorded test failover (a test failover"
                f"{' and its cleanup' if settings['requireCleanup'] else ''} that succeeded). Run phases 'test'"
                " and 'tested' first, or"
                f" set migration:wave.machines[{index}].skipTestFailover to the reason it is skipped.",
                None,
            )

    return validate


def _classic_architecture(stack_config: StackConfig) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        if Wave.read(stack_config).raw.get("architecture") != "classic":
            return
        setting = next((r.urn for r in args.resources if r.resource_type == VAULT_SETTING), None)
        notice = policy_settings(args, CLASSIC_SCHEMA)["retirementNotice"]
        report_violation(f"migration:wave.architecture is 'classic'. {notice}", setting)

    return validate


def _no_commit_on_migration(stack_config: StackConfig) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        if not Wave.read(stack_config).present or stack_config(DR_KEY):
            return  # Commit is the right last step of an Azure-to-Azure DR failover
        commit_actions = {str(a).lower() for a in as_list(policy_settings(args, COMMIT_SCHEMA)["commitActions"])}
        for resource in args.resources:
            action = prop(resource, "action") if resource.resource_type.startswith(ASR_DYNAMIC_PREFIX) else None
            if resource.resource_type == FAILOVER_COMMIT or (
                isinstance(action, str) and action.lower() in commit_actions
            ):
                report_violation(
                    f"{resource.resource_type} '{resource.name}' commits a failover on a migration wave. Microsoft's"
                    " migration tutorial: after a migration failover use Complete Migration (phase 'complete'), not Commit.",
                    resource.urn,
                )

    return validate


def lifecycle_policies(stack_config: StackConfig) -> list[Policy]:
    """This family's policies, in the pack's order."""
    mandatory, advisory = EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY
    return [
        StackValidationPolicy(
            name="test-failover-before-cutover",
            description="No machine may be cut over without a recorded, successful test failover, unless"
            " migration:wave.machines[].skipTestFailover gives the reason.",
            validate=_test_failover_before_cutover(stack_config),
            enforcement_level=mandatory,
            config_schema=TEST_FAILOVER_SCHEMA,
        ),
        StackValidationPolicy(
            name="classic-architecture-retired",
            description="The classic ASR architecture is retired; migrate with architecture 'modernized'.",
            validate=_classic_architecture(stack_config),
            enforcement_level=advisory,
            config_schema=CLASSIC_SCHEMA,
        ),
        StackValidationPolicy(
            name="no-commit-on-migration",
            description="A migration wave must not Commit a failover; finish it with Complete Migration.",
            validate=_no_commit_on_migration(stack_config),
            enforcement_level=mandatory,
            config_schema=COMMIT_SCHEMA,
        ),
    ]
