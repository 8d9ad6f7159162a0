"""`ApplianceRegistration`: waits until the wave's appliance or configuration server has registered with the vault.

The physical/VMware fabric is not created by an ARM PUT: it appears in `.../vaults/{vault}/replicationFabrics`
when the modernized replication appliance or the classic configuration server registers with the vault
(docs/replication.md). This resource waits for that, bounded, and outputs what everything after it needs:

| output | modernized (`InMageRcm` fabric) | classic (`VMware` fabric) |
|---|---|---|
| `fabric_name` | the fabric whose `processServers[].ipAddresses` holds the appliance's IP | the fabric whose `ipAddress` or `processServers[].ipAddress` is the configuration server's IP |
| `container_name` | the fabric's protection container | same |
| `process_server_id` | `processServers[].id` of that appliance | `processServers[].id` with that IP |
| `master_target_id` | "" (no master target) | `masterTargetServers[].id` with that IP, else the first |
| `run_as_account_ids` | [] (the Mobility agent is installed by SSM: credential-less) | `runAsAccounts[].accountId` |
| `physical_site_id` | `physicalSiteId`: where discovered machines are listed | "" |

Field names are those of `InMageRcmFabricSpecificDetails` and `VMwareDetails` in the 2025-08-01 API
(azure-mgmt-recoveryservicessiterecovery 2.0 models).

The wave's appliance is recognised by its private IP, the appliance host's `private_ip` output, so a vault
shared with other appliances still gives this wave its own fabric. While waiting, a progress message says what
is still missing every poll (`ASR_REGISTRATION_POLL_SECONDS`, default 30). At the timeout
(`timeout_minutes`, the config's `azure.registrationTimeoutMinutes`) the resource fails with what is missing and
where to look on the appliance.

Delete leaves the registration alone: unregistering an appliance is done on the appliance or in the portal,
and doing it from here would orphan every protected item. The provider holds no client or credential (it
is pickled into the stack's state).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure, CreateResult, ReadResult, Resource, UpdateResult

from components import settings
from components.architecture import PROFILES, profile
from components.asr import console
from components.asr.arm import resolve_subscription_id, site_recovery_client
from components.asr.checks import one_of, positive_number
from components.asr.provider import (
    OFFLINE_STAND_IN,
    OFFLINE_SUBSCRIPTION,
    DeclaredInputsProvider,
    offline_hex,
    offline_vault,
)
from components.errors import MigrationError
from components.polling import poll_until

PROVIDER_VERSION = "1"
DEFAULT_POLL_SECONDS = 30.0
_REPLACING_INPUTS = ("subscription_id", "resource_group_name", "vault_name", "architecture", "appliance_ip")
_OUTPUTS = (
    "fabric_name",
    "fabric_id",
    "container_name",
    "process_server_id",
    "master_target_id",
    "run_as_account_ids",
    "physical_site_id",
)

WHERE_TO_LOOK = {
    "modernized": (
        "On the appliance, open the Azure Site Recovery replication appliance configuration manager (desktop"
        " shortcut) and check that the vault registration step finished and every service shows healthy; see"
        " deploy-vmware-azure-replication-appliance-modernized.md. The appliance must reach the vault over HTTPS 443."
    ),
    "classic": (
        "On the configuration server, check that the unified setup finished the 'Register with Azure Recovery Services"
        " vault' step with the vault credentials file (the setup logs are under C:\\ProgramData\\ASRSetupLogs) and run"
        " cspsconfigtool.exe to see the process server and the run-as accounts; see vmware-azure-deploy-configuration-server.md."
    ),
}


@dataclass
class ApplianceRegistrationArgs:
    """Inputs of `ApplianceRegistration`; `timeout_minutes` bounds the wait (default 60)."""

    resource_group_name: pulumi.Input[str]
    vault_name: pulumi.Input[str]
    architecture: pulumi.Input[str]
    appliance_ip: pulumi.Input[str]
    timeout_minutes: pulumi.Input[float] = 60
    version: pulumi.Input[str] = PROVIDER_VERSION
    subscription_id: pulumi.Input[str] | None = None


class RegistrationTimeoutError(MigrationError, TimeoutError):
    """The appliance did not register in time; the message says what is missing and where to look."""


@dataclass(frozen=True)
class Registration:
    fabric_name: str
    fabric_id: str
    container_name: str
    process_server_id: str
    master_target_id: str
    run_as_account_ids: list[str]
    physical_site_id: str


def find_registration(
    fabrics: list[dict[str, Any]], containers: Callable[[str], list[dict[str, Any]]], architecture: str, ip: str
) -> tuple[Registration | None, str]:
    """The wave's registration among the vault's fabrics (REST JSON), or None and what is still missing."""
    fabric_type = profile(architecture).fabric_type
    typed = [f for f in fabrics if _details(f).get("instanceType") == fabric_type]
    if not typed:
        seen = sorted({str(_details(f).get("instanceType")) for f in fabrics}) or ["none"]
        return None, f"no {fabric_type} fabric is registered in the vault yet (fabric types seen: {', '.join(seen)})"
    for fabric in typed:
        server = _process_server(_details(fabric), architecture, ip)
        if server is None:
            continue
        found = containers(fabric["name"])
        if not found:
            return None, f"fabric {fabric['name']} has the appliance {ip} but no protection container yet"
        details = _details(fabric)
        return (
            Registration(
                fabric_name=fabric["name"],
                fabric_id=fabric.get("id", ""),
                container_name=found[0]["name"],
                process_server_id=str(server.get("id", "")),
                master_target_id=_master_target(details, ip) if profile(architecture).is_classic else "",
                run_as_account_ids=[
                    str(a["accountId"]) for a in details.get("runAsAccounts") or [] if a.get("accountId")
                ],
                physical_site_id=str(details.get("physicalSiteId") or ""),
            ),
            "",
        )
    names = ", ".join(f["name"] for f in typed)
    return None, f"{fabric_type} fabric(s) {names} are registered, but none has a process server with IP {ip}"


class ApplianceRegistrationProvider(DeclaredInputsProvider):
    """Dynamic provider of `ApplianceRegistration`; holds no state, client or credential (it is pickled).

    `timeout_minutes` is not diffed: once the appliance has registered, waiting longer changes nothing, so a
    changed timeout is stored without an update (and nothing downstream becomes unknown in preview). Delete
    leaves the registration in the vault (the base's delete only forgets; see the module docstring).
    """

    required = ("resource_group_name", "vault_name", "appliance_ip")
    replacing = _REPLACING_INPUTS

    def preview_outputs(self, typ: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        """Modernized appliances of one vault join its one fabric; a classic configuration server is a fabric."""
        vault = offline_vault(inputs)
        classic = profile(str(inputs.get("architecture"))).is_classic
        owner = name if classic else vault
        fabric = f"{OFFLINE_STAND_IN}-fabric-{offline_hex(typ, owner, length=8)}"
        site = f"/subscriptions/{OFFLINE_SUBSCRIPTION}/resourceGroups/{inputs.get('resource_group_name')}/providers/Microsoft.OffAzure/ServerSites/{OFFLINE_STAND_IN}-site"
        return {
            "fabric_name": fabric,
            "fabric_id": f"{vault}/replicationFabrics/{fabric}",
            "container_name": f"{OFFLINE_STAND_IN}-container-{offline_hex(typ, owner, 'container', length=8)}",
            "process_server_id": f"{OFFLINE_STAND_IN}-process-server-{offline_hex(typ, name, 'ps', length=8)}",
            "master_target_id": f"{OFFLINE_STAND_IN}-master-target-{offline_hex(typ, name, 'mt', length=8)}"
            if classic
            else "",
            "run_as_account_ids": [f"{OFFLINE_STAND_IN}-run-as-account-1"] if classic else [],
            "physical_site_id": "" if classic else site,
        }

    def validate(self, news: dict[str, Any]) -> list[CheckFailure]:
        return one_of(news, "architecture", tuple(PROFILES)) + positive_number(news, "timeout_minutes")

    def create(self, props: dict[str, Any]) -> CreateResult:
        outs = wait_for_registration(props)
        return CreateResult(outs["fabric_id"], outs)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(wait_for_registration(news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh from the vault once, without waiting; keep the last outputs if the fabric is gone."""
        registration, _missing = _look_once(props)
        if registration is None:
            return ReadResult(id_, props)
        return ReadResult(id_, {**props, **vars(registration)})


class ApplianceRegistration(Resource, module="asr", name="ApplianceRegistration"):
    """Waits for the wave's appliance / configuration server to register; see the module docstring."""

    fabric_name: pulumi.Output[str]
    fabric_id: pulumi.Output[str]
    container_name: pulumi.Output[str]
    process_server_id: pulumi.Output[str]
    master_target_id: pulumi.Output[str]
    run_as_account_ids: pulumi.Output[list[str]]
    physical_site_id: pulumi.Output[str]

    def __init__(self, name: str, args: ApplianceRegistrationArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(
            ApplianceRegistrationProvider(),
            name,
            {
                "resource_group_name": args.resource_group_name,
                "vault_name": args.vault_name,
                "architecture": args.architecture,
                "appliance_ip": args.appliance_ip,
                "timeout_minutes": args.timeout_minutes,
                "version": args.version,
                "subscription_id": args.subscription_id,
                **dict.fromkeys(_OUTPUTS),
            },
            opts,
        )


def wait_for_registration(props: dict[str, Any], *, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Poll the vault until the registration is complete or `timeout_minutes` have passed."""
    report = progress or console.info
    host, vault, minutes = props["appliance_ip"], props["vault_name"], props["timeout_minutes"]

    def timed_out(missing: str) -> Exception:
        architecture = props["architecture"]
        return RegistrationTimeoutError(
            f"The {profile(architecture).host_role} {host} did not register with vault {vault} (resource group"
            f" {props['resource_group_name']}) within {minutes} minutes: {missing}. {WHERE_TO_LOOK[architecture]}"
            " Then run `pulumi up` again; raise azure.registrationTimeoutMinutes to wait longer."
        )

    registration = poll_until(
        lambda: _look_once(props),
        timeout=float(minutes) * 60,
        interval=poll_seconds(),
        timed_out=timed_out,
        waiting=lambda missing, elapsed: report(
            f"waiting for {host} to register with vault {vault}: {missing} ({elapsed / 60:.1f} of {minutes} minutes)"
        ),
    )
    return {**props, **vars(registration)}


def poll_seconds() -> float:
    """`ASR_REGISTRATION_POLL_SECONDS` (default 30), read at call time."""
    return settings.seconds("ASR_REGISTRATION_POLL_SECONDS", DEFAULT_POLL_SECONDS)


def _look_once(props: dict[str, Any]) -> tuple[Registration | None, str]:
    resource_group_name: str = props["resource_group_name"]
    vault_name: str = props["vault_name"]
    with site_recovery_client(resolve_subscription_id(props.get("subscription_id"))) as client:
        fabrics = [f.as_dict() for f in client.replication_fabrics.list(resource_group_name, vault_name)]

        def containers(fabric_name: str) -> list[dict[str, Any]]:
            pager = client.replication_protection_containers.list_by_replication_fabrics(
                resource_group_name, vault_name, fabric_name
            )
            return [c.as_dict() for c in pager]

        return find_registration(fabrics, containers, props["architecture"], props["appliance_ip"])


def _details(fabric: dict[str, Any]) -> dict[str, Any]:
    return dict((fabric.get("properties") or {}).get("customDetails") or {})


def _process_server(details: dict[str, Any], architecture: str, ip: str) -> dict[str, Any] | None:
    servers: list[dict[str, Any]] = list(details.get("processServers") or [])
    if not profile(architecture).is_classic:
        return next((s for s in servers if ip in (s.get("ipAddresses") or [])), None)
    by_ip = next((s for s in servers if s.get("ipAddress") == ip), None)
    if by_ip is not None:
        return by_ip
    # The configuration server's own process server may report another NIC; the server itself carries the IP.
    return servers[0] if details.get("ipAddress") == ip and servers else None


def _master_target(details: dict[str, Any], ip: str) -> str:
    targets: list[dict[str, Any]] = list(details.get("masterTargetServers") or [])
    chosen = next((t for t in targets if t.get("ipAddress") == ip), targets[0] if targets else None)
    return str(chosen.get("id", "")) if chosen else ""
