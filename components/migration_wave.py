"""One migration wave: the Azure landing zone and vault, and the appliance host in AWS."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.appliance_host import ApplianceHost, ApplianceHostArgs
from components.asr.vault_credentials import VaultCredentials, VaultCredentialsArgs
from components.config import MachineConfig, WaveConfig
from components.contract import OUTPUTS_VERSION, machine_entry
from components.landing_zone import LandingZone, LandingZoneArgs
from components.lifecycle import LifecycleMachine, WaveLifecycle, WaveLifecycleArgs
from components.recovery_vault import RecoveryVault, RecoveryVaultArgs
from components.replication import ReplicationMachine, WaveReplication, WaveReplicationArgs, policy_settings
from components.secrets import WaveSecrets
from components.source_prep import SourceMachine, SourcePreparation, SourcePreparationArgs
from components.stages import machines_can_replicate, pending_steps
from components.target_vm import resolve


@dataclass(frozen=True)
class MigrationWaveArgs:
    wave: WaveConfig
    secrets: WaveSecrets


class MigrationWave(pulumi.ComponentResource):
    """One migration wave: landing zone, vault, appliance host, source preparation, replication of the
    machines the config's phases allow, and the lifecycle actions those phases ask for.

    Outputs: `name`, `resource_id` (the vault's id), and `contract()`, the stack outputs that
    follow-on DR stacks read through a StackReference.
    """

    def __init__(self, name: str, args: MigrationWaveArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("migration:index:MigrationWave", name, None, opts)
        wave = args.wave
        self.wave = wave
        # One explicit provider per wave: the wave's config, not ambient `aws:region`, picks the region.
        aws_provider = aws.Provider(f"{name}-aws", region=wave.aws.region, opts=pulumi.ResourceOptions(parent=self))

        azure = wave.azure
        self.landing_zone = LandingZone(
            f"{name}-lz",
            LandingZoneArgs(
                resource_group=azure.resource_group, location=azure.location, storage_account=azure.storage_account,
                storage_sku=azure.storage_sku, network=azure.network, tags=wave.all_tags,
            ),
            pulumi.ResourceOptions(parent=self),
        )  # fmt: skip
        self.vault = RecoveryVault(
            f"{name}-rsv",
            RecoveryVaultArgs(
                vault_name=azure.vault,
                location=azure.location,
                architecture=wave.architecture,
                tags=wave.all_tags,
                resource_group_name=self.landing_zone.name,
                existing_vault_resource_group=azure.existing_vault_resource_group,
            ),
            pulumi.ResourceOptions(parent=self),
        )
        secrets = self._with_vault_credentials(name, wave, args.secrets)
        self.appliance = ApplianceHost(
            f"{name}-appliance",
            appliance_host_args(wave, secrets),
            opts=pulumi.ResourceOptions(parent=self, providers={"aws": aws_provider}),
        )
        # Both architectures install the Mobility agent on the sources through SSM (no push install: Microsoft
        # does not support it for AWS sources, and the appliance's security group opens no path to them).
        self.source_prep = SourcePreparation(
            f"{name}-source-prep",
            source_preparation_args(
                wave,
                args.secrets,
                self.appliance.private_ip,
                wave.aws.mobility_installer_s3_uri or self.appliance.agent_installer_uri,
                self.appliance.sources_security_group_id,
                None if wave.aws.mobility_installer_s3_uri else self.appliance.agent_endpoint_url,
            ),
            opts=pulumi.ResourceOptions(parent=self, providers={"aws": aws_provider}),
        )
        # A new modernized wave stops here until the appliance is registered and its passphrase set
        # (components/stages.py): without it no machine can register, so nothing replicates yet.
        self.pending_steps = pending_steps(wave, args.secrets)
        for step in self.pending_steps:
            pulumi.log.warn(f"wave {wave.name} waits for you: {step}", self)
        self.replication: WaveReplication | None = None
        self.lifecycle: WaveLifecycle | None = None
        if machines_can_replicate(wave, args.secrets):
            # After the vault (its architecture setting) and the sources' preparation: modernized machines are
            # only discovered once SSM installed their Mobility agent.
            self.replication = WaveReplication(
                f"{name}-replication",
                replication_args(
                    wave,
                    resource_group_name=self.vault.resource_group_name,
                    resource_group_id=self.landing_zone.resource_id,
                    vault_name=self.vault.name,
                    storage_account_id=self.landing_zone.storage_account_id,
                    network_id=self.landing_zone.network_id,
                    test_network_id=self.landing_zone.test_network_id,
                    appliance_private_ip=self.appliance.private_ip,
                    after=(self.vault, self.source_prep),
                ),
                pulumi.ResourceOptions(parent=self),
            )
            # The migration lifecycle (docs/lifecycle.md): the config's phase decides which ASR actions exist.
            self.lifecycle = WaveLifecycle(
                f"{name}-lifecycle",
                lifecycle_args(
                    wave,
                    vault_id=self.vault.resource_id,
                    test_network_id=self.landing_zone.test_network_id,
                    fabric_name=self.replication.fabric_name,
                    container_name=self.replication.container_name,
                    protected_items=self.replication.protected_items,
                    replication=self.replication,
                ),
                pulumi.ResourceOptions(parent=self),
            )
        self.name = pulumi.Output.from_input(wave.name)
        self.resource_id = self.vault.resource_id
        self._contract = self._build_contract()
        self.register_outputs(self._contract)

    def _with_vault_credentials(self, name: str, wave: WaveConfig, secrets: WaveSecrets) -> WaveSecrets:
        """Classic: the configuration server's vault credentials file, generated in the stack unless
        `migration:vaultRegistrationKey` gives one (a vault whose credentials were first made in the portal)."""
        if not wave.profile.is_classic or secrets.has("vaultRegistrationKey"):
            return secrets
        credentials = VaultCredentials(
            f"{name}-vault-credentials",
            VaultCredentialsArgs(
                resource_group_name=self.vault.resource_group_name,
                vault_name=self.vault.name,
                location=self.vault.location,
            ),
            pulumi.ResourceOptions(parent=self),
        )
        return WaveSecrets({**secrets.values, "vaultRegistrationKey": pulumi.Output.secret(credentials.content)})

    def contract(self) -> dict[str, Any]:
        """The versioned stack outputs (README, "Outputs contract"); built once, so each Output exists once."""
        return self._contract

    def _build_contract(self) -> dict[str, Any]:
        lz, wave, replication, lifecycle = self.landing_zone, self.wave, self.replication, self.lifecycle
        items = replication.protected_items if replication else pulumi.Output.from_input({})
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
            "replication": {
                "fabricName": replication.fabric_name if replication else None,
                "containerName": replication.container_name if replication else None,
                "policyId": replication.policy_id if replication else None,
            },
            "lifecycle": {"phases": lifecycle.phases, "audit": lifecycle.audit}
            if lifecycle
            else {"phases": {}, "audit": {}},
            "machines": [self._machine_entry(m, items) for m in wave.machines],
            "pendingSteps": self.pending_steps,
        }

    def _machine_entry(self, machine: MachineConfig, items: pulumi.Output[dict[str, dict[str, Any]]]) -> dict[str, Any]:
        """Contract v2 entry (components/contract.py) plus the machine's replication state."""
        prep = self.lifecycle.preparations.get(machine.name) if self.lifecycle else None
        migrated = (
            {}
            if prep is None
            else {
                "vm_resource_id": prep.apply(lambda r: r.get("vm_resource_id")),
                "managed_disk_ids": prep.apply(lambda r: r.get("managed_disk_ids") or []),
                "preparation": prep.apply(
                    lambda r: {
                        "agent": r.get("agent"),
                        "mobilityService": r.get("mobility_service"),
                        "restart": r.get("restart"),
                    }
                ),
                "dr_ready": prep.apply(lambda r: bool(r.get("dr_ready"))),
            }
        )
        entry = machine_entry(
            name=machine.name,
            instance_id=machine.instance_id,
            private_ip=machine.private_ip,
            os=machine.os,
            vm_size=machine.vm_size,
            **migrated,
        )
        return {
            **entry,
            "protectedItemId": _item_field(items, machine.name, "id"),
            "protectionState": _item_field(items, machine.name, "protectionState"),
            "replicationHealth": _item_field(items, machine.name, "replicationHealth"),
        }


def appliance_host_args(wave: WaveConfig, secrets: WaveSecrets) -> ApplianceHostArgs:
    """The wave's config as `ApplianceHost` needs it."""
    return ApplianceHostArgs(
        wave_name=wave.name,
        profile=wave.profile,
        region=wave.aws.region,
        vpc_id=wave.aws.vpc_id,
        subnet_id=wave.aws.subnet_id,
        admin_cidr=wave.aws.admin_cidr,
        server=wave.aws.appliance_host,
        publish_agents=wave.aws.mobility_installer_s3_uri is None,
        tags=wave.all_tags,
        secrets=secrets,
    )


def replication_args(
    wave: WaveConfig,
    *,
    resource_group_name: pulumi.Input[str],
    resource_group_id: pulumi.Input[str],
    vault_name: pulumi.Input[str],
    storage_account_id: pulumi.Input[str],
    network_id: pulumi.Input[str],
    test_network_id: pulumi.Input[str],
    appliance_private_ip: pulumi.Input[str],
    after: tuple[pulumi.Resource, ...],
) -> WaveReplicationArgs:
    """The wave's config as `WaveReplication` needs it: the profile, the vault by name, the policy's values, and
    each machine with its resolved phase, subnet and replica settings."""
    return WaveReplicationArgs(
        profile=wave.profile,
        vault_resource_group=wave.azure.vault_resource_group,
        vault=wave.azure.vault,
        policy_name=wave.azure.replication_policy.name,
        policy_values=policy_settings(wave.profile, wave.azure.replication_policy),
        registration_timeout_minutes=wave.azure.registration_timeout_minutes,
        machines=[
            ReplicationMachine(
                name=m.name,
                private_ip=m.private_ip,
                os=m.os,
                vm_size=m.vm_size,
                phase=wave.phase_of(m),
                subnet_name=wave.subnet_of(m),
                retire=m.retire,
                target=resolve(wave, m),
            )
            for m in wave.machines
        ],
        resource_group_name=resource_group_name,
        resource_group_id=resource_group_id,
        vault_name=vault_name,
        storage_account_id=storage_account_id,
        network_id=network_id,
        test_network_id=test_network_id,
        appliance_private_ip=appliance_private_ip,
        after=after,
    )


def lifecycle_args(
    wave: WaveConfig,
    *,
    vault_id: pulumi.Input[str],
    test_network_id: pulumi.Input[str],
    fabric_name: pulumi.Input[str],
    container_name: pulumi.Input[str],
    protected_items: pulumi.Input[Any],
    replication: pulumi.Resource,
) -> WaveLifecycleArgs:
    """The wave's config as `WaveLifecycle` needs it: the vault by name, the settings, the machines not retired."""
    return WaveLifecycleArgs(
        wave_name=wave.name,
        vault_resource_group=wave.azure.vault_resource_group,
        vault_name=wave.azure.vault,
        architecture=wave.architecture,
        aws_region=wave.aws.region,
        settings=wave.lifecycle,
        machines=[
            LifecycleMachine(
                name=m.name,
                instance_id=m.instance_id,
                os=m.os,
                phase=wave.phase_of(m),
                skip_test_failover=m.skip_test_failover,
                static_ip=m.target.static_ip,
                subnet_name=wave.subnet_of(m),
                boot_group=m.boot_group,
            )
            for m in wave.machines
            if not m.retire
        ],
        vault_id=vault_id,
        test_network_id=test_network_id,
        fabric_name=fabric_name,
        container_name=container_name,
        protected_items=protected_items,
        replication=replication,
    )


def source_preparation_args(
    wave: WaveConfig,
    secrets: WaveSecrets,
    appliance_private_ip: pulumi.Input[str],
    mobility_installer_s3_uri: pulumi.Input[str] | None,
    appliance_access_group_id: pulumi.Input[str],
    installer_endpoint_url: pulumi.Input[str] | None = None,
) -> SourcePreparationArgs:
    """The wave's config as `SourcePreparation` needs it: names, ids, tags, the profile's agent type, the passphrase."""
    return SourcePreparationArgs(
        wave_name=wave.name,
        machines=[SourceMachine(m.name, m.instance_id, m.local_account) for m in wave.machines],
        tags=wave.all_tags,
        agent_cs_type=wave.profile.agent_cs_type,
        appliance_private_ip=appliance_private_ip,
        passphrase=secrets.values.get("appliancePassphrase"),
        mobility_installer_s3_uri=mobility_installer_s3_uri,
        appliance_access_group_id=appliance_access_group_id,
        installer_endpoint_url=installer_endpoint_url,
    )


def _item_field(items: pulumi.Output[dict[str, dict[str, Any]]], machine: str, key: str) -> pulumi.Output[Any]:
    """One value of one machine's protected item, from `WaveReplication.protected_items`."""
    return items.apply(lambda all_items: (all_items.get(machine) or {}).get(key))  # none once migration is complete
