"""`VaultSetting`: selects a vault's ASR architecture through `replicationVaultSettings/default`.

A Recovery Services vault replicates VMware/physical machines either with the classic provider
(configuration server, `InMageAzureV2`) or the modernized one (replication appliance, `InMageRcm`). The
vault-wide switch is the `vmwareToAzureProviderType` property of the singleton
`.../vaults/{vault}/replicationVaultSettings/default`:

* classic: the setting is PUT with `vmwareToAzureProviderType: "Vmware"`. This is exactly what
  terraform-provider-azurerm's `recovery_services_vault_resource.go` does for
  `classic_vmware_replication_enabled = true`. (Microsoft stopped allowing classic on vaults created
  after 15 Nov 2022; ASR's refusal is passed on verbatim.)
* modernized: nothing needs to be written, a vault is modernized unless set otherwise. The setting is
  read, and if a provider type is already set the resource fails with a clear message: terraform's
  replication-policy code treats any value there as a classic vault, and a modernized replication
  policy cannot be associated with it.

Deleting the resource leaves the setting as it is: a vault's provider type cannot be switched back, so
there is nothing to undo, and a later `pulumi up` on the same vault must find it unchanged.

The provider object is pickled into the stack's state, so it holds nothing but code: each method builds
its own client from the environment (`components.asr.arm`). The subscription is the `subscription_id`
input when given, else `AZURE_SUBSCRIPTION_ID`/`ARM_SUBSCRIPTION_ID`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
from azure.mgmt.recoveryservicessiterecovery import models
from pulumi.dynamic import CheckFailure, CreateResult, ReadResult, Resource, UpdateResult

from components.architecture import PROFILES, profile
from components.asr.arm import resolve_subscription_id, site_recovery_client, vault_path
from components.asr.checks import one_of
from components.asr.provider import DeclaredInputsProvider
from components.errors import MigrationError

SETTING_NAME = "default"
PROVIDER_VERSION = "1"
_REPLACING_INPUTS = ("subscription_id", "resource_group_name", "vault_name", "architecture")


@dataclass
class VaultSettingArgs:
    """Inputs of `VaultSetting`. `version` is the provider code's version: bump it to re-apply the setting."""

    resource_group_name: pulumi.Input[str]
    vault_name: pulumi.Input[str]
    architecture: pulumi.Input[str]
    version: pulumi.Input[str] = PROVIDER_VERSION
    subscription_id: pulumi.Input[str] | None = None


class VaultSettingError(MigrationError, RuntimeError):
    """The vault's architecture setting conflicts with the wave's architecture."""


class VaultSettingProvider(DeclaredInputsProvider):
    """Dynamic provider of `VaultSetting`; holds no state, client or credential (it is pickled). Delete leaves
    the setting (the base's delete only forgets): a vault's provider type cannot be switched back."""

    required = ("resource_group_name", "vault_name")
    replacing = _REPLACING_INPUTS

    def validate(self, news: dict[str, Any]) -> list[CheckFailure]:
        return one_of(news, "architecture", tuple(PROFILES))

    def create(self, props: dict[str, Any]) -> CreateResult:
        outs = _apply(props)
        return CreateResult(outs["resource_id"], outs)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(_apply(news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        with site_recovery_client(props.get("subscription_id")) as client:
            current = _provider_type(client, props["resource_group_name"], props["vault_name"])
        return ReadResult(id_, {**props, "vmware_to_azure_provider_type": current})


class VaultSetting(Resource, module="asr", name="VaultSetting"):
    """The vault's architecture switch (`replicationVaultSettings/default`); see the module docstring."""

    resource_id: pulumi.Output[str]
    vmware_to_azure_provider_type: pulumi.Output[str]

    def __init__(self, name: str, args: VaultSettingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(
            VaultSettingProvider(),
            name,
            {
                "resource_group_name": args.resource_group_name,
                "vault_name": args.vault_name,
                "architecture": args.architecture,
                "version": args.version,
                "subscription_id": args.subscription_id,
                "resource_id": None,
                "vmware_to_azure_provider_type": None,
            },
            opts,
        )


def _apply(props: dict[str, Any]) -> dict[str, Any]:
    resource_group_name: str = props["resource_group_name"]
    vault_name: str = props["vault_name"]
    subscription_id = resolve_subscription_id(props.get("subscription_id"))
    with site_recovery_client(subscription_id) as client:
        current = _provider_type(client, resource_group_name, vault_name)
        wanted = profile(props["architecture"]).vault_setting_provider_type
        if wanted is not None:
            if current != wanted:
                setting_input = models.VaultSettingCreationInput(
                    properties=models.VaultSettingCreationInputProperties(vmware_to_azure_provider_type=wanted)
                )
                # The API answers 200 with the final setting (the SDK accepts nothing else): no polling needed.
                written = client.replication_vault_setting.begin_create(
                    resource_group_name, vault_name, SETTING_NAME, setting_input, polling=False
                ).result()
                current = _type_of(written)
                if current != wanted:  # trust only what the service confirmed
                    raise VaultSettingError(
                        f"vault {vault_name} (resource group {resource_group_name}) answered the classic architecture"
                        f" setting with vmwareToAzureProviderType {current!r}, not {wanted!r}: the vault"
                        " did not switch to classic. Vaults created after 15 Nov 2022 cannot use it; use the"
                        " modernized architecture (architecture: modernized)."
                    )
        elif current:
            raise VaultSettingError(
                f"vault {vault_name} (resource group {resource_group_name}) is set to the classic architecture"
                f" (replicationVaultSettings/default vmwareToAzureProviderType = {current!r}), but the wave's"
                " architecture is 'modernized'. A vault's provider type cannot be switched back: use a new,"
                " dedicated vault for the modernized architecture, or set architecture: classic."
            )
    return {
        **props,
        "resource_id": f"{vault_path(subscription_id, resource_group_name, vault_name)}/replicationVaultSettings/{SETTING_NAME}",
        "vmware_to_azure_provider_type": current,
    }


def _provider_type(client: Any, resource_group_name: str, vault_name: str) -> str:
    return _type_of(client.replication_vault_setting.get(resource_group_name, vault_name, SETTING_NAME))


def _type_of(setting: Any) -> str:
    properties = setting.properties
    return (properties.vmware_to_azure_provider_type if properties is not None else None) or ""
