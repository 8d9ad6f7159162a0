"""A new lifecycle action, added in one place: its one `Action` class, and the two resources that run it on a
wave's machines and on a recovery plan. tests/engine/test_a_new_action_in_one_place.py plans, previews and runs it.

The drill is a test failover without a recovery point choice that records its test VMs as `drill_vm`: small
enough to read at a glance, and served by the fake ARM server like the real actions.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pulumi
import pulumi_azure_native as azure_native
from azure.mgmt.recoveryservicessiterecovery import models
from pulumi.dynamic import Resource

from components.asr import plan_actions, wave_actions
from components.asr.action_inputs import ActionInputs, MachineEntry
from components.asr.action_protocol import Action
from components.asr.lifecycle_actions import test_pending, vm_ids
from migrate_tool.offline.engine import ProgramRun, RecordingMonitor, run_program


class DrillAction(Action):
    kind = "drill"
    method = "test_failover"
    operation = "TestFailover"
    scenarios = frozenset({"testfailover"})
    needs = ("test_network_id",)

    def done(self, item: Any, props: dict[str, Any]) -> str | None:
        return "AlreadyDrilled" if test_pending(item) else None

    def item_body(self, props: dict[str, Any], item: Any, extra: dict[str, Any]) -> Any:
        specific = models.InMageRcmTestFailoverInput(network_id=props["test_network_id"])
        return models.TestFailoverInput(
            properties=models.TestFailoverInputProperties(**self._properties(props, specific))
        )

    def plan_body(self, props: dict[str, Any], extra: dict[str, Any]) -> Any:
        specific = [models.RecoveryPlanInMageRcmFailoverInput(recovery_point_type="Latest")]
        return models.RecoveryPlanTestFailoverInput(
            properties=models.RecoveryPlanTestFailoverInputProperties(**self._properties(props, specific))
        )

    def _properties(self, props: dict[str, Any], specific: Any) -> dict[str, Any]:
        return {"failover_direction": "PrimaryToRecovery", "network_type": "VmNetworkAsInput",
                "network_id": props["test_network_id"], "provider_specific_details": specific}  # fmt: skip

    def vm_record(self, item: Any, props: dict[str, Any]) -> dict[str, Any]:
        return {"drill_vm": vm_ids(item)[0]}


class WaveDrillProvider(wave_actions.WaveActionProvider):
    action = DrillAction()


class WaveDrill(Resource, module="toy", name="WaveDrill"):
    results: pulumi.Output[dict[str, Any]]

    def __init__(self, name: str, inputs: ActionInputs, opts: pulumi.ResourceOptions | None = None) -> None:
        wave_actions.declare(self, WaveDrillProvider(), name, inputs, opts)


class PlanDrillProvider(plan_actions.PlanActionProvider):
    action = DrillAction()


class PlanDrill(Resource, module="toy", name="PlanDrill"):
    result: pulumi.Output[str]
    items: pulumi.Output[dict[str, Any]]

    def __init__(self, name: str, inputs: ActionInputs, opts: pulumi.ResourceOptions | None = None) -> None:
        plan_actions.declare(self, PlanDrillProvider(), name, inputs, opts)


def run(
    raw: dict[str, Any], _secrets: Any, stack: str, *, monitor: RecordingMonitor, preview: bool, **_: Any
) -> ProgramRun:
    """A resource group whose id is the drill's test network (unknown in a preview that creates or changes the
    group), a drill of machine `web01` and one of recovery plan `rp-drill` (machine `db01`)."""

    def program() -> None:
        group = azure_native.resources.ResourceGroup("rg", resource_group_name="rg-drill", tags=raw["tags"])
        wave = ActionInputs(
            resource_group_name="rg-wave1",
            vault_name="vault1",
            architecture="modernized",
            test_network_id=pulumi.Output.concat(group.id, "/providers/Microsoft.Network/virtualNetworks/net-test"),
        )
        machines = {"web01": MachineEntry("fabric1", "container1", "web01")}
        wave_drill = WaveDrill("wave-drill", replace(wave, machines=machines))
        plan_machines = [MachineEntry("fabric1", "container1", "db01", machine_name="db01")]
        plan_drill = PlanDrill("plan-drill", replace(wave, recovery_plan_name="rp-drill", machines=plan_machines))
        pulumi.export("waveDrill", wave_drill.results)
        pulumi.export("planDrill", pulumi.Output.all(plan_drill.result, plan_drill.items))

    return run_program(program, "toy", stack, {"toy:raw": json.dumps(raw)}, [], monitor=monitor, preview=preview)
