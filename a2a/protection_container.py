"""`A2AProtectionContainer`: an Azure-to-Azure protection container in an Azure fabric of a vault.

pulumi-azure-native 3.x has no resource for `replicationProtectionContainers` (only for the fabric, the
container mapping and the items below), so this dynamic resource PUTs one with provider input
`{instanceType: "A2A"}`, as `New-AzRecoveryServicesAsrProtectionContainer` does, and follows its ASR job
(`components.asr.jobs`). It reads first and creates nothing that exists. Delete sends `.../remove`,
which ASR refuses while the container still holds a mapping or items (they are deleted first, being
children in the plan).

The provider holds no client or credential (it is pickled): each method builds its own ASR client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.recoveryservicessiterecovery import models
from pulumi.dynamic import CreateResult, Resource

from components.asr.arm import resolve_subscription_id, site_recovery_client, vault_path
from components.asr.jobs import JobMatch, log_progress, start_job, wait_for_job
from components.asr.provider import DeclaredInputsProvider
from components.errors import MigrationError

PROVIDER_VERSION = "1"
_INPUTS = ("resource_group_name", "vault_name", "fabric_name", "container_name")


@dataclass
class A2AProtectionContainerArgs:
    resource_group_name: pulumi.Input[str]
    vault_name: pulumi.Input[str]
    fabric_name: pulumi.Input[str]
    container_name: pulumi.Input[str]
    version: pulumi.Input[str] = PROVIDER_VERSION
    subscription_id: pulumi.Input[str] | None = None


class A2AProtectionContainerProvider(DeclaredInputsProvider):
    """Dynamic provider of `A2AProtectionContainer`; holds no state, client or credential.

    Another vault, fabric or container name is another container: replaced (the old one removed first, so a
    container that only changed how it is addressed is never created and then removed). A value not known in
    preview is an update, never a replacement (`DeclaredInputsProvider`). Each job is taken as the container's own
    only when it names the container as its target (`JobMatch`), and the outcome is read back: a create that
    leaves no container, or a remove that leaves one, fails instead of reporting success.
    """

    required = _INPUTS
    replacing = (*_INPUTS, "subscription_id")
    updating = ("version",)
    delete_before_replace = True

    def create(self, props: dict[str, Any]) -> CreateResult:
        rg, vault, fabric, container = (props[key] for key in _INPUTS)
        subscription_id = resolve_subscription_id(props.get("subscription_id"))
        with site_recovery_client(subscription_id) as client:
            if _read(client, rg, vault, fabric, container) is None:
                container_input = models.CreateProtectionContainerInput(
                    properties=models.CreateProtectionContainerInputProperties(
                        provider_specific_input=[models.A2AContainerCreationInput()]
                    )
                )
                what = f"create protection container {container}"
                job = start_job(
                    client, client.replication_protection_containers.begin_create,
                    rg, vault, fabric, container, container_input,
                    get_item=lambda: _read(client, rg, vault, fabric, container), match=_match(container), what=what,
                )  # fmt: skip
                wait_for_job(client, rg, vault, job, progress=log_progress(what))
                if _read(client, rg, vault, fabric, container) is None:
                    raise ContainerJobError(
                        f"{what}: ASR job {job} ended, but vault {vault} has no container {container} in fabric"
                        f" {fabric}. Check the vault's Site Recovery jobs, then run `pulumi up` again."
                    )
        resource_id = f"{vault_path(subscription_id, rg, vault)}/replicationFabrics/{fabric}/replicationProtectionContainers/{container}"
        return CreateResult(resource_id, {**props, "resource_id": resource_id})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        rg, vault, fabric, container = (props[key] for key in _INPUTS)
        with site_recovery_client(props.get("subscription_id")) as client:
            if _read(client, rg, vault, fabric, container) is None:
                return
            what = f"remove protection container {container}"
            job = start_job(
                client, client.replication_protection_containers.begin_delete, rg, vault, fabric, container,
                get_item=lambda: _read(client, rg, vault, fabric, container), match=_match(container), what=what,
            )  # fmt: skip
            wait_for_job(client, rg, vault, job, progress=log_progress(what))
            if _read(client, rg, vault, fabric, container) is not None:
                raise ContainerJobError(
                    f"{what}: ASR job {job} ended, but container {container} is still in fabric {fabric} of vault"
                    f" {vault}. Check the vault's Site Recovery jobs, then run `pulumi destroy` (or `up`) again."
                )


class ContainerJobError(MigrationError, RuntimeError):
    """A container's create or remove job ended without the container being there (or gone)."""


def _match(container: str) -> JobMatch:
    # ASR documents no scenario name for a container's create or remove: the job must name the container.
    return JobMatch(frozenset(), (container,))


def _read(client: Any, rg: str, vault: str, fabric: str, container: str) -> Any:
    try:
        return client.replication_protection_containers.get(rg, vault, fabric, container)
    except ResourceNotFoundError:
        return None


class A2AProtectionContainer(Resource, module="asr", name="A2AProtectionContainer"):
    """An A2A protection container; see the module docstring."""

    resource_id: pulumi.Output[str]

    def __init__(self, name: str, args: A2AProtectionContainerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(
            A2AProtectionContainerProvider(),
            name,
            {
                "resource_group_name": args.resource_group_name,
                "vault_name": args.vault_name,
                "fabric_name": args.fabric_name,
                "container_name": args.container_name,
                "version": args.version,
                "subscription_id": args.subscription_id,
                "resource_id": None,
            },
            opts,
        )
