"""A machine's replica VM settings, resolved: its own `target`, over the wave's `azure.targetDefaults`, over the rules.

The defaults no one has to write down:
- disk type: Premium SSD (`Premium_LRS`) for a VM size that takes premium storage (the sizes with an `s` among
  their feature letters, such as Standard_D4s_v5 or Standard_E8s_v5), else Standard SSD (`StandardSSD_LRS`).
  The portal's own default is Standard HDD, which no migrated server should get by accident; set
  `diskType: Standard_LRS` to ask for it.
- licence: `NoLicenseType` (pay as you go); Azure Hybrid Benefit is a choice (`WindowsServer`, `LinuxServer`).
- boot diagnostics: on for modernized, into the wave's cache storage account (classic has no such input).
- tags: the wave's tags (with `migration-wave` and `managed-by`) on the VM, its disks and its NICs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from components.config import MachineConfig, WaveConfig

_PREMIUM_SIZE = re.compile(r"^Standard_([A-Z]*S\d|[A-Z]+\d+[a-z]*s)")
"""Azure's size naming: feature letters after the vCPU count, `s` for premium storage (Standard_D4s_v5); the older
series say it in the family name (Standard_DS3_v2, Standard_GS5)."""


@dataclass(frozen=True)
class TargetVm:
    disk_type: str
    license_type: str
    availability_zone: str | None
    availability_set_id: str | None
    disk_encryption_set_id: str | None
    boot_diagnostics: bool
    tags: dict[str, str]
    static_ip: str | None = None
    """The replica's private IP (the machine's own `target.staticIp`; never a wave default)."""


def default_disk_type(vm_size: str | None) -> str:
    return "Premium_LRS" if vm_size and _PREMIUM_SIZE.match(vm_size) else "StandardSSD_LRS"


def resolve(wave: WaveConfig, machine: MachineConfig) -> TargetVm:
    own, defaults = machine.target, wave.azure.target_defaults

    def pick(field: str) -> object:
        value = getattr(own, field)
        return value if value is not None else getattr(defaults, field)

    zone = pick("availability_zone")
    boot = pick("boot_diagnostics")
    return TargetVm(
        disk_type=str(pick("disk_type") or default_disk_type(machine.vm_size)),
        license_type=str(pick("license_type") or "NoLicenseType"),
        availability_zone=str(zone) if zone is not None else None,
        availability_set_id=pick("availability_set_id"),  # type: ignore[arg-type]
        disk_encryption_set_id=pick("disk_encryption_set_id"),  # type: ignore[arg-type]
        boot_diagnostics=bool(boot) if boot is not None else wave.profile.boot_diagnostics_default,
        tags=wave.all_tags,
        static_ip=own.static_ip,
    )
