"""Fixtures of the engine-faithful tests: the fake ARM server, a moto server for EC2 (the plugin runs in its own
process, so moto's in-process mock cannot reach it), and an `Engine` whose plugin is aimed at both."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.engine.cloud import Cloud
from tests.engine.harness import Engine
from tests.fake_arm.compute import FakeCompute
from tests.fake_arm.process import FakeInAnotherProcess
from tests.fake_arm.server import IDENTITY_HEADER, SUBSCRIPTION

REGION = "eu-west-1"
AWS_TEST_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION}


@pytest.fixture(name="moto_url", scope="session")
def moto_url_fixture() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(name="fake")
def fake_fixture() -> Iterator[FakeCompute]:
    server = FakeCompute(job_step_seconds=0.05, retry_after="0.05").start()
    try:
        yield server
    finally:
        server.stop()


UNSET = (
    "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID", "AZURE_CLOUD", "ARM_SUBSCRIPTION_ID",
    "AZURE_AUTHORITY_HOST", "MSI_ENDPOINT", "AZURE_FEDERATED_TOKEN_FILE",
)  # fmt: skip
"""Removed from the plugin's environment: the identity is the fake's managed identity."""


def plugin_env(fake: FakeCompute | FakeInAnotherProcess, moto_url: str, **settings: str) -> dict[str, str | None]:
    """What a user sets for `pulumi up`, aimed at the fakes: the ARM endpoint, a managed identity whose token
    endpoint the fake serves, the subscription, AWS credentials and endpoint; short waits."""
    return {
        "ASR_ARM_ENDPOINT": fake.url,
        "AZURE_SUBSCRIPTION_ID": SUBSCRIPTION,
        "IDENTITY_ENDPOINT": f"{fake.url}/msi/token",
        "IDENTITY_HEADER": IDENTITY_HEADER,
        **dict.fromkeys(UNSET),
        "ASR_HTTP_TIMEOUT_SECONDS": "5",
        "ASR_RETRY_TOTAL": "3",
        "ASR_RETRY_BACKOFF_SECONDS": "0.01",
        "ASR_RETRY_BACKOFF_MAX_SECONDS": "0.1",
        "ASR_JOB_TIMEOUT_SECONDS": "20",
        "ASR_JOB_POLL_SECONDS": "0.05",
        "ASR_REGISTRATION_POLL_SECONDS": "0.05",
        "ASR_SOURCE_STOP_POLL_SECONDS": "0.01",
        "ASR_VM_READY_TIMEOUT_SECONDS": "5",
        "ASR_VM_POLL_SECONDS": "0.02",
        "AWS_ENDPOINT_URL": moto_url,
        **AWS_TEST_ENV,
        **settings,
    }


@pytest.fixture(name="make_engine")
def make_engine_fixture(fake: FakeCompute, moto_url: str) -> Iterator[Callable[..., Engine]]:
    engines: list[Engine] = []

    def make(**settings: str) -> Engine:
        engine = Engine(Cloud(fake), plugin_env(fake, moto_url, **settings))
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.close()


@pytest.fixture(name="ec2")
def ec2_fixture(moto_url: str) -> list[str]:
    """Two running instances in the moto server; their ids, for waves whose sources are stopped before failover."""
    client = boto3.client("ec2", region_name=REGION, endpoint_url=moto_url, **_aws_keys())
    reservation = client.run_instances(ImageId="ami-12c6146b", MinCount=2, MaxCount=2)
    return [instance["InstanceId"] for instance in reservation["Instances"]]


def ec2_state(moto_url: str, instance_id: str) -> str:
    client = boto3.client("ec2", region_name=REGION, endpoint_url=moto_url, **_aws_keys())
    return client.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]["State"]["Name"]


def _aws_keys() -> dict[str, str]:
    return {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
