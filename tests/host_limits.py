"""The offline plan's computed outputs, refusing what AWS and Azure refuse: the test doubles' host limits.

The mock engine (and the engine-faithful tests' stand-ins for the azure-native and aws plugins) would otherwise
accept a security group of any number of rules or a bucket policy of any size, and a design that a real `pulumi up`
fails at 30 machines would pass every test. Each refusal quotes the limit from `components/limits.py`, the one
place the program, the config and the doubles read it from.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from pulumi.runtime import mocks as pulumi_mocks

from components import limits
from migrate_tool.offline.engine import PlanMocks, ProgramRun

INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
RECOVERY_PLAN = "azure-native:recoveryservices:ReplicationRecoveryPlan"


class HostLimitError(Exception):
    """What the real provider reports when the service refuses the request."""


def plan_items(inputs: dict[str, Any]) -> int:
    groups = (inputs.get("properties") or {}).get("groups") or []
    return sum(len(group.get("replicationProtectedItems") or []) for group in groups)


class HostLimitMocks(PlanMocks):
    """`PlanMocks`, plus the hosts' refusals; keeps the rules it has accepted per security group."""

    def __init__(
        self, stack_outputs: dict[str, ProgramRun] | None = None, subnets: dict[tuple[str, str, str], str] | None = None
    ) -> None:
        super().__init__(stack_outputs, subnets)
        self.inbound_rules: dict[str, set[str]] = defaultdict(set)

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        self.refuse(args.typ, args.name, dict(args.inputs))
        return super().new_resource(args)

    def refuse(self, typ: str, name: str, inputs: dict[str, Any]) -> None:
        """Raise `HostLimitError` where the service would refuse creating or updating this resource."""
        if typ == INGRESS_RULE:
            rules = self.inbound_rules[str(inputs.get("securityGroupId"))]
            rules.add(name)
            if len(rules) > limits.SECURITY_GROUP_INBOUND_RULES.value:
                raise HostLimitError(
                    f"RulesPerSecurityGroupLimitExceeded: {name}: the maximum number of rules per security group has"
                    f" been reached ({limits.SECURITY_GROUP_INBOUND_RULES.cite()})"
                )
        if typ == BUCKET_POLICY:
            size = len(str(inputs.get("policy") or "").encode())
            if size > limits.BUCKET_POLICY_BYTES.value:
                raise HostLimitError(
                    f"PolicyTooLarge: {name}: the policy has {size:,} bytes ({limits.BUCKET_POLICY_BYTES.cite()})"
                )
        if typ == RECOVERY_PLAN:
            groups = len((inputs.get("properties") or {}).get("groups") or [])
            if plan_items(inputs) > limits.RECOVERY_PLAN_ITEMS.value or groups > limits.RECOVERY_PLAN_GROUPS.value:
                raise HostLimitError(
                    f"{name}: a recovery plan of {plan_items(inputs)} protected items in {groups} groups"
                    f" ({limits.RECOVERY_PLAN_ITEMS.cite()}; {limits.RECOVERY_PLAN_GROUPS.cite()}):"
                    f" {json.dumps(inputs.get('recoveryPlanName'))}"
                )
