"""Replication as code under the mock engine: the whole graph, for both architectures."""

from __future__ import annotations

from typing import Any

import pytest

from migrate_tool.offline import engine
from migrate_tool.offline.engine import ProgramRun
from tests.program import of_type, one, run_wave
from tests.waves import wave

ITEM = "azure-native:recoveryservices:ReplicationProtectedItem"
POLICY = "azure-native:recoveryservices:ReplicationPolicy"
MAPPING = "azure-native:recoveryservices:ReplicationProtectionContainerMapping"
REGISTRATION = "pulumi-python:dynamic/asr:ApplianceRegistration"
ARM = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/migrationRG"


@pytest.fixture(scope="module")
def modernized() -> ProgramRun:
    raw = wave()
    raw["azure"]["network"]["subnets"].append({"name": "data", "prefix": "10.0.1.0/24"})
    raw["machines"][1]["subnet"] = "data"
    raw["machines"][1]["vmSize"] = "Standard_E4s_v5"
    return run_wave(raw)


@pytest.fixture(scope="module")
def classic() -> ProgramRun:
    return run_wave(wave(architecture="classic"))


def _by_name(run: ProgramRun, typ: str) -> dict[str, Any]:
    return {r.name: r for r in of_type(run, typ)}


def test_registration_waits_for_this_waves_appliance(modernized: ProgramRun) -> None:
    registration = one(modernized, REGISTRATION)
    appliance = one(modernized, "aws:ec2/instance:Instance")
    assert registration.inputs["appliance_ip"] == appliance.state["privateIp"], registration.urn
    assert (registration.inputs["vault_name"], registration.inputs["architecture"]) == ("myVault", "modernized")
    assert registration.inputs["timeout_minutes"] == 60


def test_modernized_policy_has_the_portal_defaults_and_is_mapped_to_the_appliances_container(
    modernized: ProgramRun,
) -> None:
    policy, mapping, registration = one(modernized, POLICY), one(modernized, MAPPING), one(modernized, REGISTRATION)
    assert policy.inputs["policyName"] == "myReplicationPolicy"
    assert policy.inputs["properties"]["providerSpecificInput"] == {
        "instanceType": "InMageRcm",
        "recoveryPointHistoryInMinutes": 4320,
        "crashConsistentFrequencyInMinutes": 5,
        "appConsistentFrequencyInMinutes": 0,
        "enableMultiVmSync": "True",
    }
    assert mapping.inputs["fabricName"] == registration.state["fabric_name"]
    assert mapping.inputs["protectionContainerName"] == registration.state["container_name"]
    assert mapping.inputs["properties"] == {"policyId": policy.id, "targetProtectionContainerId": "Microsoft Azure"}


def test_modernized_protects_every_machine_with_the_inmagercm_input(modernized: ProgramRun) -> None:
    items = _by_name(modernized, ITEM)
    assert set(items) == {"wave1-replication-web01", "wave1-replication-db01"}
    registration = one(modernized, REGISTRATION)
    discovered = one(modernized, "pulumi-python:dynamic/asr:DiscoveredMachines")
    db = items["wave1-replication-db01"]
    assert db.inputs["replicatedProtectedItemName"] == "db01"
    assert db.inputs["fabricName"] == registration.state["fabric_name"]
    assert db.inputs["properties"]["policyId"] == one(modernized, POLICY).id
    assert db.inputs["properties"]["providerSpecificDetails"] == {
        "instanceType": "InMageRcm",
        "fabricDiscoveryMachineId": discovered.state["machine_ids"]["db01"],
        "processServerId": registration.state["process_server_id"],
        "targetResourceGroupId": ARM,
        "targetNetworkId": f"{ARM}/providers/Microsoft.Network/virtualNetworks/myMigrationNetwork",
        "targetSubnetName": "data",
        "testNetworkId": f"{ARM}/providers/Microsoft.Network/virtualNetworks/myMigrationNetwork-test",
        "testSubnetName": "data",
        "targetVmName": "db01",
        "targetVmSize": "Standard_E4s_v5",
        "disksDefault": {
            "diskType": "Premium_LRS",  # an `s` size takes Premium SSD
            "logStorageAccountId": f"{ARM}/providers/Microsoft.Storage/storageAccounts/awsmigrated2017",
        },
        "linuxLicenseType": "NoLicenseType",
        "targetBootDiagnosticsStorageAccountId": f"{ARM}/providers/Microsoft.Storage/storageAccounts/awsmigrated2017",
        "targetVmTags": WAVE_TAGS,
        "targetManagedDiskTags": WAVE_TAGS,
        "targetNicTags": WAVE_TAGS,
    }
    web = items["wave1-replication-web01"].inputs["properties"]["providerSpecificDetails"]
    assert (web["targetSubnetName"], "targetVmSize" in web) == ("default", False)
    assert (web["disksDefault"]["diskType"], web["licenseType"]) == ("StandardSSD_LRS", "NoLicenseType")
    assert discovered.name == "wave1-replication-discovery"  # one lookup for the wave, not one per machine
    assert discovered.inputs["physical_site_id"] == registration.state["physical_site_id"]
    assert discovered.inputs["machines"] == {"web01": "172.31.10.11", "db01": "172.31.10.12"}
    assert set(discovered.dependencies) >= {registration.urn}


def test_classic_discovers_each_machine_then_enables_inmageazurev2(classic: ProgramRun) -> None:
    registration = one(classic, REGISTRATION)
    discovered = one(classic, "pulumi-python:dynamic/asr:ProtectableMachines")
    assert discovered.inputs["machines"] == {
        "web01": {"ip_address": "172.31.10.11", "os_type": "Windows"},
        "db01": {"ip_address": "172.31.10.12", "os_type": "Linux"},
    }
    web = _by_name(classic, ITEM)["wave1-replication-web01"]
    assert web.inputs["properties"]["protectableItemId"] == discovered.state["protectable_item_ids"]["web01"]
    assert web.inputs["properties"]["providerSpecificDetails"] == {
        "instanceType": "InMageAzureV2",
        "processServerId": registration.state["process_server_id"],
        "masterTargetId": registration.state["master_target_id"],
        "logStorageAccountId": f"{ARM}/providers/Microsoft.Storage/storageAccounts/awsmigrated2017",
        "targetAzureV2ResourceGroupId": ARM,
        "targetAzureNetworkId": f"{ARM}/providers/Microsoft.Network/virtualNetworks/myMigrationNetwork",
        "targetAzureSubnetId": "default",
        "targetAzureVmName": "web01",
        "diskType": "StandardSSD_LRS",  # no VM size given: Standard SSD, never the portal's Standard HDD
        "licenseType": "NoLicenseType",
        "targetVmTags": TAGS,
        "targetManagedDiskTags": TAGS,
        "targetNicTags": TAGS,
    }
    assert of_type(classic, "pulumi-python:dynamic/asr:DiscoveredMachines") == []


TAGS = {"owner": "platform-team", "costCenter": "4711", "migration-wave": "wave1", "managed-by": "pulumi-asr-migration"}
WAVE_TAGS = [{"tagName": k, "tagValue": v} for k, v in sorted(TAGS.items())]


def test_target_settings_reach_the_item_with_machine_over_wave_defaults() -> None:
    raw = wave()
    des = f"{ARM}/providers/Microsoft.Compute/diskEncryptionSets/des-wave1"
    raw["azure"]["targetDefaults"] = {"availabilityZone": 2, "diskEncryptionSetId": des, "bootDiagnostics": False}
    raw["machines"][0]["target"] = {"licenseType": "WindowsServer", "diskType": "Standard_LRS"}
    raw["machines"][1]["target"] = {"licenseType": "LinuxServer", "availabilityZone": 3}
    items = _by_name(run_wave(raw), ITEM)
    web = items["wave1-replication-web01"].inputs["properties"]["providerSpecificDetails"]
    db = items["wave1-replication-db01"].inputs["properties"]["providerSpecificDetails"]
    assert (web["licenseType"], web["disksDefault"]["diskType"], web["targetAvailabilityZone"]) == (
        "WindowsServer",
        "Standard_LRS",
        "2",
    )
    assert (db["linuxLicenseType"], db["targetAvailabilityZone"], "licenseType" in db) == ("LinuxServer", "3", False)
    assert web["disksDefault"]["diskEncryptionSetId"] == des == db["disksDefault"]["diskEncryptionSetId"]
    assert "targetBootDiagnosticsStorageAccountId" not in web


def test_classic_target_settings_use_the_inmageazurev2_fields() -> None:
    raw = wave(architecture="classic")
    raw["machines"][0]["target"] = {"licenseType": "WindowsServer", "availabilityZone": 1}
    web = _by_name(run_wave(raw), ITEM)["wave1-replication-web01"].inputs["properties"]["providerSpecificDetails"]
    assert (web["licenseType"], web["targetAvailabilityZone"], web["diskType"]) == (
        "WindowsServer",
        "1",
        "StandardSSD_LRS",
    )


def test_classic_policy_defaults(classic: ProgramRun) -> None:
    assert one(classic, POLICY).inputs["properties"]["providerSpecificInput"] == {
        "instanceType": "InMageAzureV2",
        "recoveryPointHistory": 1440,
        "crashConsistentFrequencyInMinutes": 5,
        "appConsistentFrequencyInMinutes": 60,
        "recoveryPointThresholdInMinutes": 60,
        "multiVmSyncStatus": "Enable",
    }


def test_policy_and_timeout_overrides_from_config() -> None:
    raw = wave()
    raw["azure"]["replicationPolicy"].update(
        {"recoveryPointHistoryMinutes": 1440, "appConsistentFrequencyMinutes": 240}
    )
    raw["azure"]["registrationTimeoutMinutes"] = 180
    run = run_wave(raw)
    provider_input = one(run, POLICY).inputs["properties"]["providerSpecificInput"]
    assert (provider_input["recoveryPointHistoryInMinutes"], provider_input["appConsistentFrequencyInMinutes"]) == (
        1440,
        240,
    )
    assert {r.inputs["timeout_minutes"] for r in of_type(run, REGISTRATION)} == {180}


def test_removing_a_machine_never_purges_and_retiring_unprotects(monkeypatch: pytest.MonkeyPatch) -> None:
    retained: dict[str, bool] = {}
    register = engine.RecordingMonitor.RegisterResource

    def recording(self: engine.RecordingMonitor, request: Any) -> Any:
        retained[request.name] = request.retainOnDelete
        return register(self, request)

    monkeypatch.setattr(engine.RecordingMonitor, "RegisterResource", recording)
    raw = wave()
    raw["machines"][1]["retire"] = True
    items = _by_name(run_wave(raw), ITEM)
    assert (items["wave1-replication-web01"].protect, items["wave1-replication-db01"].protect) == (True, False)
    assert retained["wave1-replication-web01"] and retained["wave1-replication-db01"], "delete would purge"


def test_children_sit_under_the_replication_component(modernized: ProgramRun) -> None:
    by_urn = {r.urn: r for r in modernized.resources}
    component = one(modernized, "migration:asr:WaveReplication")
    assert by_urn[component.parent_urn].type == "migration:index:MigrationWave"
    for typ in (ITEM, POLICY, MAPPING, REGISTRATION, "pulumi-python:dynamic/asr:DiscoveredMachines"):
        for resource in of_type(modernized, typ):
            assert resource.parent_urn == component.urn, resource.urn


def test_outputs_carry_each_machines_item_and_state(modernized: ProgramRun) -> None:
    items = _by_name(modernized, ITEM)
    registration = one(modernized, REGISTRATION)
    assert modernized.outputs["replication"] == {
        "fabricName": registration.state["fabric_name"],
        "containerName": registration.state["container_name"],
        "policyId": one(modernized, POLICY).id,
    }
    machines = {m["name"]: m for m in modernized.outputs["machines"]}
    assert machines["web01"]["protectedItemId"] == items["wave1-replication-web01"].id
    assert (machines["db01"]["protectionState"], machines["db01"]["replicationHealth"]) == (
        "offline-plan",
        "offline-plan",
    )


def test_from_cutover_the_item_is_unprotected_and_in_complete_it_is_no_longer_declared() -> None:
    raw = wave(lifecycle={"phase": "cutover"})
    raw["machines"][1]["phase"] = "complete"
    run = run_wave(raw)
    items = _by_name(run, ITEM)
    assert list(items) == ["wave1-replication-web01"], "a completed machine's item would come back after a refresh"
    assert items["wave1-replication-web01"].protect is False  # so that `complete` only forgets it (retained)
    machines = {m["name"]: m for m in run.outputs["machines"]}
    assert machines["db01"]["protectedItemId"] is None and machines["web01"]["protectedItemId"]


def test_an_existing_vault_is_used_where_it_is_and_never_declared() -> None:
    run = run_wave(wave(architecture="classic"))
    assert of_type(run, "azure-native:recoveryservices:Vault") == []
    setting = one(run, "pulumi-python:dynamic/asr:VaultSetting")
    assert (setting.inputs["resource_group_name"], setting.inputs["vault_name"]) == ("rg-classic-vault", "myVault")
    registration = one(run, "pulumi-python:dynamic/asr:ApplianceRegistration")
    assert registration.inputs["resource_group_name"] == "rg-classic-vault"
    for item in of_type(run, ITEM):
        assert item.inputs["resourceGroupName"] == "rg-classic-vault"
        # Replicas still land in the wave's own resource group.
        assert item.inputs["properties"]["providerSpecificDetails"]["targetAzureV2ResourceGroupId"].endswith(
            "/resourceGroups/migrationRG"
        )
    assert run.outputs["vaultId"].endswith(
        "/resourceGroups/rg-classic-vault/providers/Microsoft.RecoveryServices/vaults/myVault"
    )
