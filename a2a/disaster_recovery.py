"""`AzureToAzureDr`: Azure-to-Azure replication of a wave's DR-ready machines to a second region.

What it creates (docs/dr.md): in the DR region a resource group, a Recovery Services vault and a DR
network; in the vault an Azure fabric per region with one A2A protection container each, an A2A
replication policy, the container mapping (primary -> DR) and the network mapping (wave network -> DR
network); in the source region a cache storage account; and a replicated item per DR-ready machine,
every managed disk staged through the cache account.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import network, recoveryservices, resources, storage

from a2a.config import DrConfig, DrPlan
from a2a.protection_container import A2AProtectionContainer, A2AProtectionContainerArgs
from components.contract import ReadyMachine
from components.naming import tool_tags
from components.recovery_vault import protected_vault

# For A2A the primary fabric's network collection is the fixed name "azureNetwork" (as
# terraform-provider-azurerm's site_recovery_network_mapping resource writes it).
A2A_NETWORK_NAME = "azureNetwork"


@dataclass(frozen=True)
class AzureToAzureDrArgs:
    config: DrConfig
    plan: DrPlan
    primary_network_id: pulumi.Input[str]
    machines: tuple[ReadyMachine, ...]


class AzureToAzureDr(pulumi.ComponentResource):
    """DR for one wave; outputs `name` (the vault's), `resource_id` (the vault's id) and `protected_items`."""

    def __init__(self, name: str, args: AzureToAzureDrArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("migration:dr:AzureToAzureDr", name, None, opts)
        plan, config = args.plan, args.config
        tags = {**config.tags, **tool_tags(plan.wave), "purpose": "dr"}
        child = pulumi.ResourceOptions(parent=self)

        group = resources.ResourceGroup(
            f"{name}-rg", resource_group_name=plan.resource_group_name, location=plan.location, tags=tags, opts=child
        )
        vault = protected_vault(f"{name}-vault", plan.vault_name, group.name, plan.location, tags, self)
        dr_network = network.VirtualNetwork(
            f"{name}-vnet",
            virtual_network_name=plan.network_name,
            resource_group_name=group.name,
            location=plan.location,
            address_space=network.AddressSpaceArgs(address_prefixes=list(config.network.address_space)),
            subnets=[network.SubnetArgs(name=config.network.subnet_name, address_prefix=config.network.subnet_prefix)],
            tags=tags,
            opts=child,
        )
        # A2A stages every write in the source region before it crosses: the cache account lives there.
        cache = storage.StorageAccount(
            f"{name}-cache",
            account_name=plan.cache_storage_account_name,
            resource_group_name=group.name,
            location=plan.primary_location,
            kind=storage.Kind.STORAGE_V2,
            sku=storage.SkuArgs(name=storage.SkuName.STANDARD_LRS),
            enable_https_traffic_only=True,
            minimum_tls_version=storage.MinimumTlsVersion.TLS1_2,
            allow_blob_public_access=False,
            tags={**tags, "purpose": "asr-a2a-cache"},
            opts=child,
        )

        vault_scope = {"resource_group_name": group.name, "resource_name_": vault.name}
        fabrics = {
            role: recoveryservices.ReplicationFabric(
                f"{name}-fabric-{role}",
                fabric_name=fabric_name,
                properties=recoveryservices.FabricCreationInputPropertiesArgs(
                    custom_details=recoveryservices.AzureFabricCreationInputArgs(
                        instance_type="Azure", location=location
                    )
                ),
                **vault_scope,
                opts=child,
            )
            for role, fabric_name, location in (
                ("primary", plan.primary_fabric, plan.primary_location),
                ("recovery", plan.recovery_fabric, plan.location),
            )
        }
        containers = {
            role: A2AProtectionContainer(
                f"{name}-container-{role}",
                A2AProtectionContainerArgs(
                    resource_group_name=group.name,
                    vault_name=vault.name,
                    fabric_name=fabric_name,
                    container_name=container_name,
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[fabrics[role]]),
            )
            for role, fabric_name, container_name in (
                ("primary", plan.primary_fabric, plan.primary_container),
                ("recovery", plan.recovery_fabric, plan.recovery_container),
            )
        }
        # The container's ARM id, built from the vault's id so that it is known in a preview as well.
        recovery_container_id = pulumi.Output.all(vault.id, containers["recovery"].urn).apply(
            lambda parts: (
                f"{parts[0]}/replicationFabrics/{plan.recovery_fabric}"
                f"/replicationProtectionContainers/{plan.recovery_container}"
            )
        )
        policy_config = config.replication_policy
        policy = recoveryservices.ReplicationPolicy(
            f"{name}-policy",
            policy_name=plan.policy_name,
            properties=recoveryservices.CreatePolicyInputPropertiesArgs(
                provider_specific_input=recoveryservices.A2APolicyCreationInputArgs(
                    instance_type="A2A",
                    recovery_point_history=policy_config.recovery_point_retention_minutes,
                    app_consistent_frequency_in_minutes=policy_config.app_consistent_frequency_minutes,
                    multi_vm_sync_status="Enable" if policy_config.multi_vm_sync else "Disable",
                )
            ),
            **vault_scope,
            opts=child,
        )
        mapping = recoveryservices.ReplicationProtectionContainerMapping(
            f"{name}-container-mapping",
            mapping_name=f"{plan.primary_location}-{plan.location}-{plan.wave}",
            fabric_name=plan.primary_fabric,
            protection_container_name=plan.primary_container,
            properties=recoveryservices.CreateProtectionContainerMappingInputPropertiesArgs(
                policy_id=policy.id,
                target_protection_container_id=recovery_container_id,
                provider_specific_input=recoveryservices.A2AContainerMappingInputArgs(
                    instance_type="A2A", agent_auto_update_status="Disabled"
                ),
            ),
            **vault_scope,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(containers.values())),
        )
        network_mapping = recoveryservices.ReplicationNetworkMapping(
            f"{name}-network-mapping",
            network_mapping_name=f"{plan.primary_location}-{plan.location}-{plan.wave}",
            fabric_name=plan.primary_fabric,
            network_name=A2A_NETWORK_NAME,
            properties=recoveryservices.CreateNetworkMappingInputPropertiesArgs(
                recovery_network_id=dr_network.id,
                recovery_fabric_name=plan.recovery_fabric,
                fabric_specific_details=recoveryservices.AzureToAzureCreateNetworkMappingInputArgs(
                    instance_type="AzureToAzure", primary_network_id=args.primary_network_id
                ),
            ),
            **vault_scope,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(fabrics.values())),
        )

        items = {}
        for machine in args.machines:
            items[machine.name] = recoveryservices.ReplicationProtectedItem(
                f"{name}-{machine.name}",
                replicated_protected_item_name=machine.name,
                fabric_name=plan.primary_fabric,
                protection_container_name=plan.primary_container,
                properties=recoveryservices.EnableProtectionInputPropertiesArgs(
                    policy_id=policy.id,
                    provider_specific_details=recoveryservices.A2AEnableProtectionInputArgs(
                        instance_type="A2A",
                        fabric_object_id=machine.vm_resource_id,
                        recovery_container_id=recovery_container_id,
                        recovery_resource_group_id=group.id,
                        recovery_azure_network_id=dr_network.id,
                        recovery_subnet_name=config.network.subnet_name,
                        vm_managed_disks=[
                            recoveryservices.A2AVmManagedDiskInputDetailsArgs(
                                disk_id=disk_id,
                                primary_staging_azure_storage_account_id=cache.id,
                                recovery_resource_group_id=group.id,
                            )
                            for disk_id in machine.managed_disk_ids
                        ],
                    ),
                ),
                **vault_scope,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[mapping, network_mapping]),
            )

        self.name = vault.name
        self.resource_id = vault.id
        self.location = pulumi.Output.from_input(plan.location)
        self.network_id = dr_network.id
        self.cache_storage_account_id = cache.id
        self.protected_items = {machine: item.id for machine, item in items.items()}
        self.register_outputs(
            {
                "name": self.name,
                "resource_id": self.resource_id,
                "location": self.location,
                "network_id": self.network_id,
                "cache_storage_account_id": self.cache_storage_account_id,
                "protected_items": self.protected_items,
            }
        )
