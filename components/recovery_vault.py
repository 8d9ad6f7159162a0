"""The wave's Recovery Services vault and the setting that picks the ASR architecture."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import recoveryservices

from components.asr.vault_setting import VaultSetting, VaultSettingArgs
from components.config import WaveConfig


@dataclass(frozen=True)
class RecoveryVaultArgs:
    wave: WaveConfig
    resource_group_name: pulumi.Input[str]


class RecoveryVault(pulumi.ComponentResource):
    """A Recovery Services vault in the wave's region, soft delete on, architecture selected.

    Outputs: `name`, `resource_id`, `location`.

    The modernized architecture needs a new, dedicated vault (replication-appliance-support-matrix.md);
    the classic one is selected on the vault with `replicationVaultSettings/default`
    (`VaultSetting`). The vault is protected: removing it from the program must never be what
    deletes a wave's replication.
    """

    def __init__(self, name: str, args: RecoveryVaultArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("migration:azure:RecoveryVault", name, None, opts)
        wave = args.wave
        vault = recoveryservices.Vault(
            f"{name}-vault",
            vault_name=wave.azure.vault,
            resource_group_name=args.resource_group_name,
            location=wave.azure.location,
            sku=recoveryservices.SkuArgs(name=recoveryservices.SkuName.RS0, tier="Standard"),
            properties=recoveryservices.VaultPropertiesArgs(
                public_network_access=recoveryservices.PublicNetworkAccess.ENABLED,
                security_settings=recoveryservices.SecuritySettingsArgs(
                    soft_delete_settings=recoveryservices.SoftDeleteSettingsArgs(
                        soft_delete_state=recoveryservices.SoftDeleteState.ENABLED,
                    ),
                ),
            ),
            tags=wave.all_tags,
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        VaultSetting(
            f"{name}-setting",
            VaultSettingArgs(
                resource_group_name=args.resource_group_name,
                vault_name=vault.name,
                architecture=wave.architecture,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[vault]),
        )
        self.name = vault.name
        self.resource_id = vault.id
        self.location = vault.location
        self.register_outputs({"name": self.name, "resource_id": self.resource_id, "location": self.location})
