"""`DiscoveredMachine` (modernized): finds the discovered-machine id an EC2 instance has in the appliance's site.

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

This resource lists `GET {physicalSiteId}/machines?api-version=2023-06-06` (the OffAzure API version of
ServerSites) and picks the machine that is not `isDeleted` and whose `networkAdapters[].ipAddressList` holds the
EC2 instance's private IP (a display name match breaks a tie). The property names follow PowerShell's
`VMwareMachine` model (`DisplayName`, `IsDeleted`, `NetworkAdapters[].IpAddressList`); that a ServerSites
machine carries the same names is an inference from the shared OffAzure machine model. It waits, bounded by
`timeout_minutes`, because discovery lags the agent's installation. Delete does nothing: the machine belongs
to the site, not to this stack.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pulumi
from azure.core.rest import HttpRequest
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
from components.asr.registration import poll_seconds

PROVIDER_VERSION = "1"
OFFAZURE_API_VERSION = "2023-06-06"
_REPLACING_INPUTS = ("subscription_id", "physical_site_id", "ip_address")


@dataclass
class DiscoveredMachineArgs:
    """Inputs of `DiscoveredMachine`: the fabric's `physicalSiteId` and the EC2 instance's name and private IP."""

    physical_site_id: pulumi.Input[str]
    machine_name: pulumi.Input[str]
    ip_address: pulumi.Input[str]
    timeout_minutes: pulumi.Input[float] = 60
    version: pulumi.Input[str] = PROVIDER_VERSION
    subscription_id: pulumi.Input[str] | None = None


class DiscoveryTimeoutError(TimeoutError):
    """The machine did not appear in the appliance's site in time."""


def pick_machine(machines: list[dict[str, Any]], ip: str, name: str) -> dict[str, Any] | None:
    """The live machine with `ip` among a site's machines (REST JSON); on a tie, the one named `name`."""
    live = [m for m in machines if not (m.get("properties") or {}).get("isDeleted")]
    with_ip = [m for m in live if ip in _ips(m)]
    if len(with_ip) > 1:
        named = [m for m in with_ip if str((m.get("properties") or {}).get("displayName", "")).lower() == name.lower()]
        with_ip = named or with_ip
    return with_ip[0] if with_ip else None


class DiscoveredMachineProvider(ResourceProvider):
    """Dynamic provider of `DiscoveredMachine`; holds no state, client or credential (it is pickled)."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = required_strings(news, ("physical_site_id", "machine_name", "ip_address"))
        site = news.get("physical_site_id")
        if isinstance(site, str) and site and "/providers/microsoft.offazure/" not in site.lower():
            failures.append(
                CheckFailure("physical_site_id", f"physical_site_id: {site!r} must be a Microsoft.OffAzure site ARM id")
            )
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [k for k in (*_REPLACING_INPUTS, "machine_name", "timeout_minutes", "version") if olds.get(k) != news.get(k)]
        replaces = [k for k in changed if k in _REPLACING_INPUTS]
        return DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        outs = _wait_for_machine(props)
        return CreateResult(outs["fabric_discovery_machine_id"], outs)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(_wait_for_machine(news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        machine = pick_machine(_list_machines(props), props["ip_address"], props["machine_name"])
        return ReadResult(id_, props if machine is None else {**props, **_outputs(machine)})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing to do: see the module docstring."""


class DiscoveredMachine(Resource, module="asr", name="DiscoveredMachine"):
    """The discovered-machine id of one EC2 instance (modernized); see the module docstring."""

    fabric_discovery_machine_id: pulumi.Output[str]
    discovered_name: pulumi.Output[str]

    def __init__(self, name: str, args: DiscoveredMachineArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(
            DiscoveredMachineProvider(),
            name,
            {
                "physical_site_id": args.physical_site_id,
                "machine_name": args.machine_name,
                "ip_address": args.ip_address,
                "timeout_minutes": args.timeout_minutes,
                "version": args.version,
                "subscription_id": args.subscription_id,
                "fabric_discovery_machine_id": None,
                "discovered_name": None,
            },
            opts,
        )


def _wait_for_machine(props: dict[str, Any]) -> dict[str, Any]:
    timeout = float(props["timeout_minutes"]) * 60
    poll = poll_seconds()
    started = time.monotonic()
    while True:
        machines = _list_machines(props)
        machine = pick_machine(machines, props["ip_address"], props["machine_name"])
        if machine is not None:
            return {**props, **_outputs(machine)}
        elapsed = time.monotonic() - started
        if elapsed >= timeout:
            raise DiscoveryTimeoutError(
                f"{props['machine_name']} ({props['ip_address']}) did not appear in the appliance's site"
                f" {props['physical_site_id']} within {props['timeout_minutes']} minutes ({len(machines)} machine(s)"
                " listed, none with that IP). Check on the machine that the Mobility agent is installed and registered"
                " with the appliance (the SSM association `mobility-agent` of this wave), or add the server under"
                " 'Provide Physical server details' in the appliance configuration manager; then run `pulumi up` again."
            )
        pulumi.log.info(
            f"waiting for {props['machine_name']} ({props['ip_address']}) to be discovered by the appliance"
            f" ({elapsed / 60:.1f} of {props['timeout_minutes']} minutes)"
        )
        time.sleep(max(0.0, min(poll, timeout - elapsed)))


def _list_machines(props: dict[str, Any]) -> list[dict[str, Any]]:
    machines: list[dict[str, Any]] = []
    url: str | None = f"{props['physical_site_id']}/machines?api-version={OFFAZURE_API_VERSION}"
    with site_recovery_client(resolve_subscription_id(props.get("subscription_id"))) as client:
        while url:
            response = client.send_request(HttpRequest("GET", url))
            response.raise_for_status()
            page = response.json()
            machines += list(page.get("value") or [])
            url = page.get("nextLink")
    return machines


def _ips(machine: dict[str, Any]) -> list[str]:
    adapters = (machine.get("properties") or {}).get("networkAdapters") or []
    return [ip for adapter in adapters for ip in (adapter.get("ipAddressList") or [])]


def _outputs(machine: dict[str, Any]) -> dict[str, Any]:
    return {
        "fabric_discovery_machine_id": machine["id"],
        "discovered_name": str((machine.get("properties") or {}).get("displayName") or machine.get("name", "")),
    }
