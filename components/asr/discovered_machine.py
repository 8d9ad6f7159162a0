"""`DiscoveredMachines` (modernized): finds the discovered-machine id each EC2 instance of a wave has in the
appliance's site, in one resource for the wave (one wait, one site listing per poll, one plugin worker).

`InMageRcmEnableProtectionInput.fabricDiscoveryMachineId` is "the ARM Id of discovered machine". In the
modernized architecture machines are not added to the vault: the replication appliance discovers them into
an Azure Migrate site (`Microsoft.OffAzure`), and the registered `InMageRcm` fabric names that site in
`physicalSiteId` (physical servers) next to `vmwareSiteId` (vCenter VMs). How it is obtained elsewhere:

* Azure PowerShell, `Get-AzRecoveryServicesAsrProtectableItem -SiteId` lists `GET {siteId}/machines` and
  `New-AzRecoveryServicesAsrReplicationProtectedItem` (InMageRcm set) sets `FabricDiscoveryMachineId` to that
  machine's `id` (`PSAsrFabricDiscoveryClient.cs`, `NewAzureRmRecoveryServicesAsrReplicationProtectedItem.cs`).
* The portal lists "all the machines discovered by various appliances registered to the vault"
  (physical-server-enable-replication.md). A physical server appears there once it was added on the appliance
  ("Add physical server details") or, credential-less, once its Mobility agent registered with the appliance:
  this project installs the agent through SSM, so the machine shows up after the agent's registration.

The resource lists `GET {physicalSiteId}/machines?api-version=2023-06-06` (the OffAzure API version of
ServerSites) and picks the machine that is not `isDeleted` and whose `networkAdapters[].ipAddressList` holds the
EC2 instance's private IP (a display name match breaks a tie), for every machine of the wave. The property names follow PowerShell's
`VMwareMachine` model (`DisplayName`, `IsDeleted`, `NetworkAdapters[].IpAddressList`); that a ServerSites
machine carries the same names is an inference from the shared OffAzure machine model. It waits, bounded by
`timeout_minutes`, because discovery lags the agent's installation. Delete does nothing: the machines belong
to the site, not to this stack.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure, CreateResult, ReadResult, Resource, UpdateResult

from components.asr import console
from components.asr.arm import list_json, resolve_subscription_id, site_recovery_client
from components.asr.checks import is_unknown, positive_number
from components.asr.provider import (
    OFFLINE_STAND_IN,
    DeclaredInputsProvider,
    offline_hex,
)
from components.asr.registration import poll_seconds
from components.errors import MigrationError
from components.polling import poll_until

PROVIDER_VERSION = "1"
OFFAZURE_API_VERSION = "2023-06-06"
_REPLACING_INPUTS = ("subscription_id", "physical_site_id", "ip_address")


@dataclass
class DiscoveredMachinesArgs:
    """Inputs of `DiscoveredMachines`: the fabric's `physicalSiteId`, and machine name -> EC2 private IP."""

    physical_site_id: pulumi.Input[str]
    machines: pulumi.Input[Mapping[str, pulumi.Input[str]]]
    timeout_minutes: pulumi.Input[float] = 60
    version: pulumi.Input[str] = PROVIDER_VERSION
    subscription_id: pulumi.Input[str] | None = None


class DiscoveryTimeoutError(MigrationError, TimeoutError):
    """A machine did not appear in the appliance's site in time."""


def pick_machine(machines: list[dict[str, Any]], ip: str, name: str) -> dict[str, Any] | None:
    """The live machine with `ip` among a site's machines (REST JSON); on a tie, the one named `name`."""
    live = [m for m in machines if not (m.get("properties") or {}).get("isDeleted")]
    with_ip = [m for m in live if ip in _ips(m)]
    if len(with_ip) > 1:
        named = [m for m in with_ip if str((m.get("properties") or {}).get("displayName", "")).lower() == name.lower()]
        with_ip = named or with_ip
    return with_ip[0] if with_ip else None


class DiscoveredMachinesProvider(DeclaredInputsProvider):
    """Dynamic provider of `DiscoveredMachines`: one wait for the whole wave, one site listing per poll.

    `timeout_minutes` is not diffed (waiting longer changes nothing once the machines are found).
    """

    required = ("physical_site_id",)
    replacing = ("subscription_id", "physical_site_id")
    updating = ("machines", "version")

    def preview_outputs(self, typ: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        machines = inputs.get("machines") or {}
        site = inputs.get("physical_site_id")
        return {
            "machine_ids": {
                m: f"{site}/machines/{OFFLINE_STAND_IN}-{offline_hex(typ, name, m, length=12)}" for m in machines
            },
            "discovered_names": {m: m for m in machines},
        }

    def validate(self, news: dict[str, Any]) -> list[CheckFailure]:
        failures = positive_number(news, "timeout_minutes")
        site = news.get("physical_site_id")
        if isinstance(site, str) and site and "/providers/microsoft.offazure/" not in site.lower():
            failures.append(
                CheckFailure("physical_site_id", f"physical_site_id: {site!r} must be a Microsoft.OffAzure site ARM id")
            )
        machines = news.get("machines")
        if not is_unknown(machines) and (not isinstance(machines, dict) or not machines):
            failures.append(CheckFailure("machines", f"machines: {machines!r} must map machine names to private IPs"))
        return failures

    def create(self, props: dict[str, Any]) -> CreateResult:
        found = _wait_for_machines(props, dict(props["machines"]))
        return CreateResult(f"{props['physical_site_id']}/discovered", {**props, **_outputs(found)})

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Look up only new machines and those whose IP changed; keep the others' ids."""
        same_site = olds.get("physical_site_id") == news.get("physical_site_id")
        old_ips, old_ids = olds.get("machines") or {}, olds.get("machine_ids") or {}
        machines = dict(news["machines"])
        keep = {n: old_ids[n] for n, ip in machines.items() if same_site and old_ips.get(n) == ip and n in old_ids}
        names = olds.get("discovered_names") or {}
        found = _wait_for_machines(news, {n: ip for n, ip in machines.items() if n not in keep})
        outputs = _outputs(found)
        return UpdateResult(
            {
                **news,
                "machine_ids": {**keep, **outputs["machine_ids"]},
                "discovered_names": {**{n: names.get(n, n) for n in keep}, **outputs["discovered_names"]},
            }
        )

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        listed = _list_machines(props)
        found = {n: m for n, ip in (props.get("machines") or {}).items() if (m := pick_machine(listed, ip, n))}
        outputs = _outputs(found)
        return ReadResult(id_, {**props, "machine_ids": {**(props.get("machine_ids") or {}), **outputs["machine_ids"]}})


class DiscoveredMachines(Resource, module="asr", name="DiscoveredMachines"):
    """The discovered-machine ids of a wave's EC2 instances (modernized); see the module docstring."""

    machine_ids: pulumi.Output[dict[str, str]]
    discovered_names: pulumi.Output[dict[str, str]]

    def __init__(self, name: str, args: DiscoveredMachinesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(
            DiscoveredMachinesProvider(),
            name,
            {
                "physical_site_id": args.physical_site_id,
                "machines": args.machines,
                "timeout_minutes": args.timeout_minutes,
                "version": args.version,
                "subscription_id": args.subscription_id,
                "machine_ids": None,
                "discovered_names": None,
            },
            opts,
        )


class DiscoveredMachineProvider(DeclaredInputsProvider):
    """The per-machine provider of older versions, kept so their stacks can forget its records (it sends nothing)."""


def _wait_for_machines(props: dict[str, Any], wanted: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Poll the site until every machine of `wanted` (name -> IP) is listed, or the timeout passes."""
    if not wanted:
        return {}
    minutes = props["timeout_minutes"]
    found: dict[str, dict[str, Any]] = {}

    def look() -> tuple[dict[str, dict[str, Any]] | None, tuple[list[str], int]]:
        listed = _list_machines(props)
        found.update({n: m for n, ip in wanted.items() if n not in found and (m := pick_machine(listed, ip, n))})
        missing = sorted(n for n in wanted if n not in found)
        return (None if missing else found), (missing, len(listed))

    def timed_out(seen: tuple[list[str], int]) -> Exception:
        missing, listed = seen
        return DiscoveryTimeoutError(
            f"{', '.join(f'{n} ({wanted[n]})' for n in missing)} did not appear in the appliance's site"
            f" {props['physical_site_id']} within {minutes} minutes ({listed} machine(s) listed, none with those"
            " IPs). Check on each machine that the Mobility agent is installed and registered with the appliance"
            " (the SSM association `mobility-agent` of this wave), or add the server under 'Provide Physical"
            " server details' in the appliance configuration manager; then run `pulumi up` again."
        )

    def waiting(seen: tuple[list[str], int], elapsed: float) -> None:
        missing = seen[0]
        console.info(
            f"waiting for {len(missing)} of {len(wanted)} machine(s) to be discovered by the appliance"
            f" ({', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}; {elapsed / 60:.1f} of {minutes} minutes)"
        )

    return poll_until(look, timeout=float(minutes) * 60, interval=poll_seconds(), timed_out=timed_out, waiting=waiting)


def _list_machines(props: dict[str, Any]) -> list[dict[str, Any]]:
    with site_recovery_client(resolve_subscription_id(props.get("subscription_id"))) as client:
        return list_json(client, f"{props['physical_site_id']}/machines", {"api-version": OFFAZURE_API_VERSION})


def _ips(machine: dict[str, Any]) -> list[str]:
    adapters = (machine.get("properties") or {}).get("networkAdapters") or []
    return [ip for adapter in adapters for ip in (adapter.get("ipAddressList") or [])]


def _outputs(found: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "machine_ids": {n: m["id"] for n, m in found.items()},
        "discovered_names": {
            n: str((m.get("properties") or {}).get("displayName") or m.get("name", "")) for n, m in found.items()
        },
    }
