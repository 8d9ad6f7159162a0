"""Test harness: hand policies their arguments the way the Pulumi CLI's analyzer does.

Properties go through a protobuf Struct and back (as on the gRPC wire: numbers become floats) and are
wrapped in pulumi-policy's unknown-checking proxies; violations are collected as `report_violation`
receives them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi_policy import (
    Policy,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import unknown_checking_proxy

from migrate_tool.policy_check import load_policies_module

PROJECT = "migration"
STACK = "wave1"


def wire(props: dict[str, Any]) -> Any:
    struct = struct_pb2.Struct()
    struct.update(props)
    return unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(struct)))


def urn(resource_type: str, name: str) -> str:
    return f"urn:pulumi:{STACK}::{PROJECT}::{resource_type}::{name}"


def policy(name: str, stack_config: dict[str, object] | None = None) -> Policy:
    config = stack_config or {}
    policies = {p.name: p for p in load_policies_module().build_policies(config.get)}
    return policies[name]


@dataclass
class Violation:
    message: str
    urn: str | None


def check_resource(
    policy_name: str,
    resource_type: str,
    props: dict[str, Any],
    *,
    name: str = "res",
    provider: dict[str, Any] | None = None,
    config: dict[str, Any] | None = None,
    stack_config: dict[str, object] | None = None,
) -> list[Violation]:
    """Run one resource policy against one resource; the violations it reports."""
    found: list[Violation] = []
    subject = policy(policy_name, stack_config)
    assert isinstance(subject, ResourceValidationPolicy), f"{policy_name} is not a resource policy"
    provider_resource = (
        PolicyProviderResource(
            f"pulumi:providers:{resource_type.split(':')[0]}", wire(provider), "urn:provider", "default"
        )
        if provider is not None
        else None
    )
    args = ResourceValidationArgs(
        resource_type,
        wire(props),
        urn(resource_type, name),
        name,
        PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None),
        provider_resource,
        config,
    )
    subject.validate(args, lambda message, u=None: found.append(Violation(message, u or args.urn)))
    return found


def stack_resource(resource_type: str, name: str, props: dict[str, Any]) -> PolicyResource:
    opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)
    return PolicyResource(resource_type, wire(props), urn(resource_type, name), name, opts, None, None, [], {})


def check_stack(
    policy_name: str,
    resources: list[PolicyResource],
    *,
    stack_config: dict[str, object] | None = None,
    config: dict[str, Any] | None = None,
) -> list[Violation]:
    """Run one stack policy; not-applicable propagates as pulumi_policy's exception."""
    found: list[Violation] = []
    subject = policy(policy_name, stack_config)
    assert isinstance(subject, StackValidationPolicy), f"{policy_name} is not a stack policy"
    subject.validate(
        StackValidationArgs(resources, config), lambda message, u=None: found.append(Violation(message, u))
    )
    return found


def wave(**overrides: Any) -> dict[str, Any]:
    """A wave config as the stack file holds it (the parts the policies read)."""
    raw: dict[str, Any] = {
        "name": "wave1",
        "architecture": "modernized",
        "azure": {"location": "westeurope"},
        "aws": {"region": "eu-west-1"},
        "machines": [
            {"name": "orders-web01", "os": "windows"},
            {"name": "orders-db01", "os": "linux"},
        ],
    }
    raw.update(overrides)
    return raw
