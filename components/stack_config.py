"""The one boundary where stack config is read: `migration:wave` or `migration:foundation`, validated.

A wave on a foundation (`foundation.stack`) is completed from the foundation's own stack file, stacks/Pulumi.
<stack>.yaml of this project (docs/foundation.md): its region, vault, cache, policy, networks and appliance pool,
so every rule (a subnet name, a static IP inside its subnet, an appliance's load) is judged before anything is
declared, in `pulumi preview` as in the offline plan. Deploy-time ids come from the foundation's stack outputs
(components/foundation.py). Each machine of such a wave leaves this module with the appliance that serves it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import yaml

from components.appliance_pool import PoolAssignment, PoolWave, assign, natural_key
from components.config import (
    CONFIG_PATH,
    MISSING,
    ConfigProblem,
    WaveConfig,
    WaveConfigError,
    parse_wave,
)
from components.foundation_config import FOUNDATION_PATH, FoundationAwsConfig, FoundationConfig, parse_foundation
from components.limits import PROTECTED_DISKS_PER_SUBSCRIPTION

STACKS_DIR_VARIABLE = "MIGRATION_STACKS_DIR"
"""Where the stack files are; default: the project's `stacks/` (Pulumi.yaml's stackConfigDir)."""
WAVE_MAY_SET = {"azure": ("targetDefaults", "existingNetwork"), "aws": ("expectedChurnGbPerDay",)}
"""What a wave on a foundation may add to the foundation's `azure` and `aws`; the rest is the foundation's."""


def stacks_dir() -> Path:
    return Path(os.environ.get(STACKS_DIR_VARIABLE) or Path(__file__).resolve().parents[1] / "stacks")


@contextmanager
def stack_files(directory: Path | None) -> Iterator[None]:
    """Read the stack files (a wave's foundation, a foundation's waves) from `directory` for a while: the offline
    plan and `migrate.py status` take a `--stacks-dir`."""
    before = os.environ.get(STACKS_DIR_VARIABLE)
    if directory is not None:
        os.environ[STACKS_DIR_VARIABLE] = str(directory)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(STACKS_DIR_VARIABLE, None)
        else:
            os.environ[STACKS_DIR_VARIABLE] = before


def stack_file_config(stack: str) -> Mapping[str, Any] | None:
    """The `config:` of stacks/Pulumi.<stack>.yaml, or None when there is no such file."""
    path = stacks_dir() / f"Pulumi.{stack}.yaml"
    if not path.exists():
        return None
    document = yaml.safe_load(path.read_text()) or {}
    config = document.get("config") if isinstance(document, Mapping) else None
    return config if isinstance(config, Mapping) else {}


@dataclass(frozen=True)
class Foundation:
    """A `migration:foundation` stack, and the waves that name it (in the pool's order) with their appliances."""

    stack: str
    config: FoundationConfig
    waves: tuple[WaveConfig, ...]
    assignment: PoolAssignment


def load_wave_config(config: pulumi.Config | None = None) -> WaveConfig:
    """Read and validate `migration:wave`; raise `WaveConfigError` (components.config) listing every problem."""
    return resolve_wave((config or pulumi.Config("migration")).get_object("wave"))


def resolve_wave(raw: object) -> WaveConfig:
    """Validate a raw `migration:wave`; on a foundation, completed from the foundation's stack file, with each
    machine's appliance chosen."""
    link = raw.get("foundation") if isinstance(raw, Mapping) else None
    if not isinstance(link, Mapping) or not isinstance(link.get("stack"), str):
        return parse_wave(raw)
    assert isinstance(raw, Mapping)
    stack = link["stack"].rsplit("/", 1)[-1]
    config_, own_wave = foundation_of_file(stack, f"{CONFIG_PATH}.foundation.stack")
    wave = parse_on_foundation(raw, config_, stack)
    earlier = [
        w for w in dependents(stack, config_) if natural_key(w.name) < natural_key(wave.name) and w.name != wave.name
    ]
    return with_appliances(wave, _assign(config_, own_wave, [*earlier, wave], wave.name))


def load_foundation_config(config: pulumi.Config | None = None) -> Foundation:
    """Read and validate `migration:foundation` and the waves of this project's stack files that name it."""
    return resolve_foundation((config or pulumi.Config("migration")).get_object("foundation"), pulumi.get_stack())


def resolve_foundation(raw: object, stack: str) -> Foundation:
    """Validate a raw `migration:foundation` of stack `stack`, and spread its waves over its pool."""
    foundation = parse_foundation(raw)
    waves = dependents(stack, foundation)
    assignment = _assign(foundation, None, waves, None)
    return Foundation(stack, foundation, tuple(with_appliances(w, assignment) for w in waves), assignment)


def foundation_of_file(stack: str, where: str) -> tuple[FoundationConfig, WaveConfig | None]:
    """The foundation stack `stack` declares: a `migration:foundation`, or an all-in-one wave read as one."""
    config = stack_file_config(stack)
    if config is not None and "migration:foundation" in config:
        return parse_foundation(config["migration:foundation"]), None
    wave_raw = config.get("migration:wave") if config is not None else None
    if isinstance(wave_raw, Mapping) and wave_raw.get("foundation") is None:
        wave = parse_wave(wave_raw)
        return foundation_of_wave(wave), wave
    raise WaveConfigError(
        [
            ConfigProblem(
                where,
                stack,
                f"must name a foundation stack of this project: stacks/Pulumi.{stack}.yaml "
                + ("does not exist" if config is None else "declares neither migration:foundation nor an all-in-one")
                + " wave (docs/foundation.md)",
            )
        ]
    )


def foundation_of_wave(wave: WaveConfig) -> FoundationConfig:
    """An all-in-one wave as the foundation of the waves after it: its landing zone, vault, policy and appliance."""
    aws = wave.aws
    return FoundationConfig(
        name=wave.name,
        architecture=wave.architecture,
        tags=wave.tags,
        azure=wave.azure,
        aws=FoundationAwsConfig(
            region=aws.region,
            vpc_id=aws.vpc_id,
            subnet_id=aws.subnet_id,
            admin_cidr=aws.admin_cidr,
            appliances=[wave.appliance_host],
            mobility_installer_s3_uri=aws.mobility_installer_s3_uri,
            expected_churn_gb_per_day=aws.expected_churn_gb_per_day,
        ),
    )


def parse_on_foundation(raw: Mapping[str, Any], foundation: FoundationConfig, stack: str) -> WaveConfig:
    """A wave on `foundation`: what the wave may add, over what the foundation declares, validated as one wave."""
    problems = []
    for section, allowed in WAVE_MAY_SET.items():
        own = raw.get(section)
        own = own if isinstance(own, Mapping) else {}
        for key in own:
            if key not in allowed:
                problems.append(
                    ConfigProblem(
                        f"{CONFIG_PATH}.{section}.{key}",
                        own[key],
                        f"is the foundation's (stacks/Pulumi.{stack}.yaml): a wave on a foundation sets only"
                        f" {', '.join(f'{section}.{k}' for k in allowed)}",
                    )
                )
    if raw.get("architecture") not in (None, foundation.architecture):
        problems.append(
            ConfigProblem(
                f"{CONFIG_PATH}.architecture",
                raw.get("architecture"),
                f"must be the foundation's ({foundation.architecture}) or unset",
            )
        )
    own_azure = raw.get("azure") if isinstance(raw.get("azure"), Mapping) else {}
    assert isinstance(own_azure, Mapping)
    existing = own_azure.get("existingNetwork")
    if isinstance(existing, Mapping) and existing.get("testNetworkId") is None:
        problems.append(
            ConfigProblem(
                f"{CONFIG_PATH}.azure.existingNetwork.testNetworkId",
                MISSING,
                "is required in a wave on a foundation, which creates no network: name the isolated test network",
            )
        )
    if problems:
        raise WaveConfigError(problems)
    return parse_wave(merged_wave(raw, foundation))


def merged_wave(raw: Mapping[str, Any], foundation: FoundationConfig) -> dict[str, Any]:
    """The wave's raw config completed with the foundation's `azure` and `aws`."""
    shared = foundation.azure.model_dump(by_alias=True, exclude_none=True)
    own_azure = raw.get("azure") if isinstance(raw.get("azure"), Mapping) else {}
    own_aws = raw.get("aws") if isinstance(raw.get("aws"), Mapping) else {}
    assert isinstance(own_azure, Mapping) and isinstance(own_aws, Mapping)
    azure = {**shared, "targetDefaults": {**shared.get("targetDefaults", {}), **own_azure.get("targetDefaults", {})}}
    if own_azure.get("existingNetwork") is not None:
        azure.pop("network", None)
        azure["existingNetwork"] = own_azure.get("existingNetwork")
    f_aws = foundation.aws
    aws = {
        "region": f_aws.region,
        "vpcId": f_aws.vpc_id,
        "subnetId": f_aws.subnet_id,
        "adminCidr": f_aws.admin_cidr,
        **({"mobilityInstallerS3Uri": f_aws.mobility_installer_s3_uri} if f_aws.mobility_installer_s3_uri else {}),
    }
    churn = own_aws.get("expectedChurnGbPerDay", f_aws.expected_churn_gb_per_day)
    if churn is not None:
        aws["expectedChurnGbPerDay"] = churn
    return {**raw, "architecture": foundation.architecture, "azure": azure, "aws": aws}


def dependents(stack: str, foundation: FoundationConfig | None = None) -> list[WaveConfig]:
    """The waves of this project's stack files that name foundation `stack`, in the pool's order.

    A wave file that fails its own rules is left out here: its own preview reports it."""
    foundation = foundation or foundation_of_file(stack, FOUNDATION_PATH)[0]
    waves = []
    for path in sorted(stacks_dir().glob("Pulumi.*.yaml"), key=lambda p: natural_key(p.name)):
        config = stack_file_config(path.name[len("Pulumi.") : -len(".yaml")]) or {}
        raw = config.get("migration:wave")
        link = raw.get("foundation") if isinstance(raw, Mapping) else None
        if not isinstance(link, Mapping) or str(link.get("stack", "")).rsplit("/", 1)[-1] != stack:
            continue
        assert isinstance(raw, Mapping)
        try:
            waves.append(parse_on_foundation(raw, foundation, stack))
        except WaveConfigError:
            continue
    return sorted(waves, key=lambda w: natural_key(w.name))


def _assign(
    foundation: FoundationConfig, own_wave: WaveConfig | None, waves: list[WaveConfig], current: str | None
) -> PoolAssignment:
    """The pool's assignment; its problems raised (for the current wave only its own, and the overloads)."""
    ordered = ([own_wave] if own_wave is not None else []) + waves
    where = {
        w.name: CONFIG_PATH if w.name == current else f"stacks/Pulumi.{w.name}.yaml: {CONFIG_PATH}" for w in ordered
    }
    assignment = assign(foundation.aws.appliances, [PoolWave.of(w) for w in ordered], where)
    problems = [*assignment.problems, *_shared_disks(ordered, current)]
    if problems:
        raise WaveConfigError(problems, CONFIG_PATH if current else FOUNDATION_PATH)
    return assignment


def _shared_disks(waves: list[WaveConfig], current: str | None) -> list[ConfigProblem]:
    """The waves of a foundation replicate through its vault into one subscription: their disks, in the pool's order
    up to the current wave, share ASR's limit there (each wave's own count is judged by its config)."""
    per_wave = {w.name: sum(m.disks for m in w.machines if not m.retire) for w in waves}
    total = sum(per_wave.values())
    if total <= PROTECTED_DISKS_PER_SUBSCRIPTION.value:
        return []
    shared = ", ".join(f"{name} ({disks})" for name, disks in per_wave.items())
    return [
        ConfigProblem(
            f"{CONFIG_PATH}.machines" if current else FOUNDATION_PATH,
            f"{total} disks",
            f"across the waves on the foundation, {shared}, is more than ASR protects in one subscription"
            f" ({PROTECTED_DISKS_PER_SUBSCRIPTION.cite()}); put further waves on a foundation that replicates into another subscription",
        )
    ]


def with_appliances(wave: WaveConfig, assignment: PoolAssignment) -> WaveConfig:
    """`wave` with each machine's `appliance` set to the one that serves it."""
    chosen = assignment.of_wave(wave.name)
    machines = [m.model_copy(update={"appliance": chosen.get(m.name, m.appliance)}) for m in wave.machines]
    return wave.model_copy(update={"machines": machines})
