"""A recoveryPlan wave's plans: within ASR's limits, in boot order, and the same first plan as the wave grows."""

from __future__ import annotations

from typing import Any

import pytest

from components import limits
from components.config import WaveConfigError, parse_wave
from components.recovery_plans import plan_layouts
from tests.host_limits import RECOVERY_PLAN, plan_items
from tests.program import of_type, run_wave
from tests.waves import wave

TIERS = {0: 1, 1: 2, 2: 3}  # database, app, web tier by machine number modulo 3


def machines(count: int) -> list[tuple[str, int]]:
    return [(f"vm{n:04d}", TIERS[n % 3]) for n in range(count)]


@pytest.mark.parametrize(
    ("count", "sizes"), [(1, [1]), (100, [100]), (101, [51, 50]), (150, [75, 75]), (250, [84, 83, 83])]
)
def test_as_few_plans_as_asrs_limit_allows(count: int, sizes: list[int]) -> None:
    layouts = plan_layouts("wave1", machines(count))
    assert [len(p.machines) for p in layouts] == sizes
    assert all(len(p.machines) <= limits.RECOVERY_PLAN_ITEMS.value for p in layouts)
    assert sorted(m for p in layouts for m in p.machines) == sorted(name for name, _ in machines(count))
    assert [p.name for p in layouts] == ["wave1-plan", *(f"wave1-plan-{n}" for n in range(2, len(sizes) + 1))]


def test_every_plan_boots_its_share_of_each_tier_in_order() -> None:
    first, second = plan_layouts("wave1", machines(150))
    for plan in (first, second):
        assert [group for group, _ in plan.groups] == [1, 2, 3]
        assert [len(names) for _, names in plan.groups] == [25, 25, 25]  # half of each tier of 50
        for group, names in plan.groups:
            assert all(TIERS[int(n[2:]) % 3] == group for n in names)


def test_a_boot_group_past_asrs_seven_names_the_limit() -> None:
    raw = wave(lifecycle={"orchestration": "recoveryPlan"})
    raw["machines"][0]["bootGroup"] = 8
    with pytest.raises(
        WaveConfigError, match=r"machines\[0\]\.bootGroup: 8 must be 1-7, .*groups in one recovery plan: 7"
    ):
        parse_wave(raw)


def _plans(run: Any) -> dict[str, Any]:
    return {r.inputs["recoveryPlanName"]: r for r in of_type(run, RECOVERY_PLAN)}


def test_a_150_machine_wave_declares_two_plans_each_with_its_own_actions() -> None:
    raw = wave(machines=150, lifecycle={"orchestration": "recoveryPlan", "phase": "test"})
    for n, machine in enumerate(raw["machines"]):
        machine["bootGroup"] = TIERS[n % 3]
    run = run_wave(raw, strip_aliases=True)  # under the doubles that refuse a plan of more than 100 items
    plans = _plans(run)
    assert sorted(plans) == ["wave1-plan", "wave1-plan-2"]
    assert [plan_items(p.inputs) for p in plans.values()] == [75, 75]
    for plan in plans.values():
        groups = plan.inputs["properties"]["groups"]
        assert [g["groupType"] for g in groups] == ["Boot", "Boot", "Boot"]
        assert [len(g["replicationProtectedItems"]) for g in groups] == [25, 25, 25]
    tests = {r.inputs["recovery_plan_name"]: r for r in of_type(run, "pulumi-python:dynamic/asr:PlanTestFailover")}
    assert sorted(tests) == ["wave1-plan", "wave1-plan-2"]
    assert {len(t.inputs["machines"]) for t in tests.values()} == {75}
    assert plans["wave1-plan-2"].urn in tests["wave1-plan-2"].dependencies
    assert tests["wave1-plan"].urn not in tests["wave1-plan-2"].dependencies  # side by side, not one after the other
    outcome = one_outcome(run)
    assert {tests["wave1-plan"].urn, tests["wave1-plan-2"].urn} <= set(outcome.dependencies)


def one_outcome(run: Any) -> Any:
    [outcome] = of_type(run, "pulumi-python:dynamic/lifecycle:WaveOutcome")
    return outcome


def test_one_plan_keeps_the_names_it_always_had() -> None:
    run = run_wave(wave(lifecycle={"orchestration": "recoveryPlan", "phase": "test"}), strip_aliases=True)
    [plan] = of_type(run, RECOVERY_PLAN)
    assert (plan.name, plan.inputs["recoveryPlanName"]) == ("wave1-lifecycle-plan", "wave1-plan")
    [test] = of_type(run, "pulumi-python:dynamic/asr:PlanTestFailover")
    assert test.name == "wave1-lifecycle-plan-test-failover"
