"""The wave stack's outputs contract, version 2: what follow-on stacks (the DR stack) may rely on.

Pure code, no Pulumi: the wave program builds its machine entries with `machine_entry` (values may be
Outputs, passed through untouched), and the DR program reads a wave's outputs back with
`read_wave_outputs`, which refuses a contract version it does not know. docs/dr.md documents every field.

Version history:
  1  wave, location, resource group, vault, networks, appliance; machines[] = name, instanceId, privateIp, os, vmSize
  2  machines[] also carry sourceType, vmResourceId, managedDiskIds, preparation and drReady (post-migration
     preparation for Azure-to-Azure DR); every v1 field is unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from components.errors import MigrationError

OUTPUTS_VERSION = 2
SUPPORTED_VERSIONS = frozenset({2})
"""Versions `read_wave_outputs` understands. v1 has no migrated VM ids, so DR cannot be built from it."""

READ_KEYS = ("outputsVersion", "wave", "location", "resourceGroupName", "networkId", "machines")
"""The top-level outputs `read_wave_outputs` reads: what a DR stack fetches through its StackReference."""

SOURCE_TYPES = ("physical", "vmware", "hyperv")
OPERATING_SYSTEMS = ("windows", "linux")

VM_ID = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Compute/virtualMachines/[^/]+$", re.I
)
DISK_ID = re.compile(r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Compute/disks/[^/]+$", re.I)


class ContractError(MigrationError, ValueError):
    """A wave stack's outputs do not meet the contract; the message names the field, the value and the rule."""


def machine_entry(
    *,
    name: Any,
    instance_id: Any,
    private_ip: Any,
    os: Any,
    vm_size: Any,
    source_type: Any = "physical",
    vm_resource_id: Any = None,
    managed_disk_ids: Any = None,
    preparation: Any = None,
    dr_ready: Any = False,
) -> dict[str, Any]:
    """One `machines[]` entry of contract v2. Until a machine's migration is complete and it has been
    prepared, leave `vm_resource_id`, `managed_disk_ids` and `preparation` unset: `drReady` is then false."""
    return {
        "name": name,
        "instanceId": instance_id,
        "privateIp": private_ip,
        "os": os,
        "vmSize": vm_size,
        "sourceType": source_type,
        "vmResourceId": vm_resource_id,
        "managedDiskIds": [] if managed_disk_ids is None else managed_disk_ids,
        "preparation": preparation,
        "drReady": dr_ready,
    }


@dataclass(frozen=True)
class ReadyMachine:
    """A machine the DR stack protects: migrated, prepared, `drReady`."""

    name: str
    os: str
    vm_resource_id: str
    managed_disk_ids: tuple[str, ...]

    @property
    def resource_group_name(self) -> str:
        return self.vm_resource_id.split("/")[4]


@dataclass(frozen=True)
class WaveOutputs:
    """What the DR stack reads from a wave stack (contract v2)."""

    version: int
    wave: str
    location: str
    resource_group_name: str
    network_id: str
    machines: tuple[str, ...]
    ready: tuple[ReadyMachine, ...]

    @property
    def not_ready(self) -> tuple[str, ...]:
        ready = {m.name for m in self.ready}
        return tuple(name for name in self.machines if name not in ready)


def check_outputs_version(value: object, stack: str) -> int:
    """The wave's `outputsVersion`, if this code supports it; else a `ContractError` saying what to do."""
    supported = ", ".join(str(v) for v in sorted(SUPPORTED_VERSIONS))
    if isinstance(value, float) and value.is_integer():  # numbers cross the engine as floats
        value = int(value)
    if value is None:
        raise ContractError(
            f"wave stack {stack}: outputsVersion is missing; this DR stack reads contract version(s) {supported}."
            " Is the stack reference pointing at a migration wave, and has that wave been deployed (`pulumi up`)?"
        )
    if isinstance(value, bool) or not isinstance(value, int) or value not in SUPPORTED_VERSIONS:
        raise ContractError(
            f"wave stack {stack}: outputsVersion {value!r} is not supported; this DR stack reads contract"
            f" version(s) {supported}. Run `pulumi up` on the wave with a program that exports version"
            f" {max(SUPPORTED_VERSIONS)}, or use the DR program release that matches the wave (docs/dr.md)."
        )
    return value


def read_wave_outputs(outputs: Mapping[str, Any], stack: str) -> WaveOutputs:
    """Validate a wave stack's outputs (plain values) against contract v2 and pick its DR-ready machines."""
    version = check_outputs_version(outputs.get("outputsVersion"), stack)
    wave = _text(outputs, "wave", stack)
    location = _text(outputs, "location", stack)
    resource_group_name = _text(outputs, "resourceGroupName", stack)
    network_id = _text(outputs, "networkId", stack)
    raw_machines = outputs.get("machines")
    if not isinstance(raw_machines, Sequence) or isinstance(raw_machines, str):
        raise ContractError(f"wave stack {stack}: machines: {raw_machines!r} must be a list of machine entries")
    names: list[str] = []
    ready: list[ReadyMachine] = []
    for index, entry in enumerate(raw_machines):
        where = f"machines[{index}]"
        if not isinstance(entry, Mapping):
            raise ContractError(f"wave stack {stack}: {where}: {entry!r} must be an object")
        name = _text(entry, "name", stack, where)
        names.append(name)
        if entry.get("drReady") is not True:
            continue
        where = f"machines[{index}] ({name})"
        os = entry.get("os")
        if os not in OPERATING_SYSTEMS:
            raise ContractError(f"wave stack {stack}: {where}.os: {os!r} must be one of {', '.join(OPERATING_SYSTEMS)}")
        vm_id = entry.get("vmResourceId")
        if not isinstance(vm_id, str) or not VM_ID.match(vm_id):
            raise ContractError(
                f"wave stack {stack}: {where}.vmResourceId: {vm_id!r} must be the ARM id of a virtual machine"
                " (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Compute/virtualMachines/<name>)"
                " when drReady is true"
            )
        disks = entry.get("managedDiskIds")
        if (
            not isinstance(disks, Sequence)
            or isinstance(disks, str)
            or not disks
            or not all(isinstance(d, str) and DISK_ID.match(d) for d in disks)
        ):
            raise ContractError(
                f"wave stack {stack}: {where}.managedDiskIds: {disks!r} must list the VM's managed disk ids"
                " (OS disk first) when drReady is true"
            )
        ready.append(ReadyMachine(name=name, os=os, vm_resource_id=vm_id, managed_disk_ids=tuple(disks)))
    return WaveOutputs(version, wave, location, resource_group_name, network_id, tuple(names), tuple(ready))


def _text(values: Mapping[str, Any], key: str, stack: str, where: str = "") -> str:
    value = values.get(key)
    if not isinstance(value, str) or not value:
        field = f"{where}.{key}" if where else key
        raise ContractError(f"wave stack {stack}: {field}: {value!r} must be a non-empty string")
    return value
