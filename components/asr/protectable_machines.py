"""`ProtectableMachines` (classic): adds a wave's EC2 instances to the configuration server as physical machines,
in one resource for the wave (the machines are added in parallel inside one call, one plugin worker).

In the classic architecture a physical server is made protectable with
POST `.../replicationFabrics/{fabric}/replicationProtectionContainers/{container}/discoverProtectableItem`
and `{"properties": {"friendlyName", "ipAddress", "osType"}}`. That is what the portal's "+Physical machine"
(physical-azure-disaster-recovery.md, step 9) and PowerShell's `New-AzRecoveryServicesAsrProtectableItem`
(`NewAzureRmRecoveryServicesAsrProtectableItem.cs`) send. The answer is 202 and an ASR job; when the job has
succeeded the machine is listed under `.../replicationProtectableItems`, and its id is the
`protectableItemId` that enabling protection needs.

Idempotent: the container's protectable items are read first (once for the wave); a machine already listed with
the same friendly name (case-insensitive, as PowerShell compares) and IP is not discovered again. Delete does nothing: ASR has
no API to remove a protectable item, it goes with the machine's registration on the configuration server.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pulumi
from azure.mgmt.recoveryservicessiterecovery import models
from pulumi.dynamic import CheckFailure, CreateResult, ReadResult, Resource, UpdateResult

from components.asr.arm import resolve_subscription_id, site_recovery_client
from components.asr.checks import machine_entries, one_of
from components.asr.jobs import JobMatch, log_progress, start_job, wait_for_job
from components.asr.provider import (
    OFFLINE_STAND_IN,
    DeclaredInputsProvider,
    offline_hex,
    offline_vault,
)
from components.errors import MigrationError

PROVIDER_VERSION = "2"
OS_TYPES = ("Windows", "Linux")
_CONTAINER_KEYS = ("resource_group_name", "vault_name", "fabric_name", "container_name")
DISCOVERY_CONCURRENCY = 10


@dataclass
class ProtectableMachinesArgs:
    """Inputs of `ProtectableMachines`: the configuration server's container, and machine name ->
    `{"ip_address", "os_type"}` (`Windows` or `Linux`, as the API spells it)."""

    resource_group_name: pulumi.Input[str]
    vault_name: pulumi.Input[str]
    fabric_name: pulumi.Input[str]
    container_name: pulumi.Input[str]
    machines: pulumi.Input[Mapping[str, Mapping[str, str]]]
    version: pulumi.Input[str] = PROVIDER_VERSION
    subscription_id: pulumi.Input[str] | None = None


class ProtectableMachineError(MigrationError, RuntimeError):
    """Discovery finished but ASR does not list the machine."""


class ProtectableMachinesProvider(DeclaredInputsProvider):
    """Dynamic provider of `ProtectableMachines`; holds no state, client or credential (it is pickled)."""

    required = _CONTAINER_KEYS
    replacing = ("subscription_id", *_CONTAINER_KEYS)
    updating = ("machines", "version")

    def preview_outputs(self, typ: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        container = f"{offline_vault(inputs)}/replicationFabrics/{inputs.get('fabric_name')}/replicationProtectionContainers/{inputs.get('container_name')}"
        names = {m: f"{OFFLINE_STAND_IN}-{offline_hex(typ, name, m, length=12)}" for m in inputs.get("machines") or {}}
        return {
            "protectable_item_ids": {m: f"{container}/replicationProtectableItems/{item}" for m, item in names.items()},
            "protectable_item_names": names,
        }

    def validate(self, news: dict[str, Any]) -> list[CheckFailure]:
        machines, failures = machine_entries(news, "must map machine names to their IP and OS")
        for name, entry in machines.items():
            for failure in one_of(entry, "os_type", OS_TYPES):
                failures.append(CheckFailure("machines", f"machines.{name}.{failure.reason}"))
        return failures

    def create(self, props: dict[str, Any]) -> CreateResult:
        items = _discover(props, dict(props["machines"]))
        container = "/".join(props[key] for key in _CONTAINER_KEYS)
        return CreateResult(f"protectable:{container}", {**props, **_outputs(items)})

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Discover only new machines and those whose IP or OS changed; keep the others' items."""
        same = all(olds.get(key) == news.get(key) for key in _CONTAINER_KEYS)
        old_machines, old_ids = olds.get("machines") or {}, olds.get("protectable_item_ids") or {}
        old_names = olds.get("protectable_item_names") or {}
        machines = dict(news["machines"])
        keep = [n for n, entry in machines.items() if same and old_machines.get(n) == entry and n in old_ids]
        found = _outputs(_discover(news, {n: e for n, e in machines.items() if n not in keep}))
        return UpdateResult(
            {
                **news,
                "protectable_item_ids": {**{n: old_ids[n] for n in keep}, **found["protectable_item_ids"]},
                "protectable_item_names": {**{n: old_names.get(n) for n in keep}, **found["protectable_item_names"]},
            }
        )

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        with site_recovery_client(resolve_subscription_id(props.get("subscription_id"))) as client:
            listed = _listed(client, props)
        found = {n: item for n, entry in (props.get("machines") or {}).items() if (item := _match(listed, n, entry))}
        outputs = _outputs(found)
        return ReadResult(
            id_,
            {
                **props,
                "protectable_item_ids": {
                    **(props.get("protectable_item_ids") or {}),
                    **outputs["protectable_item_ids"],
                },
            },
        )


class ProtectableMachines(Resource, module="asr", name="ProtectableMachines"):
    """A wave's classic physical machines made protectable (discoverProtectableItem); see the module docstring."""

    protectable_item_ids: pulumi.Output[dict[str, str]]
    protectable_item_names: pulumi.Output[dict[str, str]]

    def __init__(self, name: str, args: ProtectableMachinesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(
            ProtectableMachinesProvider(),
            name,
            {
                "resource_group_name": args.resource_group_name,
                "vault_name": args.vault_name,
                "fabric_name": args.fabric_name,
                "container_name": args.container_name,
                "machines": args.machines,
                "version": args.version,
                "subscription_id": args.subscription_id,
                "protectable_item_ids": None,
                "protectable_item_names": None,
            },
            opts,
        )


class ProtectableMachineProvider(DeclaredInputsProvider):
    """The per-machine provider of older versions, kept so their stacks can forget its records (it sends nothing)."""


def _discover(props: dict[str, Any], wanted: dict[str, dict[str, str]]) -> dict[str, dict[str, Any]]:
    """Make every machine of `wanted` protectable; machine name -> its protectable item (REST JSON)."""
    if not wanted:
        return {}
    with site_recovery_client(
        resolve_subscription_id(props.get("subscription_id")), pool_size=DISCOVERY_CONCURRENCY
    ) as client:
        listed = _listed(client, props)
        found = {n: item for n, entry in wanted.items() if (item := _match(listed, n, entry))}
        todo = [n for n in wanted if n not in found]
        with ThreadPoolExecutor(max(1, min(DISCOVERY_CONCURRENCY, len(todo)))) as pool:
            list(pool.map(lambda name: _discover_one(client, props, name, wanted[name]), todo))
        if todo:
            listed = _listed(client, props)
            found.update({n: item for n in todo if (item := _match(listed, n, wanted[n]))})
    missing = [n for n in wanted if n not in found]
    if missing:
        raise ProtectableMachineError(
            f"discoverProtectableItem for {', '.join(missing)} succeeded, but container {props['container_name']}"
            " lists no protectable item with that name and IP. Check the configuration server's discovery"
            " (Configuration Servers > Refresh in the vault) and run `pulumi up` again."
        )
    return found


def _discover_one(client: Any, props: dict[str, Any], name: str, entry: dict[str, str]) -> None:
    rg, vault = props["resource_group_name"], props["vault_name"]
    request = models.DiscoverProtectableItemRequest(
        properties=models.DiscoverProtectableItemRequestProperties(
            friendly_name=name, ip_address=entry["ip_address"], os_type=entry["os_type"]
        )
    )
    what = f"{name}: add as a physical machine"
    job = start_job(
        client,
        client.replication_protection_containers.begin_discover_protectable_item,
        rg, vault, props["fabric_name"], props["container_name"], request,
        match=JobMatch(frozenset({"discoverprotectableitem"}), ()), what=what,
    )  # fmt: skip
    wait_for_job(client, rg, vault, job, progress=log_progress(what))


def _listed(client: Any, props: dict[str, Any]) -> list[dict[str, Any]]:
    pager = client.replication_protectable_items.list_by_replication_protection_containers(
        props["resource_group_name"], props["vault_name"], props["fabric_name"], props["container_name"]
    )
    return [raw.as_dict() for raw in pager]


def _match(listed: list[dict[str, Any]], name: str, entry: dict[str, str]) -> dict[str, Any] | None:
    for item in listed:
        properties = item.get("properties") or {}
        ip = (properties.get("customDetails") or {}).get("ipAddress")
        if str(properties.get("friendlyName", "")).lower() == name.lower() and ip in (None, entry["ip_address"]):
            return item
    return None


def _outputs(found: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "protectable_item_ids": {n: item["id"] for n, item in found.items()},
        "protectable_item_names": {n: item["name"] for n, item in found.items()},
    }
