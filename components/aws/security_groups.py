"""Security group rules, one resource each: the groups here carry no inline rules, so each rule is its own resource
and AWS's default allow-all egress rule is removed (docs/appliance-host.md)."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws


def allow_tcp_in(
    name: str,
    group_id: pulumi.Input[str],
    port: int,
    description: str,
    opts: pulumi.ResourceOptions,
    *,
    from_group: pulumi.Input[str] | None = None,
    from_cidr: pulumi.Input[str] | None = None,
) -> aws.vpc.SecurityGroupIngressRule:
    """Admit TCP `port` into `group_id` from another group (by reference) or from a CIDR."""
    return aws.vpc.SecurityGroupIngressRule(
        name,
        security_group_id=group_id,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        referenced_security_group_id=from_group,
        cidr_ipv4=from_cidr,
        description=description,
        opts=opts,
    )
