"""The wave's Mobility installer bucket: the appliance host publishes the installers it ships, SSM installs from it.

The replication appliance keeps the Mobility agent installers it can push in `E:\\Software\\Agents` (modernized)
or `<install location>\\home\\svsystems\\pushinstallsvc\\repository` (classic configuration server). Push install is
not used (AWS sources, docs/aws-side.md), so the appliance host's user data copies that folder here once the
appliance is installed, and the source preparation's SSM document installs the agent from `agents/`.

Access, in the bucket policy, whose size does not depend on the wave's size (components/limits.py: S3 refuses a
policy over 20 KB; listing every source instance's ARN three times passed that at about 93 machines):
* read (`s3:GetObject`, and `s3:ListBucket` under `agents/`): only requests that come through the wave's S3
  interface endpoint (`aws:SourceVpce`), whose security group admits HTTPS only from the wave's sources group, the
  group the source preparation attaches to each source machine and nothing else: so only the wave's sources read,
  as before, without naming them. Every other read is denied, whoever asks. The endpoint has no private DNS (the
  VPC's other S3 traffic is untouched); the SSM document reads through its own address (`endpoint_url`);
* write (`s3:PutObject`): only the appliance host's role; every other write is denied;
* TLS only; no public access (all four public-access blocks), objects owned by the bucket owner, SSE-S3.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.aws.security_groups import allow_tcp_in

PREFIX = "agents/"


@dataclass(frozen=True)
class AgentBucketArgs:
    wave_name: str
    region: str
    vpc_id: str
    """The VPC of the appliance and the sources (`aws.vpcId`): where the endpoint is."""
    subnet_id: str
    """Where the endpoint's network interface goes (`aws.subnetId`, the appliance's subnet)."""
    sources_group_id: pulumi.Input[str]
    """The group every source machine carries (`ApplianceHost.sources_security_group_id`): the endpoint's only peer."""
    writer_role_arn: pulumi.Input[str]
    """The appliance host's role: the only principal that may write."""
    tags: dict[str, str]


def bucket_policy(bucket_arn: str, writer_role_arn: str, endpoint_id: str) -> dict[str, Any]:
    """The policy document (see the module docstring)."""
    objects = f"{bucket_arn}/{PREFIX}*"
    readers = {"aws:SourceVpce": endpoint_id}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": [bucket_arn, f"{bucket_arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            {"Sid": "SourceInstancesRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
             "Resource": objects, "Condition": {"StringEquals": readers}},
            {"Sid": "SourceInstancesList", "Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket",
             "Resource": bucket_arn, "Condition": {"StringEquals": readers, "StringLike": {"s3:prefix": f"{PREFIX}*"}}},
            {"Sid": "NobodyElseReads", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
             "Resource": f"{bucket_arn}/*", "Condition": {"StringNotEquals": readers}},
            {"Sid": "ApplianceWrites", "Effect": "Allow", "Principal": {"AWS": writer_role_arn},
             "Action": "s3:PutObject", "Resource": objects},
            {"Sid": "NobodyElseWrites", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
             "Resource": f"{bucket_arn}/*", "Condition": {"ArnNotEquals": {"aws:PrincipalArn": writer_role_arn}}},
        ],
    }  # fmt: skip


class AgentBucket(pulumi.ComponentResource):
    """The bucket, its access blocks, encryption, ownership and policy. Outputs: `bucket`, `arn`, `uri`
    (`s3://<bucket>/agents/`, what the SSM document installs from)."""

    def __init__(self, name: str, args: AgentBucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("migration:aws:AgentBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        bucket = aws.s3.Bucket(
            f"{name}-bucket", bucket_prefix=f"asr-{args.wave_name}-agents-", tags=args.tags, opts=child
        )
        block = aws.s3.BucketPublicAccessBlock(
            f"{name}-no-public", bucket=bucket.id, block_public_acls=True, block_public_policy=True,
            ignore_public_acls=True, restrict_public_buckets=True, opts=child,
        )  # fmt: skip
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="AES256"
                    )
                )
            ],
            opts=child,
        )
        endpoint = self._endpoint(name, args, child)
        aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket.id,
            policy=pulumi.Output.all(bucket.arn, args.writer_role_arn, endpoint.id).apply(
                lambda values: json.dumps(bucket_policy(values[0], values[1], values[2]))
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[block]),
        )
        # The endpoint's own address for this bucket (no private DNS): https://bucket.vpce-....s3.<region>.vpce...
        self.endpoint_url = endpoint.dns_entries.apply(lambda entries: f"https://bucket.{entries[0]['dns_name']}")
        self.bucket = bucket.bucket
        self.arn = bucket.arn
        self.uri = bucket.bucket.apply(lambda b: f"s3://{b}/{PREFIX}")
        self.register_outputs(
            {"bucket": self.bucket, "arn": self.arn, "uri": self.uri, "endpoint_url": self.endpoint_url}
        )

    @staticmethod
    def _endpoint(name: str, args: AgentBucketArgs, opts: pulumi.ResourceOptions) -> aws.ec2.VpcEndpoint:
        """An S3 interface endpoint that only the wave's sources group reaches (one rule, at any wave size)."""
        group = aws.ec2.SecurityGroup(
            f"{name}-endpoint-sg",
            name=f"asr-{args.wave_name}-agents-endpoint",
            description=f"S3 endpoint of ASR wave {args.wave_name}'s installer bucket: HTTPS from the wave's sources",
            vpc_id=args.vpc_id,
            tags=args.tags,
            opts=opts,
        )
        allow_tcp_in(
            f"{name}-endpoint-in-443", group.id, 443, "HTTPS from the wave's source machines", opts,
            from_group=args.sources_group_id,
        )  # fmt: skip
        return aws.ec2.VpcEndpoint(
            f"{name}-endpoint",
            vpc_id=args.vpc_id,
            service_name=f"com.amazonaws.{args.region}.s3",
            vpc_endpoint_type="Interface",
            subnet_ids=[args.subnet_id],
            security_group_ids=[group.id],
            private_dns_enabled=False,
            tags=args.tags,
            opts=opts,
        )
