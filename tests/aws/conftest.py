"""A moto-backed EC2 fleet of mixed instances: AMIs with different platform, virtualization and architecture.

moto's RegisterImage ignores VirtualizationType and Architecture, so the test AMIs are put straight
into moto's backend; the instances then report those attributes as real EC2 does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ec2.models import ec2_backends
from moto.ec2.models.amis import Ami

REGION = "eu-west-1"

# role -> (AMI name, platform, virtualization, architecture, instance type, Name tag)
FLEET: dict[str, tuple[str, str | None, str, str, str, str]] = {
    "web": (
        "Windows_Server-2012-R2_RTM-English-64Bit-Base-2017.10.13",
        "windows",
        "hvm",
        "x86_64",
        "m5.large",
        "web01",
    ),
    "db": ("RHEL-7.9_HVM-20210208-x86_64-0-Hourly2-GP2", None, "hvm", "x86_64", "r5.xlarge", "db01"),
    "app": ("RHEL-8.6.0_HVM-20220503-x86_64-2-Hourly2-GP2", None, "hvm", "x86_64", "c5.2xlarge", "app01"),
    "legacy_pv": (
        "Windows_Server-2008-R2_SP1-English-64Bit-Base-2014.01.01",
        "windows",
        "paravirtual",
        "x86_64",
        "m3.medium",
        "legacy01",
    ),
    "old32": ("Windows_Server-2008-R2_SP1-English-32Bit-Base", "windows", "hvm", "i386", "t2.medium", "old32"),
    "amzn": ("amzn2-ami-hvm-2.0.20240109.0-x86_64-gp2", None, "hvm", "x86_64", "t3.micro", "tools01"),
}


@dataclass
class Fleet:
    ec2: Any
    ssm: Any
    ids: dict[str, str]

    def client(self, service: str, region: str, profile: str | None) -> Any:
        assert region == REGION, f"discover asked for region {region!r}"
        return {"ec2": self.ec2, "ssm": self.ssm}[service]


def add_ami(name: str, platform: str | None, virtualization: str, architecture: str) -> str:
    backend = ec2_backends[DEFAULT_ACCOUNT_ID][REGION]
    ami_id = "ami-" + hashlib.sha256(name.encode()).hexdigest()[:17]
    backend.amis[ami_id] = Ami(
        backend,
        ami_id=ami_id,
        name=name,
        description=name,
        platform=platform,
        virtualization_type=virtualization,
        architecture=architecture,
    )
    return ami_id


def launch(ec2: Any, ami_id: str, instance_type: str, tags: dict[str, str]) -> str:
    spec = [{"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]
    return str(
        ec2.run_instances(ImageId=ami_id, MinCount=1, MaxCount=1, InstanceType=instance_type, TagSpecifications=spec)[
            "Instances"
        ][0]["InstanceId"]
    )


@pytest.fixture
def fleet(monkeypatch: pytest.MonkeyPatch) -> Iterator[Fleet]:
    """Six instances tagged Application=orders (two eligible, one stopped, three ineligible), one untagged."""
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        ids = {}
        for role, (name, platform, virtualization, arch, itype, tag) in FLEET.items():
            ami = add_ami(name, platform, virtualization, arch)
            ids[role] = launch(ec2, ami, itype, {"Name": tag, "Application": "orders"})
        ec2.stop_instances(InstanceIds=[ids["app"]])
        ids["other"] = launch(ec2, add_ami("RHEL-9.2.0_HVM", None, "hvm", "x86_64"), "m5.large", {"Name": "other01"})
        yield Fleet(ec2, boto3.client("ssm", region_name=REGION), ids)
