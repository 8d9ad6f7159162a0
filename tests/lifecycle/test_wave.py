"""A whole wave's lifecycle from config edits alone: the program under the mock engine for each phase, then
the dynamic providers' check/create/diff/update/delete as the engine calls them (tests/lifecycle/engine.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fake_arm.credential import StaticTokenCredential
from tests.fake_arm.server import FakeArm
from tests.lifecycle.conftest import ec2_state
from tests.lifecycle.engine import LifecycleEngine, StepError
from tests.waves import wave


def _wave(ec2: list[str] | None = None, **lifecycle: Any) -> dict[str, Any]:
    raw = wave(**({"architecture": lifecycle.pop("architecture")} if "architecture" in lifecycle else {}))
    raw["lifecycle"] = {"phase": "replicate", **lifecycle}
    if ec2:
        for machine, instance_id in zip(raw["machines"], ec2, strict=False):
            machine["instanceId"] = instance_id
    return raw


def _actions(fake: FakeArm, since: int) -> list[tuple[str, str]]:
    """(target, action) of the POSTs sent since request number `since`, sorted."""
    return sorted((r.path.split("/")[-2], r.path.split("/")[-1]) for r in fake.requests[since:] if r.method == "POST")


def _phase(engine: LifecycleEngine, raw: dict[str, Any], phase: str) -> tuple[list[tuple[str, str]], Any]:
    raw["lifecycle"]["phase"] = phase
    since = len(engine.fake.requests)
    run = engine.up(raw)
    return _actions(engine.fake, since), run


def test_modernized_per_machine_wave_runs_each_step_on_its_phase(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, ec2: list[str]
) -> None:
    engine = LifecycleEngine(fake_arm)
    raw = _wave(ec2, orchestration="perMachine", shutdownSource=True)
    assert _phase(engine, raw, "replicate")[0] == []
    assert _phase(engine, raw, "test")[0] == [("db01", "testFailover"), ("web01", "testFailover")]
    assert _phase(engine, raw, "tested")[0] == [("db01", "testFailoverCleanup"), ("web01", "testFailoverCleanup")]
    assert ec2_state(ec2[0]) == "running"
    assert _phase(engine, raw, "cutover")[0] == [("db01", "unplannedFailover"), ("web01", "unplannedFailover")]
    assert [ec2_state(i) for i in ec2[:2]] == ["stopped", "stopped"]
    actions, run = _phase(engine, raw, "complete")
    assert actions == [("db01", "remove"), ("web01", "remove")]
    assert _phase(engine, raw, "complete")[0] == []  # a rerun changes nothing

    audit = run.outputs["lifecycle"]["audit"]
    assert run.outputs["lifecycle"]["phases"] == {"web01": "complete", "db01": "complete"}
    assert set(audit["web01"]) == {"testFailover", "testFailoverCleanup", "failover", "completeMigration"}
    web = engine.outputs("web01-failover")
    assert web["result"] == "Succeeded" and web["vm_id"].endswith("/virtualMachines/web01")
    assert web["source_stop"]["instances"][ec2[0]] == {"before": "running", "after": "stopped"}
    assert engine.outputs("web01-test-failover")["test_vm_id"].endswith("/virtualMachines/web01-test")


def test_classic_recovery_plan_wave_runs_one_job_per_phase(fake_arm: FakeArm, arm_env: StaticTokenCredential) -> None:
    engine = LifecycleEngine(fake_arm)
    raw = _wave(
        orchestration="recoveryPlan", architecture="classic", shutdownSource=False, recoveryPoint="latestProcessed"
    )
    assert _phase(engine, raw, "replicate")[0] == []
    assert _phase(engine, raw, "test")[0] == [("wave1-plan", "testFailover")]
    [body] = [r.body for r in fake_arm.requests if r.path.endswith("wave1-plan/testFailover")]
    assert body["properties"]["providerSpecificDetails"] == [
        {"instanceType": "InMageAzureV2", "recoveryPointType": "LatestProcessed"}
    ]
    assert _phase(engine, raw, "tested")[0] == [("wave1-plan", "testFailoverCleanup")]
    assert _phase(engine, raw, "cutover")[0] == [("wave1-plan", "unplannedFailover")]
    [body] = [r.body for r in fake_arm.requests if r.path.endswith("wave1-plan/unplannedFailover")]
    assert body["properties"]["sourceSiteOperations"] == "NotRequired"
    actions, run = _phase(engine, raw, "complete")
    assert actions == [("db01", "remove"), ("web01", "remove")]
    plan_audit = run.outputs["lifecycle"]["audit"]["recoveryPlan"]
    assert plan_audit["name"] == "wave1-plan"
    failover = engine.outputs("plan-failover")
    assert failover["result"] == "Succeeded" and len(fake_arm.jobs) == 5
    assert failover["items"]["web01"]["vm_id"].endswith("/virtualMachines/web01")


def test_modernized_recovery_plan_with_skipped_tests_cuts_over_directly(
    fake_arm: FakeArm, arm_env: StaticTokenCredential
) -> None:
    engine = LifecycleEngine(fake_arm)
    raw = _wave(orchestration="recoveryPlan", shutdownSource=False)
    for machine in raw["machines"]:
        machine["skipTestFailover"] = "tested in the staging wave last week"
    engine.up(raw)
    assert _phase(engine, raw, "cutover")[0] == [("wave1-plan", "unplannedFailover")]
    assert engine.outputs("plan-failover")["skip_test_failover_reason"] == {
        "web01": "tested in the staging wave last week",
        "db01": "tested in the staging wave last week",
    }


def test_classic_per_machine_override_moves_one_machine_only(fake_arm: FakeArm, arm_env: StaticTokenCredential) -> None:
    engine = LifecycleEngine(fake_arm)
    raw = _wave(architecture="classic", shutdownSource=False)
    engine.up(raw)
    raw["machines"][0]["phase"] = "test"
    assert _phase(engine, raw, "replicate")[0] == [("web01", "testFailover")]


def test_back_from_test_to_replicate_cleans_up(fake_arm: FakeArm, arm_env: StaticTokenCredential) -> None:
    engine = LifecycleEngine(fake_arm)
    raw = _wave(shutdownSource=False)
    engine.up(raw)
    _phase(engine, raw, "test")
    actions, _ = _phase(engine, raw, "replicate")
    assert actions == [("db01", "testFailoverCleanup"), ("web01", "testFailoverCleanup")]
    assert ("delete", "wave1-lifecycle-web01-test-failover") in engine.steps  # forgets the record, sends nothing


def test_moving_backwards_is_refused_before_anything_runs(fake_arm: FakeArm, arm_env: StaticTokenCredential) -> None:
    engine = LifecycleEngine(fake_arm)
    raw = _wave(shutdownSource=False)
    for phase in ("replicate", "test", "tested", "cutover"):
        _phase(engine, raw, phase)
    since = len(fake_arm.requests)
    with pytest.raises(StepError) as raised:
        _phase(engine, raw, "tested")
    assert "web01: moving back from cutover to tested is refused: the machine has failed over to Azure" in str(
        raised.value
    )
    assert fake_arm.requests[since:] == []
    with pytest.raises(StepError, match="moving back from cutover to replicate is refused"):
        _phase(engine, raw, "replicate")
    assert fake_arm.requests[since:] == []


def test_cutover_without_a_test_is_refused_by_the_phase_record(
    fake_arm: FakeArm, arm_env: StaticTokenCredential
) -> None:
    engine = LifecycleEngine(fake_arm)
    raw = _wave(shutdownSource=False)
    engine.up(raw)
    with pytest.raises(StepError, match="skips phases; move one step at a time: next is test"):
        _phase(engine, raw, "cutover")
