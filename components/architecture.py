"""The two ASR architectures a wave can use, and every fact that differs between them, in one place.

`modernized` is the replication appliance (replication provider `InMageRcm`), the only one a new vault
accepts since 15 Nov 2022; `classic` is the configuration server (`InMageAzureV2`), for a vault that already
uses it (https://learn.microsoft.com/azure/site-recovery/vmware-physical-azure-classic-deprecation). The components, the dynamic providers, the offline plan and
the eligibility checks ask `profile(name)` instead of comparing the architecture's name themselves.

The SDKs' typed inputs that differ (`InMageRcmTestFailoverInput` or `InMageAzureV2TestFailoverInput`, ...) are
built in two modules only: the actions' in `components/asr/provider_inputs.py` (ASR SDK), the policy's and the
protected items' in `components/replication.py` (azure-native); this module stays free of cloud SDKs so that
everything, the plugin included, can import it cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Architecture = Literal["modernized", "classic"]


@dataclass(frozen=True)
class ArchitectureProfile:
    name: Architecture
    provider_type: str
    """The replication provider `instanceType`: the policy's, the protected item's and the actions' inputs."""
    fabric_type: str
    """The `instanceType` of the fabric the appliance or configuration server registers."""
    host_role: str
    """What the EC2 host that ASR talks to is called in Microsoft's documents."""
    host_ami_filter: str
    """The Amazon-owned Windows Server AMI name filter for that host."""
    agent_cs_type: str
    """The Mobility agent's `/CSType` when it registers (vmware-physical-mobility-service-overview.md)."""
    known_secrets: tuple[str, ...]
    """Every `migration:` secret the architecture reads when it is set (components/secrets.py)."""
    required_secrets: tuple[str, ...]
    """The secrets without which nothing is planned."""
    staged_secrets: tuple[str, ...]
    """Secrets that only exist after the first `pulumi up` (components/stages.py)."""
    boot_diagnostics_default: bool
    """Whether replicas get boot diagnostics by default: only `InMageRcm` takes a boot diagnostics account."""
    creates_vault: bool
    """Whether a wave may create its vault (a new vault refuses the classic architecture)."""
    policy_defaults: dict[str, int]
    """The portal's replication policy defaults, in minutes (docs/replication.md, "Replication policy")."""
    max_recovery_point_history_minutes: int
    """The longest recovery point retention the architecture allows."""
    vault_setting_provider_type: str | None
    """The vault setting's `vmwareToAzureProviderType` the architecture needs set (None: the new vault's default)."""

    @property
    def is_classic(self) -> bool:
        return self.name == "classic"


_COMMON_SECRETS = ("vaultRegistrationKey", "appliancePassphrase")
_CLASSIC_SECRETS = (*_COMMON_SECRETS, "mysqlRootPassword", "mysqlUserPassword")

MODERNIZED = ArchitectureProfile(
    name="modernized",
    provider_type="InMageRcm",
    fabric_type="InMageRcm",
    host_role="replication appliance",
    # replication-appliance-support-matrix.md: Windows Server 2022, English locale.
    host_ami_filter="Windows_Server-2022-English-Full-Base-*",
    agent_cs_type="CSPrime",
    known_secrets=_COMMON_SECRETS,
    required_secrets=(),  # the key is optional, the passphrase staged
    staged_secrets=("appliancePassphrase",),
    boot_diagnostics_default=True,
    creates_vault=True,
    policy_defaults={"recovery_point_history": 3 * 24 * 60, "crash_consistent": 5, "app_consistent": 0},
    # 15 days (physical-server-enable-replication.md).
    max_recovery_point_history_minutes=15 * 24 * 60,
    vault_setting_provider_type=None,
)
CLASSIC = ArchitectureProfile(
    name="classic",
    provider_type="InMageAzureV2",
    fabric_type="VMware",
    host_role="configuration server",
    # The seed tutorial's configuration server: Windows Server 2012 R2 (physical-manage-configuration-server.md).
    host_ami_filter="Windows_Server-2012-R2_RTM-English-64Bit-Base-*",
    agent_cs_type="CSLegacy",
    known_secrets=_CLASSIC_SECRETS,
    # An existing vault: the passwords can be had before the first up, and its credentials file is generated
    # (components/asr/vault_credentials.py) unless vaultRegistrationKey gives one.
    required_secrets=("appliancePassphrase", "mysqlRootPassword", "mysqlUserPassword"),
    staged_secrets=(),
    boot_diagnostics_default=False,
    creates_vault=False,
    policy_defaults={
        "recovery_point_history": 24 * 60,
        "crash_consistent": 5,
        "app_consistent": 60,
        "rpo_threshold": 60,
    },
    # At most 72 hours on standard storage (physical-azure-disaster-recovery.md).
    max_recovery_point_history_minutes=72 * 60,
    vault_setting_provider_type="Vmware",
)
PROFILES: dict[str, ArchitectureProfile] = {p.name: p for p in (MODERNIZED, CLASSIC)}
PROVIDER_TYPES: dict[str, str] = {name: p.provider_type for name, p in PROFILES.items()}
"""Architecture name -> replication provider type (what the dynamic providers' `architecture` input accepts)."""


def profile(name: str) -> ArchitectureProfile:
    """The profile of `modernized` or `classic`; a clear error for anything else."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"architecture: {name!r} must be one of {', '.join(PROFILES)}") from None
