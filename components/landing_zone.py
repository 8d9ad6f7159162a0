"""The Azure side a wave lands in: resource group, cache storage account, target and test networks."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import network, resources, storage

from components.config import AzureConfig, ExistingNetworkConfig, NetworkConfig
from components.existing_network import real_subnet_ids
from components.recovery_vault import RecoveryVault, RecoveryVaultArgs


@dataclass(frozen=True)
class LandingZoneArgs:
    """What the landing zone is made of: names, region, the storage SKU, the networks' layout, the tags."""

    resource_group: str
    location: str
    storage_account: str
    storage_sku: str
    network: NetworkConfig | ExistingNetworkConfig
    """A network to create, or one that exists (by id): then only its isolated test mirror may be created."""
    tags: dict[str, str]


class LandingZone(pulumi.ComponentResource):
    """Resource group, the seed's storage account and the networks migrated VMs attach to.

    Outputs: `name` and `resource_id` (the resource group), `location`, `storage_account_name`,
    `storage_account_id`, `network_name`, `network_id`, `subnet_ids` (subnet name -> id),
    `test_network_name`, `test_network_id`, `test_subnet_ids`.

    The test-failover network mirrors the target network's address space and subnets, so a test VM
    keeps the IP it will have after cutover; it has no peering, gateway or route out, which is what
    keeps the duplicate addresses harmless and the test isolated from production.
    """

    def __init__(self, name: str, args: LandingZoneArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("migration:azure:LandingZone", name, None, opts)
        tags = args.tags
        child = pulumi.ResourceOptions(parent=self)

        # Deleting the group would delete the vault and every migrated VM in it: protected.
        group = resources.ResourceGroup(
            f"{name}-rg",
            resource_group_name=args.resource_group,
            location=args.location,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        account = storage.StorageAccount(
            f"{name}-cache",
            account_name=args.storage_account,
            resource_group_name=group.name,
            location=args.location,
            kind=storage.Kind.STORAGE_V2,
            sku=storage.SkuArgs(name=args.storage_sku),
            enable_https_traffic_only=True,
            minimum_tls_version=storage.MinimumTlsVersion.TLS1_2,
            allow_blob_public_access=False,
            tags=tags,
            opts=child,
        )
        layout = args.network
        if isinstance(layout, ExistingNetworkConfig):
            # The platform team's network: referred to by id, never declared, so never changed or deleted here.
            target_id: pulumi.Output[str] = pulumi.Output.from_input(layout.id)
            target_name: pulumi.Output[str] = pulumi.Output.from_input(layout.name)
        else:
            target = self._network(f"{name}-vnet", layout.name, group, args, tags, child)
            target_id, target_name = target.id, target.name
        if isinstance(layout, ExistingNetworkConfig) and layout.test_network_id:
            test_id: pulumi.Output[str] = pulumi.Output.from_input(layout.test_network_id)
            test_name: pulumi.Output[str] = pulumi.Output.from_input(layout.test_network_name)
        else:
            test = self._network(
                f"{name}-test-vnet",
                layout.test_network_name,
                group,
                args,
                {**tags, "purpose": "test-failover"},
                child,
            )
            test_id, test_name = test.id, test.name

        self.name = group.name
        self.resource_id = group.id
        self.location = pulumi.Output.from_input(args.location)
        self.storage_account_name = account.name
        self.storage_account_id = account.id
        self.network_name = target_name
        self.network_id = target_id
        self.subnet_ids = (
            real_subnet_ids(name, layout, "azure.existingNetwork", self)
            if isinstance(layout, ExistingNetworkConfig)
            else subnet_ids(target_id, layout)
        )
        self.test_network_name = test_name
        self.test_network_id = test_id
        self.test_subnet_ids = subnet_ids(test_id, layout)
        self.register_outputs(
            {
                "name": self.name,
                "resource_id": self.resource_id,
                "storage_account_id": self.storage_account_id,
                "network_id": self.network_id,
                "subnet_ids": self.subnet_ids,
                "test_network_id": self.test_network_id,
                "test_subnet_ids": self.test_subnet_ids,
            }
        )

    @staticmethod
    def _network(
        logical: str,
        vnet_name: str,
        group: resources.ResourceGroup,
        args: LandingZoneArgs,
        tags: dict[str, str],
        opts: pulumi.ResourceOptions,
    ) -> network.VirtualNetwork:
        # Subnets inline: separate Subnet resources fight the inline list on every update.
        return network.VirtualNetwork(
            logical,
            virtual_network_name=vnet_name,
            resource_group_name=group.name,
            location=args.location,
            address_space=network.AddressSpaceArgs(address_prefixes=list(args.network.address_space)),
            subnets=[network.SubnetArgs(name=s.name, address_prefix=s.prefix) for s in args.network.subnets],
            tags=tags,
            opts=opts,
        )


def subnet_ids(
    vnet_id: pulumi.Input[str], layout: NetworkConfig | ExistingNetworkConfig
) -> pulumi.Output[dict[str, str]]:
    """Subnet name -> id, for the subnets of `layout` in the network `vnet_id`."""
    return pulumi.Output.all(**{s.name: pulumi.Output.concat(vnet_id, "/subnets/", s.name) for s in layout.subnets})


def landing_zone_and_vault(
    name: str, azure: AzureConfig, architecture: str, tags: dict[str, str], parent: pulumi.Resource
) -> tuple[LandingZone, RecoveryVault]:
    """The landing zone and the vault in it, as a wave and a foundation declare them (`<name>-lz`, `<name>-rsv`)."""
    landing_zone = LandingZone(
        f"{name}-lz",
        LandingZoneArgs(
            resource_group=azure.resource_group, location=azure.location, storage_account=azure.storage_account,
            storage_sku=azure.storage_sku, network=azure.layout, tags=tags,
        ),
        pulumi.ResourceOptions(parent=parent),
    )  # fmt: skip
    vault = RecoveryVault(
        f"{name}-rsv",
        RecoveryVaultArgs(
            vault_name=azure.vault,
            location=azure.location,
            architecture=architecture,
            tags=tags,
            resource_group_name=landing_zone.name,
            existing_vault_resource_group=azure.existing_vault_resource_group,
        ),
        pulumi.ResourceOptions(parent=parent),
    )
    return landing_zone, vault
