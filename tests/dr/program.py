"""The DR program's test inputs: a wave's outputs (contract v2) to feed it.

The program runs through `migrate_tool.offline.dr_plan.run_dr`, the offline DR plan's own runner: the offline
engine's `PlanMocks` answers every resource, `WaveStackMocks` the StackReference (type
`pulumi:pulumi:StackReference`, answered `{"name", "outputs", "secretOutputNames"}`).
"""

from __future__ import annotations

from typing import Any

from components.contract import machine_entry
from migrate_tool.offline.dr_plan import WaveStackMocks, run_dr
from migrate_tool.offline.engine import OFFLINE_SUBSCRIPTION

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


__all__ = ["WAVE_NETWORK_ID", "WAVE_RG", "WAVE_STACK", "WaveStackMocks", "disk_id", "run_dr", "vm_id", "wave_outputs"]
