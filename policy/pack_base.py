"""What every policy family shares: the stack config reader, type tokens, and small readers over engine values."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi_policy import (
    PolicyConfigSchema,
    PolicyResource,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.proxy import UnknownValueError

StackConfig = Callable[[str], object]
"""Full config key (`migration:wave`) -> parsed value, or None when the stack does not set it."""

WAVE_KEY = "migration:wave"
FOUNDATION_KEY = "migration:foundation"
DR_KEY = "migration:dr"
AWS_REGION_KEY = "aws:region"

# Type tokens, exactly as the engine reports them.
RESOURCE_GROUP = "azure-native:resources:ResourceGroup"
STORAGE_ACCOUNT = "azure-native:storage:StorageAccount"
VIRTUAL_NETWORK = "azure-native:network:VirtualNetwork"
SUBNET = "azure-native:network:Subnet"
VAULT = "azure-native:recoveryservices:Vault"
REPLICATION_POLICY = "azure-native:recoveryservices:ReplicationPolicy"
CONTAINER_MAPPING = "azure-native:recoveryservices:ReplicationProtectionContainerMapping"
PROTECTED_ITEM = "azure-native:recoveryservices:ReplicationProtectedItem"
VIRTUAL_MACHINE = "azure-native:compute:VirtualMachine"
AWS_PROVIDER = "pulumi:providers:aws"
EC2_INSTANCE = "aws:ec2/instance:Instance"
EBS_VOLUME = "aws:ebs/volume:Volume"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SECURITY_GROUP_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


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


def as_mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def as_list(value: object) -> list[Any]:
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str) else []


def dig(value: object, *keys: str) -> Any:
    for key in keys:
        value = as_mapping(value).get(key)
    return value


def programmatic_location(value: object) -> str | None:
    """Azure accepts 'West Europe' and 'westeurope' alike; compare the programmatic form."""
    return str(value).replace(" ", "").lower() if isinstance(value, str) and value else None


def shown(value: object) -> str:
    """A property value as the user writes it in YAML/JSON: true, false, null, "TLS1_0"."""
    return json.dumps(value, default=str)


def policy_settings(args: ResourceValidationArgs | StackValidationArgs, schema: PolicyConfigSchema) -> dict[str, Any]:
    """The policy's config: schema defaults, overridden by what the pack config sets."""
    defaults = {key: spec["default"] for key, spec in schema.properties.items() if "default" in spec}
    return {**defaults, **dict(args.get_config())}


@dataclass(frozen=True)
class Wave:
    """Read-only view of the raw `migration:wave` object; every accessor tolerates missing keys."""

    raw: Mapping[str, Any]

    @classmethod
    def read(cls, config: StackConfig) -> Wave:
        return cls(as_mapping(config(WAVE_KEY)))

    @classmethod
    def shared(cls, config: StackConfig) -> tuple[Wave, str]:
        """The stack's own region settings and where they are: a wave's, or a foundation's
        (`migration:foundation`, which declares the same `azure` and `aws` regions)."""
        foundation = as_mapping(config(FOUNDATION_KEY))
        return (cls(foundation), FOUNDATION_KEY) if foundation else (cls.read(config), WAVE_KEY)

    @property
    def on_foundation(self) -> bool:
        """A wave on a foundation: it must declare nothing the foundation shares (docs/foundation.md)."""
        return bool(as_mapping(self.raw.get("foundation")))

    @property
    def present(self) -> bool:
        return bool(self.raw)

    @property
    def machines(self) -> list[Mapping[str, Any]]:
        return [as_mapping(m) for m in as_list(self.raw.get("machines"))]

    def machine_os(self, name: str) -> str | None:
        for machine in self.machines:
            if str(machine.get("name", "")).lower() == name.lower():
                return str(machine.get("os")) if machine.get("os") else None
        return None


def prop(resource: PolicyResource, key: str) -> Any:
    """An output, or None while it is unknown (a resource this same update creates)."""
    try:
        return resource.props.get(key)
    except UnknownValueError:
        return None
