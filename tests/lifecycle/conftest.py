"""Fixtures for the lifecycle tests: the fake ARM server, and an EC2 fleet in moto whose ids the waves use."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from tests.fake_arm.fixtures import arm_env_fixture, fake_arm_fixture  # noqa: F401

REGION = "eu-west-1"


@pytest.fixture(name="ec2")
def ec2_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Four running instances in moto (eu-west-1); yields their ids. Stop polls are immediate."""
    for variable, value in (
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_DEFAULT_REGION", REGION),
    ):
        monkeypatch.setenv(variable, value)
    monkeypatch.setenv("ASR_SOURCE_STOP_POLL_SECONDS", "0.01")
    with mock_aws():
        client = boto3.client("ec2", region_name=REGION)
        reservation = client.run_instances(ImageId="ami-12c6146b", MinCount=4, MaxCount=4)
        yield [instance["InstanceId"] for instance in reservation["Instances"]]


def ec2_state(instance_id: str) -> str:
    client = boto3.client("ec2", region_name=REGION)
    return client.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]["State"]["Name"]
