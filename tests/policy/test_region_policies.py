"""Regions: allowed list, one Azure region per wave, appliance next to its machines, DR pairing."""

from __future__ import annotations

from typing import Any

import pytest

from migrate_tool.policy_check import PolicyNotApplicableError
from tests.policy.engine import check_resource, check_stack, stack_resource, urn, wave

INSTANCE = "aws:ec2/instance:Instance"
HOST = {
    "instanceType": "c5.2xlarge",
    "metadataOptions": {"httpTokens": "required", "httpEndpoint": "enabled"},
    "rootBlockDevice": {"volumeSize": 80, "encrypted": True, "volumeType": "gp3"},
}


def test_allowed_regions_accepts_listed_azure_regions_in_either_spelling() -> None:
    config = {"allowedAzureRegions": ["westeurope", "northeurope"]}
    for location in ("westeurope", "West Europe"):
        props = {"resourceGroupName": "rg-w1", "location": location}
        assert check_resource("allowed-regions", "azure-native:resources:ResourceGroup", props, config=config) == []


def test_allowed_regions_rejects_other_azure_regions() -> None:
    config = {"allowedAzureRegions": ["westeurope", "northeurope"]}
    props = {"vaultName": "rsv-w1", "location": "eastus", "sku": {"name": "RS0", "tier": "Standard"}}
    violations = check_resource("allowed-regions", "azure-native:recoveryservices:Vault", props, config=config)
    assert [v.message for v in violations] == [
        "location 'eastus' is not an allowed Azure region (northeurope, westeurope); change migration:wave.azure.location."
    ]


def test_allowed_regions_checks_the_aws_provider_region() -> None:
    config = {"allowedAwsRegions": ["eu-west-1"]}
    assert check_resource("allowed-regions", "pulumi:providers:aws", {"region": "eu-west-1"}, config=config) == []
    violations = check_resource("allowed-regions", "pulumi:providers:aws", {"region": "us-east-1"}, config=config)
    assert [v.message for v in violations] == ["region 'us-east-1' is not an allowed AWS region (eu-west-1)."]


def test_allowed_regions_unconfigured_allows_every_region() -> None:
    assert check_resource("allowed-regions", "azure-native:resources:ResourceGroup", {"location": "eastus"}) == []


def _landing_zone(storage_location: str) -> list:
    return [
        stack_resource(
            "azure-native:resources:ResourceGroup", "rg", {"resourceGroupName": "rg-w1", "location": "westeurope"}
        ),
        stack_resource(
            "azure-native:recoveryservices:Vault", "vault", {"vaultName": "rsv-w1", "location": "westeurope"}
        ),
        stack_resource(
            "azure-native:storage:StorageAccount", "cache", {"accountName": "stw1", "location": storage_location}
        ),
        stack_resource(
            "azure-native:network:VirtualNetwork", "net", {"virtualNetworkName": "vnet-w1", "location": "westeurope"}
        ),
        stack_resource("aws:ec2/instance:Instance", "host", HOST),
    ]


def test_wave_single_azure_region_passes_when_everything_shares_the_wave_region() -> None:
    stack_config = {"migration:wave": wave()}
    assert check_stack("wave-single-azure-region", _landing_zone("West Europe"), stack_config=stack_config) == []


def test_wave_single_azure_region_names_the_resource_in_another_region() -> None:
    stack_config = {"migration:wave": wave()}
    violations = check_stack("wave-single-azure-region", _landing_zone("northeurope"), stack_config=stack_config)
    assert len(violations) == 1
    assert violations[0].urn == urn("azure-native:storage:StorageAccount", "cache")
    assert violations[0].message.startswith(
        "azure-native:storage:StorageAccount 'cache' is in 'northeurope', but the wave's Azure resources are in"
        " 'westeurope' (migration:wave.azure.location)"
    )


def test_wave_single_azure_region_falls_back_to_the_vault_region_without_wave_config() -> None:
    violations = check_stack("wave-single-azure-region", _landing_zone("northeurope"))
    assert [v.urn for v in violations] == [urn("azure-native:storage:StorageAccount", "cache")]
    assert "(the vault)" in violations[0].message


def test_appliance_host_region_matches_the_wave_machines() -> None:
    stack_config = {"migration:wave": wave()}
    assert (
        check_resource(
            "appliance-host-region", INSTANCE, HOST, provider={"region": "eu-west-1"}, stack_config=stack_config
        )
        == []
    )
    violations = check_resource(
        "appliance-host-region", INSTANCE, HOST, provider={"region": "eu-central-1"}, stack_config=stack_config
    )
    assert [v.message for v in violations] == [
        "the appliance host is created in 'eu-central-1' but the wave's machines are in 'eu-west-1'"
        " (migration:wave.aws.region); the machines replicate through the appliance in their own region."
    ]


def test_appliance_host_region_uses_aws_region_config_for_the_default_provider() -> None:
    stack_config = {"migration:wave": wave(), "aws:region": "us-east-1"}
    violations = check_resource("appliance-host-region", INSTANCE, HOST, stack_config=stack_config)
    assert len(violations) == 1 and "created in 'us-east-1'" in violations[0].message
    unset = check_resource("appliance-host-region", INSTANCE, HOST, stack_config={"migration:wave": wave()})
    assert len(unset) == 1 and unset[0].message.startswith("the appliance host's AWS region is not set")


def _dr(location: str, primary: str | None = None) -> dict[str, object]:
    dr = {"location": location} | ({"primaryLocation": primary} if primary else {})
    return {"migration:wave": wave(), "migration:dr": dr}


def test_dr_region_differs() -> None:
    assert check_stack("dr-region-differs", [], stack_config=_dr("northeurope")) == []
    violations = check_stack("dr-region-differs", [], stack_config=_dr("westeurope"))
    assert [v.message for v in violations] == [
        "migration:dr.location 'westeurope' is the primary region; a regional outage would take both copies."
        " Choose another region, such as the pair 'northeurope'."
    ]


def test_dr_policies_are_not_applicable_on_a_migration_wave() -> None:
    for name in ("dr-region-differs", "dr-region-paired"):
        with pytest.raises(PolicyNotApplicableError):
            check_stack(name, [], stack_config={"migration:wave": wave()})


def test_dr_region_paired() -> None:
    assert check_stack("dr-region-paired", [], stack_config=_dr("northeurope")) == []
    # One-way pair: West US 3 recovers to East US.
    assert check_stack("dr-region-paired", [], stack_config=_dr("eastus", primary="westus3")) == []
    violations = check_stack("dr-region-paired", [], stack_config=_dr("swedencentral"))
    assert [v.message for v in violations] == [
        "migration:dr.location 'swedencentral' is not the Azure paired region of 'westeurope' (its pair is"
        " 'northeurope'); paired regions get sequential updates and prioritized recovery in a geography-wide outage."
    ]
    unpaired = check_stack("dr-region-paired", [], stack_config=_dr("westeurope", primary="italynorth"))
    assert len(unpaired) == 1 and "it has no paired region" in unpaired[0].message


FOUNDATION = {"name": "migration-weu", "azure": {"location": "westeurope"}, "aws": {"region": "eu-west-1"}}
ON_FOUNDATION = {"name": "wave2", "foundation": {"stack": "organization/migration/foundation"}, "machines": []}


def test_a_foundation_keeps_its_azure_resources_in_its_own_region() -> None:
    stack_config = {"migration:foundation": FOUNDATION}
    assert check_stack("wave-single-azure-region", _landing_zone("westeurope"), stack_config=stack_config) == []
    violations = check_stack("wave-single-azure-region", _landing_zone("northeurope"), stack_config=stack_config)
    assert [v.message for v in violations] == [
        "azure-native:storage:StorageAccount 'cache' is in 'northeurope', but the wave's Azure resources are in"
        " 'westeurope' (migration:foundation.azure.location); vault, storage account, networks and resource group"
        " must share one region."
    ]


def test_a_foundations_appliance_hosts_run_in_its_aws_region() -> None:
    stack_config = {"migration:foundation": FOUNDATION}
    on_region = check_resource(
        "appliance-host-region", INSTANCE, HOST, provider={"region": "eu-west-1"}, stack_config=stack_config
    )
    assert on_region == []
    elsewhere = check_resource(
        "appliance-host-region", INSTANCE, HOST, provider={"region": "us-east-1"}, stack_config=stack_config
    )
    assert [v.message for v in elsewhere] == [
        "the appliance host is created in 'us-east-1' but the wave's machines are in 'eu-west-1'"
        " (migration:foundation.aws.region); the machines replicate through the appliance in their own region."
    ]


def _item(machine: str, vault: str) -> Any:
    return stack_resource(
        "azure-native:recoveryservices:ReplicationProtectedItem",
        machine,
        {"resourceName": vault, "replicatedProtectedItemName": machine},
    )


def test_a_wave_on_a_foundation_declares_nothing_the_foundation_shares() -> None:
    stack_config = {"migration:wave": ON_FOUNDATION}
    items = [_item("web01", "rsv-migration-weu"), _item("db01", "rsv-migration-weu")]
    assert check_stack("wave-shares-its-foundation", items, stack_config=stack_config) == []
    violations = check_stack(
        "wave-shares-its-foundation", [*items, *_landing_zone("westeurope")], stack_config=stack_config
    )
    assert [v.urn for v in violations] == [
        urn("azure-native:resources:ResourceGroup", "rg"),
        urn("azure-native:recoveryservices:Vault", "vault"),
        urn("azure-native:storage:StorageAccount", "cache"),
        urn("azure-native:network:VirtualNetwork", "net"),
        urn("aws:ec2/instance:Instance", "host"),
    ]
    assert violations[1].message.startswith(
        "azure-native:recoveryservices:Vault 'vault' is declared by a wave on a foundation; the foundation declares"
    )
    split = check_stack(
        "wave-shares-its-foundation", [_item("web01", "rsv-a"), _item("db01", "rsv-b")], stack_config=stack_config
    )
    assert [v.message for v in split] == [
        "the wave's machines replicate into several vaults (rsv-a, rsv-b); a wave on a foundation replicates into"
        " the foundation's one vault."
    ]


def test_the_foundation_rule_does_not_apply_to_an_all_in_one_wave() -> None:
    with pytest.raises(PolicyNotApplicableError):
        check_stack("wave-shares-its-foundation", _landing_zone("westeurope"), stack_config={"migration:wave": wave()})
