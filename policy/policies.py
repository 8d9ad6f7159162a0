"""The migration guard rails: CrossGuard validators for the wave stacks, built by `build_policies`.

Every validator compares exact type tokens and the camelCase input names the engine hands over.
The pack is self-contained (it only needs `pulumi-policy`), so it can also be published to Pulumi
Cloud and enforced through a policy group; what it shares with the program (Azure naming rules, region
pairs, type tokens, result words) lives beside it in `migration_facts.py`, which the program imports.

Stack config. `ResourceValidationArgs` and `StackValidationArgs` (pulumi-policy 1.21.0) carry the
policy's own config and the stack tags, not the stack's config. The CLI does hand the stack's config
to the policy pack process in `PULUMI_CONFIG` (read through `pulumi.runtime.get_config`), which is
what `pulumi_stack_config` returns. The offline plan passes its own reader instead (see
`migrate_tool/policy_check.py`), so the same validators run in both places.

Keys read (planned keys marked; their shape is documented in docs/policy.md):
- `migration:wave`: `azure.location`, `aws.region`, `architecture`, `machines[].name/os`;
  planned: `lifecycle.phase`, `machines[].phase`, `machines[].skipTestFailover`.
- planned: `migration:dr` (`{primaryLocation?, location}`) marks a DR stack.
- `aws:region`: the default AWS provider's region, when a resource has no explicit provider.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
from migration_facts import (  # beside this file: the facts the program imports too
    ASR_DYNAMIC_PREFIX,
    AZURE_REGION_PAIRS,
    DONE_RESULTS,
    PLAN_TEST_FAILOVER,
    PLAN_TEST_FAILOVER_CLEANUP,
    VAULT_SETTING,
    WAVE_TEST_FAILOVER,
    WAVE_TEST_FAILOVER_CLEANUP,
    replication_policy_rule,
    resource_group_rule,
    storage_account_rule,
    subnet_rule,
    vault_rule,
    virtual_network_rule,
    vm_name_rule,
)
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

StackConfig = Callable[[str], object]
"""Full config key (`migration:wave`) -> parsed value, or None when the stack does not set it."""

WAVE_KEY = "migration:wave"
DR_KEY = "migration:dr"
AWS_REGION_KEY = "aws:region"

# Type tokens, exactly as the engine reports them.
RESOURCE_GROUP = "azure-native:resources:ResourceGroup"
STORAGE_ACCOUNT = "azure-native:storage:StorageAccount"
VIRTUAL_NETWORK = "azure-native:network:VirtualNetwork"
SUBNET = "azure-native:network:Subnet"
VAULT = "azure-native:recoveryservices:Vault"
REPLICATION_POLICY = "azure-native:recoveryservices:ReplicationPolicy"
PROTECTED_ITEM = "azure-native:recoveryservices:ReplicationProtectedItem"
VIRTUAL_MACHINE = "azure-native:compute:VirtualMachine"
AWS_PROVIDER = "pulumi:providers:aws"
EC2_INSTANCE = "aws:ec2/instance:Instance"
EBS_VOLUME = "aws:ebs/volume:Volume"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SECURITY_GROUP_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
FAILOVER_COMMIT = "pulumi-python:dynamic/asr:FailoverCommit"


def pulumi_stack_config(key: str) -> object:
    """The stack's config value as the CLI passes it to the pack; objects and lists arrive as JSON text."""
    value = pulumi.runtime.get_config(key)
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


# --- Small readers over engine values (dict/list proxies, numbers as floats) ----------------------


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _items(value: object) -> list[Any]:
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str) else []


def _dig(value: object, *keys: str) -> Any:
    for key in keys:
        value = _mapping(value).get(key)
    return value


def _location(value: object) -> str | None:
    """Azure accepts 'West Europe' and 'westeurope' alike; compare the programmatic form."""
    return str(value).replace(" ", "").lower() if isinstance(value, str) and value else None


def _shown(value: object) -> str:
    """A property value as the user writes it in YAML/JSON: true, false, null, "TLS1_0"."""
    return json.dumps(value, default=str)


def _settings(args: ResourceValidationArgs | StackValidationArgs, schema: PolicyConfigSchema) -> dict[str, Any]:
    """The policy's config: schema defaults, overridden by what the pack config sets."""
    defaults = {key: spec["default"] for key, spec in schema.properties.items() if "default" in spec}
    return {**defaults, **dict(args.get_config())}


@dataclass(frozen=True)
class _Wave:
    """Read-only view of the raw `migration:wave` object; every accessor tolerates missing keys."""

    raw: Mapping[str, Any]

    @classmethod
    def read(cls, config: StackConfig) -> _Wave:
        return cls(_mapping(config(WAVE_KEY)))

    @property
    def present(self) -> bool:
        return bool(self.raw)

    @property
    def machines(self) -> list[Mapping[str, Any]]:
        return [_mapping(m) for m in _items(self.raw.get("machines"))]

    def machine_os(self, name: str) -> str | None:
        for machine in self.machines:
            if str(machine.get("name", "")).lower() == name.lower():
                return str(machine.get("os")) if machine.get("os") else None
        return None


# --- Azure naming limits (migration_facts.py) ----------------------------------------------------


@dataclass(frozen=True)
class _Name:
    kind: str  # key into the organisation convention's `patterns`
    path: str  # the input property, for the message
    value: str
    os: str = "linux"


def _vm_os(props: Mapping[str, Any]) -> str:
    if _dig(props, "osProfile", "windowsConfiguration") is not None:
        return "windows"
    os_type = _dig(props, "storageProfile", "osDisk", "osType")
    return "windows" if isinstance(os_type, str) and os_type.lower() == "windows" else "linux"


def _azure_names(resource_type: str, props: Mapping[str, Any], wave: _Wave) -> list[_Name]:
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
        for index, subnet in enumerate(_items(props.get("subnets"))):
            found.append(("subnet", f"subnets[{index}].name", _mapping(subnet).get("name"), "linux"))
    if resource_type == VIRTUAL_MACHINE:
        os = _vm_os(props)
        found.append(("virtualMachine", "vmName", props.get("vmName"), os))
        found.append(("computerName", "osProfile.computerName", _dig(props, "osProfile", "computerName"), os))
    if resource_type == PROTECTED_ITEM:
        details = _mapping(_dig(props, "properties", "providerSpecificDetails"))
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


# --- Config schemas (the tunables; defaults are what the CLI and the offline plan apply) -----------

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

ALLOWED_REGIONS_SCHEMA = PolicyConfigSchema(
    properties={
        "allowedAzureRegions": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Azure regions (programmatic names such as 'westeurope') resources may be placed in;"
            " empty allows every region.",
            "default": [],
        },
        "allowedAwsRegions": {
            "type": "array",
            "items": {"type": "string"},
            "description": "AWS regions the AWS providers may target; empty allows every region.",
            "default": [],
        },
    }
)

MINIMUM_TLS_SCHEMA = PolicyConfigSchema(
    properties={
        "minimumTlsVersion": {
            "type": "string",
            "enum": ["TLS1_2", "TLS1_3"],
            "description": "The lowest minimumTlsVersion a storage account may accept.",
            "default": "TLS1_2",
        }
    }
)

GEO_REDUNDANT_SCHEMA = PolicyConfigSchema(
    properties={
        "allowedSkus": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Storage SKUs that count as geo-redundant.",
            "default": ["Standard_GRS", "Standard_RAGRS", "Standard_GZRS", "Standard_RAGZRS"],
        }
    }
)

MANAGEMENT_PORTS_SCHEMA = PolicyConfigSchema(
    properties={
        "managementPorts": {
            "type": "array",
            "items": {"type": "integer", "minimum": 0, "maximum": 65535},
            "description": "Ports that must never be open to the whole internet (SSH, RDP, WinRM by default).",
            "default": [22, 3389, 5985, 5986],
        }
    }
)

TEST_FAILOVER_SCHEMA = PolicyConfigSchema(
    properties={
        "cutoverPhases": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Lifecycle phases that fail machines over for real.",
            "default": ["cutover", "complete"],
        },
        "requireCleanup": {
            "type": "boolean",
            "description": "Also require the test failover to have been cleaned up (ASR allows no failover before).",
            "default": True,
        },
    }
)

CLASSIC_SCHEMA = PolicyConfigSchema(
    properties={
        "retirementNotice": {
            "type": "string",
            "description": "The facts shown for a classic wave.",
            "default": (
                "The classic architecture (configuration server, InMageAzureV2) is retired: new vaults cannot use it"
                " since 15 November 2022 and support ended on 15 November 2023 (Microsoft Learn,"
                " vmware-physical-azure-classic-deprecation). Use architecture 'modernized' (ASR replication appliance,"
                " InMageRcm) in a new vault."
            ),
        }
    }
)

COMMIT_SCHEMA = PolicyConfigSchema(
    properties={
        "commitActions": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Values of a dynamic ASR resource's `action` input that mean Commit.",
            "default": ["Commit", "FailoverCommit"],
        }
    }
)

# --- Resource validators ---------------------------------------------------------------------------


def _azure_name_limits(stack_config: StackConfig) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        wave = _Wave.read(stack_config) if args.resource_type == PROTECTED_ITEM else _Wave({})
        for name in _azure_names(args.resource_type, args.props, wave):
            problem = _name_rule(name)
            if problem:
                report_violation(f"{name.path} {name.value!r} {problem}.", None)

    return validate


def _naming_convention(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    patterns = _mapping(_settings(args, NAMING_CONVENTION_SCHEMA)["patterns"])
    for name in _azure_names(args.resource_type, args.props, _Wave({})):
        pattern = patterns.get(name.kind)
        if isinstance(pattern, str) and not re.search(pattern, name.value):
            report_violation(
                f"{name.path} {name.value!r} does not match the organisation's {name.kind} pattern {pattern!r}"
                " (set the name in migration:wave, or the pattern in the pack config).",
                None,
            )


def _allowed_regions(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    settings = _settings(args, ALLOWED_REGIONS_SCHEMA)
    if args.resource_type.startswith("azure-native:"):
        allowed = {loc for r in _items(settings["allowedAzureRegions"]) if (loc := _location(r))}
        location = _location(args.props.get("location"))
        if allowed and location and location not in allowed:
            report_violation(
                f"location {args.props.get('location')!r} is not an allowed Azure region ({', '.join(sorted(allowed))});"
                " change migration:wave.azure.location.",
                None,
            )
    if args.resource_type == AWS_PROVIDER:
        allowed_aws = {str(r) for r in _items(settings["allowedAwsRegions"])}
        region = args.props.get("region")
        if allowed_aws and isinstance(region, str) and region not in allowed_aws:
            report_violation(
                f"region {region!r} is not an allowed AWS region ({', '.join(sorted(allowed_aws))}).", None
            )


def _appliance_host_region(stack_config: StackConfig) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type != EC2_INSTANCE:
            return
        wave_region = _dig(_Wave.read(stack_config).raw, "aws", "region")
        if not isinstance(wave_region, str):
            return  # not a wave stack: nothing to compare with
        provider_region = args.provider.props.get("region") if args.provider is not None else None
        host_region = provider_region if isinstance(provider_region, str) else stack_config(AWS_REGION_KEY)
        if not isinstance(host_region, str):
            report_violation(
                f"the appliance host's AWS region is not set (no explicit provider region, no aws:region); the wave's"
                f" machines are in {wave_region!r}.",
                None,
            )
        elif host_region != wave_region:
            report_violation(
                f"the appliance host is created in {host_region!r} but the wave's machines are in {wave_region!r}"
                " (migration:wave.aws.region); the machines replicate through the appliance in their own region.",
                None,
            )

    return validate


def _storage_https_only(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type == STORAGE_ACCOUNT and args.props.get("enableHttpsTrafficOnly") is not True:
        report_violation(
            f"enableHttpsTrafficOnly is {_shown(args.props.get('enableHttpsTrafficOnly'))}; set it to true.", None
        )


_TLS_ORDER = ["TLS1_0", "TLS1_1", "TLS1_2", "TLS1_3"]


def _storage_minimum_tls(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != STORAGE_ACCOUNT:
        return
    required = str(_settings(args, MINIMUM_TLS_SCHEMA)["minimumTlsVersion"])
    actual = args.props.get("minimumTlsVersion")
    if actual not in _TLS_ORDER or _TLS_ORDER.index(actual) < _TLS_ORDER.index(required):
        report_violation(f"minimumTlsVersion is {_shown(actual)}; set it to {required!r} or later.", None)


def _storage_no_public_blob_access(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type == STORAGE_ACCOUNT and args.props.get("allowBlobPublicAccess") is not False:
        report_violation(
            f"allowBlobPublicAccess is {_shown(args.props.get('allowBlobPublicAccess'))}; set it to false.", None
        )


def _storage_geo_redundant(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != STORAGE_ACCOUNT:
        return
    allowed = [str(s) for s in _items(_settings(args, GEO_REDUNDANT_SCHEMA)["allowedSkus"])]
    sku = _dig(args.props, "sku", "name")
    if sku not in allowed:
        report_violation(
            f"sku.name is {_shown(sku)}; the seed tutorial keeps replicated data in {', '.join(allowed)} storage"
            " (migration:wave.azure.storageSku, default Standard_RAGRS).",
            None,
        )


def _vault_soft_delete(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != VAULT:
        return
    state = _dig(args.props, "properties", "securitySettings", "softDeleteSettings", "softDeleteState")
    if state is not None and state not in ("Enabled", "AlwaysON"):
        report_violation(
            f"properties.securitySettings.softDeleteSettings.softDeleteState is {_shown(state)}; leave it 'Enabled'"
            " (or 'AlwaysON') so deleted recovery data can be restored for 14 days.",
            None,
        )


def _imds_v2(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != EC2_INSTANCE:
        return
    options = _mapping(args.props.get("metadataOptions"))
    if options.get("httpEndpoint") == "disabled":
        return
    if options.get("httpTokens") != "required":
        report_violation(
            f"metadataOptions.httpTokens is {_shown(options.get('httpTokens'))}; set it to 'required' (IMDSv2 only).",
            None,
        )


def _ebs_encrypted(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type == EBS_VOLUME and args.props.get("encrypted") is not True:
        report_violation(f"encrypted is {_shown(args.props.get('encrypted'))}; set it to true.", None)
    if args.resource_type != EC2_INSTANCE:
        return
    root = args.props.get("rootBlockDevice")
    if _mapping(root).get("encrypted") is not True:
        report_violation(
            "rootBlockDevice.encrypted is not true; set it explicitly (the account's EBS encryption-by-default"
            " setting is not visible to the policy).",
            None,
        )
    for index, device in enumerate(_items(args.props.get("ebsBlockDevices"))):
        if _mapping(device).get("encrypted") is not True:
            name = _mapping(device).get("deviceName")
            report_violation(f"ebsBlockDevices[{index}] ({name}) is not encrypted; set encrypted: true.", None)


# Security group rules: (where, cidrs, protocol, from, to) from the three ways AWS lets you write them.


@dataclass(frozen=True)
class _Ingress:
    where: str
    cidrs: list[str]
    protocol: str
    from_port: float | None
    to_port: float | None


def _ingress_rules(resource_type: str, props: Mapping[str, Any]) -> list[_Ingress]:
    rules = []
    if resource_type == SECURITY_GROUP:
        for index, rule in enumerate(_items(props.get("ingress"))):
            rule = _mapping(rule)
            cidrs = [*_items(rule.get("cidrBlocks")), *_items(rule.get("ipv6CidrBlocks"))]
            rules.append(
                _Ingress(
                    f"ingress[{index}]", cidrs, str(rule.get("protocol")), rule.get("fromPort"), rule.get("toPort")
                )
            )
    if resource_type == SECURITY_GROUP_RULE and props.get("type") == "ingress":
        cidrs = [*_items(props.get("cidrBlocks")), *_items(props.get("ipv6CidrBlocks"))]
        rules.append(_Ingress("rule", cidrs, str(props.get("protocol")), props.get("fromPort"), props.get("toPort")))
    if resource_type == SECURITY_GROUP_INGRESS_RULE:
        cidrs = [c for c in (props.get("cidrIpv4"), props.get("cidrIpv6")) if c]
        rules.append(_Ingress("rule", cidrs, str(props.get("ipProtocol")), props.get("fromPort"), props.get("toPort")))
    return rules


def _is_whole_internet(cidr: object) -> bool:
    try:
        return ipaddress.ip_network(str(cidr), strict=False).prefixlen == 0
    except ValueError:
        return False


def _exposed_ports(rule: _Ingress, ports: Iterable[int]) -> list[int]:
    protocol = rule.protocol.lower()
    if protocol in ("icmp", "icmpv6", "1", "58"):
        return []
    if protocol in ("-1", "all") or rule.from_port is None or rule.to_port is None:
        return sorted(ports)
    return sorted(p for p in ports if rule.from_port <= p <= rule.to_port)


def _management_ingress(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    ports = [int(p) for p in _items(_settings(args, MANAGEMENT_PORTS_SCHEMA)["managementPorts"])]
    for rule in _ingress_rules(args.resource_type, args.props):
        open_cidrs = [str(c) for c in rule.cidrs if _is_whole_internet(c)]
        exposed = _exposed_ports(rule, ports)
        if open_cidrs and exposed:
            report_violation(
                f"{rule.where} opens management port(s) {', '.join(map(str, exposed))} to {', '.join(open_cidrs)};"
                " allow only your admin network (migration:wave.aws.adminCidr).",
                None,
            )


# --- Stack validators ------------------------------------------------------------------------------


def _prop(resource: PolicyResource, key: str) -> Any:
    """An output, or None while it is unknown (a resource this same update creates)."""
    try:
        return resource.props.get(key)
    except UnknownValueError:
        return None


def _single_azure_region(stack_config: StackConfig) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        if _mapping(stack_config(DR_KEY)):
            # A DR stack spans two regions by design (its A2A cache account stays in the source region);
            # dr-region-differs and dr-region-paired judge it instead.
            args.not_applicable("a DR stack (migration:dr) spans the primary and the DR region")
        located = [
            (r, _location(_prop(r, "location"))) for r in args.resources if r.resource_type.startswith("azure-native:")
        ]
        located = [(r, loc) for r, loc in located if loc]
        if not located:
            return
        expected = _location(_dig(_Wave.read(stack_config).raw, "azure", "location"))
        source = "migration:wave.azure.location"
        vaults = [loc for r, loc in located if r.resource_type == VAULT]
        if expected is None and vaults:
            expected, source = vaults[0], "the vault"
        if expected is None:
            expected, source = located[0][1], f"{located[0][0].resource_type} '{located[0][0].name}'"
        for resource, location in located:
            if location != expected:
                report_violation(
                    f"{resource.resource_type} '{resource.name}' is in {location!r}, but the wave's Azure resources are in"
                    f" {expected!r} ({source}); vault, storage account, networks and resource group must share one region.",
                    resource.urn,
                )

    return validate


def _dr_regions(args: StackValidationArgs, stack_config: StackConfig) -> tuple[str, str]:
    """(primary, DR) for a DR stack; marks the policy not applicable on a migration wave."""
    dr = _mapping(stack_config(DR_KEY))
    primary = _location(dr.get("primaryLocation")) or _location(_dig(_Wave.read(stack_config).raw, "azure", "location"))
    target = _location(dr.get("location"))
    if not dr or not primary or not target:
        args.not_applicable("not a DR stack (migration:dr with location, and a primary location, are not both set)")
    return str(primary), str(target)


def _dr_region_differs(stack_config: StackConfig) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        primary, target = _dr_regions(args, stack_config)
        if primary == target:
            report_violation(
                f"migration:dr.location {target!r} is the primary region; a regional outage would take both copies."
                f" Choose another region{f', such as the pair {AZURE_REGION_PAIRS[primary]!r}' if primary in AZURE_REGION_PAIRS else ''}.",
                None,
            )

    return validate


def _dr_region_paired(stack_config: StackConfig) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        primary, target = _dr_regions(args, stack_config)
        if primary == target or AZURE_REGION_PAIRS.get(primary) == target or AZURE_REGION_PAIRS.get(target) == primary:
            return
        pair = AZURE_REGION_PAIRS.get(primary)
        hint = f"its pair is {pair!r}" if pair else "it has no paired region, so choose by data residency and latency"
        report_violation(
            f"migration:dr.location {target!r} is not the Azure paired region of {primary!r} ({hint}); paired regions"
            " get sequential updates and prioritized recovery in a geography-wide outage.",
            None,
        )

    return validate


def _succeeded_machines(resource: PolicyResource) -> set[str]:
    """Machines (lower case) an action resource recorded as done: per machine in a wave action's `results`,
    all of `machines[]` for a plan action whose `result` is done."""
    results = _prop(resource, "results")
    if isinstance(results, Mapping):
        return {
            str(name).lower()
            for name, record in results.items()
            if isinstance(record, Mapping) and record.get("result") in DONE_RESULTS
        }
    if _prop(resource, "result") not in DONE_RESULTS:
        return set()
    return {str(m.get("machine_name")).lower() for m in _items(_prop(resource, "machines")) if isinstance(m, Mapping)}


def _recorded_test_failovers(resources: Iterable[PolicyResource], require_cleanup: bool) -> set[str]:
    """Machine names (lower case) with a succeeded test failover (and, if required, a succeeded cleanup).

    The actions are the lifecycle's dynamic resources: `WaveTestFailover` / `PlanTestFailover` and
    `WaveTestFailoverCleanup` / `PlanTestFailoverCleanup`, whose outputs record how each machine's step ended.
    """
    tested: set[str] = set()
    cleaned: set[str] = set()
    for resource in resources:
        if resource.resource_type in (WAVE_TEST_FAILOVER, PLAN_TEST_FAILOVER):
            tested |= _succeeded_machines(resource)
        elif resource.resource_type in (WAVE_TEST_FAILOVER_CLEANUP, PLAN_TEST_FAILOVER_CLEANUP):
            cleaned |= _succeeded_machines(resource)
    return tested & cleaned if require_cleanup else tested


def _test_failover_before_cutover(stack_config: StackConfig) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        settings = _settings(args, TEST_FAILOVER_SCHEMA)
        cutover_phases = {str(p) for p in _items(settings["cutoverPhases"])}
        wave = _Wave.read(stack_config)
        wave_phase = _dig(wave.raw, "lifecycle", "phase")
        recorded = _recorded_test_failovers(args.resources, bool(settings["requireCleanup"]))
        for index, machine in enumerate(wave.machines):
            name, phase = str(machine.get("name")), machine.get("phase") or wave_phase
            if phase not in cutover_phases or name.lower() in recorded:
                continue
            skip = machine.get("skipTestFailover")
            if isinstance(skip, str) and skip.strip():
                continue
            report_violation(
                f"machine {name!r} is in phase {phase!r} without a recorded test failover (a test failover"
                f"{' and its cleanup' if settings['requireCleanup'] else ''} that succeeded). Run phases 'test'"
                " and 'tested' first, or"
                f" set migration:wave.machines[{index}].skipTestFailover to the reason it is skipped.",
                None,
            )

    return validate


def _classic_architecture(stack_config: StackConfig) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        if _Wave.read(stack_config).raw.get("architecture") != "classic":
            return
        setting = next((r.urn for r in args.resources if r.resource_type == VAULT_SETTING), None)
        notice = _settings(args, CLASSIC_SCHEMA)["retirementNotice"]
        report_violation(f"migration:wave.architecture is 'classic'. {notice}", setting)

    return validate


def _no_commit_on_migration(stack_config: StackConfig) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        if not _Wave.read(stack_config).present or stack_config(DR_KEY):
            return  # Commit is the right last step of an Azure-to-Azure DR failover
        commit_actions = {str(a).lower() for a in _items(_settings(args, COMMIT_SCHEMA)["commitActions"])}
        for resource in args.resources:
            action = _prop(resource, "action") if resource.resource_type.startswith(ASR_DYNAMIC_PREFIX) else None
            if resource.resource_type == FAILOVER_COMMIT or (
                isinstance(action, str) and action.lower() in commit_actions
            ):
                report_violation(
                    f"{resource.resource_type} '{resource.name}' commits a failover on a migration wave. Microsoft's"
                    " migration tutorial: after a migration failover use Complete Migration (phase 'complete'), not Commit.",
                    resource.urn,
                )

    return validate


# --- The pack --------------------------------------------------------------------------------------


def build_policies(stack_config: StackConfig = pulumi_stack_config) -> list[Policy]:
    """Every policy of the pack; stack-config-aware validators read `stack_config` when they run."""
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
        ResourceValidationPolicy(
            name="allowed-regions",
            description="Resources may only target the regions the platform team allows (pack config"
            " allowedAzureRegions / allowedAwsRegions); move the wave to an allowed region.",
            validate=_allowed_regions,
            enforcement_level=mandatory,
            config_schema=ALLOWED_REGIONS_SCHEMA,
        ),
        StackValidationPolicy(
            name="wave-single-azure-region",
            description="All Azure resources of one wave (vault, storage account, networks, resource group) must be in"
            " the wave's region, migration:wave.azure.location.",
            validate=_single_azure_region(stack_config),
            enforcement_level=mandatory,
        ),
        ResourceValidationPolicy(
            name="appliance-host-region",
            description="The replication appliance host must run in the AWS region of the wave's machines"
            " (migration:wave.aws.region); point the AWS provider at that region.",
            validate=_appliance_host_region(stack_config),
            enforcement_level=mandatory,
        ),
        StackValidationPolicy(
            name="dr-region-differs",
            description="A DR stack must replicate to another region than the primary (migration:dr.location).",
            validate=_dr_region_differs(stack_config),
            enforcement_level=mandatory,
        ),
        StackValidationPolicy(
            name="dr-region-paired",
            description="A DR stack should replicate to the Azure paired region of the primary (migration:dr.location).",
            validate=_dr_region_paired(stack_config),
            enforcement_level=advisory,
        ),
        ResourceValidationPolicy(
            name="storage-https-only",
            description="Storage accounts must only accept HTTPS: set enableHttpsTrafficOnly to true.",
            validate=_storage_https_only,
            enforcement_level=mandatory,
        ),
        ResourceValidationPolicy(
            name="storage-minimum-tls",
            description="Storage accounts must refuse TLS older than 1.2: set minimumTlsVersion to TLS1_2.",
            validate=_storage_minimum_tls,
            enforcement_level=mandatory,
            config_schema=MINIMUM_TLS_SCHEMA,
        ),
        ResourceValidationPolicy(
            name="storage-no-public-blob-access",
            description="Storage accounts must not allow anonymous blob access: set allowBlobPublicAccess to false.",
            validate=_storage_no_public_blob_access,
            enforcement_level=mandatory,
        ),
        ResourceValidationPolicy(
            name="storage-geo-redundant",
            description="The replication storage account should be geo-redundant (RA-GRS, as in the seed tutorial):"
            " set migration:wave.azure.storageSku.",
            validate=_storage_geo_redundant,
            enforcement_level=advisory,
            config_schema=GEO_REDUNDANT_SCHEMA,
        ),
        ResourceValidationPolicy(
            name="no-open-management-ingress",
            description="Security groups must not open management ports (SSH, RDP, WinRM) to 0.0.0.0/0 or ::/0;"
            " allow only the admin network.",
            validate=_management_ingress,
            enforcement_level=mandatory,
            config_schema=MANAGEMENT_PORTS_SCHEMA,
        ),
        ResourceValidationPolicy(
            name="appliance-host-imdsv2",
            description="The appliance host must require IMDSv2: set metadataOptions.httpTokens to 'required'.",
            validate=_imds_v2,
            enforcement_level=mandatory,
        ),
        ResourceValidationPolicy(
            name="appliance-host-ebs-encrypted",
            description="The appliance host's EBS volumes must be encrypted: set encrypted: true on the root and every"
            " data volume.",
            validate=_ebs_encrypted,
            enforcement_level=mandatory,
        ),
        ResourceValidationPolicy(
            name="vault-soft-delete-enabled",
            description="Recovery Services vaults must keep soft delete on: do not set softDeleteState to 'Disabled'.",
            validate=_vault_soft_delete,
            enforcement_level=mandatory,
        ),
        StackValidationPolicy(
            name="test-failover-before-cutover",
            description="No machine may be cut over without a recorded, successful test failover, unless"
            " migration:wave.machines[].skipTestFailover gives the reason.",
            validate=_test_failover_before_cutover(stack_config),
            enforcement_level=mandatory,
            config_schema=TEST_FAILOVER_SCHEMA,
        ),
        StackValidationPolicy(
            name="classic-architecture-retired",
            description="The classic ASR architecture is retired; migrate with architecture 'modernized'.",
            validate=_classic_architecture(stack_config),
            enforcement_level=advisory,
            config_schema=CLASSIC_SCHEMA,
        ),
        StackValidationPolicy(
            name="no-commit-on-migration",
            description="A migration wave must not Commit a failover; finish it with Complete Migration.",
            validate=_no_commit_on_migration(stack_config),
            enforcement_level=mandatory,
            config_schema=COMMIT_SCHEMA,
        ),
    ]
