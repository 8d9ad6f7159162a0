"""`WaveTargetIp`: give each replica the static private IP its machine's config asks for (`target.staticIp`).

ASR takes no IP when replication is enabled: the replica's address is a setting of the protected item's
network adapter, changed with an update of the item (`PATCH .../replicationProtectedItems/{item}`, the call
behind Azure PowerShell's `Set-AzRecoveryServicesAsrReplicationProtectedItem -RecoveryNicStaticIPAddress`),
which runs as an ASR job (`UpdateVmProperties`, "Update the virtual machine"). One resource per wave runs it
for every machine with a static IP, up to `max_concurrency` at once, like the lifecycle's actions
(`components.asr.wave_actions`: same records, re-runs, attach-instead-of-resend and failure handling).

Per machine, after reading the item:
* its primary adapter already has the address: `AlreadyDone`, nothing sent;
* the item has failed over, or shows no adapter yet (ASR fills `vmNics` in once it knows the machine): refused
  with what to do, nothing sent; the next `pulumi up` tries again;
* else the update sets the primary adapter's target subnet and address, and the same for test failovers (the
  test network mirrors the target network's subnets, docs/replication.md), through the SDK's typed inputs:
  `InMageRcmUpdateReplicationProtectedItemInput.vmNics` (modernized), `vmNics[].ipConfigs` (classic).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
from azure.mgmt.recoveryservicessiterecovery import models
from pulumi.dynamic import Resource

from components.asr.action_inputs import ActionInputs
from components.asr.action_protocol import Action, props_of
from components.asr.provider_inputs import provider_inputs
from components.asr.wave_actions import WaveActionProvider, declare


def primary_nic(item: Any) -> Any | None:
    """The item's primary network adapter as ASR reports it, or None when it reports none yet."""
    nics = list(getattr(props_of(item).provider_specific_details, "vm_nics", None) or [])
    for nic in nics:
        if str(getattr(nic, "is_primary_nic", "")).lower() == "true" or any(
            getattr(c, "is_primary", False) for c in getattr(nic, "ip_configs", None) or []
        ):
            return nic
    return nics[0] if nics else None


def target_ip(nic: Any) -> str | None:
    """The address the replica gets on `nic`: InMageRcm's `targetIPAddress`, classic's primary ipConfig's
    `recoveryStaticIPAddress`."""
    if hasattr(nic, "target_ip_address"):
        return nic.target_ip_address  # type: ignore[no-any-return]
    config = _primary_config(nic)
    return config.recovery_static_ip_address if config is not None else None


def _primary_config(nic: Any) -> Any | None:
    configs = list(getattr(nic, "ip_configs", None) or [])
    return next((c for c in configs if c.is_primary), configs[0] if configs else None)


class TargetIpAction(Action):
    kind = "target IP"
    method = "update"
    scenarios = frozenset({"updatevmproperties"})
    on_plans = False

    def machine_keys(self, news: Mapping[str, Any]) -> tuple[str, ...]:
        return ("static_ip", "subnet_name")

    def done(self, item: Any, props: dict[str, Any]) -> str | None:
        nic = primary_nic(item)
        return "AlreadyDone" if nic is not None and target_ip(nic) == props["static_ip"] else None

    def guard(self, item: Any, props: dict[str, Any]) -> str | None:
        if (props_of(item).active_location or "Primary") != "Primary":
            return "the machine has failed over; its replica's address cannot change now"
        if primary_nic(item) is None:
            return (
                f"ASR shows no network adapter on item {props['protected_item_name']} yet (it lists them once it has"
                " discovered the machine); run `pulumi up` again when the item shows its adapters"
            )
        return None

    def prepare(self, item: Any, props: dict[str, Any]) -> dict[str, Any]:
        return {"previous_ip": target_ip(primary_nic(item))}

    def item_body(self, props: dict[str, Any], item: Any, extra: dict[str, Any]) -> Any:
        nic = primary_nic(item)
        assert nic is not None  # the guard refused an item without one
        config = None if hasattr(nic, "target_ip_address") else _primary_config(nic)
        properties = provider_inputs(props["architecture"]).static_ip(
            nic.nic_id, config.name if config is not None else None, props["subnet_name"], props["static_ip"]
        )
        return models.UpdateReplicationProtectedItemInput(properties=properties)

    def notes(self, props: dict[str, Any]) -> dict[str, Any]:
        return {"static_ip": props["static_ip"]}


class WaveTargetIpProvider(WaveActionProvider):
    action = TargetIpAction()


class WaveTargetIp(Resource, module="asr", name="WaveTargetIp"):
    """The static IPs of the wave's replicas (see the module docstring); `results`: machine -> record."""

    results: pulumi.Output[dict[str, Any]]

    def __init__(self, name: str, inputs: ActionInputs, opts: pulumi.ResourceOptions | None = None) -> None:
        declare(self, WaveTargetIpProvider(), name, inputs, opts)
