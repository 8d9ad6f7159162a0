"""The DR program under the mock engine: what it protects, with which properties, and how it refuses."""

from __future__ import annotations

from typing import Any

import pytest

from migrate_tool.offline.engine import PlannedResource, ProgramRun
from migrate_tool.policy_check import evaluate, resources_from_plan
from tests.dr.program import WAVE_NETWORK_ID, WAVE_STACK, disk_id, run_dr, vm_id, wave_outputs

DR_CONFIG: dict[str, Any] = {
    "waveStack": WAVE_STACK,
    "primaryLocation": "westeurope",
    "location": "northeurope",
    "network": {"addressSpace": ["10.120.0.0/16"], "subnetName": "snet-dr", "subnetPrefix": "10.120.1.0/24"},
}
ITEM = "azure-native:recoveryservices:ReplicationProtectedItem"


def _of_type(run: ProgramRun, typ: str) -> list[PlannedResource]:
    return [r for r in run.resources if r.type == typ]


def _one(run: ProgramRun, typ: str) -> PlannedResource:
    [found] = _of_type(run, typ)
    return found


@pytest.fixture(scope="module")
def partly_ready() -> tuple[ProgramRun, Any]:
    """A wave of four machines, two of them prepared (drReady), two not yet."""
    return run_dr(DR_CONFIG, wave_outputs({"orders-web01": 1, "orders-db01": 2}, ("orders-api01", "orders-files01")))


def test_protects_exactly_the_ready_machines(partly_ready: tuple[ProgramRun, Any]) -> None:
    run, mocks = partly_ready
    assert mocks.referenced == [WAVE_STACK]
    items = {r.inputs["replicatedProtectedItemName"]: r for r in _of_type(run, ITEM)}
    assert sorted(items) == ["orders-db01", "orders-web01"]
    assert run.outputs["protectedMachines"] == ["orders-web01", "orders-db01"]
    assert run.outputs["notReadyMachines"] == ["orders-api01", "orders-files01"]

    db = items["orders-db01"]
    a2a = db.inputs["properties"]["providerSpecificDetails"]
    vault = _one(run, "azure-native:recoveryservices:Vault")
    group = _one(run, "azure-native:resources:ResourceGroup")
    cache = _one(run, "azure-native:storage:StorageAccount")
    network = _one(run, "azure-native:network:VirtualNetwork")
    policy = _one(run, "azure-native:recoveryservices:ReplicationPolicy")
    assert (db.inputs["fabricName"], db.inputs["protectionContainerName"]) == (
        "asr-a2a-westeurope",
        "asr-a2a-westeurope-container",
    ), db.urn
    assert db.inputs["properties"]["policyId"] == policy.id, db.urn
    assert a2a["instanceType"] == "A2A" and a2a["fabricObjectId"] == vm_id("orders-db01"), db.urn
    assert a2a["recoveryContainerId"] == (
        f"{vault.id}/replicationFabrics/asr-a2a-northeurope/replicationProtectionContainers/"
        "asr-a2a-northeurope-container"
    ), db.urn
    assert (a2a["recoveryResourceGroupId"], a2a["recoveryAzureNetworkId"], a2a["recoverySubnetName"]) == (
        group.id,
        network.id,
        "snet-dr",
    ), db.urn
    assert a2a["vmManagedDisks"] == [
        {"diskId": disk_id(name), "primaryStagingAzureStorageAccountId": cache.id, "recoveryResourceGroupId": group.id}
        for name in ("orders-db01-osdisk", "orders-db01-data0", "orders-db01-data1")
    ], db.urn


def test_dr_side_in_the_second_region_cache_in_the_source_region(partly_ready: tuple[ProgramRun, Any]) -> None:
    run, _ = partly_ready
    for typ in ("azure-native:resources:ResourceGroup", "azure-native:recoveryservices:Vault",
                "azure-native:network:VirtualNetwork"):  # fmt: skip
        resource = _one(run, typ)
        assert resource.inputs["location"] == "northeurope", resource.urn
    vault = _one(run, "azure-native:recoveryservices:Vault")
    assert vault.protect and vault.inputs["vaultName"] == "rsv-wave1-dr-northeurope", vault.urn
    cache = _one(run, "azure-native:storage:StorageAccount")
    assert (cache.inputs["location"], cache.inputs["accountName"], cache.inputs["sku"]) == (
        "westeurope",
        "stwave1cache",
        {"name": "Standard_LRS"},
    ), cache.urn
    assert (
        cache.inputs["enableHttpsTrafficOnly"],
        cache.inputs["minimumTlsVersion"],
        cache.inputs["allowBlobPublicAccess"],
    ) == (True, "TLS1_2", False), cache.urn
    assert run.outputs["primaryLocation"] == "westeurope" and run.outputs["location"] == "northeurope"


def test_fabrics_containers_policy_and_mappings(partly_ready: tuple[ProgramRun, Any]) -> None:
    run, _ = partly_ready
    fabrics = {
        r.inputs["fabricName"]: r.inputs["properties"]["customDetails"]
        for r in _of_type(run, "azure-native:recoveryservices:ReplicationFabric")
    }
    assert fabrics == {
        "asr-a2a-westeurope": {"instanceType": "Azure", "location": "westeurope"},
        "asr-a2a-northeurope": {"instanceType": "Azure", "location": "northeurope"},
    }
    containers = sorted(
        (r.inputs["fabric_name"], r.inputs["container_name"])
        for r in _of_type(run, "pulumi-python:dynamic/asr:A2AProtectionContainer")
    )
    assert containers == [
        ("asr-a2a-northeurope", "asr-a2a-northeurope-container"),
        ("asr-a2a-westeurope", "asr-a2a-westeurope-container"),
    ]
    policy = _one(run, "azure-native:recoveryservices:ReplicationPolicy")
    assert policy.inputs["policyName"] == "policy-wave1-a2a"
    assert policy.inputs["properties"]["providerSpecificInput"] == {
        "instanceType": "A2A",
        "recoveryPointHistory": 1440,
        "appConsistentFrequencyInMinutes": 240,
        "multiVmSyncStatus": "Disable",
    }, policy.urn
    mapping = _one(run, "azure-native:recoveryservices:ReplicationProtectionContainerMapping")
    assert (
        mapping.inputs["fabricName"] == "asr-a2a-westeurope" and mapping.inputs["properties"]["policyId"] == policy.id
    )
    assert mapping.inputs["properties"]["targetProtectionContainerId"].endswith(
        "/replicationFabrics/asr-a2a-northeurope/replicationProtectionContainers/asr-a2a-northeurope-container"
    ), mapping.urn
    network_mapping = _one(run, "azure-native:recoveryservices:ReplicationNetworkMapping")
    network = _one(run, "azure-native:network:VirtualNetwork")
    assert (network_mapping.inputs["fabricName"], network_mapping.inputs["networkName"]) == (
        "asr-a2a-westeurope",
        "azureNetwork",
    )
    assert network_mapping.inputs["properties"] == {
        "recoveryNetworkId": network.id,
        "recoveryFabricName": "asr-a2a-northeurope",
        "fabricSpecificDetails": {"instanceType": "AzureToAzure", "primaryNetworkId": WAVE_NETWORK_ID},
    }, network_mapping.urn


def test_policy_pack_dr_rules_apply_and_pass(partly_ready: tuple[ProgramRun, Any]) -> None:
    run, _ = partly_ready
    verdicts = evaluate(resources_from_plan(run.resources), {"migration:dr": DR_CONFIG})
    by_policy = {v.policy_name for v in verdicts}
    assert not by_policy & {
        "dr-region-differs",
        "dr-region-paired",
        "storage-https-only",
        "storage-minimum-tls",
        "storage-no-public-blob-access",
        "azure-name-limits",
        "vault-soft-delete-enabled",
    }, verdicts
    same_region = evaluate(
        resources_from_plan(run.resources), {"migration:dr": {**DR_CONFIG, "location": "westeurope"}}
    )
    assert any(v.policy_name == "dr-region-differs" and v.enforcement_level == "mandatory" for v in same_region)


def test_policy_pack_has_no_mandatory_violation_on_a_dr_plan(partly_ready: tuple[ProgramRun, Any]) -> None:
    run, _ = partly_ready
    verdicts = evaluate(resources_from_plan(run.resources), {"migration:dr": DR_CONFIG})
    assert [v for v in verdicts if v.enforcement_level == "mandatory"] == []


def test_location_defaults_to_the_paired_region() -> None:
    config = {key: value for key, value in DR_CONFIG.items() if key not in ("primaryLocation", "location")}
    run, _ = run_dr(config, wave_outputs({"orders-web01": 0}))
    assert run.outputs["location"] == "northeurope"
    assert _one(run, "azure-native:recoveryservices:Vault").inputs["location"] == "northeurope"


def test_unknown_outputs_version_stops_with_what_to_do() -> None:
    with pytest.raises(Exception) as raised:
        run_dr(DR_CONFIG, wave_outputs({"orders-web01": 0}, version=1))
    assert (
        f"wave stack {WAVE_STACK}: outputsVersion 1 is not supported; this DR stack reads contract version(s) 2."
        " Run `pulumi up` on the wave with a program that exports version 2"
    ) in str(raised.value)


def test_wave_without_ready_machines_protects_nothing_yet() -> None:
    run, _ = run_dr(DR_CONFIG, wave_outputs({}, ("orders-web01",)))
    assert _of_type(run, ITEM) == []
    assert run.outputs["notReadyMachines"] == ["orders-web01"]
    assert len(_of_type(run, "azure-native:recoveryservices:ReplicationFabric")) == 2  # ready for the next run


def test_primary_location_must_match_the_wave() -> None:
    with pytest.raises(Exception) as raised:
        run_dr({**DR_CONFIG, "primaryLocation": "eastus"}, wave_outputs({"orders-web01": 0}))
    assert (
        f"migration:dr.primaryLocation: 'eastus' must be the wave's region: wave stack {WAVE_STACK} is in 'westeurope'"
    ) in str(raised.value)
