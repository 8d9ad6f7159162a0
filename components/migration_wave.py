"""One migration wave: the Azure landing zone and vault, and the appliance host in AWS."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.appliance_host import ApplianceHost, ApplianceHostArgs
from components.config import WaveConfig
from components.landing_zone import LandingZone, LandingZoneArgs
from components.recovery_vault import RecoveryVault, RecoveryVaultArgs
from components.secrets import WaveSecrets
from components.source_prep import SourcePreparation, SourcePreparationArgs

OUTPUTS_VERSION = 1
"""Version of the stack-output contract (README, "Outputs contract"); bump it on any breaking change."""


@dataclass(frozen=True)
class MigrationWaveArgs:
    wave: WaveConfig
    secrets: WaveSecrets


class MigrationWave(pulumi.ComponentResource):
    """Everything one wave needs before its machines can replicate.

    Outputs: `name`, `resource_id` (the vault's id), and `contract()`, the stack outputs that
    follow-on DR stacks read through a StackReference.
    """

    def __init__(self, name: str, args: MigrationWaveArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("migration:index:MigrationWave", name, None, opts)
        wave = args.wave
        self.wave = wave
        # One explicit provider per wave: the wave's config, not ambient `aws:region`, picks the region.
        aws_provider = aws.Provider(f"{name}-aws", region=wave.aws.region, opts=pulumi.ResourceOptions(parent=self))

        self.landing_zone = LandingZone(f"{name}-lz", LandingZoneArgs(wave), pulumi.ResourceOptions(parent=self))
        self.vault = RecoveryVault(
            f"{name}-rsv",
            RecoveryVaultArgs(wave, resource_group_name=self.landing_zone.name),
            pulumi.ResourceOptions(parent=self),
        )
        self.appliance = ApplianceHost(
            f"{name}-appliance",
            ApplianceHostArgs(wave=wave, secrets=args.secrets),
            opts=pulumi.ResourceOptions(parent=self, providers={"aws": aws_provider}),
        )
        # Classic pushes the Mobility agent from the process server at enable-replication time;
        # modernized needs it installed on the sources, which SSM does when installers are given.
        self.source_prep = SourcePreparation(
            f"{name}-source-prep",
            SourcePreparationArgs(
                wave=wave,
                appliance_private_ip=self.appliance.private_ip,
                secrets=args.secrets,
                local_account_machines=[m.name for m in wave.machines if m.local_account],
                mobility_installer_s3_uri=wave.aws.mobility_installer_s3_uri if wave.architecture == "modernized" else None,
            ),
            opts=pulumi.ResourceOptions(parent=self, providers={"aws": aws_provider}),
        )
        self.name = pulumi.Output.from_input(wave.name)
        self.resource_id = self.vault.resource_id
        self.register_outputs(self.contract())

    def contract(self) -> dict[str, Any]:
        """The versioned stack outputs (README, "Outputs contract")."""
        lz, wave = self.landing_zone, self.wave
        return {
            "outputsVersion": OUTPUTS_VERSION,
            "wave": wave.name,
            "architecture": wave.architecture,
            "location": wave.azure.location,
            "resourceGroupName": lz.name,
            "resourceGroupId": lz.resource_id,
            "vaultName": self.vault.name,
            "vaultId": self.vault.resource_id,
            "storageAccountId": lz.storage_account_id,
            "networkId": lz.network_id,
            "subnetIds": lz.subnet_ids,
            "testNetworkId": lz.test_network_id,
            "testSubnetIds": lz.test_subnet_ids,
            "applianceInstanceId": self.appliance.instance_id,
            "appliancePrivateIp": self.appliance.private_ip,
            "sourcePreparation": self.source_prep.preparations,
            "machines": [
                {
                    "name": m.name,
                    "instanceId": m.instance_id,
                    "privateIp": m.private_ip,
                    "os": m.os,
                    "vmSize": m.vm_size,
                }
                for m in wave.machines
            ],
        }
