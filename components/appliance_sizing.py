"""The EC2 instance types the appliance (or classic configuration server) may run on, and its minimum size.

The appliance is a Windows Server VM, so only x86_64 families that run Windows are listed. Sizes and
memory are from the EC2 instance type pages (docs.aws.amazon.com/ec2/latest/instancetypes/), kept by
hand because botocore ships no instance type table. The minimum is the support matrix's for both
architectures: 8 vCPU and 16 GiB (replication-appliance-support-matrix.md; vmware-physical-azure-
config-process-server-overview.md for the classic configuration server).
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_VCPU = 8
MIN_MEMORY_GIB = 16
MIN_DATA_DISK_GB = 620
"""The appliance's data disk: the support matrix's minimum ("OS disk (80 GB) and a data disk (620 GB)")."""


@dataclass(frozen=True)
class InstanceType:
    vcpu: int
    memory_gib: float


def _size_vcpu(size: str) -> int:
    if size == "large":
        return 2
    if size == "xlarge":
        return 4
    return 4 * int(size.removesuffix("xlarge"))


def _family(sizes: str, gib_per_vcpu: float) -> dict[str, InstanceType]:
    return {size: InstanceType(_size_vcpu(size), _size_vcpu(size) * gib_per_vcpu) for size in sizes.split()}


_GENERAL = "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge"
_FAMILIES: dict[str, dict[str, InstanceType]] = {
    "c5": _family("large xlarge 2xlarge 4xlarge 9xlarge 12xlarge 18xlarge 24xlarge", 2),
    "c5a": _family(_GENERAL, 2),
    "c5n": _family("large xlarge 2xlarge 4xlarge 9xlarge 18xlarge", 2.625),
    "c6i": _family(_GENERAL + " 32xlarge", 2),
    "c6a": _family(_GENERAL + " 32xlarge 48xlarge", 2),
    "c7i": _family(_GENERAL + " 48xlarge", 2),
    "c7a": _family(_GENERAL + " 32xlarge 48xlarge", 2),
    "m5": _family(_GENERAL, 4),
    "m5a": _family(_GENERAL, 4),
    "m6i": _family(_GENERAL + " 32xlarge", 4),
    "m6a": _family(_GENERAL + " 32xlarge 48xlarge", 4),
    "m7i": _family(_GENERAL + " 48xlarge", 4),
    "m7a": _family(_GENERAL + " 32xlarge 48xlarge", 4),
    "r5": _family(_GENERAL, 8),
    "r5a": _family(_GENERAL, 8),
    "r6i": _family(_GENERAL + " 32xlarge", 8),
    "r6a": _family(_GENERAL + " 32xlarge 48xlarge", 8),
    "r7i": _family(_GENERAL + " 48xlarge", 8),
    "t3": {
        "medium": InstanceType(2, 4),
        "large": InstanceType(2, 8),
        "xlarge": InstanceType(4, 16),
        "2xlarge": InstanceType(8, 32),
    },
}
INSTANCE_TYPES: dict[str, InstanceType] = {
    f"{family}.{size}": spec for family, sizes in _FAMILIES.items() for size, spec in sizes.items()
}


def appliance_instance_type_rule(value: str) -> str | None:
    """None when `value` is a listed type with at least the appliance's minimum, else the rule in words."""
    spec = INSTANCE_TYPES.get(value)
    if spec is None:
        return (
            f"must be an x86_64 instance type of the families {', '.join(_FAMILIES)}"
            " (the appliance is a Windows Server VM), such as c5.2xlarge"
        )
    if spec.vcpu < MIN_VCPU or spec.memory_gib < MIN_MEMORY_GIB:
        return (
            f"has {spec.vcpu} vCPU and {spec.memory_gib:g} GiB; the appliance needs at least"
            f" {MIN_VCPU} vCPU and {MIN_MEMORY_GIB} GiB (for example c5.2xlarge or m5.2xlarge)"
        )
    return None
