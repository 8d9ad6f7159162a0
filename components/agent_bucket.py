"""The wave's Mobility installer bucket: the appliance host publishes the installers it ships, SSM installs from it.

The replication appliance keeps the Mobility agent installers it can push in `E:\\Software\\Agents` (modernized)
or `<install location>\\home\\svsystems\\pushinstallsvc\\repository` (classic configuration server). Push install is
not used (AWS sources, docs/aws-side.md), so the appliance host's user data copies that folder here once the
appliance is installed, and the source preparation's SSM document installs the agent from `agents/`.

Access, in the bucket policy, whose size does not depend on the wave's size (components/limits.py: S3 refuses a
policy over 20 KB; listing every source instance's ARN three times passed that at about 93 machines):
* read (`s3:GetObject`, and `s3:ListBucket` under `agents/`): only requests signed with EC2 instance-profile
  credentials delivered in the wave's VPC (`aws:Ec2InstanceSourceVpc`, which AWS sets on every request made with
  an instance's role credentials: the wave's sources run there, and the appliance admits only them); every other
  read is denied, whoever asks. The installers are Microsoft's Mobility agent packages, the same for every
  machine; what the policy guards strictly is who writes them;
* write (`s3:PutObject`): only the appliance host's role; every other write is denied;
* TLS only; no public access (all four public-access blocks), objects owned by the bucket owner, SSE-S3.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

PREFIX = "agents/"


@dataclass(frozen=True)
class AgentBucketArgs:
    wave_name: str
    source_vpc_id: str
    """The VPC the wave's source machines run in (`aws.vpcId`): requests with instance credentials from it read."""
    writer_role_arn: pulumi.Input[str]
    """The appliance host's role: the only principal that may write."""
    tags: dict[str, str]


def bucket_policy(bucket_arn: str, writer_role_arn: str, source_vpc_id: str) -> dict[str, Any]:
    """The policy document (see the module docstring)."""
    objects = f"{bucket_arn}/{PREFIX}*"
    readers = {"aws:Ec2InstanceSourceVpc": source_vpc_id}
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
        aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket.id,
            policy=pulumi.Output.all(bucket.arn, args.writer_role_arn).apply(
                lambda values: json.dumps(bucket_policy(values[0], values[1], args.source_vpc_id))
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[block]),
        )
        self.bucket = bucket.bucket
        self.arn = bucket.arn
        self.uri = bucket.bucket.apply(lambda b: f"s3://{b}/{PREFIX}")
        self.register_outputs({"bucket": self.bucket, "arn": self.arn, "uri": self.uri})
