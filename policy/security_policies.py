"""Security: storage (HTTPS, TLS, no public blobs, geo-redundancy), vault soft delete, the appliance host (IMDSv2, encrypted EBS), no management ports open to the internet."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pack_base import (
    DR_KEY,
    EBS_VOLUME,
    EC2_INSTANCE,
    SECURITY_GROUP,
    SECURITY_GROUP_INGRESS_RULE,
    SECURITY_GROUP_RULE,
    STORAGE_ACCOUNT,
    VAULT,
    StackConfig,
    as_list,
    as_mapping,
    dig,
    policy_settings,
    shown,
)
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
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


def _storage_https_only(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type == STORAGE_ACCOUNT and args.props.get("enableHttpsTrafficOnly") is not True:
        report_violation(
            f"enableHttpsTrafficOnly is {shown(args.props.get('enableHttpsTrafficOnly'))}; set it to true.", None
        )


_TLS_ORDER = ["TLS1_0", "TLS1_1", "TLS1_2", "TLS1_3"]


def _storage_minimum_tls(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != STORAGE_ACCOUNT:
        return
    required = str(policy_settings(args, MINIMUM_TLS_SCHEMA)["minimumTlsVersion"])
    actual = args.props.get("minimumTlsVersion")
    if actual not in _TLS_ORDER or _TLS_ORDER.index(actual) < _TLS_ORDER.index(required):
        report_violation(f"minimumTlsVersion is {shown(actual)}; set it to {required!r} or later.", None)


def _storage_no_public_blob_access(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type == STORAGE_ACCOUNT and args.props.get("allowBlobPublicAccess") is not False:
        report_violation(
            f"allowBlobPublicAccess is {shown(args.props.get('allowBlobPublicAccess'))}; set it to false.", None
        )


def _storage_geo_redundant(stack_config: StackConfig) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    """The wave's cache account; a DR stack's A2A cache account is a staging area, locally redundant by design."""

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type == STORAGE_ACCOUNT and not as_mapping(stack_config(DR_KEY)):
            _geo_redundant(args, report_violation)

    return validate


def _geo_redundant(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    allowed = [str(s) for s in as_list(policy_settings(args, GEO_REDUNDANT_SCHEMA)["allowedSkus"])]
    sku = dig(args.props, "sku", "name")
    if sku not in allowed:
        report_violation(
            f"sku.name is {shown(sku)}; the seed tutorial keeps replicated data in {', '.join(allowed)} storage"
            " (migration:wave.azure.storageSku, default Standard_RAGRS).",
            None,
        )


def _vault_soft_delete(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != VAULT:
        return
    state = dig(args.props, "properties", "securitySettings", "softDeleteSettings", "softDeleteState")
    if state is not None and state not in ("Enabled", "AlwaysON"):
        report_violation(
            f"properties.securitySettings.softDeleteSettings.softDeleteState is {shown(state)}; leave it 'Enabled'"
            " (or 'AlwaysON') so deleted recovery data can be restored for 14 days.",
            None,
        )


def _imds_v2(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != EC2_INSTANCE:
        return
    options = as_mapping(args.props.get("metadataOptions"))
    if options.get("httpEndpoint") == "disabled":
        return
    if options.get("httpTokens") != "required":
        report_violation(
            f"metadataOptions.httpTokens is {shown(options.get('httpTokens'))}; set it to 'required' (IMDSv2 only).",
            None,
        )


def _ebs_encrypted(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type == EBS_VOLUME and args.props.get("encrypted") is not True:
        report_violation(f"encrypted is {shown(args.props.get('encrypted'))}; set it to true.", None)
    if args.resource_type != EC2_INSTANCE:
        return
    root = args.props.get("rootBlockDevice")
    if as_mapping(root).get("encrypted") is not True:
        report_violation(
            "rootBlockDevice.encrypted is not true; set it explicitly (the account's EBS encryption-by-default"
            " setting is not visible to the policy).",
            None,
        )
    for index, device in enumerate(as_list(args.props.get("ebsBlockDevices"))):
        if as_mapping(device).get("encrypted") is not True:
            name = as_mapping(device).get("deviceName")
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
        for index, rule in enumerate(as_list(props.get("ingress"))):
            rule = as_mapping(rule)
            cidrs = [*as_list(rule.get("cidrBlocks")), *as_list(rule.get("ipv6CidrBlocks"))]
            rules.append(
                _Ingress(
                    f"ingress[{index}]", cidrs, str(rule.get("protocol")), rule.get("fromPort"), rule.get("toPort")
                )
            )
    if resource_type == SECURITY_GROUP_RULE and props.get("type") == "ingress":
        cidrs = [*as_list(props.get("cidrBlocks")), *as_list(props.get("ipv6CidrBlocks"))]
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
    ports = [int(p) for p in as_list(policy_settings(args, MANAGEMENT_PORTS_SCHEMA)["managementPorts"])]
    for rule in _ingress_rules(args.resource_type, args.props):
        open_cidrs = [str(c) for c in rule.cidrs if _is_whole_internet(c)]
        exposed = _exposed_ports(rule, ports)
        if open_cidrs and exposed:
            report_violation(
                f"{rule.where} opens management port(s) {', '.join(map(str, exposed))} to {', '.join(open_cidrs)};"
                " allow only your admin network (migration:wave.aws.adminCidr).",
                None,
            )


def security_policies(stack_config: StackConfig) -> list[Policy]:
    """This family's policies, in the pack's order."""
    mandatory, advisory = EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY
    return [
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
            validate=_storage_geo_redundant(stack_config),
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
    ]
