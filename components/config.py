"""The wave config contract: the `migration:wave` stack config object, validated before anything is declared.

Users write one structured object per stack (see README, "Config reference"). `parse_wave` turns the
raw mapping into a `WaveConfig` or raises `WaveConfigError` listing *every* problem, each as
`<key path>: <value> <rule>`. Per-field rules run inside pydantic; rules that relate fields to each
other (subnets inside the address space, unique machines) run in `cross_field_problems` on the raw
mapping, because a pydantic model validator only runs once every field is valid and would hide those
mistakes until the others were fixed.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, AliasChoices, BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from components import appliance_capacity, naming
from components.appliance_sizing import MIN_DATA_DISK_GB, appliance_instance_type_rule
from components.architecture import MODERNIZED, PROFILES, Architecture, ArchitectureProfile, profile
from components.asr.recovery_points import NAMED as NAMED_RECOVERY_POINTS
from components.asr.recovery_points import recovery_point_rule
from components.errors import MigrationError
from components.limits import DATA_DISKS, PROTECTED_DISKS_PER_SUBSCRIPTION, RECOVERY_PLAN_GROUPS
from components.recovery_plans import PlanLayout, plan_layouts

CONFIG_PATH = "migration:wave"

OsType = Literal["windows", "linux"]
Phase = Literal["replicate", "test", "tested", "cutover", "complete"]
"""The migration lifecycle's phases, in order (docs/lifecycle.md has the state machine)."""
PHASES: tuple[str, ...] = get_args(Phase)


def _rule(check: Callable[[str], str | None]) -> AfterValidator:
    def validate(value: str) -> str:
        problem = check(value)
        if problem:
            raise ValueError(problem)
        return value

    return AfterValidator(validate)


def _cidr(value: str) -> str:
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError as err:
        raise ValueError(f"must be an IPv4 CIDR block with no host bits set, like 10.0.0.0/16 ({err})") from None
    return str(network)


# Ranges a virtual network cannot use (virtual-networks-faq.md, "What address ranges can I use in my VNets?").
AZURE_RESERVED_RANGES = tuple(
    ipaddress.IPv4Network(r)
    for r in ("224.0.0.0/4", "255.255.255.255/32", "127.0.0.0/8", "169.254.0.0/16", "168.63.129.16/32")
)
AZURE_SMALLEST_SUBNET_PREFIX = 29
"""Azure's smallest IPv4 subnet is a /29: it keeps five addresses of every subnet for itself."""


def _azure_cidr(value: str) -> str:
    cidr = _cidr(value)
    network = ipaddress.IPv4Network(cidr)
    for reserved in AZURE_RESERVED_RANGES:
        if network.overlaps(reserved):
            raise ValueError(f"overlaps {reserved}, which Azure reserves and a virtual network cannot use")
    return cidr


def _azure_subnet_cidr(value: str) -> str:
    cidr = _azure_cidr(value)
    if ipaddress.IPv4Network(cidr).prefixlen > AZURE_SMALLEST_SUBNET_PREFIX:
        raise ValueError(f"must be a /{AZURE_SMALLEST_SUBNET_PREFIX} or larger: Azure's smallest subnet is a /29")
    return cidr


def _ipv4(value: str) -> str:
    try:
        return str(ipaddress.IPv4Address(value))
    except ValueError:
        raise ValueError("must be an IPv4 address like 172.31.10.11") from None


def _admin_cidr(value: str) -> str:
    cidr = _cidr(value)
    if ipaddress.IPv4Network(cidr).prefixlen == 0:
        raise ValueError("must not be 0.0.0.0/0: RDP to the appliance is only opened to your admin network")
    return cidr


AzureCidr = Annotated[str, AfterValidator(_azure_cidr)]
AzureSubnetCidr = Annotated[str, AfterValidator(_azure_subnet_cidr)]
IPv4 = Annotated[str, AfterValidator(_ipv4)]
AdminCidr = Annotated[str, AfterValidator(_admin_cidr)]
AzureLocation = Annotated[str, _rule(naming.azure_region_rule)]
AwsRegion = Annotated[str, _rule(naming.aws_region_rule)]
StorageAccountName = Annotated[str, _rule(naming.storage_account_rule)]
ResourceGroupName = Annotated[str, _rule(naming.resource_group_rule)]
VaultName = Annotated[str, _rule(naming.vault_rule)]
VirtualNetworkName = Annotated[str, _rule(naming.virtual_network_rule)]
SubnetName = Annotated[str, _rule(naming.subnet_rule)]
PolicyName = Annotated[str, _rule(naming.replication_policy_rule)]
WaveName = Annotated[str, _rule(naming.wave_name_rule)]
VpcId = Annotated[str, _rule(lambda v: naming.ec2_id_rule(v, "vpc"))]
SubnetId = Annotated[str, _rule(lambda v: naming.ec2_id_rule(v, "subnet"))]
InstanceId = Annotated[str, _rule(lambda v: naming.ec2_id_rule(v, "i"))]
AmiId = Annotated[str, _rule(lambda v: naming.ec2_id_rule(v, "ami"))]
VmSize = Annotated[str, Field(pattern=r"^(Standard|Basic)_[A-Za-z0-9_]+$")]


class _Model(BaseModel):
    """camelCase keys in YAML, snake_case in Python; unknown keys are errors, not silently ignored.

    Strict: YAML's `true` is not a number and `"5"` is not one either, so nothing is coerced."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True, strict=True)


class SubnetConfig(_Model):
    name: SubnetName
    prefix: AzureSubnetCidr


class NetworkConfig(_Model):
    name: VirtualNetworkName
    address_space: list[AzureCidr] = Field(min_length=1)
    subnets: list[SubnetConfig] = Field(min_length=1)
    test_failover_network: VirtualNetworkName | None = None
    """Name of the isolated network test failovers land in; default `<name>-test`.

    It mirrors the address space and subnets (so test VMs keep their production IPs) and is never
    peered or routed anywhere, which is what makes reusing the addresses safe."""

    @property
    def test_network_name(self) -> str:
        return self.test_failover_network or f"{self.name}-test"


def _vnet_id_rule(value: str) -> str | None:
    pattern = r"/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[^/]+/providers/Microsoft\.Network/virtualNetworks/[^/]+"
    if re.fullmatch(pattern, value):
        return None
    return (
        "must be the ARM id of a virtual network"
        " (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<name>)"
    )


VnetId = Annotated[str, _rule(_vnet_id_rule)]


class ExistingNetworkConfig(_Model):
    """A virtual network the platform team already runs (a spoke of a hub-and-spoke landing zone), by resource id,
    possibly in another resource group or subscription. The stack never changes or deletes it.

    `addressSpace` and `subnets` say what the network holds (checked against the real network in every preview, so
    a static IP is judged against the real subnet's range); the isolated test network mirrors them unless
    `testNetworkId` names one that exists."""

    id: VnetId
    address_space: list[AzureCidr] = Field(min_length=1)
    subnets: list[SubnetConfig] = Field(min_length=1)
    test_network_id: VnetId | None = None
    """An existing isolated network for test failovers; default: a mirror the stack creates in its resource group."""
    test_failover_network: VirtualNetworkName | None = None
    """The mirror's name when the stack creates it; default `<name>-test`."""

    @property
    def name(self) -> str:
        return self.id.rsplit("/", 1)[-1]

    @property
    def test_network_name(self) -> str:
        if self.test_network_id:
            return self.test_network_id.rsplit("/", 1)[-1]
        return self.test_failover_network or f"{self.name}-test"


class ReplicationPolicyConfig(_Model):
    """The wave's replication policy. Unset values take the architecture's portal defaults
    (`components.replication.policy_settings`, sources in docs/replication.md)."""

    name: PolicyName
    recovery_point_history_minutes: int | None = Field(default=None, ge=0)
    """How long recovery points are kept. Default: modernized 4320 (3 days), classic 1440 (24 hours).
    At most 21600 (15 days) for modernized and 4320 (72 hours) for classic (checked with the architecture)."""
    crash_consistent_frequency_minutes: int | None = Field(default=None, ge=5, le=60)
    """How often crash-consistent points are taken. Default 5, ASR's fixed interval."""
    app_consistent_frequency_minutes: int | None = Field(default=None, ge=0, le=720)
    """How often app-consistent points are taken; 0 turns them off. Default: modernized 0, classic 60."""


DiskType = Literal["Premium_LRS", "StandardSSD_LRS", "Standard_LRS"]
LicenseType = Literal["NoLicenseType", "WindowsServer", "LinuxServer"]


def _arm_id_rule(kind: str, what: str) -> Callable[[str], str | None]:
    def rule(value: str) -> str | None:
        pattern = rf"/subscriptions/[0-9a-fA-F-]{{36}}/resourceGroups/[^/]+/providers/Microsoft\.Compute/{kind}/[^/]+"
        if re.fullmatch(pattern, value):
            return None
        return f"must be the ARM id of {what} (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Compute/{kind}/<name>)"

    return rule


class TargetVmConfig(_Model):
    """Settings of a replica VM in Azure; `azure.targetDefaults` for the wave, `machines[].target` per machine.

    A machine's own value wins over the wave's default, which wins over the rule in `components/target_vm.py`."""

    disk_type: DiskType | None = None
    """Replica managed disks: Premium_LRS (Premium SSD), StandardSSD_LRS or Standard_LRS (Standard HDD).
    Default: Premium SSD for a VM size that takes it (an `s` size such as Standard_E8s_v5), else Standard SSD."""
    license_type: LicenseType | None = None
    """NoLicenseType (pay as you go, the default), WindowsServer (Azure Hybrid Benefit, windows machines) or
    LinuxServer (RHEL / SLES bring-your-own-subscription, linux machines, modernized only)."""
    availability_zone: int | None = Field(default=None, ge=1, le=3)
    availability_set_id: Annotated[str, _rule(_arm_id_rule("availabilitySets", "an availability set"))] | None = None
    disk_encryption_set_id: (
        Annotated[str, _rule(_arm_id_rule("diskEncryptionSets", "a disk encryption set"))] | None
    ) = None
    """Encrypt the replica disks with your key (a disk encryption set in the target region)."""
    boot_diagnostics: bool | None = None
    """Boot diagnostics into the wave's cache storage account; default on for modernized (classic cannot)."""
    static_ip: IPv4 | None = None
    """Per machine only: the replica's private IP in its target subnet (and the test failover VM's, in the
    mirrored test network); default: Azure assigns one."""


class AzureConfig(_Model):
    location: AzureLocation
    resource_group: ResourceGroupName
    storage_account: StorageAccountName
    storage_sku: Literal["Standard_LRS", "Standard_GRS", "Standard_RAGRS", "Standard_ZRS"] = "Standard_RAGRS"
    vault: VaultName
    network: NetworkConfig | None = None
    """The target network the stack creates (and its isolated test mirror); or `existingNetwork`."""
    existing_network: ExistingNetworkConfig | None = None
    """A network that already exists, by resource id: the stack declares no target network."""
    replication_policy: ReplicationPolicyConfig
    registration_timeout_minutes: int = Field(default=60, ge=1, le=1440)
    """How long `pulumi up` waits for the appliance / configuration server to register with the vault."""
    target_defaults: TargetVmConfig = Field(default_factory=TargetVmConfig)
    """The wave's replica VM settings; each machine's `target` may override them."""
    existing_vault_resource_group: ResourceGroupName | None = None
    """The resource group of a vault that already exists: the stack then uses vault `vault` there and never
    creates, changes or deletes it. Required for `classic`, which only a vault that already runs it accepts."""

    @property
    def vault_resource_group(self) -> str:
        """Where the vault is: an existing vault's resource group, or the wave's, where the stack creates it."""
        return self.existing_vault_resource_group or self.resource_group

    @property
    def layout(self) -> NetworkConfig | ExistingNetworkConfig:
        """The target network, created or existing (a rule of `cross_field_problems` makes it exactly one)."""
        layout = self.network or self.existing_network
        assert layout is not None, "azure.network or azure.existingNetwork is required"
        return layout


GP3_MAX_GIB = 16384
"""The largest gp3 volume, in GiB (EBS volume types); both appliance disks are gp3."""


FORMER_KEYS: dict[str, tuple[str, ...]] = {"applianceHost": ("configServer",)}
"""Config keys under their former names, still read so that existing stack files keep working."""


class ApplianceHostConfig(_Model):
    """`aws.applianceHost`: the EC2 instance ASR talks to (the architecture's `host_role`)."""

    name: Annotated[str, _rule(lambda v: naming.vm_name_rule(v, "linux"))]
    """The EC2 instance's Name tag and the prefix of its AWS resources (1-64 letters, digits, hyphens).

    Not the Windows computer name: the instance keeps the hostname EC2 gives it, and the vault is
    matched to the appliance by its private IP, not by name."""
    instance_type: Annotated[str, _rule(appliance_instance_type_rule)] = "c5.2xlarge"
    """Default: sized for the wave's machines and churn (`components/appliance_capacity.py`): c5.2xlarge, 8 vCPU and
    16 GiB, the support matrix's minimum, up to 99 machines and 500 GB a day; else c5.4xlarge (16 vCPU, 32 GiB).
    `components/appliance_sizing.py` lists the types accepted."""
    ami_id: AmiId | None = None
    """Override the Amazon-owned Windows Server AMI found by name filter."""
    os_disk_gb: int = Field(default=80, ge=80, le=GP3_MAX_GIB)
    data_disk_gb: int = Field(default=MIN_DATA_DISK_GB, ge=MIN_DATA_DISK_GB, le=GP3_MAX_GIB)
    """The process server's cache: default 620 GB, or 1,024 GB for a wave of more than 150 machines or 1 TB a day."""
    key_name: str | None = None
    """EC2 key pair for decrypting the Windows administrator password; optional."""


class AwsConfig(_Model):
    region: AwsRegion
    vpc_id: VpcId
    subnet_id: SubnetId
    admin_cidr: AdminCidr
    appliance_host: ApplianceHostConfig | None = Field(
        default=None, validation_alias=AliasChoices("applianceHost", *FORMER_KEYS["applianceHost"])
    )
    """The EC2 instance that hosts the replication appliance or the configuration server (`configServer`, its
    former key, is still read). Required, except in a wave on a foundation, whose appliances are the foundation's."""
    mobility_installer_s3_uri: (
        Annotated[str, Field(pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[A-Za-z0-9._/-]*)?$")] | None
    ) = None
    """Your own location of the Mobility agent installers; SSM installs and registers the agent from there. Unset,
    the appliance host publishes them to the wave's bucket (components/agent_bucket.py)."""
    expected_churn_gb_per_day: float | None = Field(default=None, ge=0)
    """The data a machine changes a day, for machines that do not say (`machines[].expectedChurnGbPerDay`): what the
    appliance is sized and checked for."""


def _boot_group_rule(value: int) -> str | None:
    if 1 <= value <= RECOVERY_PLAN_GROUPS.value:
        return None
    return (
        f"must be 1-{RECOVERY_PLAN_GROUPS.value}, a group of the wave's recovery plan ({RECOVERY_PLAN_GROUPS.cite()})"
    )


def _disks_rule(value: int) -> str | None:
    if 1 <= value <= DATA_DISKS.value + 1:
        return None
    return f"must be 1 (the OS disk) to {DATA_DISKS.value + 1}, with at most {DATA_DISKS.cite()}"


class MachineConfig(_Model):
    name: str
    instance_id: InstanceId
    private_ip: IPv4
    os: OsType
    vm_size: VmSize | None = None
    """Azure VM size after failover; when unset ASR picks the closest match to the source."""
    subnet: str | None = None
    """Target subnet (a name from azure.network.subnets); default: the first subnet."""
    local_account: bool = False
    """Windows only: replication uses a local (non-domain) account, so SSM sets LocalAccountTokenFilterPolicy=1."""
    retire: bool = False
    """Unprotects the machine's replicated item in the stack, so that removing the machine from the config
    afterwards drops it from the stack's state (its replication in ASR is never purged by the program)."""
    phase: Phase | None = None
    """This machine's lifecycle phase; default: lifecycle.phase (orchestration perMachine only)."""
    skip_test_failover: (
        Annotated[str, _rule(lambda v: None if len(v.strip()) >= 3 else "must say why the test failover is skipped")]
        | None
    ) = None
    """Why this machine may cut over without a recent test failover; recorded in the failover's outputs."""
    target: TargetVmConfig = Field(default_factory=TargetVmConfig)
    """This machine's replica VM settings, over `azure.targetDefaults`."""
    boot_group: Annotated[int, _rule(_boot_group_rule)] = 1
    expected_churn_gb_per_day: float | None = Field(default=None, ge=0)
    """The data this machine changes a day (the Deployment Planner or your monitoring tells), else
    `aws.expectedChurnGbPerDay`: what the appliance is sized and checked for."""
    appliance: str | None = None
    """A wave on a foundation: the name of the foundation's appliance that replicates this machine; default: the one
    with the most room (components/appliance_pool.py)."""
    disks: Annotated[int, _rule(_disks_rule)] = 1
    """How many disks replicate (OS and data; `discover` fills it in): counted against ASR's 3,000 protected disks
    per subscription."""
    """orchestration recoveryPlan: the plan's Boot group the machine starts in; group 1 first (the database tier
    before the app tier, the app tier before the web tier). ASR plans have at most 7 groups."""


class LifecycleConfig(_Model):
    """The wave's migration lifecycle (docs/lifecycle.md): move `phase` one step and run `pulumi up`."""

    phase: Phase = "replicate"
    orchestration: Literal["perMachine", "recoveryPlan"] = "perMachine"
    """perMachine: one ASR job per machine, in parallel; recoveryPlan: one ASR job per phase for the whole wave."""
    max_concurrency: int = Field(default=10, ge=1, le=200)
    """perMachine: how many machines' ASR jobs run at the same time."""
    test_failover_max_age_days: int = Field(default=7, ge=1, le=365)
    """cutover needs a successful, cleaned-up test failover at most this many days old."""
    recovery_point: Annotated[str, _rule(recovery_point_rule)] = "latest"
    """latest, latestProcessed, latestAppConsistent, or an ISO 8601 time (perMachine only)."""
    shutdown_source: bool = True
    """Stop the EC2 sources before failover (through the AWS API, then ASR's own best-effort shutdown)."""
    cleanup_notes: str | None = Field(default=None, min_length=1, max_length=1000)
    """The seed's test-failover cleanup notes ("record and save any observations associated with the test
    failover"): sent as the cleanup's comments and kept in the audit trail. Default: a fixed line."""


StackName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")]


class FoundationLink(_Model):
    """`foundation`: the migration foundation this wave shares (docs/foundation.md)."""

    stack: StackName
    """The foundation's fully qualified stack name (`<organization>/migration/<stack>`), read through a
    StackReference; its config is the file stacks/Pulumi.<stack>.yaml of this project: a `migration:foundation`,
    or an all-in-one wave that becomes the foundation of the waves after it."""

    @property
    def stack_file_name(self) -> str:
        return self.stack.rsplit("/", 1)[-1]


class SharedConfig(_Model):
    """What a wave's and a foundation's config both hold: the name, the architecture, the tags, the Azure side."""

    name: WaveName
    architecture: Architecture = "modernized"
    tags: dict[str, str] = Field(default_factory=dict, max_length=naming.MAX_USER_TAGS)
    azure: AzureConfig

    @property
    def profile(self) -> ArchitectureProfile:
        """Everything that differs between the architectures (components/architecture.py)."""
        return profile(self.architecture)

    @property
    def all_tags(self) -> dict[str, str]:
        """User tags plus the two the tool relies on to find its own resources."""
        return {**self.tags, **naming.tool_tags(self.name)}


class WaveConfig(SharedConfig):
    aws: AwsConfig
    machines: list[MachineConfig] = Field(min_length=1)
    lifecycle: LifecycleConfig = Field(default_factory=LifecycleConfig)
    foundation: FoundationLink | None = None
    """Set, the wave shares a foundation's vault, cache, policy, appliances and networks, and declares none of them:
    its `azure` and `aws` are the foundation's, the stack file gives only what the wave may add."""

    @property
    def appliance_host(self) -> ApplianceHostConfig:
        """The all-in-one wave's own appliance host (a rule makes it required without a foundation)."""
        assert self.aws.appliance_host is not None, "aws.applianceHost is required in a wave without a foundation"
        return self.aws.appliance_host

    @property
    def provider_type(self) -> str:
        """The ASR replication provider `instanceType` the architecture uses."""
        return self.profile.provider_type

    def phase_of(self, machine: MachineConfig) -> str:
        """The machine's lifecycle phase: its own `phase`, else the wave's."""
        return machine.phase or self.lifecycle.phase

    def recovery_plans(self) -> list[PlanLayout]:
        """The recovery plans a recoveryPlan wave runs: its machines not retired, in plans of at most 100."""
        return plan_layouts(self.name, [(m.name, m.boot_group) for m in self.machines if not m.retire])

    def subnet_of(self, machine: MachineConfig) -> str:
        """The target subnet of the machine's replica: its own `subnet`, else the network's first."""
        return machine.subnet or self.azure.layout.subnets[0].name


# --- Errors --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfigProblem:
    path: str
    value: Any
    rule: str

    def __str__(self) -> str:
        if self.value is MISSING:
            shown = "(missing)"
        elif self.value is NOT_SHOWN:
            shown = "(value not shown)"
        else:
            shown = repr(self.value)
        return f"{self.path}: {shown} {self.rule}"


MISSING = object()
NOT_SHOWN = object()
"""The value of an unknown key is never echoed: it may be a secret put under the wrong key."""


class WaveConfigError(MigrationError, ValueError):
    """All problems of one wave (or foundation) config, one per line, in the order they appear in the file."""

    def __init__(self, problems: list[ConfigProblem], root: str = CONFIG_PATH):
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{len(problems)} problem(s) in stack config '{root}':\n{lines}")


def _path(loc: Iterable[int | str], root: str = CONFIG_PATH) -> str:
    path = root
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _current_key(key: str) -> str | None:
    return next((current for current, former in FORMER_KEYS.items() if key in former), None)


def from_pydantic(error: Mapping[str, Any], root: str = CONFIG_PATH) -> ConfigProblem:
    """One pydantic error as a `ConfigProblem` under `root` (the stack config key)."""
    kind = error["type"]
    if kind == "missing":
        return ConfigProblem(_path(error["loc"], root), MISSING, "is required")
    if kind == "extra_forbidden" and (current := _current_key(str(error["loc"][-1]))):
        return ConfigProblem(
            _path(error["loc"], root), NOT_SHOWN, f"is the former name of {current}; keep only {current}"
        )
    if kind == "extra_forbidden":
        return ConfigProblem(
            _path(error["loc"], root), NOT_SHOWN, "is not a known key (see the README's config reference)"
        )
    if kind == "value_error":
        rule = str(error["ctx"]["error"])
    elif kind in ("model_type", "model_attributes_type", "dict_type"):
        rule = "must be a mapping of keys to values (see the README's config reference)"  # not pydantic's class name
    elif kind == "string_type" and isinstance(error["input"], (int, float, bool)):
        rule = "must be a string (write it in quotes in YAML)"
    else:
        message = error["msg"]
        rule = "must " + message[len("Input should ") :] if message.startswith("Input should ") else message
    return ConfigProblem(_path(error["loc"], root), error["input"], rule)


# --- Cross-field rules ---------------------------------------------------------------------------


def _networks(values: object) -> list[tuple[int, ipaddress.IPv4Network]]:
    """The entries of a list that parse as CIDRs, with their index; the rest is pydantic's to report."""
    parsed = []
    for index, value in enumerate(values if isinstance(values, list) else []):
        try:
            parsed.append((index, ipaddress.IPv4Network(str(value), strict=True)))
        except ValueError:
            continue
    return parsed


def _mapping(value: object) -> Mapping[str, Any]:
    """`value` if it is a mapping, else empty: the raw config may be any shape, pydantic reports that."""
    return value if isinstance(value, Mapping) else {}


def _mappings(value: object) -> list[Mapping[str, Any]]:
    """The entries of a raw list, non-mappings replaced by empty ones so indexes stay right."""
    return [_mapping(item) for item in value] if isinstance(value, list) else []


def _subnet_names(network: Mapping[str, Any]) -> list[str] | None:
    """The names of the network's subnets, or None when an entry is malformed (not a mapping, no string name):
    that entry is reported on its own, and a machine naming the subnet it was meant to be is not a second
    mistake."""
    subnets = network.get("subnets")
    if not isinstance(subnets, list):
        return None
    names = [s.get("name") if isinstance(s, Mapping) else None for s in subnets]
    return [n for n in names if isinstance(n, str) and n] if all(isinstance(n, str) and n for n in names) else None


def _network_problems(network: Mapping[str, Any], base: str) -> list[ConfigProblem]:
    problems = []
    spaces = _networks(network.get("addressSpace"))
    for (i, a), (j, b) in _pairs(spaces):
        problems.append(
            ConfigProblem(
                f"{base}.addressSpace[{j}]",
                str(b),
                f"overlaps addressSpace[{i}] {str(a)!r}; address spaces must not overlap",
            )
        )
    subnets = _mappings(network.get("subnets"))
    prefixes = _networks([s.get("prefix") for s in subnets])
    for index, prefix in prefixes:
        if spaces and not any(prefix.subnet_of(space) for _, space in spaces):
            problems.append(
                ConfigProblem(
                    f"{base}.subnets[{index}].prefix",
                    str(prefix),
                    f"must lie inside the address space {[str(s) for _, s in spaces]}",
                )
            )
    for (i, a), (j, b) in _pairs(prefixes):
        problems.append(
            ConfigProblem(
                f"{base}.subnets[{j}].prefix",
                str(b),
                f"overlaps subnets[{i}].prefix {str(a)!r}; subnets must not overlap",
            )
        )
    problems += _duplicates([s.get("name") for s in subnets], f"{base}.subnets", "name")
    return problems


def _pairs(items: list[tuple[int, ipaddress.IPv4Network]]):
    for n, (i, a) in enumerate(items):
        for j, b in items[n + 1 :]:
            if a.overlaps(b):
                yield (i, a), (j, b)


def _duplicates(values: list[Any], base: str, key: str, fold: Callable[[str], str] = str) -> list[ConfigProblem]:
    seen: dict[str, int] = {}
    problems = []
    for index, value in enumerate(values):
        if not isinstance(value, str):
            continue
        folded = fold(value)
        if folded in seen:
            problems.append(
                ConfigProblem(
                    f"{base}[{index}].{key}",
                    value,
                    f"duplicates {base.rsplit('.', 1)[-1]}[{seen[folded]}].{key}; each {key} must be unique",
                )
            )
        else:
            seen[folded] = index
    return problems


def shared_problems(raw: Mapping[str, Any]) -> list[ConfigProblem]:
    """Rules of what a wave and a foundation both declare: the network, the vault, the policy, the tags."""
    problems: list[ConfigProblem] = []
    network_key, network = _raw_network(raw)
    problems += _network_problems(network, f"{CONFIG_PATH}.azure.{network_key}")
    problems += _network_choice_problems(raw)
    name = network.get("name") if network_key == "network" else None
    if isinstance(name, str) and network.get("testFailoverNetwork") is None and not naming.virtual_network_rule(name):
        derived = f"{name}-test"
        problem = naming.virtual_network_rule(derived)
        if problem:
            problems.append(
                ConfigProblem(
                    f"{CONFIG_PATH}.azure.network.name",
                    name,
                    f"is too long to derive the test-failover network name {derived!r}, which {problem};"
                    " shorten it or set azure.network.testFailoverNetwork",
                )
            )
    problems += _vault_problems(raw)
    problems += _policy_problems(raw)
    for key, value in _mapping(raw.get("tags")).items():
        problem = naming.tag_rule(str(key), str(value))
        if problem:
            problems.append(ConfigProblem(f"{CONFIG_PATH}.tags.{key}", value, problem))
    return problems


def cross_field_problems(raw: Mapping[str, Any]) -> list[ConfigProblem]:
    """Rules between fields, checked on the raw mapping so they are reported alongside per-field errors."""
    problems = shared_problems(raw) + _appliance_choice_problems(raw)
    network = _raw_network(raw)[1]
    machines = _mappings(raw.get("machines"))
    base = f"{CONFIG_PATH}.machines"
    # Azure VM names and Windows computer names are case-insensitive.
    problems += _duplicates([m.get("name") for m in machines], base, "name", fold=str.lower)
    problems += _duplicates([m.get("instanceId") for m in machines], base, "instanceId")
    problems += _duplicates([m.get("privateIp") for m in machines], base, "privateIp")
    subnet_names = _subnet_names(network)
    for index, machine in enumerate(machines):
        subnet = machine.get("subnet")
        if subnet is not None and subnet_names and subnet not in subnet_names:
            problems.append(
                ConfigProblem(f"{base}[{index}].subnet", subnet, f"must be one of the network's subnets {subnet_names}")
            )
        if machine.get("localAccount") is True and machine.get("os") == "linux":
            problems.append(
                ConfigProblem(
                    f"{base}[{index}].localAccount",
                    True,
                    "applies to windows machines only (the seed's remote UAC setting)",
                )
            )
        name, os = machine.get("name"), machine.get("os")
        if isinstance(name, str):
            problem = naming.vm_name_rule(name, os if os in ("windows", "linux") else "linux")
            if problem:
                problems.append(ConfigProblem(f"{base}[{index}].name", name, problem))

    problems += _capacity_problems(raw)
    problems += _target_problems(raw)
    problems += _lifecycle_problems(raw)
    return problems


def _raw_network(raw: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    """The raw target network and its key: `network` (created) or `existingNetwork`."""
    azure = _mapping(raw.get("azure"))
    if azure.get("network") is None and azure.get("existingNetwork") is not None:
        return "existingNetwork", _mapping(azure.get("existingNetwork"))
    return "network", _mapping(azure.get("network"))


def _network_choice_problems(raw: Mapping[str, Any]) -> list[ConfigProblem]:
    """One target network, created or existing."""
    problems = []
    azure = _mapping(raw.get("azure"))
    if isinstance(raw.get("azure"), Mapping):
        both = azure.get("network") is not None and azure.get("existingNetwork") is not None
        if both or (azure.get("network") is None and azure.get("existingNetwork") is None):
            problems.append(
                ConfigProblem(
                    f"{CONFIG_PATH}.azure.network",
                    MISSING if not both else NOT_SHOWN,
                    "is required, or azure.existingNetwork instead (a network that already exists, by resource id);"
                    " not both",
                )
            )
    return problems


def _appliance_choice_problems(raw: Mapping[str, Any]) -> list[ConfigProblem]:
    """An appliance host of its own, unless the wave has a foundation; appliances by name only on a foundation."""
    problems = []
    aws = _mapping(raw.get("aws"))
    on_foundation = raw.get("foundation") is not None
    given = any(key in aws for key in ("applianceHost", *FORMER_KEYS["applianceHost"]))
    if isinstance(raw.get("aws"), Mapping) and not on_foundation and not given:
        problems.append(ConfigProblem(f"{CONFIG_PATH}.aws.applianceHost", MISSING, "is required"))
    if not on_foundation:
        for index, machine in enumerate(_mappings(raw.get("machines"))):
            if machine.get("appliance") is not None:
                problems.append(
                    ConfigProblem(
                        f"{CONFIG_PATH}.machines[{index}].appliance",
                        machine.get("appliance"),
                        "names an appliance of a foundation's pool: set `foundation` (docs/foundation.md), or leave it"
                        " out to use the wave's own aws.applianceHost",
                    )
                )
    return problems


def _target_problems(raw: Mapping[str, Any]) -> list[ConfigProblem]:
    """Replica settings that only fit some machines: a licence for the other OS, features classic lacks."""
    problems = []
    classic = _raw_profile(raw).is_classic
    defaults = _mapping(_mapping(raw.get("azure")).get("targetDefaults"))
    for index, machine in enumerate(_mappings(raw.get("machines"))):
        own = _mapping(machine.get("target"))
        merged = {**defaults, **{k: v for k, v in own.items() if v is not None}}

        def where(key: str, index: int = index, own: Mapping[str, Any] = own) -> str:
            base = f"{CONFIG_PATH}.machines[{index}].target" if key in own else f"{CONFIG_PATH}.azure.targetDefaults"
            return f"{base}.{key}"

        license_type, os = merged.get("licenseType"), machine.get("os")
        if (license_type, os) in (("WindowsServer", "linux"), ("LinuxServer", "windows")):
            problems.append(
                ConfigProblem(
                    where("licenseType"),
                    license_type,
                    f"does not fit {machine.get('name')!r}, a {os} machine (WindowsServer is for windows, LinuxServer"
                    " for linux)",
                )
            )
        if classic and license_type == "LinuxServer":
            problems.append(ConfigProblem(where("licenseType"), license_type, "needs the modernized architecture"))
        if classic and merged.get("bootDiagnostics") is True:
            problems.append(ConfigProblem(where("bootDiagnostics"), True, "needs the modernized architecture"))
        problems += _static_ip_problems(raw, index, machine, own)
        if merged.get("availabilityZone") is not None and merged.get("availabilitySetId") is not None:
            problems.append(
                ConfigProblem(
                    where("availabilitySetId"),
                    merged.get("availabilitySetId"),
                    "cannot be combined with an availabilityZone: a VM is in a zone or in a set",
                )
            )
    if defaults.get("staticIp") is not None:
        problems.append(
            ConfigProblem(
                f"{CONFIG_PATH}.azure.targetDefaults.staticIp",
                defaults["staticIp"],
                "is set per machine (machines[].target)",
            )
        )
    seen: dict[str, int] = {}
    for index, machine in enumerate(_mappings(raw.get("machines"))):
        ip = _mapping(machine.get("target")).get("staticIp")
        if isinstance(ip, str) and ip in seen:
            problems.append(
                ConfigProblem(
                    f"{CONFIG_PATH}.machines[{index}].target.staticIp",
                    ip,
                    f"is already machines[{seen[ip]}]'s: each replica needs its own address",
                )
            )
        elif isinstance(ip, str):
            seen[ip] = index
    return list({str(p): p for p in problems}.values())  # a wave default's mistake once, not once per machine


def _static_ip_problems(
    raw: Mapping[str, Any], index: int, machine: Mapping[str, Any], own: Mapping[str, Any]
) -> list[ConfigProblem]:
    """A machine's static IP must be a usable address of its target subnet (Azure keeps the first four and the
    last address of every subnet)."""
    ip = own.get("staticIp")
    subnets = _mappings(_raw_network(raw)[1].get("subnets"))
    name = machine.get("subnet") or (subnets[0].get("name") if subnets else None)
    subnet = next((s for s in subnets if s.get("name") == name), None)
    try:
        address = ipaddress.IPv4Address(str(ip))
        network = ipaddress.IPv4Network(_azure_subnet_cidr(str((subnet or {}).get("prefix"))))
    except ValueError:
        return []  # the address or the subnet is refused on its own
    field = f"{CONFIG_PATH}.machines[{index}].target.staticIp"
    if address not in network:
        return [ConfigProblem(field, ip, f"is outside the machine's target subnet {name} ({network})")]
    if int(address) - int(network.network_address) < 4 or address == network.broadcast_address:
        return [
            ConfigProblem(
                field, ip, f"is reserved by Azure in subnet {name} ({network}: the first four and the last address)"
            )
        ]
    return []


CLASSIC_DEPRECATION = "https://learn.microsoft.com/azure/site-recovery/vmware-physical-azure-classic-deprecation"


def _raw_profile(raw: Mapping[str, Any]) -> ArchitectureProfile:
    """The profile of the raw config's architecture (the default one while the field itself is in error)."""
    return PROFILES.get(str(raw.get("architecture") or "modernized"), MODERNIZED)


def _vault_problems(raw: Mapping[str, Any]) -> list[ConfigProblem]:
    """Classic only on a vault that already exists; an existing vault outside the landing zone's resource group."""
    azure = _mapping(raw.get("azure"))
    existing = azure.get("existingVaultResourceGroup")
    problems = []
    if not _raw_profile(raw).creates_vault and existing is None:
        problems.append(
            ConfigProblem(
                f"{CONFIG_PATH}.architecture",
                "classic",
                "needs a vault that already uses it (set azure.existingVaultResourceGroup): vaults created after"
                f" 15 Nov 2022 refuse the classic architecture ({CLASSIC_DEPRECATION}); a new wave uses modernized",
            )
        )
    if isinstance(existing, str) and existing == azure.get("resourceGroup"):
        problems.append(
            ConfigProblem(
                f"{CONFIG_PATH}.azure.existingVaultResourceGroup",
                existing,
                "must differ from azure.resourceGroup, which the stack creates for the landing zone",
            )
        )
    return problems


def _policy_problems(raw: Mapping[str, Any]) -> list[ConfigProblem]:
    architecture = _raw_profile(raw)
    history = _mapping(_mapping(raw.get("azure")).get("replicationPolicy")).get("recoveryPointHistoryMinutes")
    limit = architecture.max_recovery_point_history_minutes
    if isinstance(history, int) and not isinstance(history, bool) and history > limit:
        return [
            ConfigProblem(
                f"{CONFIG_PATH}.azure.replicationPolicy.recoveryPointHistoryMinutes",
                history,
                f"must be at most {limit} for the {architecture.name} architecture",
            )
        ]
    return []


def _lifecycle_problems(raw: Mapping[str, Any]) -> list[ConfigProblem]:
    """A recovery plan moves the whole wave with one recovery point type: no per-machine phase, no custom time."""
    lifecycle = _mapping(raw.get("lifecycle"))
    if lifecycle.get("orchestration") != "recoveryPlan":
        return []
    problems = []
    point = lifecycle.get("recoveryPoint")
    if isinstance(point, str) and point not in NAMED_RECOVERY_POINTS and not recovery_point_rule(point):
        problems.append(
            ConfigProblem(
                f"{CONFIG_PATH}.lifecycle.recoveryPoint",
                point,
                f"must be one of {', '.join(NAMED_RECOVERY_POINTS)} with orchestration recoveryPlan"
                " (a recovery plan takes a recovery point type, not a time)",
            )
        )
    for index, machine in enumerate(_mappings(raw.get("machines"))):
        if machine.get("phase") is not None and machine.get("phase") != lifecycle.get("phase", "replicate"):
            problems.append(
                ConfigProblem(
                    f"{CONFIG_PATH}.machines[{index}].phase",
                    machine.get("phase"),
                    "needs lifecycle.orchestration: perMachine (a recovery plan moves the whole wave)",
                )
            )
    return problems


def parse_wave(raw: object) -> WaveConfig:
    """Validate the raw `migration:wave` object (None when unset); raise `WaveConfigError` with every problem found."""
    if raw is None:
        raise WaveConfigError(
            [ConfigProblem(CONFIG_PATH, MISSING, "is required: see stacks/Pulumi.wave1.yaml for an example")]
        )
    if not isinstance(raw, Mapping):
        raise WaveConfigError(
            [ConfigProblem(CONFIG_PATH, raw, "must be a mapping (see the README's config reference)")]
        )
    raw = with_sized_appliance(raw)
    problems: list[ConfigProblem] = []
    wave = None
    try:
        wave = WaveConfig.model_validate(raw)
    except ValidationError as err:
        problems += [from_pydantic(e) for e in err.errors()]
    # One message per mistake: a field pydantic already refused is not judged again against other fields.
    refused = {p.path for p in problems}
    problems += [p for p in cross_field_problems(raw) if p.path not in refused]
    if problems:
        unique = {str(p): p for p in problems}.values()
        raise WaveConfigError(sorted(unique, key=lambda p: _order(raw, p.path)))
    assert wave is not None
    return wave


def with_sized_appliance(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    """`raw` with the appliance host's instance type and data disk sized for the wave where the file leaves them out."""
    aws = raw.get("aws")
    host = aws.get("applianceHost") if isinstance(aws, Mapping) else None
    if not isinstance(host, Mapping) or ("instanceType" in host and "dataDiskGb" in host):
        return raw
    instance_type, data_disk_gb = appliance_capacity.default_size(appliance_capacity.wave_load(raw))
    sized = {"instanceType": instance_type, "dataDiskGb": data_disk_gb, **host}
    return {**raw, "aws": {**aws, "applianceHost": sized}}  # type: ignore[dict-item]


def _capacity_problems(raw: Mapping[str, Any]) -> list[ConfigProblem]:
    """The appliance is rated for the wave's machines and churn, and the wave's disks fit the subscription's limit."""
    load = appliance_capacity.wave_load(raw)
    problems = []
    # On a foundation the pool's appliances serve every wave: components/appliance_pool.py judges their load.
    too_much = None if raw.get("foundation") is not None else appliance_capacity.too_much_for_one(load)
    if too_much:
        problems.append(ConfigProblem(f"{CONFIG_PATH}.machines", str(load), too_much))
    host = _mapping(_mapping(raw.get("aws")).get("applianceHost"))
    instance_type, data_disk = host.get("instanceType"), host.get("dataDiskGb")
    judged = (  # a type or a disk refused on its own is one mistake, not two
        isinstance(instance_type, str)
        and appliance_instance_type_rule(instance_type) is None
        and isinstance(data_disk, int)
        and not isinstance(data_disk, bool)
        and data_disk >= MIN_DATA_DISK_GB
    )
    if not too_much and judged:
        assert isinstance(instance_type, str) and isinstance(data_disk, int)
        problem = appliance_capacity.undersized(instance_type, data_disk, load)
        if problem:
            problems.append(ConfigProblem(f"{CONFIG_PATH}.aws.applianceHost.instanceType", instance_type, problem))
    disks = sum(_disk_count(m) for m in _mappings(raw.get("machines")) if m.get("retire") is not True)
    if disks > PROTECTED_DISKS_PER_SUBSCRIPTION.value:
        problems.append(
            ConfigProblem(
                f"{CONFIG_PATH}.machines",
                f"{disks} disks",
                f"is more than ASR protects in one subscription ({PROTECTED_DISKS_PER_SUBSCRIPTION.cite()});"
                " waves replicating into the same subscription share the limit",
            )
        )
    return problems


def _disk_count(machine: Mapping[str, Any]) -> int:
    """A raw machine's `disks`, 1 (its OS disk) when unset or refused on its own."""
    value = machine.get("disks")
    return value if isinstance(value, int) and not isinstance(value, bool) else 1


def _order(raw: Mapping[str, Any], path: str) -> tuple[int, str]:
    """Sort problems in the order their top-level keys appear in the file, then by path."""
    top = path[len(CONFIG_PATH) + 1 :].split(".")[0].split("[")[0]
    keys = list(raw)
    return (keys.index(top) if top in keys else len(keys), path)
