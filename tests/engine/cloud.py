"""What the world does around the dynamic resources, for the engine-faithful tests.

The azure-native and aws provider plugins cannot be built here, so their resources get the offline plan's
computed outputs (ARM ids, EC2 ids, private IPs), with the fake ARM server's subscription. Where a real provider
or a person would change what ASR shows, this module makes the same change in the fake:

* a `ReplicationProtectedItem` that azure-native creates appears in the vault (idle, protected, with its target
  VM settings and two recovery points), and a `ReplicationRecoveryPlan` appears with the program's groups;
* the appliance registers with the vault (classic: its user data; modernized: the operator in its configuration
  manager) while `ApplianceRegistration` waits, unless the test says it has not yet;
* each machine's Mobility agent registers with the appliance, so it is listed in the appliance's site, while the
  discovery waits;
* the VM a failover created runs in Azure, with its agent and the Mobility service, when it is prepared.

None of this pretends to be Azure for the dynamic resources: they run in the real plugin against the fake.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pulumi.runtime import mocks as pulumi_mocks

from migrate_tool.offline.engine import OFFLINE_SUBSCRIPTION, PlanMocks
from tests.fake_arm.compute import FakeCompute
from tests.fake_arm.server import SUBSCRIPTION
from tests.host_limits import HostLimitMocks

PROTECTED_ITEM = "azure-native:recoveryservices:ReplicationProtectedItem"
RECOVERY_PLAN = "azure-native:recoveryservices:ReplicationRecoveryPlan"
REGISTRATION = "pulumi-python:dynamic/asr:ApplianceRegistration"
SITE_MACHINES = "pulumi-python:dynamic/asr:DiscoveredMachines"
POST_MIGRATION = "pulumi-python:dynamic/asr:WavePostMigrationPrep"


@dataclass
class Cloud:
    fake: FakeCompute
    appliance_registers: bool = True
    agents_register: bool = True
    machine_ips: dict[str, str] = field(default_factory=dict)
    """machine name -> private IP, for the machines whose agents register (filled from the program's config)."""

    def __post_init__(self) -> None:
        self.mocks = HostLimitMocks()  # refuses what AWS and Azure refuse (tests/host_limits.py)

    def apply(self, typ: str, name: str, inputs: dict[str, Any], provider: str) -> tuple[str, dict[str, Any]]:
        """Create or update a non-dynamic resource: its outputs, and what it changes in the fake."""
        args = pulumi_mocks.MockResourceArgs(typ, name, inputs, provider, "", True, [])
        resource_id, state = self.mocks.new_resource(args)
        if typ.startswith("pulumi:providers:") and "region" in inputs:
            self.mocks.regions[provider or name] = inputs["region"]
        resource_id, state = json.loads(
            json.dumps([resource_id, state], default=str).replace(OFFLINE_SUBSCRIPTION, SUBSCRIPTION)
        )
        if typ == PROTECTED_ITEM:
            self._seed_item(inputs)
        if typ == RECOVERY_PLAN:
            self._seed_plan(inputs)
        return resource_id or "", state

    def before_dynamic(self, typ: str, inputs: dict[str, Any]) -> None:
        """What happens in the world while a dynamic resource waits for it."""
        if typ == REGISTRATION and self.appliance_registers and isinstance(inputs.get("appliance_ip"), str):
            vault_path = self.fake.vault_path(inputs["resource_group_name"], inputs["vault_name"])
            fabric = f"fabric-{inputs['vault_name']}"
            if self.fake.resource(f"{vault_path}/replicationFabrics/{fabric}") is None:
                self.fake.register_appliance(
                    fabric, f"container-{inputs['vault_name']}", inputs["architecture"], inputs["appliance_ip"],
                    vault_path=vault_path,
                )  # fmt: skip
            elif inputs["architecture"] == "modernized":
                self.fake.join_fabric(fabric, inputs["appliance_ip"], vault_path=vault_path)
        if typ == SITE_MACHINES and self.agents_register:
            for machine, ip in self.machine_ips.items():
                if self.fake.resource(f"{self.fake.site_path()}/machines/{machine}") is None:
                    self.fake.add_site_machine(machine, ip, machine)

        if typ == POST_MIGRATION and isinstance(inputs.get("machines"), dict):
            for machine, entry in inputs["machines"].items():
                vm_id = str(entry.get("vm_resource_id") or "")
                rg = vm_id.split("/resourceGroups/")[-1].split("/")[0] if "/resourceGroups/" in vm_id else ""
                if rg and f"{rg}/{machine}".lower() not in self.fake.vms:
                    self.fake.add_vm(machine, entry.get("os", "linux"), resource_group=rg)

    def _seed_item(self, inputs: dict[str, Any]) -> None:
        vault_path = self.fake.vault_path(inputs["resourceGroupName"], inputs["resourceName"])
        item = inputs["replicatedProtectedItemName"]
        path = (
            f"{vault_path}/replicationFabrics/{inputs['fabricName']}/replicationProtectionContainers/"
            f"{inputs['protectionContainerName']}/replicationProtectedItems/{item}"
        )
        if self.fake.resource(path) is not None:
            return
        specific = inputs["properties"]["providerSpecificDetails"]
        target_group = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{inputs['resourceGroupName']}"
        details = (
            {"instanceType": "InMageRcm", "targetVmName": item, "targetResourceGroupId": target_group,
             "processServerId": specific.get("processServerId"),
             "vmNics": [{"nicId": f"{item}-nic0", "isPrimaryNic": "true"}]}
            if specific["instanceType"] == "InMageRcm"
            else {
                "instanceType": "InMageAzureV2",
                "recoveryAzureVMName": item,
                "recoveryAzureResourceGroupId": target_group,
                "vmNics": [{"nicId": f"{item}-nic0", "ipConfigs": [{"name": "ipconfig1", "isPrimary": True}]}],
            }
        )  # fmt: skip
        self.fake.put_resource(
            path,
            {
                "friendlyName": item,
                "activeLocation": "Primary",
                "allowedOperations": ["PlannedFailover", "UnplannedFailover", "DisableProtection", "TestFailover"],
                "currentScenario": self.fake._no_scenario(),
                "protectionState": "Protected",
                "replicationHealth": "Normal",
                "testFailoverState": "None",
                "providerSpecificDetails": details,
            },
        )
        for point, when, kind in (
            ("rp-crash", "2026-05-01T10:00:00Z", "CrashConsistent"),
            ("rp-app", "2026-05-01T09:00:00Z", "AppConsistent"),
        ):
            self.fake.put_resource(
                f"{path}/recoveryPoints/{point}", {"recoveryPointTime": when, "recoveryPointType": kind}
            )

    def _seed_plan(self, inputs: dict[str, Any]) -> None:
        vault_path = self.fake.vault_path(inputs["resourceGroupName"], inputs["resourceName"])
        path = f"{vault_path}/replicationRecoveryPlans/{inputs['recoveryPlanName']}"
        if self.fake.resource(path) is not None:
            return
        properties = inputs["properties"]
        self.fake.put_resource(
            path,
            {
                "friendlyName": inputs["recoveryPlanName"],
                "recoveryFabricId": properties["recoveryFabricId"],
                "allowedOperations": ["TestFailover", "UnplannedFailover"],
                "currentScenario": self.fake._no_scenario(),
                "groups": properties["groups"],
            },
        )


class FakeSubscriptionMocks(PlanMocks):
    """The offline plan's answers to invokes, in the fake's subscription (as `Cloud.apply` does for resources)."""

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        answer, failures = super().call(args)
        return json.loads(json.dumps(answer).replace(OFFLINE_SUBSCRIPTION, SUBSCRIPTION)), failures
