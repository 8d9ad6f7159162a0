"""The EC2 instance in the source VPC that hosts the ASR replication appliance or configuration server.

See docs/appliance-host.md for the security group table, the IAM policy and every user data command
with its source.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.agent_bucket import PREFIX as AGENT_PREFIX
from components.agent_bucket import AgentBucket, AgentBucketArgs
from components.appliance_user_data import DataDisk, render_user_data
from components.config import WaveConfig
from components.secrets import WaveSecrets

REPLICATION_PORTS = {443: "control channel orchestration", 9443: "replication data transport"}
"""Ports the source machines' Mobility service opens to the appliance (replication-appliance-support-matrix.md)."""
RDP_PORT = 3389
DATA_DISK_DEVICE = "xvdf"
"""AWS recommends xvd[f-z] for extra EBS volumes on Windows instances."""


@dataclass(frozen=True)
class ApplianceHostArgs:
    wave: WaveConfig
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
        wave, secrets = args.wave, args.secrets
        server = wave.aws.config_server
        tags = {**wave.all_tags, "Name": server.name}
        child = pulumi.ResourceOptions(parent=self)

        group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            name=f"{server.name}-replication",
            description=f"ASR {wave.architecture} appliance of wave {wave.name}: replication from the wave machines, RDP from admins",
            vpc_id=wave.aws.vpc_id,
            tags=tags,
            opts=child,
        )
        self._rules(name, group, wave, child)

        # One secret per wave, holding exactly the architecture's keys as a JSON object. The version's
        # secret_string stays a Pulumi secret because every value in it is one.
        secret = aws.secretsmanager.Secret(
            f"{name}-secret",
            name_prefix=f"asr-migration-{wave.name}-appliance-",
            description=f"ASR {wave.architecture} appliance secrets for wave {wave.name}, read by the appliance host at boot",
            tags=wave.all_tags,
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
            name_prefix=f"asr-{wave.name}-appliance-",
            description=f"ASR appliance host of wave {wave.name}: may read this wave's appliance secret, nothing else",
            assume_role_policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
                    ],
                }
            ),
            tags=wave.all_tags,
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-read-secret",
            role=role.id,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secret.arn}
                    ],
                }
            ),
            opts=child,
        )
        # Without a bucket of the operator's own (aws.mobilityInstallerS3Uri), the host publishes the Mobility
        # installers it ships to a wave bucket that only the wave's source instances may read.
        self.agent_installer_uri: pulumi.Output[str] | None = None
        agents: AgentBucket | None = None
        if wave.aws.mobility_installer_s3_uri is None:
            agents = AgentBucket(
                f"{name}-agents",
                AgentBucketArgs(wave.name, wave.aws.region, [m.instance_id for m in wave.machines], role.arn,
                                wave.all_tags),
                child,
            )  # fmt: skip
            aws.iam.RolePolicy(
                f"{name}-publish-agents",
                role=role.id,
                policy=pulumi.Output.json_dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": "s3:PutObject",
                                "Resource": agents.arn.apply(lambda a: f"{a}/{AGENT_PREFIX}*"),
                            }
                        ],
                    }
                ),
                opts=child,
            )
            self.agent_installer_uri = agents.uri
        profile = aws.iam.InstanceProfile(
            f"{name}-profile", name_prefix=f"asr-{wave.name}-appliance-", role=role.name, tags=wave.all_tags, opts=child
        )

        data_disk = DataDisk(size_gb=server.data_disk_gb)
        bucket = agents.bucket if agents is not None else None
        user_data = pulumi.Output.all(secret.arn, bucket).apply(
            lambda values: render_user_data(wave.architecture, values[0], wave.aws.region, data_disk, values[1])
        )
        instance = aws.ec2.Instance(
            f"{name}-instance",
            ami=self._ami(wave),
            instance_type=server.instance_type,
            subnet_id=wave.aws.subnet_id,
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
        self.secret_arn = secret.arn
        self.role_arn = role.arn
        self.register_outputs(
            {
                "name": self.name,
                "instance_id": self.instance_id,
                "private_ip": self.private_ip,
                "security_group_id": self.security_group_id,
                "secret_arn": self.secret_arn,
                "role_arn": self.role_arn,
                "agent_installer_uri": self.agent_installer_uri,
            }
        )

    @staticmethod
    def _rules(name: str, group: aws.ec2.SecurityGroup, wave: WaveConfig, opts: pulumi.ResourceOptions) -> None:
        """One rule per port per source machine, RDP from the admin network, HTTPS out.

        With no inline rules on the group, the provider also removes AWS's default allow-all egress
        rule, so the egress rule below is the only way out.
        """
        for machine in wave.machines:
            for port, purpose in REPLICATION_PORTS.items():
                aws.vpc.SecurityGroupIngressRule(
                    f"{name}-in-{port}-{machine.name}",
                    security_group_id=group.id,
                    ip_protocol="tcp",
                    from_port=port,
                    to_port=port,
                    cidr_ipv4=f"{machine.private_ip}/32",
                    description=f"{purpose} from {machine.name}",
                    opts=opts,
                )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-in-rdp",
            security_group_id=group.id,
            ip_protocol="tcp",
            from_port=RDP_PORT,
            to_port=RDP_PORT,
            cidr_ipv4=wave.aws.admin_cidr,
            description="RDP from the admin network",
            opts=opts,
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

    def _ami(self, wave: WaveConfig) -> pulumi.Input[str]:
        """The configured AMI, else the newest Amazon-owned Windows Server image for the architecture."""
        if wave.aws.config_server.ami_id:
            return wave.aws.config_server.ami_id
        image = aws.ec2.get_ami_output(
            owners=["amazon"],
            most_recent=True,
            filters=[
                aws.ec2.GetAmiFilterArgs(name="name", values=[wave.profile.host_ami_filter]),
                aws.ec2.GetAmiFilterArgs(name="platform", values=["windows"]),
            ],
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        return image.id
