"""The foundation's config contract: the `migration:foundation` stack config object (docs/foundation.md).

A foundation declares once, per source and target region, what every wave of a migration shares: the resource
group, the cache storage account, the Recovery Services vault, the replication policy and its mapping, the pool
of replication appliances, the installer bucket and the target and test networks (created, or existing ones by
resource id). Its rules are the wave's (components/config.py) for the parts they share, reported under
`migration:foundation`; the pool's own rules (unique names, classic has one configuration server) are here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field, ValidationError

from components.config import (
    CONFIG_PATH,
    MISSING,
    AdminCidr,
    ApplianceHostConfig,
    AwsRegion,
    ConfigProblem,
    SharedConfig,
    SubnetId,
    VpcId,
    WaveConfigError,
    _duplicates,
    _mapping,
    _mappings,
    _Model,
    from_pydantic,
    shared_problems,
)

FOUNDATION_PATH = "migration:foundation"
POOL_HOST_SIZE = ("c5.4xlarge", 1024)
"""A pool appliance's default instance type and data disk: Microsoft's largest tier (200 machines, 2 TB a day), since
the waves it will serve are not all known when it is built (components/limits.py, APPLIANCE_TIERS)."""


class FoundationAwsConfig(_Model):
    region: AwsRegion
    vpc_id: VpcId
    subnet_id: SubnetId
    admin_cidr: AdminCidr
    appliances: list[ApplianceHostConfig] = Field(min_length=1)
    """The pool: one EC2 host per replication appliance, each registered once with the vault; waves' machines are
    spread over them (components/appliance_pool.py)."""
    mobility_installer_s3_uri: str | None = Field(
        default=None, pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[A-Za-z0-9._/-]*)?$"
    )
    expected_churn_gb_per_day: float | None = Field(default=None, ge=0)
    """The default churn of every wave's machines that do not say (a wave's own `aws.expectedChurnGbPerDay` wins)."""


class FoundationConfig(SharedConfig):
    """`name` prefixes the foundation's logical names and is its `migration-wave` tag; `azure` is as a wave's, its
    `targetDefaults` every wave's replica defaults (a wave's own win)."""

    aws: FoundationAwsConfig


def parse_foundation(raw: object) -> FoundationConfig:
    """Validate the raw `migration:foundation` object; raise `WaveConfigError` naming every problem."""
    if not isinstance(raw, Mapping):
        raise WaveConfigError(
            [ConfigProblem(FOUNDATION_PATH, MISSING if raw is None else raw, "must be a mapping (docs/foundation.md)")],
            FOUNDATION_PATH,
        )
    raw = with_sized_pool(raw)
    problems: list[ConfigProblem] = []
    foundation = None
    try:
        foundation = FoundationConfig.model_validate(raw)
    except ValidationError as err:
        problems += [from_pydantic(e, FOUNDATION_PATH) for e in err.errors()]
    refused = {p.path for p in problems}
    problems += [p for p in foundation_problems(raw) if p.path not in refused]
    if problems:
        raise WaveConfigError(list({str(p): p for p in problems}.values()), FOUNDATION_PATH)
    assert foundation is not None
    return foundation


def with_sized_pool(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    """`raw` with each appliance's instance type and data disk defaulted to `POOL_HOST_SIZE`."""
    aws = _mapping(raw.get("aws"))
    appliances = aws.get("appliances")
    if not isinstance(appliances, list):
        return raw
    instance_type, data_disk_gb = POOL_HOST_SIZE
    sized = [
        {"instanceType": instance_type, "dataDiskGb": data_disk_gb, **a} if isinstance(a, Mapping) else a
        for a in appliances
    ]
    return {**raw, "aws": {**aws, "appliances": sized}}


def foundation_problems(raw: Mapping[str, Any]) -> list[ConfigProblem]:
    """The wave's rules for what a foundation shares, and the pool's: unique names, one configuration server."""
    problems = [
        ConfigProblem(FOUNDATION_PATH + p.path[len(CONFIG_PATH) :], p.value, p.rule) for p in shared_problems(raw)
    ]
    appliances = _mappings(_mapping(raw.get("aws")).get("appliances"))
    base = f"{FOUNDATION_PATH}.aws.appliances"
    problems += _duplicates([a.get("name") for a in appliances], base, "name", fold=str.lower)
    if raw.get("architecture") == "classic" and len(appliances) > 1:
        problems.append(
            ConfigProblem(
                base,
                f"{len(appliances)} appliances",
                "must be one configuration server for the classic architecture: each one is a fabric of its own,"
                " and classic is retired (a pool of appliances is modernized)",
            )
        )
    return problems
