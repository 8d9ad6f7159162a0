"""What the waves of one migration share (docs/foundation.md): declared once by a foundation, read by every wave.

`MigrationFoundation` declares the landing zone (resource group, cache storage account, networks, or existing
networks by id), the vault, the pool of appliance hosts, each appliance's registration once its passphrase is set,
and the replication policy and its mapping. Everything in it is protected: while waves replicate through it, no
edit of the foundation's config can delete any of it (`pulumi up` stops at a protected resource, and the plan names
the waves that use each appliance).

The foundation contract is the stack output `foundation` (version `FOUNDATION_VERSION`), plus the secret output
`appliancePassphrases`. An all-in-one wave exports the same contract, so it can become the foundation of the
waves after it without replacing its vault or registering its appliance again. `FoundationReference` is how a wave
reads it: a StackReference, checked before anything uses it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.appliance_host import ApplianceHost, ApplianceHostArgs
from components.config import ApplianceHostConfig, WaveConfig
from components.errors import MigrationError
from components.foundation_config import FoundationConfig
from components.landing_zone import LandingZone, landing_zone_and_vault
from components.recovery_vault import RecoveryVault, with_vault_credentials
from components.replication import SharedReplication, declare_shared_replication, policy_settings
from components.secrets import NAMESPACE, PASSPHRASE, WaveSecrets, passphrase_key
from components.stack_config import Foundation

FOUNDATION_VERSION = 1
"""Version of the `foundation` stack output. 1: the fields `foundation_contract` lists."""
SUPPORTED_FOUNDATION_VERSIONS = frozenset({1})


class FoundationContractError(MigrationError, ValueError):
    """A foundation's outputs cannot serve this wave; the message names the stack, the field and what to do."""


def foundation_contract(
    *,
    config: FoundationConfig,
    landing_zone: LandingZone,
    vault: RecoveryVault,
    hosts: Mapping[str, ApplianceHost],
    shared: SharedReplication | None,
    process_servers: Mapping[str, pulumi.Output[str]],
) -> dict[str, Any]:
    """The `foundation` stack output: names and ids a wave needs, and each appliance with its process server
    (None until it has registered: the wave then stops and says so)."""
    return {
        "version": FOUNDATION_VERSION,
        "name": config.name,
        "architecture": config.architecture,
        "location": config.azure.location,
        "awsRegion": config.aws.region,
        "resourceGroupName": landing_zone.name,
        "resourceGroupId": landing_zone.resource_id,
        "vaultName": vault.name,
        "vaultResourceGroup": vault.resource_group_name,
        "vaultId": vault.resource_id,
        "storageAccountId": landing_zone.storage_account_id,
        "networkId": landing_zone.network_id,
        "subnetIds": landing_zone.subnet_ids,
        "testNetworkId": landing_zone.test_network_id,
        "testSubnetIds": landing_zone.test_subnet_ids,
        "policyId": shared.policy_id if shared else None,
        "fabricName": shared.fabric_name if shared else None,
        "containerName": shared.container_name if shared else None,
        "physicalSiteId": shared.physical_site_id if shared else None,
        "masterTargetId": shared.master_target_id if shared else None,
        "appliances": {
            appliance: {
                "instanceId": host.instance_id,
                "privateIp": host.private_ip,
                "sourcesSecurityGroupId": host.sources_security_group_id,
                "agentInstallerUri": host.agent_installer_uri,
                "agentEndpointUrl": host.agent_endpoint_url,
                "processServerId": process_servers.get(appliance),
            }
            for appliance, host in hosts.items()
        },
    }


@dataclass(frozen=True)
class MigrationFoundationArgs:
    foundation: Foundation
    secrets: WaveSecrets
    """The shared secrets (components/secrets.py `load_foundation_secrets`)."""
    passphrases: dict[str, pulumi.Output[str]]
    """Appliance name -> its passphrase, for the appliances registered so far."""


class MigrationFoundation(pulumi.ComponentResource):
    """The shared parts of a migration; see the module docstring. Outputs: `contract()`."""

    def __init__(self, name: str, args: MigrationFoundationArgs, opts: pulumi.ResourceOptions | None = None):
        # Protected, children included: nothing the waves use is deleted because the config changed.
        super().__init__(
            "migration:index:MigrationFoundation", name, None, pulumi.ResourceOptions.merge(
                opts, pulumi.ResourceOptions(protect=True)
            )
        )  # fmt: skip
        config, foundation = args.foundation.config, args.foundation
        azure, profile = config.azure, config.profile
        aws_provider = aws.Provider(f"{name}-aws", region=config.aws.region, opts=pulumi.ResourceOptions(parent=self))
        landing_zone, vault = landing_zone_and_vault(name, azure, config.architecture, config.all_tags, self)
        secrets = with_vault_credentials(name, profile, args.secrets, vault, self)
        hosts = {
            a.name: ApplianceHost(
                f"{name}-appliance-{a.name}",
                host_args(config, a, WaveSecrets({**secrets.values, **_own_passphrase(args.passphrases, a.name)})),
                opts=pulumi.ResourceOptions(parent=self, providers={"aws": aws_provider}),
            )
            for a in config.aws.appliances
        }
        registered = {a: hosts[a].private_ip for a in hosts if a in args.passphrases}
        shared = (
            declare_shared_replication(
                f"{name}-replication",
                profile,
                vault_resource_group=azure.vault_resource_group,
                vault=azure.vault,
                resource_group_name=vault.resource_group_name,
                vault_name=vault.name,
                policy_name=azure.replication_policy.name,
                policy_values=policy_settings(profile, azure.replication_policy),
                appliances=registered,
                timeout_minutes=azure.registration_timeout_minutes,
                after=(vault,),
                parent=self,
            )
            if registered
            else None
        )
        self.pending_steps = foundation_pending_steps(config, set(registered))
        for step in self.pending_steps:
            pulumi.log.warn(f"foundation {config.name} waits for you: {step}", self)
        self._contract: dict[str, Any] = {
            "foundation": foundation_contract(
                config=config,
                landing_zone=landing_zone,
                vault=vault,
                hosts=hosts,
                shared=shared,
                process_servers=shared.process_server_ids if shared else {},
            ),
            "appliancePassphrases": secret_map({a: p for a, p in args.passphrases.items() if a in hosts}),
            "applianceLoad": foundation.assignment.board(),
            "waves": [w.name for w in foundation.waves],
            "pendingSteps": self.pending_steps,
        }
        self.register_outputs(self._contract)

    def contract(self) -> dict[str, Any]:
        return self._contract


def secret_map(values: Mapping[str, pulumi.Output[str]]) -> pulumi.Output[Any]:
    """Appliance name -> passphrase, as one secret output (an empty mapping when none is set)."""
    return pulumi.Output.secret(pulumi.Output.all(**values)) if values else pulumi.Output.from_input({})


def _own_passphrase(passphrases: Mapping[str, pulumi.Output[str]], appliance: str) -> dict[str, pulumi.Output[str]]:
    """The appliance's passphrase under the key its host's secret keeps it (`appliancePassphrase`)."""
    return {PASSPHRASE: passphrases[appliance]} if appliance in passphrases else {}


def host_args(config: FoundationConfig, server: ApplianceHostConfig, secrets: WaveSecrets) -> ApplianceHostArgs:
    """One appliance host of the foundation (an all-in-one wave is read as one: `foundation_of_wave`)."""
    return ApplianceHostArgs(
        wave_name=config.name,
        profile=config.profile,
        region=config.aws.region,
        vpc_id=config.aws.vpc_id,
        subnet_id=config.aws.subnet_id,
        admin_cidr=config.aws.admin_cidr,
        server=server,
        publish_agents=config.aws.mobility_installer_s3_uri is None,
        tags=config.all_tags,
        secrets=secrets,
    )


def foundation_pending_steps(config: FoundationConfig, registered: set[str]) -> list[str]:
    """Per appliance not yet registered, what the operator does; Microsoft registers appliances one at a time."""
    steps = []
    for appliance in config.aws.appliances:
        if appliance.name in registered:
            continue
        steps.append(
            f"Register appliance '{appliance.name}' (EC2 instance of that Name; RDP from {config.aws.admin_cidr}) with"
            f" vault '{config.azure.vault}': Azure portal > vault > Site Recovery infrastructure > ASR replication"
            " appliances > Add, generate the key, paste it into the appliance configuration manager. Register"
            " appliances one after the other: Microsoft does not support parallel registrations. Then copy its"
            f" passphrase and run `pulumi config set --secret {NAMESPACE}:{passphrase_key(appliance.name)}"
            " <passphrase>` and `pulumi up`: its registration is then confirmed and waves may use it."
        )
    return steps


class FoundationReference:
    """A wave's view of its foundation: the StackReference's `foundation` output, checked for this wave.

    The check runs in every preview: a contract version this program does not know, another Azure or AWS region
    than the foundation's stack file says, or an appliance of the wave that has not registered yet stops the wave
    with one line that says what to do."""

    def __init__(self, name: str, wave: WaveConfig, parent: pulumi.Resource) -> None:
        assert wave.foundation is not None
        stack = wave.foundation.stack
        reference = pulumi.StackReference(
            f"{name}-foundation", stack_name=stack, opts=pulumi.ResourceOptions(parent=parent)
        )
        used = sorted({m.appliance for m in wave.machines if m.appliance and not m.retire})
        self.stack = stack
        self.outputs: pulumi.Output[dict[str, Any]] = reference.get_output("foundation").apply(
            lambda value: checked_foundation(value, stack, wave, used)
        )
        self.passphrases: pulumi.Output[Any] = reference.get_output("appliancePassphrases")

    def get(self, key: str) -> pulumi.Output[Any]:
        return self.outputs.apply(lambda f: f[key])

    def appliance(self, appliance: str, key: str) -> pulumi.Output[Any]:
        return self.outputs.apply(lambda f: f["appliances"][appliance][key])

    def passphrase(self, appliance: str) -> pulumi.Output[str]:
        return pulumi.Output.secret(self.passphrases.apply(lambda p: (p or {})[appliance]))

    def shared_replication(self, appliances: list[str]) -> SharedReplication:
        return SharedReplication(
            fabric_name=self.get("fabricName"),
            container_name=self.get("containerName"),
            policy_id=self.get("policyId"),
            container_mapping_id=pulumi.Output.from_input(None),
            physical_site_id=self.get("physicalSiteId"),
            process_server_ids={a: self.appliance(a, "processServerId") for a in appliances},
            master_target_id=self.get("masterTargetId"),
        )


def checked_foundation(value: Any, stack: str, wave: WaveConfig, appliances: list[str]) -> dict[str, Any]:
    """The foundation's outputs, if they can serve `wave`; else `FoundationContractError` saying what to do."""
    where = f"foundation {stack}"
    if not isinstance(value, Mapping):
        raise FoundationContractError(
            f"{where}: has no `foundation` output; run `pulumi up` on it first (an all-in-one wave exports it too)"
        )
    version = value.get("version")
    if version not in SUPPORTED_FOUNDATION_VERSIONS:
        raise FoundationContractError(
            f"{where}: foundation outputs version {version!r} is not one this program reads"
            f" ({sorted(SUPPORTED_FOUNDATION_VERSIONS)}); update this project or the foundation"
        )
    for key, expected in (("location", wave.azure.location), ("awsRegion", wave.aws.region)):
        if value.get(key) != expected:
            raise FoundationContractError(
                f"{where}: its {key} is {value.get(key)!r} but its stack file says {expected!r}; run `pulumi up` on"
                " the foundation so its outputs match its config"
            )
    unregistered = [a for a in appliances if not (value.get("appliances") or {}).get(a, {}).get("processServerId")]
    if unregistered:
        raise FoundationContractError(
            f"{where}: appliance(s) {', '.join(unregistered)} of this wave are not registered yet; finish the"
            " foundation's pending steps (its stack output pendingSteps), run `pulumi up` on it, then on this wave"
        )
    return dict(value)
