"""Lifecycle (stack policies over the planned config schema documented in docs/policy.md)."""

from __future__ import annotations

import functools
from typing import Any

import pytest

from components.migration_facts import FAILOVER_COMMIT, PLAN_FAILOVER, WAVE_COMPLETE_MIGRATION, WAVE_FAILOVER
from tests.policy.engine import check_stack, stack_resource, urn, wave
from tests.program import run_wave
from tests.waves import wave as example_wave


@functools.cache
def _declared_types() -> dict[str, str]:
    """Type tokens of the test failover and its cleanup as the real program declares them (phase `tested`)."""
    raw = example_wave()
    raw["lifecycle"] = {"phase": "tested"}
    run = run_wave(raw)
    return {
        r.name.removeprefix("wave1-lifecycle-"): r.type
        for r in run.resources
        if r.name.startswith("wave1-lifecycle-test")
    }


def _test_failover(machine: str, result: str = "Succeeded", cleanup_result: str = "Succeeded") -> list[Any]:
    """The wave's test failover and cleanup resources, with one machine's records as wave_actions records them."""
    types = _declared_types()
    test = stack_resource(
        types["test-failover"], f"{machine}-test-failover", {"results": {machine: {"result": result}}}
    )
    cleanup = stack_resource(
        types["test-failover-cleanup"], f"{machine}-cleanup", {"results": {machine: {"result": cleanup_result}}}
    )
    return [test, cleanup]


def test_an_attached_test_failover_counts_as_done() -> None:
    resources = [
        *_test_failover("orders-web01", result="Attached"),
        *_test_failover("orders-db01", result="AlreadyDone"),
    ]
    assert check_stack("test-failover-before-cutover", resources, stack_config=_cutover_wave()) == []


def test_a_recovery_plan_test_failover_covers_every_machine_in_it() -> None:
    machines = [{"machine_name": "orders-web01"}, {"machine_name": "orders-db01"}]
    resources = [
        stack_resource(
            "pulumi-python:dynamic/asr:PlanTestFailover", "plan-tf", {"machines": machines, "result": "Succeeded"}
        ),
        stack_resource(
            "pulumi-python:dynamic/asr:PlanTestFailoverCleanup",
            "plan-tfc",
            {"machines": machines, "result": "Succeeded"},
        ),
    ]
    assert check_stack("test-failover-before-cutover", resources, stack_config=_cutover_wave()) == []


def _cutover_wave(**machine_fields: Any) -> dict[str, object]:
    machines = [{"name": "orders-web01", "os": "windows", **machine_fields}, {"name": "orders-db01", "os": "linux"}]
    return {"migration:wave": wave(lifecycle={"phase": "cutover"}, machines=machines)}


def test_cutover_with_recorded_test_failovers_passes() -> None:
    resources = [*_test_failover("orders-web01"), *_test_failover("orders-db01")]
    assert check_stack("test-failover-before-cutover", resources, stack_config=_cutover_wave()) == []


def test_cutover_without_a_test_failover_fails_per_machine() -> None:
    violations = check_stack(
        "test-failover-before-cutover", _test_failover("orders-db01"), stack_config=_cutover_wave()
    )
    assert [v.message for v in violations] == [
        "machine 'orders-web01' is in phase 'cutover' without a recorded test failover (a test failover and its"
        " cleanup that succeeded). Run phases 'test' and 'tested' first, or set"
        " migration:wave.machines[0].skipTestFailover to the reason it is skipped."
    ]


def test_a_cleanup_that_found_nothing_to_clean_up_counts_as_cleaned() -> None:
    """The cleanup action records `NothingToCleanUp` when ASR shows no test failover pending (the test VM was
    removed, for example in the portal), and never runs again: the pack must not block the cutover on it."""
    resources = [*_test_failover("orders-web01", cleanup_result="NothingToCleanUp"), *_test_failover("orders-db01")]
    assert check_stack("test-failover-before-cutover", resources, stack_config=_cutover_wave()) == []


def test_failed_or_uncleaned_test_failovers_do_not_count() -> None:
    resources = [
        *_test_failover("orders-web01", result="Failed"),
        *_test_failover("orders-db01", cleanup_result="Failed"),
    ]
    violations = check_stack("test-failover-before-cutover", resources, stack_config=_cutover_wave())
    assert len(violations) == 2
    relaxed = check_stack(
        "test-failover-before-cutover", resources, stack_config=_cutover_wave(), config={"requireCleanup": False}
    )
    assert [v.message.split(" is in")[0] for v in relaxed] == ["machine 'orders-web01'"]


def test_a_skip_reason_allows_cutover_but_a_blank_one_does_not() -> None:
    resources = _test_failover("orders-db01")
    reason = _cutover_wave(skipTestFailover="CAB-1234: stateless web tier, rollback is a DNS switch")
    assert check_stack("test-failover-before-cutover", resources, stack_config=reason) == []
    blank = _cutover_wave(skipTestFailover="  ")
    assert len(check_stack("test-failover-before-cutover", resources, stack_config=blank)) == 1


def test_machine_phase_overrides_the_wave_phase() -> None:
    machines = [{"name": "orders-web01", "os": "windows", "phase": "complete"}, {"name": "orders-db01", "os": "linux"}]
    stack_config = {"migration:wave": wave(lifecycle={"phase": "replicate"}, machines=machines)}
    violations = check_stack("test-failover-before-cutover", [], stack_config=stack_config)
    assert len(violations) == 1 and violations[0].message.startswith("machine 'orders-web01' is in phase 'complete'")
    assert check_stack("test-failover-before-cutover", [], stack_config={"migration:wave": wave()}) == []


def test_classic_architecture_is_flagged_with_the_retirement_facts() -> None:
    setting = stack_resource("pulumi-python:dynamic/asr:VaultSetting", "vault-setting", {"providerType": "Vmware"})
    assert check_stack("classic-architecture-retired", [setting], stack_config={"migration:wave": wave()}) == []
    violations = check_stack(
        "classic-architecture-retired", [setting], stack_config={"migration:wave": wave(architecture="classic")}
    )
    assert len(violations) == 1
    assert violations[0].urn == urn("pulumi-python:dynamic/asr:VaultSetting", "vault-setting")
    assert "support ended on 15 November 2023" in violations[0].message
    assert "new vaults cannot use it since 15 November 2022" in violations[0].message


@functools.cache
def _completed_wave(orchestration: str) -> tuple[dict[str, Any], list[Any]]:
    """A wave in phase `complete` and every resource the real program declares for it, as the pack sees them."""
    raw = example_wave()
    raw["lifecycle"] = {"phase": "complete", "orchestration": orchestration}
    return raw, [stack_resource(r.type, r.name, r.inputs) for r in run_wave(raw).resources]


def _commit_like(resource: Any, resource_type: str, **props: Any) -> Any:
    """`resource` as a commit would be declared: the same inputs under another type token or action."""
    return stack_resource(resource_type, resource.name + "-commit", {**resource.props, **props})


@pytest.mark.parametrize("orchestration", ["perMachine", "recoveryPlan"])
def test_a_completed_wave_passes_and_a_commit_added_to_it_fails(orchestration: str) -> None:
    raw, declared = _completed_wave(orchestration)
    stack_config = {"migration:wave": raw}
    types = {r.resource_type for r in declared}
    assert WAVE_COMPLETE_MIGRATION in types  # the real last step of a migration is in what the pack saw
    assert check_stack("no-commit-on-migration", declared, stack_config=stack_config) == []

    failover = next(r for r in declared if r.resource_type in (WAVE_FAILOVER, PLAN_FAILOVER))
    commit = _commit_like(failover, FAILOVER_COMMIT)
    action = _commit_like(failover, failover.resource_type, action="commit")  # the setting's words, any case
    violations = check_stack("no-commit-on-migration", [*declared, commit, action], stack_config=stack_config)
    assert [v.urn for v in violations] == [commit.urn, action.urn]
    assert "use Complete Migration (phase 'complete'), not Commit" in violations[0].message
    custom = check_stack(
        "no-commit-on-migration", [*declared, action], stack_config=stack_config, config={"commitActions": ["Done"]}
    )
    assert custom == []


def test_commit_is_allowed_on_a_dr_stack() -> None:
    raw, declared = _completed_wave("perMachine")
    commit = _commit_like(next(r for r in declared if r.resource_type == WAVE_FAILOVER), FAILOVER_COMMIT)
    stack_config = {"migration:wave": raw, "migration:dr": {"location": "northeurope"}}
    assert check_stack("no-commit-on-migration", [*declared, commit], stack_config=stack_config) == []
