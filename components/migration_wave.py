"""One migration wave: the Azure landing zone and vault, and the appliance host in AWS."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.appliance_host import ApplianceHost, ApplianceHostArgs
from components.config import MachineConfig, WaveConfig
from components.contract import OUTPUTS_VERSION, machine_entry
from components.existing_network import real_subnet_ids
from components.foundation import FoundationReference, foundation_contract, host_args, secret_map
from components.landing_zone import landing_zone_and_vault, subnet_ids
from components.lifecycle import LifecycleMachine, WaveLifecycle, WaveLifecycleArgs
from components.recovery_vault import with_vault_credentials
from components.replication import (
    ReplicationMachine,
    SharedReplication,
    WaveReplication,
    WaveReplicationArgs,
    policy_settings,
)
from components.secrets import WaveSecrets
from components.source_prep import SourceMachine, SourcePreparation, SourcePreparationArgs
from components.stack_config import foundation_of_wave
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
        aws_opts = pulumi.ResourceOptions(parent=self, providers={"aws": aws_provider})
        self.foundation: FoundationReference | None = None
        self.pending_steps: list[str] = []
        if wave.foundation is None:
            site = self._own_site(name, wave, args.secrets, aws_opts)
            # A new modernized wave stops here until the appliance is registered and its passphrase set
            # (components/stages.py): without it no machine can register, so nothing replicates yet.
            self.pending_steps = pending_steps(wave, args.secrets)
            for step in self.pending_steps:
                pulumi.log.warn(f"wave {wave.name} waits for you: {step}", self)
            can_replicate = machines_can_replicate(wave, args.secrets)
        else:
            # The foundation registered its appliances: this wave declares none of the shared parts.
            site = self._foundation_site(name, wave, aws_opts)
            can_replicate = True
        self.site = site
        self.replication: WaveReplication | None = None
        self.lifecycle: WaveLifecycle | None = None
        if can_replicate:
            # After the vault (its architecture setting) and the sources' preparation: modernized machines are
            # only discovered once SSM installed their Mobility agent.
            self.replication = WaveReplication(
                f"{name}-replication",
                replication_args(
                    wave,
                    resource_group_name=site.vault_resource_group,
                    resource_group_id=site.resource_group_id,
                    vault_name=site.vault_name,
                    storage_account_id=site.storage_account_id,
                    network_id=site.network_id,
                    test_network_id=site.test_network_id,
                    appliance_private_ip=site.appliance_private_ip,
                    after=site.after,
                    shared=site.shared,
                ),
                pulumi.ResourceOptions(parent=self),
            )
            # The migration lifecycle (docs/lifecycle.md): the config's phase decides which ASR actions exist.
            self.lifecycle = WaveLifecycle(
                f"{name}-lifecycle",
                lifecycle_args(
                    wave,
                    vault_id=site.vault_id,
                    test_network_id=site.test_network_id,
                    fabric_name=self.replication.fabric_name,
                    container_name=self.replication.container_name,
                    protected_items=self.replication.protected_items,
                    replication=self.replication,
                ),
                pulumi.ResourceOptions(parent=self),
            )
        self.name = pulumi.Output.from_input(wave.name)
        self.resource_id = site.vault_id
        self._contract = self._build_contract()
        self.register_outputs(self._contract)

    def _own_site(
        self, name: str, wave: WaveConfig, wave_secrets: WaveSecrets, aws_opts: pulumi.ResourceOptions
    ) -> WaveSite:
        """The all-in-one wave's landing zone, vault, appliance host and source preparation."""
        self.landing_zone, self.vault = landing_zone_and_vault(name, wave.azure, wave.architecture, wave.all_tags, self)
        secrets = with_vault_credentials(name, wave.profile, wave_secrets, self.vault, self)
        self.site_passphrase = wave_secrets.values.get("appliancePassphrase")
        self.appliance = ApplianceHost(f"{name}-appliance", appliance_host_args(wave, secrets), opts=aws_opts)
        # Both architectures install the Mobility agent on the sources through SSM (no push install: Microsoft
        # does not support it for AWS sources, and the appliance's security group opens no path to them).
        own_uri = wave.aws.mobility_installer_s3_uri
        source_prep = SourcePreparation(
            f"{name}-source-prep",
            source_preparation_args(
                wave,
                wave.machines,
                wave_secrets.values.get("appliancePassphrase"),
                self.appliance.private_ip,
                own_uri or self.appliance.agent_installer_uri,
                self.appliance.sources_security_group_id,
                None if own_uri else self.appliance.agent_endpoint_url,
            ),
            opts=aws_opts,
        )
        lz = self.landing_zone
        return WaveSite(
            resource_group_name=lz.name, resource_group_id=lz.resource_id, vault_name=self.vault.name,
            vault_resource_group=self.vault.resource_group_name, vault_id=self.vault.resource_id,
            storage_account_id=lz.storage_account_id, network_id=lz.network_id, subnet_ids=lz.subnet_ids,
            test_network_id=lz.test_network_id, test_subnet_ids=lz.test_subnet_ids,
            appliance_instance_id=self.appliance.instance_id, appliance_private_ip=self.appliance.private_ip,
            preparations=[source_prep], after=(self.vault, source_prep), shared=None,
        )  # fmt: skip

    def _foundation_site(self, name: str, wave: WaveConfig, aws_opts: pulumi.ResourceOptions) -> WaveSite:
        """A wave on a foundation: its outputs, and the source preparation of each appliance's machines."""
        foundation = FoundationReference(name, wave, self)
        self.foundation = foundation
        by_appliance: dict[str, list[MachineConfig]] = {}
        for machine in wave.machines:
            by_appliance.setdefault(machine.appliance or "", []).append(machine)
        own_uri = wave.aws.mobility_installer_s3_uri
        preparations = [
            SourcePreparation(
                f"{name}-source-prep-{appliance}",
                source_preparation_args(
                    wave,
                    machines,
                    foundation.passphrase(appliance),
                    foundation.appliance(appliance, "privateIp"),
                    own_uri or foundation.appliance(appliance, "agentInstallerUri"),
                    foundation.appliance(appliance, "sourcesSecurityGroupId"),
                    None if own_uri else foundation.appliance(appliance, "agentEndpointUrl"),
                    appliance=appliance,
                ),
                opts=aws_opts,
            )
            for appliance, machines in by_appliance.items()
        ]
        # An existing network (the foundation's, or the wave's own spoke) is used by id; a test network the
        # foundation mirrored is read from its outputs.
        existing = wave.azure.existing_network
        network_id: pulumi.Output[str] = (
            pulumi.Output.from_input(existing.id) if existing else foundation.get("networkId")
        )
        given_test = existing.test_network_id if existing else None
        test_network_id: pulumi.Output[str] = (
            pulumi.Output.from_input(given_test) if given_test else foundation.get("testNetworkId")
        )
        return WaveSite(
            resource_group_name=foundation.get("resourceGroupName"),
            resource_group_id=foundation.get("resourceGroupId"),
            vault_name=foundation.get("vaultName"),
            vault_resource_group=foundation.get("vaultResourceGroup"),
            vault_id=foundation.get("vaultId"),
            storage_account_id=foundation.get("storageAccountId"),
            network_id=network_id,
            subnet_ids=real_subnet_ids(name, existing, "azure.existingNetwork", self)
            if existing
            else foundation.get("subnetIds"),
            test_network_id=test_network_id,
            test_subnet_ids=subnet_ids(test_network_id, wave.azure.layout)
            if given_test
            else foundation.get("testSubnetIds"),
            appliance_instance_id=None,
            appliance_private_ip=None,
            preparations=preparations,
            after=tuple(preparations),
            shared=foundation.shared_replication(sorted(by_appliance)),
        )

    def contract(self) -> dict[str, Any]:
        """The versioned stack outputs (README, "Outputs contract"); built once, so each Output exists once."""
        return self._contract

    def _build_contract(self) -> dict[str, Any]:
        site, wave, replication, lifecycle = self.site, self.wave, self.replication, self.lifecycle
        items = replication.protected_items if replication else pulumi.Output.from_input({})
        contract: dict[str, Any] = {
            "outputsVersion": OUTPUTS_VERSION,
            "wave": wave.name,
            "architecture": wave.architecture,
            "location": wave.azure.location,
            "resourceGroupName": site.resource_group_name,
            "resourceGroupId": site.resource_group_id,
            "vaultName": site.vault_name,
            "vaultId": site.vault_id,
            "storageAccountId": site.storage_account_id,
            "networkId": site.network_id,
            "subnetIds": site.subnet_ids,
            "testNetworkId": site.test_network_id,
            "testSubnetIds": site.test_subnet_ids,
            "applianceInstanceId": site.appliance_instance_id,
            "appliancePrivateIp": site.appliance_private_ip,
            "sourcePreparation": _merged(p.preparations for p in site.preparations),
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
        if self.foundation is not None:
            contract["foundationStack"] = self.foundation.stack
        else:
            contract.update(self._as_foundation())
        return contract

    def _as_foundation(self) -> dict[str, Any]:
        """The foundation contract of this all-in-one wave, so that later waves can share its vault, policy,
        networks and appliance (components/foundation.py): its one appliance is named by its host's Name."""
        host = self.wave.appliance_host.name
        shared = self.replication.shared if self.replication else None
        passphrase = self.site_passphrase
        return {
            "foundation": foundation_contract(
                config=foundation_of_wave(self.wave),
                landing_zone=self.landing_zone,
                vault=self.vault,
                hosts={host: self.appliance},
                shared=shared,
                process_servers={host: shared.process_server_for("")} if shared else {},
            ),
            "appliancePassphrases": secret_map({host: passphrase} if passphrase is not None else {}),
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
    """The all-in-one wave's appliance host: the one host of the wave read as a foundation."""
    return host_args(foundation_of_wave(wave), wave.appliance_host, secrets)


def replication_args(
    wave: WaveConfig,
    *,
    resource_group_name: pulumi.Input[str],
    resource_group_id: pulumi.Input[str],
    vault_name: pulumi.Input[str],
    storage_account_id: pulumi.Input[str],
    network_id: pulumi.Input[str],
    test_network_id: pulumi.Input[str],
    appliance_private_ip: pulumi.Input[str] | None,
    after: tuple[pulumi.Resource, ...],
    shared: SharedReplication | None = None,
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
                appliance=m.appliance or "",
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
        shared=shared,
        max_concurrency=wave.lifecycle.max_concurrency,
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
        vault=wave.azure.vault,
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
    machines: list[MachineConfig],
    passphrase: pulumi.Output[str] | None,
    appliance_private_ip: pulumi.Input[str],
    mobility_installer_s3_uri: pulumi.Input[str] | None,
    appliance_access_group_id: pulumi.Input[str],
    installer_endpoint_url: pulumi.Input[str] | None = None,
    appliance: str | None = None,
) -> SourcePreparationArgs:
    """The wave's config as `SourcePreparation` needs it: names, ids, tags, the profile's agent type, the passphrase of
    the appliance the machines register with."""
    return SourcePreparationArgs(
        wave_name=wave.name,
        machines=[SourceMachine(m.name, m.instance_id, m.local_account) for m in machines],
        tags=wave.all_tags,
        agent_cs_type=wave.profile.agent_cs_type,
        appliance_private_ip=appliance_private_ip,
        passphrase=passphrase,
        mobility_installer_s3_uri=mobility_installer_s3_uri,
        appliance_access_group_id=appliance_access_group_id,
        installer_endpoint_url=installer_endpoint_url,
        appliance=appliance,
    )


@dataclass(frozen=True)
class WaveSite:
    """Where a wave's machines go and what serves them: its own landing zone, vault and appliance, or its
    foundation's (read through `FoundationReference`)."""

    resource_group_name: pulumi.Output[str]
    resource_group_id: pulumi.Output[str]
    vault_name: pulumi.Output[str]
    vault_resource_group: pulumi.Output[str]
    vault_id: pulumi.Output[str]
    storage_account_id: pulumi.Output[str]
    network_id: pulumi.Output[str]
    subnet_ids: pulumi.Output[dict[str, str]]
    test_network_id: pulumi.Output[str]
    test_subnet_ids: pulumi.Output[dict[str, str]]
    appliance_instance_id: pulumi.Output[str] | None
    """The wave's own appliance host; None on a foundation (its outputs list the pool)."""
    appliance_private_ip: pulumi.Output[str] | None
    preparations: list[SourcePreparation]
    after: tuple[pulumi.Resource, ...]
    """What the replication waits for: the vault and the sources' preparation."""
    shared: SharedReplication | None
    """The foundation's registered appliances and policy; None: the wave registers its own."""


def _merged(preparations: Any) -> pulumi.Output[dict[str, list[str]]]:
    """One machine -> preparations map from the wave's source preparations (one per appliance on a foundation)."""
    return pulumi.Output.all(*preparations).apply(lambda maps: {k: v for m in maps for k, v in m.items()})


def _item_field(items: pulumi.Output[dict[str, dict[str, Any]]], machine: str, key: str) -> pulumi.Output[Any]:
    """One value of one machine's protected item, from `WaveReplication.protected_items`."""
    return items.apply(lambda all_items: (all_items.get(machine) or {}).get(key))  # none once migration is complete
