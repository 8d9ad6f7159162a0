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

from collections.abc import Callable
from typing import Any

import pulumi
from azure.mgmt.recoveryservicessiterecovery import models
from pulumi.dynamic import Resource

from components.asr.item_actions import ActionRefusedError, ItemAction, props_of
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


class TargetIpAction(ItemAction):
    kind = "target IP"
    scenarios = frozenset({"updatevmproperties"})

    def begin(self, client: Any) -> Callable[..., Any]:
        return client.replication_protected_items.begin_update  # type: ignore[no-any-return]

    def already_done(self, item: Any, props: dict[str, Any]) -> str | None:
        nic = primary_nic(item)
        return "AlreadyDone" if nic is not None and target_ip(nic) == props["static_ip"] else None

    def guard(self, props: dict[str, Any], item: Any, what: str) -> None:
        if (props_of(item).active_location or "Primary") != "Primary":
            raise ActionRefusedError(f"{what}: the machine has failed over; its replica's address cannot change now")
        if primary_nic(item) is None:
            raise ActionRefusedError(
                f"{what}: ASR shows no network adapter on item {props['protected_item_name']} yet (it lists them once"
                " it has discovered the machine); run `pulumi up` again when the item shows its adapters"
            )

    def before(
        self, props: dict[str, Any], client: Any, coordinates: tuple[str, str, str, str, str], item: Any
    ) -> dict[str, Any]:
        nic = primary_nic(item)
        assert nic is not None  # the guard refused an item without one
        config = None if hasattr(nic, "target_ip_address") else _primary_config(nic)
        return {
            "nic_id": nic.nic_id,
            "ip_config_name": config.name if config is not None else None,
            "previous_ip": target_ip(nic),
        }

    def body(self, props: dict[str, Any], extra: dict[str, Any]) -> Any:
        ip, subnet = props["static_ip"], props["subnet_name"]
        properties = provider_inputs(props["architecture"]).static_ip(
            extra["nic_id"], extra["ip_config_name"], subnet, ip
        )
        return models.UpdateReplicationProtectedItemInput(properties=properties)

    def details(self, props: dict[str, Any], item: Any, extra: dict[str, Any] | None) -> dict[str, Any]:
        return {"static_ip": props["static_ip"], **({"previous_ip": extra["previous_ip"]} if extra else {})}


class WaveTargetIpProvider(WaveActionProvider):
    action = TargetIpAction()

    def machine_required(self, news: dict[str, Any]) -> tuple[str, ...]:
        return ("static_ip", "subnet_name")


class WaveTargetIp(Resource, module="asr", name="WaveTargetIp"):
    """The static IPs of the wave's replicas (see the module docstring); `results`: machine -> record."""

    results: pulumi.Output[dict[str, Any]]

    def __init__(self, name: str, inputs: dict[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        declare(self, WaveTargetIpProvider(), name, inputs, opts)
