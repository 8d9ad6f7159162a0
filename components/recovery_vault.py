"""The wave's Recovery Services vault and the setting that picks the ASR architecture."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import authorization, recoveryservices

from components.architecture import ArchitectureProfile
from components.asr.vault_credentials import VaultCredentials, VaultCredentialsArgs
from components.asr.vault_setting import VaultSetting, VaultSettingArgs
from components.secrets import WaveSecrets


@dataclass(frozen=True)
class RecoveryVaultArgs:
    vault_name: str
    location: str
    architecture: str
    tags: dict[str, str]
    resource_group_name: pulumi.Input[str]
    """Where a new vault goes (the landing zone's group)."""
    existing_vault_resource_group: str | None = None
    """The group of a vault that already exists: the stack then only refers to it."""


class RecoveryVault(pulumi.ComponentResource):
    """A Recovery Services vault in the wave's region, soft delete on, architecture selected.

    Outputs: `name`, `resource_id`, `location`, `resource_group_name`.

    With `azure.existingVaultResourceGroup` the vault already exists (the only way to use classic today): it is
    referred to by name and id, and no resource of this stack creates, changes or deletes it.

    The modernized architecture needs a new, dedicated vault (replication-appliance-support-matrix.md);
    the classic one is selected on the vault with `replicationVaultSettings/default`
    (`VaultSetting`). The vault is protected: removing it from the program must never be what
    deletes a wave's replication.
    """

    def __init__(self, name: str, args: RecoveryVaultArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("migration:azure:RecoveryVault", name, None, opts)
        existing_group = args.existing_vault_resource_group
        if existing_group is None:
            vault = protected_vault(
                f"{name}-vault", args.vault_name, args.resource_group_name, args.location, args.tags, self
            )
            self.name, self.resource_id, self.location = vault.name, vault.id, vault.location
            self.resource_group_name = pulumi.Output.from_input(args.resource_group_name)
            after: list[pulumi.Resource] = [vault]
        else:
            subscription = authorization.get_client_config_output().subscription_id
            self.name = pulumi.Output.from_input(args.vault_name)
            self.resource_group_name = pulumi.Output.from_input(existing_group)
            self.location = pulumi.Output.from_input(args.location)
            self.resource_id = pulumi.Output.concat(
                "/subscriptions/", subscription, "/resourceGroups/", existing_group,
                "/providers/Microsoft.RecoveryServices/vaults/", args.vault_name,
            )  # fmt: skip
            after = []
        VaultSetting(
            f"{name}-setting",
            VaultSettingArgs(
                resource_group_name=self.resource_group_name,
                vault_name=self.name,
                architecture=args.architecture,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=after),
        )
        self.register_outputs(
            {
                "name": self.name,
                "resource_id": self.resource_id,
                "location": self.location,
                "resource_group_name": self.resource_group_name,
            }
        )


def protected_vault(
    name: str,
    vault_name: pulumi.Input[str],
    resource_group_name: pulumi.Input[str],
    location: pulumi.Input[str],
    tags: dict[str, str],
    parent: pulumi.Resource,
) -> recoveryservices.Vault:
    """A Recovery Services vault as both projects create one (the wave's, and the DR stack's in the DR region):
    Standard RS0, soft delete on, protected, so that removing it from a program never deletes replication."""
    return recoveryservices.Vault(
        name,
        vault_name=vault_name,
        resource_group_name=resource_group_name,
        location=location,
        sku=recoveryservices.SkuArgs(name=recoveryservices.SkuName.RS0, tier="Standard"),
        properties=recoveryservices.VaultPropertiesArgs(
            public_network_access=recoveryservices.PublicNetworkAccess.ENABLED,
            security_settings=recoveryservices.SecuritySettingsArgs(
                soft_delete_settings=recoveryservices.SoftDeleteSettingsArgs(
                    soft_delete_state=recoveryservices.SoftDeleteState.ENABLED,
                ),
            ),
        ),
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent, protect=True),
    )


def with_vault_credentials(
    name: str, profile: ArchitectureProfile, secrets: WaveSecrets, vault: RecoveryVault, parent: pulumi.Resource
) -> WaveSecrets:
    """Classic: the configuration server's vault credentials file, generated in the stack unless
    `migration:vaultRegistrationKey` gives one (a vault whose credentials were first made in the portal)."""
    if not profile.is_classic or secrets.has("vaultRegistrationKey"):
        return secrets
    credentials = VaultCredentials(
        f"{name}-vault-credentials",
        VaultCredentialsArgs(
            resource_group_name=vault.resource_group_name, vault_name=vault.name, location=vault.location
        ),
        pulumi.ResourceOptions(parent=parent),
    )
    return WaveSecrets({**secrets.values, "vaultRegistrationKey": pulumi.Output.secret(credentials.content)})
