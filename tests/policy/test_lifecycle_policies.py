"""Lifecycle (stack policies over the planned config schema documented in docs/policy.md)."""

from __future__ import annotations

import functools
from typing import Any

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


def test_commit_on_a_migration_wave_fails() -> None:
    stack_config = {"migration:wave": wave()}
    commit = stack_resource("pulumi-python:dynamic/asr:FailoverCommit", "web01-commit", {"machine": "orders-web01"})
    plan_action = stack_resource("pulumi-python:dynamic/asr:RecoveryPlanAction", "wave-commit", {"action": "Commit"})
    complete = stack_resource(
        "pulumi-python:dynamic/asr:CompleteMigration", "web01-complete", {"machine": "orders-web01"}
    )
    violations = check_stack("no-commit-on-migration", [commit, plan_action, complete], stack_config=stack_config)
    assert [v.urn for v in violations] == [
        urn("pulumi-python:dynamic/asr:FailoverCommit", "web01-commit"),
        urn("pulumi-python:dynamic/asr:RecoveryPlanAction", "wave-commit"),
    ]
    assert "use Complete Migration (phase 'complete'), not Commit" in violations[0].message
    assert check_stack("no-commit-on-migration", [complete], stack_config=stack_config) == []


def test_commit_is_allowed_on_a_dr_stack() -> None:
    commit = stack_resource("pulumi-python:dynamic/asr:FailoverCommit", "web01-commit", {"machine": "orders-web01"})
    stack_config = {"migration:wave": wave(), "migration:dr": {"location": "northeurope"}}
    assert check_stack("no-commit-on-migration", [commit], stack_config=stack_config) == []
