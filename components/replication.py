"""ASR replication as code: registration, replication policy and its association, one protected item per machine.

See docs/replication.md for the sources behind every default and for what removing a machine does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi_azure_native import recoveryservices as rs

from components.architecture import ArchitectureProfile
from components.asr.action_inputs import ActionInputs, MachineEntry
from components.asr.appliance_switch import WaveApplianceSwitch
from components.asr.discovered_machine import DiscoveredMachines, DiscoveredMachinesArgs
from components.asr.protectable_machines import ProtectableMachines, ProtectableMachinesArgs
from components.asr.registration import ApplianceRegistration, ApplianceRegistrationArgs
from components.config import ReplicationPolicyConfig
from components.errors import MigrationError
from components.lifecycle import WaveOutcome
from components.target_vm import TargetVm

AZURE_CONTAINER = "Microsoft Azure"
"""The recovery-side container of an on-premises-to-Azure mapping, as PowerShell's `Constants.AzureContainer`."""


def policy_settings(profile: ArchitectureProfile, policy: ReplicationPolicyConfig) -> dict[str, int]:
    """The policy's values: the config's overrides over the architecture's portal defaults."""
    settings = dict(profile.policy_defaults)
    overrides = {
        "recovery_point_history": policy.recovery_point_history_minutes,
        "crash_consistent": policy.crash_consistent_frequency_minutes,
        "app_consistent": policy.app_consistent_frequency_minutes,
    }
    settings.update({key: value for key, value in overrides.items() if value is not None})
    return settings


def policy_input(
    profile: ArchitectureProfile, values: dict[str, int]
) -> rs.InMageRcmPolicyCreationInputArgs | rs.InMageAzureV2PolicyInputArgs:
    """The architecture-specific input of the replication policy, from `policy_settings`' values."""
    if not profile.is_classic:
        return rs.InMageRcmPolicyCreationInputArgs(
            instance_type=profile.provider_type,
            recovery_point_history_in_minutes=values["recovery_point_history"],
            crash_consistent_frequency_in_minutes=values["crash_consistent"],
            app_consistent_frequency_in_minutes=values["app_consistent"],
            enable_multi_vm_sync="True",
        )
    return rs.InMageAzureV2PolicyInputArgs(
        instance_type=profile.provider_type,
        recovery_point_history=values["recovery_point_history"],
        crash_consistent_frequency_in_minutes=values["crash_consistent"],
        app_consistent_frequency_in_minutes=values["app_consistent"],
        recovery_point_threshold_in_minutes=values["rpo_threshold"],
        multi_vm_sync_status=rs.SetMultiVmSyncStatus.ENABLE,
    )


@dataclass(frozen=True)
class ReplicationMachine:
    """One machine as its replication needs it (components/migration_wave.py's `replication_args` fills it in)."""

    name: str
    private_ip: str
    os: str
    vm_size: str | None
    phase: str
    """The machine's own phase, else the wave's."""
    subnet_name: str
    """Its target subnet (the machine's, else the network's first)."""
    retire: bool
    target: TargetVm
    """The replica's settings, the wave's defaults applied (components/target_vm.py)."""
    appliance: str = ""
    """The foundation appliance that replicates it; "" for a wave's own appliance."""


def item_options(
    machine: ReplicationMachine, phase: str, parent: pulumi.Resource, depends_on: list[pulumi.Resource]
) -> pulumi.ResourceOptions:
    """Removing a machine from config never purges its replication (docs/replication.md, "Removing a machine").

    `protect` makes `pulumi up` refuse to delete the item until the machine is marked `retire: true`;
    `retain_on_delete` means that even then Pulumi only forgets it: azure-native's delete is the DELETE (purge).
    From `cutover` on the item is no longer protected, so that `complete`, which stops declaring it, only forgets it.
    """
    protect = not machine.retire and phase not in ("cutover", "complete")
    # On a foundation, a machine that replicates stays on its appliance when the pool's assignment changes: moving it
    # is ASR's "Switch appliance" (docs/foundation.md), never a new enable-replication request.
    moves = ["properties.providerSpecificDetails.processServerId"] if machine.appliance else None
    return pulumi.ResourceOptions(
        parent=parent, depends_on=depends_on, protect=protect, retain_on_delete=True, ignore_changes=moves
    )


def declares_item(phase: str) -> bool:
    """Whether the wave declares the machine's protected item: not once it is in `complete`.

    Complete migration removes the item in ASR, so a `pulumi refresh` drops it from the state; were it still
    declared, the next `pulumi up` would create it again, which is enable replication. Not declaring it (it is
    retained on delete, so Pulumi only forgets it) makes refresh and up after `complete` change nothing in ASR.
    """
    return phase != "complete"


@dataclass(frozen=True)
class SharedReplication:
    """What a vault's registered appliances give every machine they replicate: the fabric and protection container
    (one for all the modernized appliances of a vault), the policy, and each appliance's process server.

    A wave declares its own (`declare_shared_replication`); a wave on a foundation is given the foundation's."""

    fabric_name: pulumi.Output[str]
    container_name: pulumi.Output[str]
    policy_id: pulumi.Output[str]
    container_mapping_id: pulumi.Output[str | None]
    physical_site_id: pulumi.Output[str]
    process_server_ids: dict[str, pulumi.Output[str]]
    """Appliance name -> its process server id; a wave's own appliance is its only entry."""
    master_target_id: pulumi.Output[str]
    depends_on: tuple[pulumi.Resource, ...] = ()
    """What enabling replication waits for (the wave's own mapping)."""

    def process_server_for(self, appliance: str) -> pulumi.Output[str]:
        """The process server of the machine's appliance ("": a wave's own)."""
        return self.process_server_ids[appliance]


@dataclass(frozen=True)
class WaveReplicationArgs:
    profile: ArchitectureProfile
    vault_resource_group: str
    """The vault by name from config (known at preview time), for the dynamic resources' identity."""
    vault: str
    policy_name: str
    policy_values: dict[str, int]
    """`policy_settings` of the wave's policy."""
    registration_timeout_minutes: int
    machines: list[ReplicationMachine]
    resource_group_name: pulumi.Input[str]
    resource_group_id: pulumi.Input[str]
    vault_name: pulumi.Input[str]
    storage_account_id: pulumi.Input[str]
    network_id: pulumi.Input[str]
    test_network_id: pulumi.Input[str]
    appliance_private_ip: pulumi.Input[str] | None
    after: tuple[pulumi.Resource, ...] = ()
    """What the registration waits for (the vault and its architecture setting, the sources' preparation)."""
    shared: SharedReplication | None = None
    """A foundation's registered appliances and policy (components/foundation.py); None: the wave declares its own."""
    max_concurrency: int = 10
    """How many machines' appliance switches run at once (the lifecycle's `maxConcurrency`)."""


class WaveReplication(pulumi.ComponentResource):
    """Replication of one wave's machines to Azure.

    Outputs: `fabric_name`, `container_name`, `policy_id`, `container_mapping_id`, and `protected_items`
    (machine name -> {"id", "protectionState", "replicationHealth"} as known at the last update; machines in
    `complete` have none, see `declares_item`).
    """

    def __init__(self, name: str, args: WaveReplicationArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("migration:asr:WaveReplication", name, None, opts)
        profile, machines = args.profile, args.machines
        child = pulumi.ResourceOptions(parent=self)
        timeout = args.registration_timeout_minutes

        shared = args.shared or declare_shared_replication(
            name,
            profile,
            vault_resource_group=args.vault_resource_group,
            vault=args.vault,
            resource_group_name=args.resource_group_name,
            vault_name=args.vault_name,
            policy_name=args.policy_name,
            policy_values=args.policy_values,
            appliances={"": args.appliance_private_ip or ""},
            timeout_minutes=timeout,
            after=args.after,
            parent=self,
        )

        # One discovery resource for the wave (one wait, one plugin worker), not one per machine.
        if profile.is_classic:
            discovered: pulumi.Resource = ProtectableMachines(
                f"{name}-discovery",
                ProtectableMachinesArgs(
                    resource_group_name=args.vault_resource_group,
                    vault_name=args.vault,
                    fabric_name=shared.fabric_name,
                    container_name=shared.container_name,
                    machines={m.name: {"ip_address": m.private_ip, "os_type": m.os.capitalize()} for m in machines},
                ),
                child,
            )
            found_ids = discovered.protectable_item_ids  # type: ignore[attr-defined]
        else:
            discovered = DiscoveredMachines(
                f"{name}-discovery",
                DiscoveredMachinesArgs(
                    physical_site_id=shared.physical_site_id,
                    machines={m.name: m.private_ip for m in machines},
                    timeout_minutes=timeout,
                ),
                child,
            )
            found_ids = discovered.machine_ids  # type: ignore[attr-defined]
        items: dict[str, rs.ReplicationProtectedItem] = {}
        for machine in machines:
            phase = machine.phase
            if not declares_item(phase):
                continue
            subnet, target = machine.subnet_name, machine.target
            found_id = found_ids.apply(lambda ids, n=machine.name: (ids or {}).get(n))
            if profile.is_classic:
                properties = rs.EnableProtectionInputPropertiesArgs(
                    policy_id=shared.policy_id,
                    protectable_item_id=found_id,
                    provider_specific_details=rs.InMageAzureV2EnableProtectionInputArgs(
                        instance_type=profile.provider_type,
                        process_server_id=shared.process_server_for(machine.appliance),
                        master_target_id=shared.master_target_id,
                        # No run-as account: it serves push install, and the agents come through SSM instead.
                        log_storage_account_id=args.storage_account_id,
                        target_azure_v2_resource_group_id=args.resource_group_id,
                        target_azure_network_id=args.network_id,
                        # The classic API takes the subnet *name* here (PowerShell passes RecoveryAzureSubnetName).
                        target_azure_subnet_id=subnet,
                        target_azure_vm_name=machine.name,
                        target_vm_size=machine.vm_size,
                        disk_type=target.disk_type,
                        disk_encryption_set_id=target.disk_encryption_set_id,
                        license_type=target.license_type,
                        target_availability_zone=target.availability_zone,
                        target_availability_set_id=target.availability_set_id,
                        target_vm_tags=target.tags,
                        target_managed_disk_tags=target.tags,
                        target_nic_tags=target.tags,
                    ),
                )
            else:
                tags = _tags(target)
                properties = rs.EnableProtectionInputPropertiesArgs(
                    policy_id=shared.policy_id,
                    provider_specific_details=rs.InMageRcmEnableProtectionInputArgs(
                        instance_type=profile.provider_type,
                        fabric_discovery_machine_id=found_id,
                        process_server_id=shared.process_server_for(machine.appliance),
                        target_resource_group_id=args.resource_group_id,
                        target_network_id=args.network_id,
                        target_subnet_name=subnet,
                        test_network_id=args.test_network_id,
                        test_subnet_name=subnet,
                        target_vm_name=machine.name,
                        target_vm_size=machine.vm_size,
                        disks_default=rs.InMageRcmDisksDefaultInputArgs(
                            disk_type=target.disk_type,
                            log_storage_account_id=args.storage_account_id,
                            disk_encryption_set_id=target.disk_encryption_set_id,
                        ),
                        license_type=None if machine.os == "linux" else target.license_type,
                        linux_license_type=target.license_type if machine.os == "linux" else None,
                        target_availability_zone=target.availability_zone,
                        target_availability_set_id=target.availability_set_id,
                        target_boot_diagnostics_storage_account_id=args.storage_account_id
                        if target.boot_diagnostics
                        else None,
                        target_vm_tags=tags,
                        target_managed_disk_tags=tags,
                        target_nic_tags=tags,
                    ),
                )
            items[machine.name] = rs.ReplicationProtectedItem(
                f"{name}-{machine.name}",
                resource_group_name=args.resource_group_name,
                resource_name_=args.vault_name,
                fabric_name=shared.fabric_name,
                protection_container_name=shared.container_name,
                replicated_protected_item_name=machine.name,
                properties=properties,
                opts=item_options(machine, phase, self, [*shared.depends_on, discovered]),
            )

        # On a foundation, each machine on the appliance it is assigned, also after its assignment changed.
        on_pool = {m.name: m.appliance for m in machines if m.appliance and m.name in items}
        if on_pool and not profile.is_classic:
            switch = WaveApplianceSwitch(
                f"{name}-appliances",
                ActionInputs(
                    resource_group_name=args.vault_resource_group,
                    vault_name=args.vault,
                    architecture=profile.name,
                    max_concurrency=args.max_concurrency,
                    machines={
                        machine: MachineEntry(
                            fabric_name=shared.fabric_name,
                            container_name=shared.container_name,
                            protected_item_name=machine,
                            process_server_id=shared.process_server_for(appliance),
                        )
                        for machine, appliance in sorted(on_pool.items())
                    },
                ),
                pulumi.ResourceOptions(parent=self, depends_on=[items[m] for m in sorted(on_pool)]),
            )
            # A switch that did not succeed stops the `up` naming the machine, as a lifecycle action's does.
            WaveOutcome(
                f"{name}-appliances-outcome",
                name,
                {"applianceSwitch": switch.results},
                pulumi.ResourceOptions(parent=self, depends_on=[switch]),
            )
        self.shared = shared
        self.fabric_name = shared.fabric_name
        self.container_name = shared.container_name
        self.policy_id = shared.policy_id
        self.container_mapping_id = shared.container_mapping_id
        # Output.all() of nothing is a list: once every machine is complete there is no item, so say {} outright.
        self.protected_items: pulumi.Output[dict[str, dict[str, Any]]] = (
            pulumi.Output.all(**{machine: _item_state(item) for machine, item in items.items()})
            if items
            else pulumi.Output.from_input({})
        )
        self.register_outputs(
            {
                "fabric_name": self.fabric_name,
                "container_name": self.container_name,
                "policy_id": self.policy_id,
                "container_mapping_id": self.container_mapping_id,
                "protected_items": self.protected_items,
            }
        )


def declare_shared_replication(
    name: str,
    profile: ArchitectureProfile,
    *,
    vault_resource_group: str,
    vault: str,
    resource_group_name: pulumi.Input[str],
    vault_name: pulumi.Input[str],
    policy_name: str,
    policy_values: dict[str, int],
    appliances: Mapping[str, pulumi.Input[str]],
    timeout_minutes: int,
    after: tuple[pulumi.Resource, ...],
    parent: pulumi.Resource,
) -> SharedReplication:
    """Wait for each appliance's registration, and declare the policy and its mapping to the appliances' container.

    `appliances` maps a name to its host's private IP; a wave's own appliance is named "" (its resources keep the
    names they always had). The mapping goes on the first appliance's container: a vault's modernized appliances
    all join its one fabric (the portal's "Switch appliance" moves machines between them within it)."""
    child = pulumi.ResourceOptions(parent=parent)
    registrations = {
        appliance: ApplianceRegistration(
            f"{name}-registration" + (f"-{appliance}" if appliance else ""),
            ApplianceRegistrationArgs(
                resource_group_name=vault_resource_group,
                vault_name=vault,
                architecture=profile.name,
                appliance_ip=ip,
                timeout_minutes=timeout_minutes,
            ),
            pulumi.ResourceOptions(parent=parent, depends_on=list(after)),
        )
        for appliance, ip in appliances.items()
    }
    first = next(iter(registrations.values()))
    # Were an appliance in a fabric of its own, its machines could not go into the first one's container. The check
    # is on the fabric the waves are given, not an input of the mapping: a newly registered appliance's fabric is
    # unknown in its preview, and an unknown fabric name would make the (protected) mapping a replacement.
    fabric_name = pulumi.Output.all(**{a: r.fabric_name for a, r in registrations.items()}).apply(one_fabric)
    policy = rs.ReplicationPolicy(
        f"{name}-policy",
        resource_group_name=resource_group_name,
        resource_name_=vault_name,
        policy_name=policy_name,
        properties=rs.CreatePolicyInputPropertiesArgs(provider_specific_input=policy_input(profile, policy_values)),
        opts=child,
    )
    # The seed's "associated automatically with the configuration server": the portal maps the policy to the
    # appliance's protection container; the recovery side of an on-premises-to-Azure mapping is "Microsoft Azure".
    mapping = rs.ReplicationProtectionContainerMapping(
        f"{name}-mapping",
        resource_group_name=resource_group_name,
        resource_name_=vault_name,
        fabric_name=first.fabric_name,
        protection_container_name=first.container_name,
        mapping_name=f"{policy_name}-mapping",
        properties=rs.CreateProtectionContainerMappingInputPropertiesArgs(
            policy_id=policy.id, target_protection_container_id=AZURE_CONTAINER
        ),
        # The vault's one container, whichever appliance registered first: an appliance registering before the
        # first of the pool must not make the mapping look changed (and a protected mapping refuse the `up`).
        opts=pulumi.ResourceOptions(
            parent=parent, ignore_changes=["fabricName", "protectionContainerName"] if len(appliances) > 1 else None
        ),
    )
    return SharedReplication(
        fabric_name=fabric_name,
        container_name=first.container_name,
        policy_id=policy.id,
        container_mapping_id=mapping.id,
        physical_site_id=first.physical_site_id,
        process_server_ids={appliance: r.process_server_id for appliance, r in registrations.items()},
        master_target_id=first.master_target_id,
        depends_on=(mapping,),
    )


class ApplianceFabricError(MigrationError, ValueError):
    """The pool's appliances registered into different fabrics of the vault."""


def one_fabric(fabrics: dict[str, str]) -> str:
    """The one fabric every appliance of the pool registered into; else `ApplianceFabricError` naming them."""
    if len(set(fabrics.values())) > 1:
        found = ", ".join(f"{a or 'the appliance'}: {f}" for a, f in sorted(fabrics.items()))
        raise ApplianceFabricError(
            f"the appliances registered into different fabrics of the vault ({found}); modernized appliances of one"
            " vault share its fabric, so check in the portal (Site Recovery infrastructure > ASR replication"
            " appliances) that each is registered with this vault, and that the vault is used by no other project"
        )
    return next(iter(fabrics.values()))


def _tags(target: TargetVm) -> list[rs.UserCreatedResourceTagArgs]:
    """InMageRcm takes tags as a list of {tagName, tagValue}; InMageAzureV2 as a plain map (`target.tags`)."""
    return [rs.UserCreatedResourceTagArgs(tag_name=k, tag_value=v) for k, v in sorted(target.tags.items())]


def _item_state(item: rs.ReplicationProtectedItem) -> pulumi.Output[dict[str, Any]]:
    return pulumi.Output.all(item.id, item.properties).apply(
        lambda values: {
            "id": values[0],
            "protectionState": _field(values[1], "protection_state", "protectionState"),
            "replicationHealth": _field(values[1], "replication_health", "replicationHealth"),
        }
    )


def _field(properties: Any, attribute: str, key: str) -> Any:
    """A property of the item's `properties`: a typed response object, or a plain mapping before translation."""
    if isinstance(properties, dict):
        return properties.get(attribute, properties.get(key))
    return getattr(properties, attribute, None)
