"""Naming: Azure's own limits (mandatory) and the organisation's convention (advisory)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from migration_facts import (  # beside this file: the facts the program imports too
    replication_policy_rule,
    resource_group_rule,
    storage_account_rule,
    subnet_rule,
    vault_rule,
    virtual_network_rule,
    vm_name_rule,
)
from pack_base import (
    PROTECTED_ITEM,
    REPLICATION_POLICY,
    RESOURCE_GROUP,
    STORAGE_ACCOUNT,
    SUBNET,
    VAULT,
    VIRTUAL_MACHINE,
    VIRTUAL_NETWORK,
    StackConfig,
    Wave,
    as_list,
    as_mapping,
    dig,
    policy_settings,
)
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)


@dataclass(frozen=True)
class _Name:
    kind: str  # key into the organisation convention's `patterns`
    path: str  # the input property, for the message
    value: str
    os: str = "linux"


def _vm_os(props: Mapping[str, Any]) -> str:
    if dig(props, "osProfile", "windowsConfiguration") is not None:
        return "windows"
    os_type = dig(props, "storageProfile", "osDisk", "osType")
    return "windows" if isinstance(os_type, str) and os_type.lower() == "windows" else "linux"


def _azure_names(resource_type: str, props: Mapping[str, Any], wave: Wave) -> list[_Name]:
    """The names a resource sets, by kind; names the provider generates (auto-naming) are absent."""
    single = {
        RESOURCE_GROUP: ("resourceGroup", "resourceGroupName"),
        STORAGE_ACCOUNT: ("storageAccount", "accountName"),
        VAULT: ("vault", "vaultName"),
        VIRTUAL_NETWORK: ("virtualNetwork", "virtualNetworkName"),
        SUBNET: ("subnet", "subnetName"),
        REPLICATION_POLICY: ("replicationPolicy", "policyName"),
    }
    found: list[tuple[str, str, Any, str]] = []  # kind, path, value, os
    if resource_type in single:
        kind, key = single[resource_type]
        found.append((kind, key, props.get(key), "linux"))
    if resource_type == VIRTUAL_NETWORK:
        for index, subnet in enumerate(as_list(props.get("subnets"))):
            found.append(("subnet", f"subnets[{index}].name", as_mapping(subnet).get("name"), "linux"))
    if resource_type == VIRTUAL_MACHINE:
        os = _vm_os(props)
        found.append(("virtualMachine", "vmName", props.get("vmName"), os))
        found.append(("computerName", "osProfile.computerName", dig(props, "osProfile", "computerName"), os))
    if resource_type == PROTECTED_ITEM:
        details = as_mapping(dig(props, "properties", "providerSpecificDetails"))
        for key in ("targetVmName", "targetAzureVmName"):  # InMageRcm, InMageAzureV2
            value = details.get(key)
            machine_os = wave.machine_os(value) if isinstance(value, str) else None
            found.append(("virtualMachine", f"properties.providerSpecificDetails.{key}", value, machine_os or "linux"))
    return [_Name(kind, path, value, os) for kind, path, value, os in found if isinstance(value, str)]


def _name_rule(name: _Name) -> str | None:
    rules: dict[str, Callable[[str], str | None]] = {
        "resourceGroup": resource_group_rule,
        "storageAccount": storage_account_rule,
        "vault": vault_rule,
        "virtualNetwork": virtual_network_rule,
        "subnet": subnet_rule,
        "replicationPolicy": replication_policy_rule,
    }
    if name.kind in ("virtualMachine", "computerName"):
        return vm_name_rule(name.value, name.os)
    return rules[name.kind](name.value)


CAF_PATTERNS = {
    "resourceGroup": "^rg-",
    "storageAccount": "^st",
    "vault": "^rsv-",
    "virtualNetwork": "^vnet-",
    "subnet": "^snet-",
}
"""Cloud Adoption Framework abbreviations (learn.microsoft.com: resource-abbreviations)."""

NAMING_CONVENTION_SCHEMA = PolicyConfigSchema(
    properties={
        "patterns": {
            "type": "object",
            "description": "Regular expression per kind (resourceGroup, storageAccount, vault, virtualNetwork, subnet,"
            " replicationPolicy, virtualMachine, computerName) that names must match; kinds not listed are free.",
            "additionalProperties": {"type": "string"},
            "default": CAF_PATTERNS,
        }
    }
)


def _azure_name_limits(stack_config: StackConfig) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        wave = Wave.read(stack_config) if args.resource_type == PROTECTED_ITEM else Wave({})
        for name in _azure_names(args.resource_type, args.props, wave):
            problem = _name_rule(name)
            if problem:
                report_violation(f"{name.path} {name.value!r} {problem}.", None)

    return validate


def _naming_convention(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    patterns = as_mapping(policy_settings(args, NAMING_CONVENTION_SCHEMA)["patterns"])
    for name in _azure_names(args.resource_type, args.props, Wave({})):
        pattern = patterns.get(name.kind)
        if isinstance(pattern, str) and not re.search(pattern, name.value):
            report_violation(
                f"{name.path} {name.value!r} does not match the organisation's {name.kind} pattern {pattern!r}"
                " (set the name in migration:wave, or the pattern in the pack config).",
                None,
            )


def naming_policies(stack_config: StackConfig) -> list[Policy]:
    """This family's policies, in the pack's order."""
    mandatory, advisory = EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY
    return [
        ResourceValidationPolicy(
            name="azure-name-limits",
            description="Azure names must meet Azure's own limits (resource group, storage account, vault, virtual"
            " network, subnet, replication policy, VM and Windows computer names); fix the name in migration:wave.",
            validate=_azure_name_limits(stack_config),
            enforcement_level=mandatory,
        ),
        ResourceValidationPolicy(
            name="org-naming-convention",
            description="Azure names should follow the organisation's naming convention (CAF prefixes by default:"
            " rg-, st, rsv-, vnet-, snet-); rename in migration:wave or set `patterns` in the pack config.",
            validate=_naming_convention,
            enforcement_level=advisory,
            config_schema=NAMING_CONVENTION_SCHEMA,
        ),
    ]
