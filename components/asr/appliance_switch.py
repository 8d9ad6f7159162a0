"""`WaveApplianceSwitch`: each replicating machine of a wave on a foundation is served by the appliance it is assigned.

A machine's appliance is chosen when its replication is enabled (`processServerId`); when its assignment changes
(a pin in `machines[].appliance`, or the pool's spread), its item keeps replicating through the old one, since
enabling replication again is never sent (components/replication.py). This resource moves it with ASR's own
operation, the portal's *Switch appliance*: `ReplicationProtectedItems_UpdateAppliance` (POST
`.../replicationProtectedItems/{item}/updateAppliance`, api-version 2025-08-01), whose `targetApplianceId` is the
target appliance's `processServers[].id` in the vault's fabric (Az PowerShell's
`Start-AzRecoveryServicesAsrSwitchAppliance` looks it up there), `providerSpecificDetails` `InMageRcm` with no
run-as account (the Mobility agents came through SSM, credential-less).

It is a wave action (components/asr/wave_actions.py): per machine, read the item, attach to a running job on it,
record `AlreadyDone` when the item already names its appliance's process server (every machine, right after
replication is enabled), else send the switch once and follow its job. ASR documents no scenario name for this
job, so it is followed only if it names the item as its target (`JobMatch` with no scenarios). A machine is run
again when its assigned appliance changes, not only when its last record failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
from azure.mgmt.recoveryservicessiterecovery import models
from pulumi.dynamic import Resource

from components.asr.action_inputs import ActionInputs
from components.asr.action_protocol import Action, ActionRefusedError
from components.asr.provider_inputs import provider_inputs
from components.asr.wave_actions import WaveActionProvider, declare, pending_machines


def serving_process_server(item: Any) -> str | None:
    """The process server an InMageRcm item replicates through."""
    details = item.properties.provider_specific_details if item.properties is not None else None
    return getattr(details, "process_server_id", None)


class ApplianceSwitchAction(Action):
    """Move one item to the appliance (process server) `process_server_id`."""

    kind = "appliance switch"
    method = "update_appliance"
    operation = ""  # ASR lists no allowedOperations entry for it; the service refuses what it cannot do
    scenarios: frozenset[str] = frozenset()
    on_plans = False

    def machine_keys(self, news: Mapping[str, Any]) -> tuple[str, ...]:
        return ("process_server_id",)

    def done(self, item: Any, props: dict[str, Any]) -> str | None:
        return "AlreadyDone" if serving_process_server(item) == props["process_server_id"] else None

    def item_body(self, props: dict[str, Any], item: Any, extra: dict[str, Any]) -> Any:
        specific = provider_inputs(props["architecture"]).switch_appliance
        if specific is None:
            raise ActionRefusedError(f"{props['machine_name']}: the {props['architecture']} architecture has no pool")
        return models.UpdateApplianceForReplicationProtectedItemInput(
            properties=models.UpdateApplianceForReplicationProtectedItemInputProperties(
                target_appliance_id=props["process_server_id"], provider_specific_details=specific()
            )
        )

    def notes(self, props: dict[str, Any]) -> dict[str, Any]:
        return {"process_server_id": props["process_server_id"]}


class WaveApplianceSwitchProvider(WaveActionProvider):
    action = ApplianceSwitchAction()

    def todo(self, olds: dict[str, Any], machines: dict[str, Any]) -> list[str]:
        """The machines without a successful record, and those whose appliance changed since it was made."""
        before = olds.get("machines") or {}
        moved = [
            name
            for name, entry in machines.items()
            if (before.get(name) or {}).get("process_server_id") != entry.get("process_server_id")
        ]
        return sorted(set(pending_machines(olds, machines)) | set(moved))


class WaveApplianceSwitch(Resource, module="asr", name="WaveApplianceSwitch"):
    """Each machine on its assigned appliance (see the module docstring); `results`: machine -> record."""

    results: pulumi.Output[dict[str, Any]]

    def __init__(self, name: str, inputs: ActionInputs, opts: pulumi.ResourceOptions | None = None) -> None:
        declare(self, WaveApplianceSwitchProvider(), name, inputs, opts)
