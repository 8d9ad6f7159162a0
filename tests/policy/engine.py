"""Test harness: one policy of the pack, run through the offline plan's own engine (`migrate_tool.policy_check`).

Properties go through a protobuf Struct and back (as on the gRPC wire: numbers become floats) and are wrapped in
pulumi-policy's unknown-checking proxies, by the same code the offline plan uses; violations are collected as
`report_violation` receives them; `args.not_applicable()` raises `PolicyNotApplicableError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import Policy, PolicyResource, ResourceValidationPolicy, StackValidationPolicy

from migrate_tool.policy_check import (
    ResourceArgs,
    StackArgs,
    engine_props,
    load_policies_module,
    policy_resource,
    run_validation,
)

PROJECT = "migration"
STACK = "wave1"


def wire(props: dict[str, Any]) -> Any:
    return engine_props(props)


def urn(resource_type: str, name: str) -> str:
    return f"urn:pulumi:{STACK}::{PROJECT}::{resource_type}::{name}"


def policy(name: str, stack_config: Mapping[str, object] | None = None) -> Policy:
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
    stack_config: Mapping[str, object] | None = None,
) -> list[Violation]:
    """Run one resource policy against one resource; the violations it reports."""
    found: list[Violation] = []
    subject = policy(policy_name, stack_config)
    assert isinstance(subject, ResourceValidationPolicy), f"{policy_name} is not a resource policy"
    resource = policy_resource(
        {"type": resource_type, "name": name, "urn": urn(resource_type, name), "props": props, "provider": provider}
    )
    args = ResourceArgs(
        resource.resource_type, resource.props, resource.urn, resource.name, resource.opts, resource.provider, config
    )

    def report(message: str, at: str | None = None) -> None:
        found.append(Violation(message, at or args.urn))

    run_validation(subject.validate, args, report)
    return found


def stack_resource(resource_type: str, name: str, props: dict[str, Any]) -> PolicyResource:
    return policy_resource({"type": resource_type, "name": name, "urn": urn(resource_type, name), "props": props})


def check_stack(
    policy_name: str,
    resources: list[PolicyResource],
    *,
    stack_config: Mapping[str, object] | None = None,
    config: dict[str, Any] | None = None,
) -> list[Violation]:
    """Run one stack policy; not-applicable propagates as `PolicyNotApplicableError`."""
    found: list[Violation] = []
    subject = policy(policy_name, stack_config)
    assert isinstance(subject, StackValidationPolicy), f"{policy_name} is not a stack policy"

    def report(message: str, at: str | None = None) -> None:
        found.append(Violation(message, at))

    run_validation(subject.validate, StackArgs(resources, config), report)
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
