"""The whole program under the mock engine: which Azure resources, with which properties, under which component."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest
from pulumi.runtime.rpc import is_rpc_secret

from tests.program import of_type, one, run_wave
from tests.waves import SECRETS, wave

ARM = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/migrationRG/providers"


@pytest.fixture(scope="module")
def modernized():  # one run shared by the read-only assertions below
    return run_wave(wave())


def test_resource_group_is_in_the_wave_region_tagged_and_protected(modernized) -> None:
    group = one(modernized, "azure-native:resources:ResourceGroup")
    assert (group.inputs["resourceGroupName"], group.inputs["location"]) == ("migrationRG", "westeurope")
    assert group.inputs["tags"] == {
        "owner": "platform-team",
        "costCenter": "4711",
        "migration-wave": "wave1",
        "managed-by": "pulumi-asr-migration",
    }
    assert group.protect, group.urn


def test_storage_account_is_the_seeds_ragrs_account_locked_down(modernized) -> None:
    account = one(modernized, "azure-native:storage:StorageAccount")
    expected = {
        "accountName": "awsmigrated2017",
        "resourceGroupName": "migrationRG",
        "location": "westeurope",
        "kind": "StorageV2",
        "sku": {"name": "Standard_RAGRS"},
        "enableHttpsTrafficOnly": True,
        "minimumTlsVersion": "TLS1_2",
        "allowBlobPublicAccess": False,
    }
    assert {k: account.inputs.get(k) for k in expected} == expected, account.urn


def test_storage_sku_is_configurable() -> None:
    raw = wave()
    raw["azure"]["storageSku"] = "Standard_LRS"
    run = run_wave(raw)
    assert one(run, "azure-native:storage:StorageAccount").inputs["sku"] == {"name": "Standard_LRS"}


def test_target_and_isolated_test_networks_mirror_each_other(modernized) -> None:
    networks = {n.inputs["virtualNetworkName"]: n for n in of_type(modernized, "azure-native:network:VirtualNetwork")}
    assert set(networks) == {"myMigrationNetwork", "myMigrationNetwork-test"}
    target, test = networks["myMigrationNetwork"], networks["myMigrationNetwork-test"]
    for vnet in (target, test):
        assert vnet.inputs["location"] == "westeurope"
        assert vnet.inputs["addressSpace"] == {"addressPrefixes": ["10.0.0.0/16"]}
        assert [(s["name"], s["addressPrefix"]) for s in vnet.inputs["subnets"]] == [("default", "10.0.0.0/24")]
        assert "virtualNetworkPeerings" not in vnet.inputs, f"{vnet.urn} must not be peered"
    assert test.inputs["tags"]["purpose"] == "test-failover"
    assert "purpose" not in target.inputs["tags"]


def test_vault_has_soft_delete_on_standard_sku_and_is_protected(modernized) -> None:
    vault = one(modernized, "azure-native:recoveryservices:Vault")
    assert (vault.inputs["vaultName"], vault.inputs["location"]) == ("myVault", "westeurope")
    assert vault.inputs["sku"] == {"name": "RS0", "tier": "Standard"}
    assert vault.inputs["properties"]["securitySettings"]["softDeleteSettings"]["softDeleteState"] == "Enabled"
    assert vault.protect, vault.urn


@pytest.mark.parametrize("architecture", ["modernized", "classic"])
def test_vault_setting_selects_the_architecture(architecture: str) -> None:
    run = run_wave(wave(architecture=architecture))
    setting = one(run, "pulumi-python:dynamic/asr:VaultSetting")
    assert setting.inputs["architecture"] == architecture
    assert setting.inputs["vault_name"] == "myVault"


def test_every_azure_resource_is_in_the_wave_region(modernized) -> None:
    located = [r for r in modernized.resources if r.type.startswith("azure-native:") and "location" in r.inputs]
    assert len(located) == 5
    assert {r.inputs["location"] for r in located} == {"westeurope"}


def test_components_parent_their_children(modernized) -> None:
    by_urn = {r.urn: r for r in modernized.resources}
    wave_component = one(modernized, "migration:index:MigrationWave")
    parents = {r.type: by_urn[r.parent_urn].type for r in modernized.resources if r.parent_urn in by_urn}
    assert parents["azure-native:resources:ResourceGroup"] == "migration:azure:LandingZone"
    assert parents["azure-native:storage:StorageAccount"] == "migration:azure:LandingZone"
    assert parents["azure-native:network:VirtualNetwork"] == "migration:azure:LandingZone"
    assert parents["azure-native:recoveryservices:Vault"] == "migration:azure:RecoveryVault"
    assert parents["migration:aws:ApplianceHost"] == "migration:index:MigrationWave"
    assert parents["aws:ec2/instance:Instance"] == "migration:aws:ApplianceHost"
    assert parents["migration:asr:WaveReplication"] == "migration:index:MigrationWave"
    assert parents["azure-native:recoveryservices:ReplicationProtectedItem"] == "migration:asr:WaveReplication"
    orphans = [r.urn for r in modernized.resources if r is not wave_component and r.parent_urn not in by_urn]
    assert orphans == [], "every resource must sit under the wave component"


def test_aws_resources_use_the_wave_region_provider(modernized) -> None:
    provider = one(modernized, "pulumi:providers:aws")
    assert provider.inputs["region"] == "eu-west-1"
    aws_resources = [r for r in modernized.resources if r.type.startswith("aws:")]
    assert aws_resources and {r.provider for r in aws_resources} == {provider.urn}


def test_stack_outputs_follow_the_contract(modernized) -> None:
    outputs = modernized.outputs
    assert outputs["outputsVersion"] == 2
    assert outputs["location"] == "westeurope"
    assert (outputs["wave"], outputs["architecture"]) == ("wave1", "modernized")
    assert outputs["resourceGroupName"] == "migrationRG"
    assert (
        outputs["resourceGroupId"] == "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/migrationRG"
    )
    assert outputs["vaultName"] == "myVault"
    assert outputs["vaultId"] == f"{ARM}/Microsoft.RecoveryServices/vaults/myVault"
    assert outputs["storageAccountId"] == f"{ARM}/Microsoft.Storage/storageAccounts/awsmigrated2017"
    assert outputs["networkId"] == f"{ARM}/Microsoft.Network/virtualNetworks/myMigrationNetwork"
    assert outputs["subnetIds"] == {
        "default": f"{ARM}/Microsoft.Network/virtualNetworks/myMigrationNetwork/subnets/default"
    }
    assert outputs["testNetworkId"] == f"{ARM}/Microsoft.Network/virtualNetworks/myMigrationNetwork-test"
    instance = one(modernized, "aws:ec2/instance:Instance")
    assert outputs["applianceInstanceId"] == instance.id and instance.id.startswith("i-")
    assert outputs["appliancePrivateIp"] == instance.state["privateIp"]
    items = {
        r.inputs["replicatedProtectedItemName"]: r
        for r in of_type(modernized, "azure-native:recoveryservices:ReplicationProtectedItem")
    }
    # Replicating, not migrated yet: no VM id, no preparation, not DR-ready (contract v2).
    state: dict[str, Any] = {
        "sourceType": "physical",
        "vmResourceId": None,
        "managedDiskIds": [],
        "preparation": None,
        "drReady": False,
        "protectionState": "offline-plan",
        "replicationHealth": "offline-plan",
    }
    assert outputs["machines"] == [
        {
            "name": "web01",
            "instanceId": "i-0123456789abcdef0",
            "privateIp": "172.31.10.11",
            "os": "windows",
            "vmSize": None,
            "protectedItemId": items["web01"].id,
            **state,
        },
        {
            "name": "db01",
            "instanceId": "i-0fedcba9876543210",
            "privateIp": "172.31.10.12",
            "os": "linux",
            "vmSize": None,
            "protectedItemId": items["db01"].id,
            **state,
        },
    ]
    registration = one(modernized, "pulumi-python:dynamic/asr:ApplianceRegistration")
    assert outputs["replication"] == {
        "fabricName": registration.state["fabric_name"],
        "containerName": registration.state["container_name"],
        "policyId": f"{ARM}/Microsoft.RecoveryServices/vaults/myVault/replicationPolicies/myReplicationPolicy",
    }
    # The one secret output: the appliance's passphrase, which a wave on this one as its foundation reads.
    assert modernized.secret_outputs == {"appliancePassphrases"}
    assert (
        outputs["foundation"]["appliances"]["asr-appliance-01"]["processServerId"]
        == registration.state["process_server_id"]
    )


def _plain(value: object) -> object:
    """Inputs with every engine-marked secret removed: what a reader of state or a plan would see."""
    if is_rpc_secret(value):
        return None
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@pytest.mark.parametrize("architecture", ["modernized", "classic"])
def test_no_secret_value_appears_outside_secret_marked_values(architecture: str) -> None:
    run = run_wave(wave(architecture=architecture))
    shown = {k: v for k, v in run.outputs.items() if k not in run.secret_outputs}  # the engine encrypts the rest
    visible = json.dumps([(_plain(r.inputs), _plain(r.state)) for r in run.resources], default=str) + json.dumps(
        shown, default=str
    )
    for key, value in SECRETS.items():
        assert value not in visible, f"{key} leaked in plain text"


def test_missing_secrets_stop_the_program_naming_each_key() -> None:
    with pytest.raises(pulumi.RunError) as caught:
        run_wave(wave(architecture="classic"), secrets={"migration:vaultRegistrationKey": "k"})
    message = str(caught.value)
    assert "3 problem(s)" in message
    for key in ("appliancePassphrase", "mysqlRootPassword", "mysqlUserPassword"):
        assert (
            f"migration:{key}: (missing) is required for the classic architecture; set it with `pulumi config set --secret migration:{key} <value>`"
            in message
        )


def test_bad_config_stops_the_program_with_every_problem() -> None:
    raw = wave()
    raw["azure"]["storageAccount"] = "Bad_Name"
    raw["machines"][0]["os"] = "beos"
    with pytest.raises(pulumi.RunError) as caught:
        run_wave(raw)
    assert "2 problem(s) in stack config 'migration:wave'" in str(caught.value)
    assert "migration:wave.azure.storageAccount: 'Bad_Name' must be 3-24 lowercase letters or digits" in str(
        caught.value
    )


def test_sources_are_prepared_through_ssm_for_the_modernized_wave() -> None:
    raw = wave()
    raw["aws"]["mobilityInstallerS3Uri"] = "s3://agents-bucket/asr/"
    raw["machines"][0]["localAccount"] = True
    run = run_wave(raw)
    associations = {a.inputs["associationName"]: a for a in of_type(run, "aws:ssm/association:Association")}
    assert set(associations) == {"migration-wave1-local-account-policy", "migration-wave1-mobility-agent"}
    local = associations["migration-wave1-local-account-policy"]
    assert local.inputs["targets"] == [{"key": "InstanceIds", "values": ["i-0123456789abcdef0"]}]
    mobility = associations["migration-wave1-mobility-agent"]
    assert mobility.inputs["targets"] == [{"key": "tag:migration-wave", "values": ["wave1"]}]
    assert mobility.inputs["parameters"]["ApplianceIp"] == one(run, "aws:ec2/instance:Instance").state["privateIp"]
    tags = {t.inputs["resourceId"]: t.inputs["value"] for t in of_type(run, "aws:ec2/tag:Tag")}
    assert tags == {"i-0123456789abcdef0": "wave1", "i-0fedcba9876543210": "wave1"}
    assert run.outputs["sourcePreparation"] == {
        "web01": ["wave-tag", "appliance-access", "local-account-policy", "mobility-agent"],
        "db01": ["wave-tag", "appliance-access", "mobility-agent"],
    }


def test_classic_waves_install_the_agent_through_ssm_never_by_push() -> None:
    raw = wave(architecture="classic")
    run = run_wave(raw)
    [mobility] = [
        a for a in of_type(run, "aws:ssm/association:Association") if "mobility" in a.inputs["associationName"]
    ]
    assert mobility.inputs["parameters"]["CsType"] == "CSLegacy"
    assert mobility.inputs["parameters"]["InstallerS3Uri"] == raw["aws"]["mobilityInstallerS3Uri"]
    for item in of_type(run, "azure-native:recoveryservices:ReplicationProtectedItem"):
        assert "runAsAccountId" not in item.inputs["properties"]["providerSpecificDetails"]  # no push install account
    # Without an operator's bucket, the configuration server publishes its installers to the wave bucket.
    del raw["aws"]["mobilityInstallerS3Uri"]
    run = run_wave(raw)
    bucket = one(run, "aws:s3/bucket:Bucket").state["bucket"]
    [mobility] = [
        a for a in of_type(run, "aws:ssm/association:Association") if "mobility" in a.inputs["associationName"]
    ]
    assert mobility.inputs["parameters"]["InstallerS3Uri"] == f"s3://{bucket}/agents/"
    user_data = one(run, "aws:ec2/instance:Instance").inputs["userData"]
    assert f"$AgentBucket = '{bucket}'" in user_data
    assert "$AgentFolder = 'E:\\home\\svsystems\\pushinstallsvc\\repository'" in user_data


def test_a_completed_machine_is_completed_then_prepared_for_dr_and_the_others_are_not() -> None:
    raw = wave()
    raw["machines"][1]["phase"] = "complete"
    raw["machines"][1]["skipTestFailover"] = "database verified by the DBA team on the test copy"
    run = run_wave(raw)
    complete = one(run, "pulumi-python:dynamic/asr:WaveCompleteMigration")
    prep = one(run, "pulumi-python:dynamic/asr:WavePostMigrationPrep")
    assert list(complete.inputs["machines"]) == ["db01"]
    assert list(prep.inputs["machines"]) == ["db01"]
    assert (prep.inputs["machines"]["db01"]["os"], prep.inputs["machines"]["db01"]["source_type"]) == (
        "linux",
        "physical",
    )
    assert complete.urn in prep.dependencies  # prepared only after its migration completed
    failover = one(run, "pulumi-python:dynamic/asr:WaveFailover")
    assert list(failover.inputs["machines"]) == ["db01"] and failover.urn in complete.dependencies
    web01 = next(m for m in run.outputs["machines"] if m["name"] == "web01")
    assert web01["preparation"] is None and web01["drReady"] is False and web01["vmResourceId"] is None
