"""`ProtectableMachine` (classic): adds an EC2 instance to the configuration server as a physical machine.

In the classic architecture a physical server is made protectable with
POST `.../replicationFabrics/{fabric}/replicationProtectionContainers/{container}/discoverProtectableItem`
and `{"properties": {"friendlyName", "ipAddress", "osType"}}`. That is what the portal's "+Physical machine"
(physical-azure-disaster-recovery.md, step 9) and PowerShell's `New-AzRecoveryServicesAsrProtectableItem`
(`NewAzureRmRecoveryServicesAsrProtectableItem.cs`) send. The answer is 202 and an ASR job; when the job has
succeeded the machine is listed under `.../replicationProtectableItems`, and its id is the
`protectableItemId` that enabling protection needs.

Idempotent: the container's protectable items are read first; a machine already listed with the same friendly
name (case-insensitive, as PowerShell compares) and IP is not discovered again. Delete does nothing: ASR has
no API to remove a protectable item, it goes with the machine's registration on the configuration server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
from azure.mgmt.recoveryservicessiterecovery import models
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

from components.asr.arm import resolve_subscription_id, site_recovery_client
from components.asr.checks import required_strings
from components.asr.jobs import start_job, wait_for_job

PROVIDER_VERSION = "1"
OS_TYPES = ("Windows", "Linux")
_KEYS = ("resource_group_name", "vault_name", "fabric_name", "container_name", "friendly_name", "ip_address")
_REPLACING_INPUTS = ("subscription_id", *_KEYS, "os_type")


@dataclass
class ProtectableMachineArgs:
    """Inputs of `ProtectableMachine`; `os_type` is `Windows` or `Linux`, as the API spells it."""

    resource_group_name: pulumi.Input[str]
    vault_name: pulumi.Input[str]
    fabric_name: pulumi.Input[str]
    container_name: pulumi.Input[str]
    friendly_name: pulumi.Input[str]
    ip_address: pulumi.Input[str]
    os_type: pulumi.Input[str]
    version: pulumi.Input[str] = PROVIDER_VERSION
    subscription_id: pulumi.Input[str] | None = None


class ProtectableMachineError(RuntimeError):
    """Discovery finished but ASR does not list the machine."""


class ProtectableMachineProvider(ResourceProvider):
    """Dynamic provider of `ProtectableMachine`; holds no state, client or credential (it is pickled)."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = required_strings(news, _KEYS)
        if news.get("os_type") not in OS_TYPES:
            failures.append(CheckFailure("os_type", f"os_type: {news.get('os_type')!r} must be one of Windows, Linux"))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [k for k in (*_REPLACING_INPUTS, "version") if olds.get(k) != news.get(k)]
        replaces = [k for k in changed if k in _REPLACING_INPUTS]
        return DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        outs = _discover(props)
        return CreateResult(outs["protectable_item_id"], outs)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(_discover(news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        with site_recovery_client(resolve_subscription_id(props.get("subscription_id"))) as client:
            item = _listed(client, props)
        return ReadResult(id_, props if item is None else {**props, **_outputs(item)})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing to do: see the module docstring."""


class ProtectableMachine(Resource, module="asr", name="ProtectableMachine"):
    """A classic physical machine made protectable (discoverProtectableItem); see the module docstring."""

    protectable_item_id: pulumi.Output[str]
    protectable_item_name: pulumi.Output[str]

    def __init__(self, name: str, args: ProtectableMachineArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(
            ProtectableMachineProvider(),
            name,
            {
                "resource_group_name": args.resource_group_name,
                "vault_name": args.vault_name,
                "fabric_name": args.fabric_name,
                "container_name": args.container_name,
                "friendly_name": args.friendly_name,
                "ip_address": args.ip_address,
                "os_type": args.os_type,
                "version": args.version,
                "subscription_id": args.subscription_id,
                "protectable_item_id": None,
                "protectable_item_name": None,
            },
            opts,
        )


def _discover(props: dict[str, Any]) -> dict[str, Any]:
    rg, vault = props["resource_group_name"], props["vault_name"]
    with site_recovery_client(resolve_subscription_id(props.get("subscription_id"))) as client:
        item = _listed(client, props)
        if item is None:
            request = models.DiscoverProtectableItemRequest(
                properties=models.DiscoverProtectableItemRequestProperties(
                    friendly_name=props["friendly_name"], ip_address=props["ip_address"], os_type=props["os_type"]
                )
            )
            job = start_job(
                client,
                client.replication_protection_containers.begin_discover_protectable_item,
                rg,
                vault,
                props["fabric_name"],
                props["container_name"],
                request,
            )
            wait_for_job(
                client,
                rg,
                vault,
                job,
                progress=lambda s: pulumi.log.info(f"{props['friendly_name']}: {s.friendly_name} {s.state}"),
            )
            item = _listed(client, props)
        if item is None:
            raise ProtectableMachineError(
                f"discoverProtectableItem for {props['friendly_name']} ({props['ip_address']}) succeeded, but container"
                f" {props['container_name']} lists no protectable item with that name and IP. Check the configuration"
                " server's discovery (Configuration Servers > Refresh in the vault) and run `pulumi up` again."
            )
    return {**props, **_outputs(item)}


def _listed(client: Any, props: dict[str, Any]) -> dict[str, Any] | None:
    pager = client.replication_protectable_items.list_by_replication_protection_containers(
        props["resource_group_name"], props["vault_name"], props["fabric_name"], props["container_name"]
    )
    wanted = props["friendly_name"].lower()
    for raw in pager:
        item = raw.as_dict()
        properties = item.get("properties") or {}
        ip = (properties.get("customDetails") or {}).get("ipAddress")
        if str(properties.get("friendlyName", "")).lower() == wanted and ip in (None, props["ip_address"]):
            return item
    return None


def _outputs(item: dict[str, Any]) -> dict[str, Any]:
    return {"protectable_item_id": item["id"], "protectable_item_name": item["name"]}
