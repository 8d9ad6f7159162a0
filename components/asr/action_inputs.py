"""The typed inputs of the action resources: what the program declares and what their providers read, in one place.

`ActionInputs` are the inputs of a wave action (`components.asr.wave_actions`, `machines` keyed by machine name) or
a recovery plan action (`components.asr.plan_actions`, `machines` a list whose entries name their machine); a
`MachineEntry` is one machine in them. `to_props()` gives the resource's inputs (a field left None is left out, as
the engine leaves out a None input anyway), `from_props()` reads them back in a provider; the keys the providers
share with each machine, and those every entry must have, come from the fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

import pulumi


@dataclass(frozen=True)
class MachineEntry:
    """One machine of an action: its protected item, and what the action needs of it."""

    machine_name: str | None = field(default=None, kw_only=True)
    """In a recovery plan action's list (a wave action keys its entries by machine name)."""
    fabric_name: pulumi.Input[str]
    container_name: pulumi.Input[str]
    protected_item_name: str
    instance_id: str | None = None
    """The EC2 instance a failover with `shutdown_source` stops first."""
    skip_test_failover_reason: str | None = None
    migrated_vm_id: pulumi.Input[str] | None = None
    """The failed-over VM (complete migration records it when the item is already gone)."""
    static_ip: str | None = None
    subnet_name: str | None = None
    process_server_id: pulumi.Input[str] | None = None
    """The appliance (process server) the machine is assigned."""

    def to_props(self) -> dict[str, Any]:
        return _props(self)

    @classmethod
    def from_props(cls, props: Mapping[str, Any]) -> MachineEntry:
        return cls(**{f.name: props[f.name] for f in fields(cls) if f.name in props})


@dataclass(frozen=True)
class ActionInputs:
    """The inputs of one action resource (the vault by name from config: known at preview time, so a change upstream
    never shows as a replacement of an action that ran)."""

    resource_group_name: str
    vault_name: str
    architecture: str
    subscription_id: str | None = None
    recovery_point: str | None = None
    test_network_id: pulumi.Input[str] | None = None
    test_failover_max_age_days: float | None = None
    shutdown_source: bool | None = None
    aws_region: str | None = None
    max_concurrency: int | None = None
    recovery_plan_name: str | None = None
    comments: str | None = None
    machines: Mapping[str, MachineEntry] | Sequence[MachineEntry] = field(default_factory=dict)

    def to_props(self) -> dict[str, Any]:
        props = _props(self)
        props["machines"] = (
            {name: entry.to_props() for name, entry in self.machines.items()}
            if isinstance(self.machines, Mapping)
            else [entry.to_props() for entry in self.machines]
        )
        return props

    @classmethod
    def from_props(cls, props: Mapping[str, Any]) -> ActionInputs:
        machines = props.get("machines") or {}
        read = (
            {name: MachineEntry.from_props(entry) for name, entry in machines.items()}
            if isinstance(machines, Mapping)
            else [MachineEntry.from_props(entry) for entry in machines]
        )
        values = {f.name: props[f.name] for f in fields(cls) if f.name in props and f.name != "machines"}
        return cls(**values, machines=read)


SHARED_KEYS = tuple(f.name for f in fields(ActionInputs) if f.name not in ("machines", "max_concurrency"))
"""The inputs of a wave action every machine's action sees with its entry."""
ENTRY_KEYS = tuple(f.name for f in fields(MachineEntry) if f.default is MISSING)
"""What every machine entry must give (non-empty strings)."""


def _props(value: Any) -> dict[str, Any]:
    return {f.name: v for f in fields(value) if (v := getattr(value, f.name)) is not None}
