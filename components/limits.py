"""The hosts' published limits this project's design depends on, each once, with the page it comes from.

The program, the config rules, the eligibility checks and the test doubles all read these values, so a change in
Microsoft's or AWS's tables is one edit here. Each `Limit` names its source page and the date it was read; a
message that refuses something for a limit quotes `Limit.cite()`.

AWS quotas marked adjustable are the defaults every account starts with; the design keeps under them rather than
asking for a raise.
"""

from __future__ import annotations

from dataclasses import dataclass

READ = "2026-12-06"


@dataclass(frozen=True)
class Limit:
    value: int
    what: str
    source: str
    """The page's title and address."""
    read: str = READ

    def cite(self) -> str:
        return f"{self.what}: {self.value:,} ({self.source}, read {self.read})"


# ---- AWS --------------------------------------------------------------------------------------------------------

_VPC_QUOTAS = "Amazon VPC quotas, https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html"

SECURITY_GROUP_INBOUND_RULES = Limit(60, "inbound rules per security group (default quota)", _VPC_QUOTAS)
SECURITY_GROUPS_PER_INTERFACE = Limit(5, "security groups per network interface (default quota)", _VPC_QUOTAS)
BUCKET_POLICY_BYTES = Limit(
    20 * 1024,
    'bytes in an S3 bucket policy ("Bucket policies are limited to 20 KB in size")',
    "Amazon S3 user guide, https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-iam-policies.html",
)

# ---- Azure Site Recovery ------------------------------------------------------------------------------------------

_PLANS = "About recovery plans, https://learn.microsoft.com/azure/site-recovery/recovery-plan-overview"
RECOVERY_PLAN_ITEMS = Limit(100, "protected instances in one recovery plan", _PLANS)
RECOVERY_PLAN_GROUPS = Limit(
    7,
    "groups in one recovery plan",
    "Create and customize recovery plans, https://learn.microsoft.com/azure/site-recovery/site-recovery-create-recovery-plans",
)

PHYSICAL_MATRIX = (
    "Support matrix for disaster recovery of VMware VMs and physical servers to Azure,"
    " https://learn.microsoft.com/azure/site-recovery/vmware-physical-azure-support-matrix"
)
PROTECTED_DISKS_PER_SUBSCRIPTION = Limit(
    3000, "ASR-protected disks (OS and data) per target subscription", PHYSICAL_MATRIX
)
OS_DISK_GB_GEN1 = Limit(2048, "GB of OS disk, Generation 1 machines", PHYSICAL_MATRIX)
OS_DISK_GB_GEN2 = Limit(4095, "GB of OS disk, Generation 2 machines", PHYSICAL_MATRIX)
DATA_DISKS = Limit(64, "data disks per machine", PHYSICAL_MATRIX)
DATA_DISK_GB = Limit(32 * 1024, "GB per data disk, replicating to managed disks (32 TB)", PHYSICAL_MATRIX)

_APPLIANCE = (
    "Support matrix for the replication appliance (Sizing and capacity),"
    " https://learn.microsoft.com/azure/site-recovery/replication-appliance-support-matrix"
)
_CAPACITY = (
    "Plan capacity and scaling for VMware disaster recovery to Azure (configuration and process server sizing),"
    " https://learn.microsoft.com/azure/site-recovery/site-recovery-plan-capacity-vmware"
)


@dataclass(frozen=True)
class ApplianceTier:
    """One row of Microsoft's sizing table: a host with at least this much serves up to `machines` and `churn`."""

    vcpu: int
    memory_gib: int
    cache_gb: int
    churn_gb_per_day: int
    machines: int


APPLIANCE_TIERS = (
    ApplianceTier(vcpu=8, memory_gib=16, cache_gb=300, churn_gb_per_day=500, machines=99),
    ApplianceTier(vcpu=12, memory_gib=18, cache_gb=600, churn_gb_per_day=1000, machines=150),
    ApplianceTier(vcpu=16, memory_gib=32, cache_gb=1024, churn_gb_per_day=2000, machines=200),
)
"""The process server sizing table of `_CAPACITY` (fewer than 100, 100-150 and 151-200 machines); its last row is the
only row `_APPLIANCE` gives the modernized appliance ("can handle up to 200 VMs": 16 vCPU, 32 GB, 1 TB cache,
over 1 TB to 2 TB of churn a day). The modernized page documents no smaller row, so the smaller rows of the same
process server's table apply to both architectures."""
APPLIANCE_SIZING_SOURCE = f"{_APPLIANCE}; {_CAPACITY}"


def appliance_tier(vcpu: int, memory_gib: float, cache_gb: int) -> ApplianceTier | None:
    """The largest tier a host of this size meets, or None when it is below the smallest."""
    met = [t for t in APPLIANCE_TIERS if vcpu >= t.vcpu and memory_gib >= t.memory_gib and cache_gb >= t.cache_gb]
    return met[-1] if met else None


def tier_for(machines: int, churn_gb_per_day: int) -> ApplianceTier | None:
    """The smallest tier rated for this load, or None when no single appliance is."""
    return next((t for t in APPLIANCE_TIERS if machines <= t.machines and churn_gb_per_day <= t.churn_gb_per_day), None)


# ---- Azure-to-Azure disaster recovery (the DR project, dr/) -------------------------------------------------------

_A2A_MATRIX = (
    "Support matrix for Azure VM disaster recovery between Azure regions,"
    " https://learn.microsoft.com/azure/site-recovery/azure-to-azure-support-matrix"
)
A2A_RESTRICTED_REGIONS: dict[str, str] = {
    "switzerlandwest": "switzerlandnorth",
    "francesouth": "francecentral",
    "norwaywest": "norwayeast",
    "jioindiacentral": "jioindiawest",
    "brazilsoutheast": "brazilsouth",
    "southafricawest": "southafricanorth",
    "germanynorth": "germanywestcentral",
    "uaecentral": "uaenorth",
}
"""Regions "reserved for in-country/region disaster recovery" (restricted region -> the region whose customers may
use it), usable as primary or recovery region only once both subscriptions are allow-listed (`_A2A_MATRIX`)."""
A2A_RESTRICTED_SOURCE = f"{_A2A_MATRIX}, read {READ}"
A2A_APP_CONSISTENT_MIN_MINUTES = Limit(
    60,
    'minutes between app-consistent recovery points, at least ("a minimum frequency of one hour"; 0 turns them off)',
    "Common questions about Azure-to-Azure disaster recovery,"
    " https://learn.microsoft.com/azure/site-recovery/azure-to-azure-common-questions",
)
