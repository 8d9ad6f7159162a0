"""Naming: Azure's own limits (mandatory) and the organisation's convention (advisory)."""

from __future__ import annotations

import pytest

from tests.policy.engine import check_resource, wave

RG = "azure-native:resources:ResourceGroup"
SA = "azure-native:storage:StorageAccount"
VAULT = "azure-native:recoveryservices:Vault"
VNET = "azure-native:network:VirtualNetwork"
SUBNET = "azure-native:network:Subnet"
POLICY = "azure-native:recoveryservices:ReplicationPolicy"
VM = "azure-native:compute:VirtualMachine"
RPI = "azure-native:recoveryservices:ReplicationProtectedItem"


@pytest.mark.parametrize(
    ("resource_type", "props", "expected"),
    [
        (RG, {"resourceGroupName": "rg-migration-wave1-weu", "location": "westeurope"}, []),
        (
            RG,
            {"resourceGroupName": "migration.", "location": "westeurope"},
            ["resourceGroupName 'migration.' must be 1-90"],
        ),
        (SA, {"accountName": "stasrcachewave1weu"}, []),
        (
            SA,
            {"accountName": "AwsMigrated_2017"},
            ["accountName 'AwsMigrated_2017' must be 3-24 lowercase letters or digits"],
        ),
        (VAULT, {"vaultName": "rsv-migration-wave1"}, []),
        (
            VAULT,
            {"vaultName": "1vault"},
            ["vaultName '1vault' must be 2-50 letters, digits or hyphens and start with a letter"],
        ),
        (
            VNET,
            {"virtualNetworkName": "vnet-wave1", "subnets": [{"name": "snet-web", "addressPrefix": "10.0.1.0/24"}]},
            [],
        ),
        (
            VNET,
            {"virtualNetworkName": "vnet-wave1-", "subnets": [{"name": "snet web", "addressPrefix": "10.0.1.0/24"}]},
            ["virtualNetworkName 'vnet-wave1-' must be 2-64", "subnets[0].name 'snet web' must be 1-80"],
        ),
        (SUBNET, {"subnetName": "snet-data", "virtualNetworkName": "vnet-wave1"}, []),
        (SUBNET, {"subnetName": "-snet", "virtualNetworkName": "vnet-wave1"}, ["subnetName '-snet' must be 1-80"]),
        (POLICY, {"policyName": "policy-wave1-rcm"}, []),
        (POLICY, {"policyName": "policy_wave1"}, ["policyName 'policy_wave1' must be 1-64 letters, digits or hyphens"]),
    ],
)
def test_azure_name_limits(resource_type: str, props: dict, expected: list[str]) -> None:
    messages = [v.message for v in check_resource("azure-name-limits", resource_type, props)]
    assert len(messages) == len(expected), messages
    for message, start in zip(messages, expected, strict=True):
        assert message.startswith(start), message


def test_windows_vm_and_computer_names_are_limited_to_15_characters() -> None:
    windows = {
        "vmName": "orders-files-01a",
        "osProfile": {"computerName": "orders-files-01a", "windowsConfiguration": {}},
    }
    messages = [v.message for v in check_resource("azure-name-limits", VM, windows)]
    assert messages == [
        "vmName 'orders-files-01a' must be at most 15 characters for a windows machine (it becomes the computer name).",
        "osProfile.computerName 'orders-files-01a' must be at most 15 characters for a windows machine"
        " (it becomes the computer name).",
    ]
    linux = {"vmName": "orders-files-01a", "osProfile": {"computerName": "orders-files-01a", "linuxConfiguration": {}}}
    assert check_resource("azure-name-limits", VM, linux) == []


def test_protected_item_target_vm_name_uses_the_machine_os_from_the_wave() -> None:
    props = {
        "properties": {"providerSpecificDetails": {"instanceType": "InMageRcm", "targetVmName": "orders-fileserver01"}}
    }
    windows_wave = {"migration:wave": wave(machines=[{"name": "orders-fileserver01", "os": "windows"}])}
    linux_wave = {"migration:wave": wave(machines=[{"name": "orders-fileserver01", "os": "linux"}])}
    failing = check_resource("azure-name-limits", RPI, props, stack_config=windows_wave)
    assert [v.message for v in failing] == [
        "properties.providerSpecificDetails.targetVmName 'orders-fileserver01' must be at most 15 characters for a"
        " windows machine (it becomes the computer name)."
    ]
    assert check_resource("azure-name-limits", RPI, props, stack_config=linux_wave) == []


def test_auto_named_resources_are_not_judged_by_name() -> None:
    assert check_resource("azure-name-limits", SA, {"location": "westeurope"}) == []


def test_org_naming_convention_defaults_to_caf_prefixes() -> None:
    assert check_resource("org-naming-convention", RG, {"resourceGroupName": "rg-migration-wave1-weu"}) == []
    assert (
        check_resource(
            "org-naming-convention", VNET, {"virtualNetworkName": "vnet-w1", "subnets": [{"name": "snet-a"}]}
        )
        == []
    )
    violations = check_resource("org-naming-convention", VAULT, {"vaultName": "migrationVault"})
    assert [v.message for v in violations] == [
        "vaultName 'migrationVault' does not match the organisation's vault pattern '^rsv-' (set the name in"
        " migration:wave, or the pattern in the pack config)."
    ]


def test_org_naming_convention_patterns_are_configurable() -> None:
    config = {"patterns": {"storageAccount": "^contoso[a-z0-9]+$"}}
    assert check_resource("org-naming-convention", SA, {"accountName": "contosoasr01"}, config=config) == []
    failing = check_resource("org-naming-convention", SA, {"accountName": "stasrcache"}, config=config)
    assert len(failing) == 1 and "'^contoso[a-z0-9]+$'" in failing[0].message
    # Kinds the configured patterns leave out are free.
    assert check_resource("org-naming-convention", VAULT, {"vaultName": "migrationVault"}, config=config) == []
