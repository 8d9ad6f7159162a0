"""A lifecycle action added in one place (tests/engine/toy_action.py: one `Action` class and its two resources) is
planned by the mock engine, previewed and run through the SDK's dynamic-provider server, on a wave's machine and
on a recovery plan, by the one protocol: nothing sent in preview, one POST per target, nothing sent again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from migrate_tool.offline.engine import PlanMocks, RecordingMonitor
from tests.engine import toy_action
from tests.engine.harness import Engine
from tests.engine.test_wave_under_the_engine import assert_safe_preview
from tests.fake_arm.server import SUBSCRIPTION, FakeArm

WAVE, PLAN = "pulumi-python:dynamic/toy:WaveDrill", "pulumi-python:dynamic/toy:PlanDrill"


def _seed(fake: FakeArm) -> tuple[str, str, str]:
    """Items web01 and db01, and recovery plan rp-drill holding db01; their paths."""
    group = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/migrationRG"
    for name in ("web01", "db01"):
        fake.add_protected_item("fabric1", "container1", name, providerSpecificDetails={
            "instanceType": "InMageRcm", "targetVmName": name, "targetResourceGroupId": group})  # fmt: skip
    web, db = (fake.item_path("fabric1", "container1", name) for name in ("web01", "db01"))
    plan = f"{fake.vault_path()}/replicationRecoveryPlans/rp-drill"
    fake.put_resource(plan, {
        "friendlyName": "rp-drill", "allowedOperations": ["TestFailover", "UnplannedFailover"],
        "currentScenario": fake._no_scenario(),
        "groups": [{"groupType": "Boot", "replicationProtectedItems": [{"id": db}]}],
    })  # fmt: skip
    return web, db, plan


def _posts(fake: FakeArm) -> list[str]:
    return sorted(r.path for r in fake.requests if r.method == "POST")


def test_the_mock_engine_plans_both_resources_with_their_inputs() -> None:
    run = toy_action.run({"tags": {"owner": "a"}}, None, "toy", monitor=RecordingMonitor(PlanMocks()), preview=False)
    planned = {r.type: r for r in run.resources}
    assert planned[WAVE].inputs["machines"] == {
        "web01": {"fabric_name": "fabric1", "container_name": "container1", "protected_item_name": "web01"}
    }
    assert planned[PLAN].inputs["recovery_plan_name"] == "rp-drill"
    assert (
        planned[PLAN]
        .inputs["test_network_id"]
        .endswith("/resourceGroups/rg-drill/providers/Microsoft.Network/virtualNetworks/net-test")
    )


def test_a_new_action_previews_runs_once_per_target_and_is_never_sent_again(
    make_engine: Callable[..., Engine], fake: FakeArm
) -> None:
    web, db, plan = _seed(fake)
    engine = make_engine()
    engine.program = toy_action.run
    raw: dict[str, Any] = {"tags": {"owner": "a"}}

    preview = engine.preview(raw)  # the test network is unknown: the group is not created yet
    assert_safe_preview(preview)
    assert {("create", "wave-drill"), ("create", "plan-drill")} <= set(preview.ops())
    assert _posts(fake) == []

    done = engine.up(raw)
    assert _posts(fake) == sorted([f"{web}/testFailover", f"{plan}/testFailover"])
    record = done.outputs["waveDrill"]["web01"]
    assert (record["result"], record["drill_vm"]) == (
        "Succeeded", f"/subscriptions/{SUBSCRIPTION}/resourceGroups/migrationRG/providers/Microsoft.Compute/virtualMachines/web01-test"
    )  # fmt: skip
    result, items = done.outputs["planDrill"]
    assert result == "Succeeded" and items["db01"]["item_id"].lower() == db.lower()
    assert items["db01"]["drill_vm"].endswith("/virtualMachines/db01-test")
    assert fake.resource(db)["properties"]["testFailoverState"] != "None"  # type: ignore[index]

    raw["tags"] = {"owner": "b"}  # the group changes: the test network is unknown again in preview
    assert_safe_preview(engine.preview(raw))
    engine.up(raw)
    assert len(_posts(fake)) == 2  # the machine's record is a success, the plan's action has run: nothing re-sent
