"""Stopping the EC2 sources before a failover: ASR's own shutdown of AWS sources is best effort."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from components import settings
from components.errors import MigrationError


class SourceStopError(MigrationError, RuntimeError):
    """An EC2 source could not be stopped; the failover was not started."""


def stop_source_instances(instance_ids: list[str], region: str) -> dict[str, Any]:
    """Stop EC2 instances and wait until they are stopped; return what happened per instance.

    Raises `SourceStopError` if an instance cannot be stopped: failing over a source that keeps running would
    leave two live copies of the machine. The client is made here (the caller is pickled; nothing is kept), from a
    session of its own because boto3's default session is not thread-safe and a wave stops many sources at once.
    The standard AWS settings apply (credentials, `AWS_ENDPOINT_URL`, ...); the region is the wave's.
    """
    import boto3

    ec2 = boto3.session.Session().client("ec2", region_name=region)
    before = {
        instance["InstanceId"]: instance["State"]["Name"]
        for reservation in ec2.describe_instances(InstanceIds=instance_ids)["Reservations"]
        for instance in reservation["Instances"]
    }
    missing = [i for i in instance_ids if i not in before]
    if missing:
        raise SourceStopError(f"EC2 instances {missing} were not found in {region}; the sources cannot be stopped")
    to_stop = [i for i in instance_ids if before.get(i) in ("pending", "running", "stopping")]
    if to_stop:
        delay = settings.seconds("ASR_SOURCE_STOP_POLL_SECONDS", 15)  # a bad value stops us before any request
        attempts = max(1, int(settings.seconds("ASR_SOURCE_STOP_TIMEOUT_SECONDS", 900) / delay))
        ec2.stop_instances(InstanceIds=to_stop)
        try:
            ec2.get_waiter("instance_stopped").wait(
                InstanceIds=to_stop, WaiterConfig={"Delay": delay, "MaxAttempts": attempts}
            )
        except Exception as error:  # botocore's WaiterError and client errors alike: refuse to fail over
            raise SourceStopError(
                f"EC2 instances {to_stop} in {region} did not stop ({error}); the failover was not started."
                " Stop them, or set lifecycle.shutdownSource: false to rely on ASR's best-effort shutdown"
            ) from error
    return {
        "region": region,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "instances": {
            i: {"before": before[i], "after": "stopped" if i in to_stop or before[i] == "stopped" else before[i]}
            for i in instance_ids
        },
    }
