"""The EC2 instance in the source VPC that hosts the ASR replication appliance or configuration server.

See docs/appliance-host.md for the security group table, the IAM policy and every user data command
with its source.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.agent_bucket import PREFIX as AGENT_PREFIX
from components.agent_bucket import AgentBucket, AgentBucketArgs
from components.appliance_user_data import DataDisk, render_user_data
from components.architecture import ArchitectureProfile
from components.aws.security_groups import allow_tcp_in
from components.config import ApplianceHostConfig
from components.secrets import WaveSecrets

REPLICATION_PORTS = {443: "control channel orchestration", 9443: "replication data transport"}
"""Ports the source machines' Mobility service opens to the appliance (replication-appliance-support-matrix.md)."""
RDP_PORT = 3389
DATA_DISK_DEVICE = "xvdf"
"""AWS recommends xvd[f-z] for extra EBS volumes on Windows instances."""


@dataclass(frozen=True)
class ApplianceHostArgs:
    """What the host needs of a wave (components/migration_wave.py's `appliance_host_args` fills it in)."""

    wave_name: str
    profile: ArchitectureProfile
    """Which host (configuration server or replication appliance), its AMI filter and the secrets' keys."""
    region: str
    vpc_id: str
    subnet_id: str
    admin_cidr: str
    """Where RDP may come from."""
    server: ApplianceHostConfig
    """The host's own settings: Name tag, instance type, AMI, disks, key pair."""
    publish_agents: bool
    """Whether the host publishes the Mobility installers to a wave bucket (not when the operator has a location)."""
    tags: Mapping[str, str]
    secrets: WaveSecrets


class ApplianceHost(pulumi.ComponentResource):
    """Windows instance, security group, Secrets Manager secret and instance profile for one wave's appliance.

    Outputs: `instance_id`, `private_ip`, `security_group_id`, `secret_arn`, `role_arn`, `agent_installer_uri`
    (the wave bucket's `s3://.../agents/`, None with `aws.mobilityInstallerS3Uri`), and `name` and `resource_id`
    (the instance's Name tag and id).

    Sized per the appliance support matrix (8 vCPU, 16 GiB, an 80 GB OS disk and a 620 GB data disk)
    for both architectures: the classic configuration server's third disk, the retention drive, is
    only used for failback to on-premises VMware, which a migration out of AWS never does.
    """

    def __init__(self, name: str, args: ApplianceHostArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("migration:aws:ApplianceHost", name, None, opts)
        secrets, server, wave_name, architecture = args.secrets, args.server, args.wave_name, args.profile.name
        wave_tags = dict(args.tags)
        tags = {**wave_tags, "Name": server.name}
        child = pulumi.ResourceOptions(parent=self)

        group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            name=f"{server.name}-replication",
            description=f"ASR {architecture} appliance of wave {wave_name}: replication from the wave machines, RDP from admins",
            vpc_id=args.vpc_id,
            tags=tags,
            opts=child,
        )
        # The sources are admitted by reference to a group the source preparation attaches to each of them: the
        # appliance group's rule count stays the same at any wave size (a /32 rule per source and port reached
        # AWS's 60 inbound rules per group at 30 machines; components/limits.py).
        sources = aws.ec2.SecurityGroup(
            f"{name}-sources-sg",
            name=f"{server.name}-sources",
            description=f"Source machines of ASR wave {wave_name}: the appliance admits this group on 443 and 9443;"
            " it allows nothing itself",
            vpc_id=args.vpc_id,
            tags={**wave_tags, "Name": f"{server.name}-sources"},
            opts=child,
        )
        self._rules(name, group, sources, args, child)

        # One secret per wave, holding exactly the architecture's keys as a JSON object. The version's
        # secret_string stays a Pulumi secret because every value in it is one.
        secret = aws.secretsmanager.Secret(
            f"{name}-secret",
            name_prefix=f"asr-migration-{wave_name}-appliance-",
            description=f"ASR {architecture} appliance secrets for wave {wave_name}, read by the appliance host at boot",
            tags=wave_tags,
            opts=child,
        )
        version = aws.secretsmanager.SecretVersion(
            f"{name}-secret-version",
            secret_id=secret.id,
            secret_string=pulumi.Output.json_dumps(secrets.values),
            opts=child,
        )

        role = aws.iam.Role(
            f"{name}-role",
            name_prefix=f"asr-{wave_name}-appliance-",
            description=f"ASR appliance host of wave {wave_name}: may read this wave's appliance secret"
            + (" and publish its Mobility installers" if args.publish_agents else "")
            + ", nothing else",
            assume_role_policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
                    ],
                }
            ),
            tags=wave_tags,
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-read-secret",
            role=role.id,
            policy=_allow("secretsmanager:GetSecretValue", secret.arn),
            opts=child,
        )
        # Without a bucket of the operator's own (aws.mobilityInstallerS3Uri), the host publishes the Mobility
        # installers it ships to a wave bucket that only the wave's source instances may read.
        self.agent_installer_uri: pulumi.Output[str] | None = None
        self.agent_endpoint_url: pulumi.Output[str] | None = None
        """The wave bucket's S3 endpoint address the sources read through (None with `aws.mobilityInstallerS3Uri`)."""
        agents: AgentBucket | None = None
        if args.publish_agents:
            agents = AgentBucket(
                f"{name}-agents",
                AgentBucketArgs(wave_name, args.region, args.vpc_id, args.subnet_id, sources.id, role.arn, wave_tags),
                child,
            )
            aws.iam.RolePolicy(
                f"{name}-publish-agents",
                role=role.id,
                policy=_allow("s3:PutObject", agents.arn.apply(lambda a: f"{a}/{AGENT_PREFIX}*")),
                opts=child,
            )
            self.agent_installer_uri = agents.uri
            self.agent_endpoint_url = agents.endpoint_url
        profile = aws.iam.InstanceProfile(
            f"{name}-profile", name_prefix=f"asr-{wave_name}-appliance-", role=role.name, tags=wave_tags, opts=child
        )

        data_disk = DataDisk(size_gb=server.data_disk_gb)
        bucket = agents.bucket if agents is not None else None
        user_data = pulumi.Output.all(secret.arn, bucket).apply(
            lambda values: render_user_data(architecture, values[0], args.region, data_disk, values[1])
        )
        instance = aws.ec2.Instance(
            f"{name}-instance",
            ami=self._ami(server, args.profile),
            instance_type=server.instance_type,
            subnet_id=args.subnet_id,
            vpc_security_group_ids=[group.id],
            iam_instance_profile=profile.name,
            key_name=server.key_name,
            metadata_options=aws.ec2.InstanceMetadataOptionsArgs(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1
            ),
            root_block_device=aws.ec2.InstanceRootBlockDeviceArgs(
                volume_size=server.os_disk_gb, volume_type="gp3", encrypted=True, delete_on_termination=True, tags=tags
            ),
            ebs_block_devices=[
                aws.ec2.InstanceEbsBlockDeviceArgs(
                    device_name=DATA_DISK_DEVICE,
                    volume_size=server.data_disk_gb,
                    volume_type="gp3",
                    encrypted=True,
                    delete_on_termination=True,
                    tags={**tags, "Name": f"{server.name}-data"},
                )
            ],
            user_data=user_data,
            tags=tags,
            # The first boot reads the secret: its value must exist before the instance does.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[version]),
        )

        self.name = pulumi.Output.from_input(server.name)
        self.instance_id = instance.id
        self.resource_id = instance.id
        self.private_ip = instance.private_ip
        self.security_group_id = group.id
        self.sources_security_group_id = sources.id
        """The group the source preparation attaches to every source machine: what the appliance admits."""
        self.secret_arn = secret.arn
        self.role_arn = role.arn
        self.register_outputs(
            {
                "name": self.name,
                "instance_id": self.instance_id,
                "private_ip": self.private_ip,
                "security_group_id": self.security_group_id,
                "sources_security_group_id": self.sources_security_group_id,
                "secret_arn": self.secret_arn,
                "role_arn": self.role_arn,
                "agent_installer_uri": self.agent_installer_uri,
                "agent_endpoint_url": self.agent_endpoint_url,
            }
        )

    @staticmethod
    def _rules(
        name: str,
        group: aws.ec2.SecurityGroup,
        sources: aws.ec2.SecurityGroup,
        args: ApplianceHostArgs,
        opts: pulumi.ResourceOptions,
    ) -> None:
        """One rule per replication port from the wave's sources group, RDP from the admin network, HTTPS out.

        With no inline rules on the groups, the provider also removes AWS's default allow-all egress rule, so the
        egress rule below is the appliance's only way out and the sources group allows nothing.
        """
        for port, purpose in REPLICATION_PORTS.items():
            allow_tcp_in(
                f"{name}-in-{port}", group.id, port, f"{purpose} from the wave's source machines", opts,
                from_group=sources.id,
            )  # fmt: skip
        allow_tcp_in(
            f"{name}-in-rdp", group.id, RDP_PORT, "RDP from the admin network", opts, from_cidr=args.admin_cidr
        )
        # The Azure endpoints (Site Recovery, Entra ID, Storage, Key Vault) and the installer downloads are
        # wildcard host names with no fixed address ranges a security group could list, so HTTPS is open
        # to any address; nothing else leaves. Amazon DNS, the Amazon Time Sync Service and Windows license
        # activation are never filtered by security groups.
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-out-https",
            security_group_id=group.id,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4="0.0.0.0/0",
            description="HTTPS to Azure Site Recovery, Entra ID, Storage, installer downloads, Secrets Manager",
            opts=opts,
        )

    def _ami(self, server: ApplianceHostConfig, profile: ArchitectureProfile) -> pulumi.Input[str]:
        """The configured AMI, else the newest Amazon-owned Windows Server image for the architecture."""
        if server.ami_id:
            return server.ami_id
        image = aws.ec2.get_ami_output(
            owners=["amazon"],
            most_recent=True,
            filters=[
                aws.ec2.GetAmiFilterArgs(name="name", values=[profile.host_ami_filter]),
                aws.ec2.GetAmiFilterArgs(name="platform", values=["windows"]),
            ],
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        return image.id


def _allow(action: str, resource: pulumi.Input[str]) -> pulumi.Output[str]:
    """An IAM policy document that allows `action` on `resource` and nothing else."""
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": [statement]})
