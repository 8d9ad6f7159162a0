"""The DR stack's config, `migration:dr`, read once into a validated `DrConfig`.

The key and its `primaryLocation` / `location` fields are the schema the policy pack's DR rules read
(`dr-region-differs`, `dr-region-paired`; docs/policy.md). Everything else has a default derived from
the wave (docs/dr.md has the full table), so the smallest DR stack sets the wave stack and the DR network.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import pulumi
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from components.azure_pairs import normalize_location, paired_region
from components.config import (
    MISSING,
    NOT_SHOWN,
    AzureCidr,
    AzureLocation,
    AzureSubnetCidr,
    ConfigProblem,
    PolicyName,
    ResourceGroupName,
    StorageAccountName,
    SubnetName,
    VaultName,
    VirtualNetworkName,
)
from components.errors import MigrationError
from components.limits import A2A_APP_CONSISTENT_MIN_MINUTES, A2A_RESTRICTED_REGIONS, A2A_RESTRICTED_SOURCE

CONFIG_PATH = "migration:dr"
# A2A replication policy defaults: recovery points kept 24 hours, an app-consistent snapshot every 4 hours,
# the values of terraform-provider-azurerm's and Pulumi's ReplicationPolicy examples (docs/dr.md says why
# these are a documented choice). ASR takes crash-consistent points every 5 minutes by itself.
# Multi-VM consistency is off: it costs performance.
DEFAULT_RETENTION_MINUTES = 24 * 60
DEFAULT_APP_CONSISTENT_MINUTES = 4 * 60
_STACK_NAME = re.compile(r"^([A-Za-z0-9_.-]+/){0,2}[A-Za-z0-9_.-]+$")


class DrConfigError(MigrationError, ValueError):
    """All problems of a `migration:dr` value, one per line: field path, value and rule."""

    def __init__(self, problems: list[ConfigProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, alias_generator=None)


class DrNetworkConfig(_Model):
    name: VirtualNetworkName | None = None
    address_space: list[AzureCidr] = Field(alias="addressSpace", min_length=1)
    subnet_name: SubnetName = Field(default="snet-dr", alias="subnetName")
    subnet_prefix: AzureSubnetCidr = Field(alias="subnetPrefix")


def _app_consistent(minutes: int) -> int:
    floor = A2A_APP_CONSISTENT_MIN_MINUTES
    if 0 < minutes < floor.value:
        raise ValueError(f"must be 0 (off) or at least {floor.value}: {floor.cite()}")
    return minutes


class A2APolicyConfig(_Model):
    name: PolicyName | None = None
    recovery_point_retention_minutes: Annotated[int, Field(ge=0, le=15 * 24 * 60)] = Field(
        default=DEFAULT_RETENTION_MINUTES, alias="recoveryPointRetentionMinutes"
    )
    app_consistent_frequency_minutes: Annotated[int, Field(ge=0, le=12 * 60), AfterValidator(_app_consistent)] = Field(
        default=DEFAULT_APP_CONSISTENT_MINUTES, alias="appConsistentFrequencyMinutes"
    )
    multi_vm_sync: bool = Field(default=False, alias="multiVmSync")


class DrConfig(_Model):
    wave_stack: Annotated[str, Field(pattern=_STACK_NAME.pattern)] = Field(alias="waveStack")
    primary_location: AzureLocation | None = Field(default=None, alias="primaryLocation")
    location: AzureLocation | None = None
    resource_group_name: ResourceGroupName | None = Field(default=None, alias="resourceGroupName")
    vault_name: VaultName | None = Field(default=None, alias="vaultName")
    cache_storage_account_name: StorageAccountName | None = Field(default=None, alias="cacheStorageAccountName")
    network: DrNetworkConfig
    replication_policy: A2APolicyConfig = Field(default_factory=A2APolicyConfig, alias="replicationPolicy")
    tags: dict[str, str] = Field(default_factory=dict, max_length=50)
    restricted_regions_allowlisted: bool = Field(default=False, alias="restrictedRegionsAllowlisted")
    """Both subscriptions are allow-listed for a region reserved for in-country DR (Germany North, ...)."""

    @field_validator("primary_location", "location")
    @classmethod
    def _normalized(cls, value: str | None) -> str | None:
        return None if value is None else normalize_location(value)


@dataclass(frozen=True)
class DrPlan:
    """The config resolved against the wave's outputs: every name and both regions are decided."""

    wave: str
    primary_location: str
    location: str
    resource_group_name: str
    vault_name: str
    cache_storage_account_name: str
    network_name: str
    policy_name: str
    primary_fabric: str
    recovery_fabric: str

    @property
    def primary_container(self) -> str:
        return f"{self.primary_fabric}-container"

    @property
    def recovery_container(self) -> str:
        return f"{self.recovery_fabric}-container"


def parse_dr(raw: object) -> DrConfig:
    """Validate a raw `migration:dr` value; raise `DrConfigError` listing every problem."""
    if not isinstance(raw, Mapping):
        raise DrConfigError([ConfigProblem(CONFIG_PATH, raw, "must be an object (see dr/stacks/Pulumi.wave1-dr.yaml)")])
    try:
        return DrConfig.model_validate(raw)
    except ValidationError as error:
        raise DrConfigError([_problem(e, raw) for e in error.errors()]) from None


def load_dr_config(config: pulumi.Config | None = None) -> DrConfig:
    """Read `migration:dr` from the stack's config."""
    raw = (config or pulumi.Config("migration")).get_object("dr")
    if raw is None:
        raise DrConfigError(
            [ConfigProblem(CONFIG_PATH, MISSING, "is required: see dr/stacks/Pulumi.wave1-dr.yaml for an example")]
        )
    return parse_dr(raw)


def resolve(config: DrConfig, wave: str, wave_location: str) -> DrPlan:
    """Both regions and every name, given the wave's name and region (from its outputs)."""
    primary = normalize_location(wave_location)
    if config.primary_location is not None and config.primary_location != primary:
        raise DrConfigError([ConfigProblem(
            f"{CONFIG_PATH}.primaryLocation", config.primary_location,
            f"must be the wave's region: wave stack {config.wave_stack} is in {primary!r}",
        )])  # fmt: skip
    location = config.location or paired_region(primary)
    if location is None:
        raise DrConfigError([ConfigProblem(
            f"{CONFIG_PATH}.location", MISSING,
            f"is required: the primary region {primary!r} has no Azure paired region to default to",
        )])  # fmt: skip
    if location == primary:
        raise DrConfigError([ConfigProblem(
            f"{CONFIG_PATH}.location", location,
            "must differ from the primary region: a regional outage would take both copies",
        )])  # fmt: skip
    restricted = [(key, region) for key, region in (("primaryLocation", primary), ("location", location))
                  if region in A2A_RESTRICTED_REGIONS]  # fmt: skip
    if restricted and not config.restricted_regions_allowlisted:
        raise DrConfigError([
            ConfigProblem(
                f"{CONFIG_PATH}.{key}", region,
                f"is reserved for in-country disaster recovery of {A2A_RESTRICTED_REGIONS[region]} and needs both"
                f" subscriptions allow-listed by Microsoft ({A2A_RESTRICTED_SOURCE}); once they are, set"
                f" {CONFIG_PATH}.restrictedRegionsAllowlisted: true, or choose another region"
                + (" (it is the default: the primary region's pair)" if key == "location" and config.location is None
                   else ""),
            )
            for key, region in restricted
        ])  # fmt: skip
    compact = re.sub(r"[^a-z0-9]", "", wave.lower())
    return DrPlan(
        wave=wave,
        primary_location=primary,
        location=location,
        resource_group_name=config.resource_group_name or f"rg-{wave}-dr-{location}"[:90],
        vault_name=config.vault_name or f"rsv-{wave}-dr-{location}"[:50],
        cache_storage_account_name=config.cache_storage_account_name or f"st{compact}cache"[:24],
        network_name=config.network.name or f"vnet-{wave}-dr-{location}"[:64],
        policy_name=config.replication_policy.name or f"policy-{wave}-a2a"[:64],
        primary_fabric=f"asr-a2a-{primary}",
        recovery_fabric=f"asr-a2a-{location}",
    )


def _problem(error: Mapping[str, Any], raw: Mapping[str, Any]) -> ConfigProblem:
    loc = list(error.get("loc") or ())
    value: Any = raw
    for part in loc:
        if (isinstance(value, Mapping) and part in value) or (
            isinstance(value, list) and isinstance(part, int) and part < len(value)
        ):
            value = value[part]
        else:
            value = MISSING
            break
    message = str(error.get("msg", "is invalid"))
    message = message.removeprefix("Value error, ")
    if error.get("type") == "missing":
        message = "is required"
    elif error.get("type") == "extra_forbidden":
        message = "is not a known setting"
        value = NOT_SHOWN
    return ConfigProblem(_path([CONFIG_PATH, *loc]), value, message)


def _path(parts: Iterable[int | str]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
