"""A network that already exists (`azure.existingNetwork`): its subnets as Azure has them, read in every preview.

The config states each subnet's range, and every static IP is judged against it before anything is declared
(components/config.py). This module reads each subnet from Azure (`azure-native:network:getSubnet`, through a
provider for the network's own subscription, which may not be the stack's) and stops the preview when a range
differs or a subnet is missing, naming the field: a static IP judged against the stated range is then judged
against the real one. Nothing here declares, changes or deletes the network.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_azure_native as azure_native
from pulumi_azure_native import network

from components.config import ExistingNetworkConfig
from components.errors import MigrationError


class ExistingNetworkError(MigrationError, ValueError):
    """The existing network in Azure does not hold what the config says it does."""


def _parts(vnet_id: str) -> tuple[str, str, str]:
    """(subscription, resource group, name) of a virtual network's ARM id."""
    segments = vnet_id.strip("/").split("/")
    return segments[1], segments[3], segments[-1]


def real_subnet_ids(
    name: str, layout: ExistingNetworkConfig, where: str, parent: pulumi.Resource
) -> pulumi.Output[dict[str, str]]:
    """Subnet name -> its id, once every subnet of `layout` is found in Azure with the range the config states;
    else `ExistingNetworkError` naming `<where>.subnets[i].prefix` (`where`: the config path of the network)."""
    subscription, group, vnet = _parts(layout.id)
    reader = azure_native.Provider(
        f"{name}-network-reader", subscription_id=subscription, opts=pulumi.ResourceOptions(parent=parent)
    )
    found = {
        subnet.name: network.get_subnet_output(
            resource_group_name=group,
            virtual_network_name=vnet,
            subnet_name=subnet.name,
            opts=pulumi.InvokeOutputOptions(parent=parent, provider=reader),
        )
        for subnet in layout.subnets
    }

    def check(real: dict[str, Any]) -> dict[str, str]:
        for index, subnet in enumerate(layout.subnets):
            answer = real[subnet.name]
            ranges = [answer.address_prefix, *(answer.address_prefixes or [])]
            if subnet.prefix not in ranges:
                raise ExistingNetworkError(
                    f"{where}.subnets[{index}].prefix: {subnet.prefix!r} is not the range of subnet {subnet.name} of"
                    f" {layout.id} in Azure ({', '.join(r for r in ranges if r) or 'none'}); correct the config, which"
                    " every static IP is checked against"
                )
        return {s.name: f"{layout.id}/subnets/{s.name}" for s in layout.subnets}

    return pulumi.Output.all(**found).apply(check)
