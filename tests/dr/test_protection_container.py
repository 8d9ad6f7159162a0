"""A2AProtectionContainer: its provider against the fake ASR endpoint, and its pickled form run from dr/."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from a2a.protection_container import A2AProtectionContainerProvider

from tests.fake_arm.fixtures import arm_env_fixture  # noqa: F401
from tests.fake_arm.server import _CONTAINER, SUBSCRIPTION, FakeArm
from tests.provider_roundtrip import round_trip

DR_DIR = Path(__file__).resolve().parents[2] / "dr"
PATH = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-wave1/providers/Microsoft.RecoveryServices/vaults/vault1"
    "/replicationFabrics/asr-a2a-westeurope/replicationProtectionContainers/asr-a2a-westeurope-container"
)
PROPS = {
    "resource_group_name": "rg-wave1",
    "vault_name": "vault1",
    "fabric_name": "asr-a2a-westeurope",
    "container_name": "asr-a2a-westeurope-container",
    "version": "1",
}


class FakeContainers(FakeArm):
    """FakeArm plus protection-container create (ReplicationProtectionContainers_Create.json: a job)."""

    def _routes(self) -> list[tuple[str, str, Any]]:
        return [
            ("PUT", _CONTAINER, self._put_with_job("CreateProtectionContainer", "Create protection container")),
            *super()._routes(),
        ]


@pytest.fixture(name="fake_arm")
def fake_containers_fixture() -> Iterator[FakeArm]:
    server = FakeContainers(job_step_seconds=0.05, retry_after="0.05").start()
    try:
        yield server
    finally:
        server.stop()


def test_create_puts_an_a2a_container_and_waits_for_its_job(fake_arm: FakeArm, arm_env: Any) -> None:
    result = A2AProtectionContainerProvider().create(dict(PROPS))
    puts = [r for r in fake_arm.requests if r.method == "PUT"]
    assert [(r.path, r.body) for r in puts] == [
        (PATH, {"properties": {"providerSpecificInput": [{"instanceType": "A2A"}]}})
    ]
    assert any(re.search(r"/replicationJobs/[0-9a-f-]+$", r.path) for r in fake_arm.requests)
    assert fake_arm.resource(PATH) is not None
    assert result.id == PATH and result.outs["resource_id"] == PATH


def test_existing_container_is_not_created_again(fake_arm: FakeArm, arm_env: Any) -> None:
    fake_arm.add_container("asr-a2a-westeurope", "asr-a2a-westeurope-container")
    A2AProtectionContainerProvider().create(dict(PROPS))
    assert fake_arm.calls(skip_reads=True) == []


def test_failed_job_is_reported(fake_arm: FakeArm, arm_env: Any) -> None:
    fake_arm.next_job_ends(
        "Failed", "Failed", [{"serviceErrorDetails": {"code": "28010", "message": "Fabric not ready"}}]
    )
    with pytest.raises(Exception, match=r"\[28010\] Fabric not ready"):
        A2AProtectionContainerProvider().create(dict(PROPS))


def test_serialized_provider_loads_in_a_fresh_interpreter_started_in_dr(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "s3cr3t-dr-client-secret"
    monkeypatch.setenv("AZURE_CLIENT_SECRET", secret)
    lines = round_trip(A2AProtectionContainerProvider(), secret, {}, cwd=DR_DIR)
    assert lines[0] == "a2a.protection_container A2AProtectionContainerProvider {}"
    assert json.loads(lines[1])[0] == "resource_group_name: None must be a non-empty string"  # check ran there
