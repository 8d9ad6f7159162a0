"""Run the DR program (dr/__main__.py) under Pulumi's mock engine, with the wave stack's outputs mocked.

The offline engine's `PlanMocks` answers every resource the way the offline plan does; `WaveStackMocks`
adds the StackReference: the engine asks for type `pulumi:pulumi:StackReference` and gets the wave's
outputs back as `{"name", "outputs", "secretOutputNames"}`.
"""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.settings import SETTINGS, set_root_resource
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from components.contract import machine_entry
from migrate_tool.offline.engine import OFFLINE_SUBSCRIPTION, PlanMocks, ProgramRun, RecordingMonitor

DR_MAIN = Path(__file__).resolve().parents[2] / "dr" / "__main__.py"
WAVE_STACK = "acme/migration/wave1"
WAVE_RG = "rg-migration-wave1-weu"
WAVE_NETWORK_ID = (
    f"/subscriptions/{OFFLINE_SUBSCRIPTION}/resourceGroups/{WAVE_RG}/providers/Microsoft.Network/virtualNetworks/"
    "vnet-migration-wave1-weu"
)


def vm_id(name: str) -> str:
    return f"/subscriptions/{OFFLINE_SUBSCRIPTION}/resourceGroups/{WAVE_RG}/providers/Microsoft.Compute/virtualMachines/{name}"


def disk_id(name: str) -> str:
    return f"/subscriptions/{OFFLINE_SUBSCRIPTION}/resourceGroups/{WAVE_RG}/providers/Microsoft.Compute/disks/{name}"


def wave_outputs(ready: dict[str, int], not_ready: tuple[str, ...] = (), version: object = 2) -> dict[str, Any]:
    """A wave's outputs (contract v2): `ready` maps machine name -> data disk count."""
    machines = [
        machine_entry(
            name=name, instance_id="i-0a11b22c33d44e551", private_ip="172.31.10.21", os="windows",
            vm_size="Standard_D2s_v5", vm_resource_id=vm_id(name),
            managed_disk_ids=[disk_id(f"{name}-osdisk"), *(disk_id(f"{name}-data{n}") for n in range(disks))],
            preparation={"agent": {"status": "ok"}, "mobilityService": {"status": "removed"},
                         "restart": {"status": "restarted"}},
            dr_ready=True,
        )
        for name, disks in ready.items()
    ] + [
        machine_entry(name=name, instance_id="i-0a11b22c33d44e559", private_ip="172.31.10.29", os="linux",
                      vm_size="Standard_D2s_v5")
        for name in not_ready
    ]  # fmt: skip
    return {
        "outputsVersion": version,
        "wave": "wave1",
        "architecture": "modernized",
        "location": "westeurope",
        "resourceGroupName": WAVE_RG,
        "networkId": WAVE_NETWORK_ID,
        "machines": machines,
    }


class WaveStackMocks(PlanMocks):
    """`PlanMocks` plus the wave's StackReference; records which stack names were referenced."""

    def __init__(self, outputs: dict[str, Any]) -> None:
        super().__init__()
        self.outputs = outputs
        self.referenced: list[str] = []

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if args.typ == "pulumi:pulumi:StackReference":
            self.referenced.append(args.inputs["name"])
            return args.inputs["name"], {"name": args.inputs["name"], "outputs": self.outputs, "secretOutputNames": []}
        return super().new_resource(args)


def run_dr(dr_config: dict[str, Any], outputs: dict[str, Any]) -> tuple[ProgramRun, WaveStackMocks]:
    """Run dr/__main__.py as `pulumi up` would (project migration-dr), against the mocked wave outputs."""
    mocks = WaveStackMocks(outputs)
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_all_config({"migration:dr": json.dumps(dr_config)}, [])
    set_root_resource(None)  # type: ignore[arg-type]
    pulumi.runtime.set_mocks(mocks, project="migration-dr", stack="wave1-dr", preview=False, monitor=monitor)
    SETTINGS.rpc_manager.clear()
    SETTINGS.outputs.clear()

    def program() -> None:
        runpy.run_path(str(DR_MAIN), run_name="__pulumi_main__")

    _sync_await(run_pulumi_func(program))
    stack = pulumi.runtime.get_root_resource()
    exported = dict(getattr(stack, "outputs", {}))
    values = {key: _sync_await(pulumi.Output.from_input(value).future()) for key, value in exported.items()}
    planned = sorted((r for r in monitor.planned if r.type != "pulumi:pulumi:StackReference"), key=lambda r: r.urn)
    return ProgramRun(planned, values, set()), mocks
