"""A2AProtectionContainer: its provider against the fake ASR endpoint, and its pickled form run from dr/."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pulumi.output import Unknown

from a2a.protection_container import A2AProtectionContainerProvider, ContainerJobError
from tests.fake_arm.fixtures import aim_client_layer, arm_env_fixture  # noqa: F401
from tests.fake_arm.server import SUBSCRIPTION, FakeArm
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


@pytest.fixture(name="fake_arm")
def fake_containers_fixture() -> Iterator[FakeArm]:
    server = FakeArm(job_step_seconds=0.05, retry_after="0.05").start()
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
    assert result.id == PATH and (result.outs or {})["resource_id"] == PATH


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


ASR_ERROR = [{"serviceErrorDetails": {"code": "28010", "message": "Fabric not ready"}}]


def test_create_follows_its_own_job_when_the_answer_names_another(fake_arm: FakeArm, arm_env: Any) -> None:
    """Issue 28: the 202 names an unrelated job (a recovery plan delete, as in the official examples); the
    container's own job fails. Following the named job would report success with no container."""
    fake_arm.action_headers = "async-unrelated"
    fake_arm.next_job_ends("Failed", "Failed", ASR_ERROR)
    with pytest.raises(Exception, match=r"\[28010\] Fabric not ready"):
        A2AProtectionContainerProvider().create(dict(PROPS))
    assert fake_arm.resource(PATH) is None
    assert [r.method for r in fake_arm.requests if r.method != "GET"] == ["PUT"]  # sent once


def test_create_with_an_unrelated_job_in_the_answer_succeeds_on_its_own_job(fake_arm: FakeArm, arm_env: Any) -> None:
    fake_arm.action_headers = "async-unrelated"
    result = A2AProtectionContainerProvider().create(dict(PROPS))
    assert fake_arm.resource(PATH) is not None and result.id == PATH


def test_delete_removes_the_container_and_follows_its_own_job(fake_arm: FakeArm, arm_env: Any) -> None:
    fake_arm.add_container("asr-a2a-westeurope", "asr-a2a-westeurope-container")
    fake_arm.action_headers = "async-unrelated"
    A2AProtectionContainerProvider().delete(PATH, dict(PROPS))
    assert fake_arm.resource(PATH) is None
    assert [(r.method, r.path) for r in fake_arm.requests if r.method != "GET"] == [("POST", f"{PATH}/remove")]


def test_delete_whose_own_job_fails_is_reported_when_the_answer_names_another(fake_arm: FakeArm, arm_env: Any) -> None:
    fake_arm.add_container("asr-a2a-westeurope", "asr-a2a-westeurope-container")
    fake_arm.action_headers = "async-unrelated"
    fake_arm.next_job_ends("Failed", "Failed", ASR_ERROR)
    with pytest.raises(Exception, match=r"\[28010\] Fabric not ready"):
        A2AProtectionContainerProvider().delete(PATH, dict(PROPS))
    assert fake_arm.resource(PATH) is not None


class JobsWithoutEffect(FakeArm):
    """A fake whose container jobs succeed and change nothing (what a job this project did not start looks like)."""

    def _new_job(self, *args: Any) -> Any:
        job = super()._new_job(*args)
        job.effect = None
        return job


def test_a_job_that_ends_without_the_container_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """The job succeeded but the vault shows no container: the create fails instead of reporting success."""
    server = JobsWithoutEffect(job_step_seconds=0.05, retry_after="0.05").start()
    aim_client_layer(server.url, monkeypatch, ASR_JOB_TIMEOUT_SECONDS="10", ASR_JOB_POLL_SECONDS="0.05")
    try:
        with pytest.raises(ContainerJobError, match="ended, but vault vault1 has no container asr-a2a-westeurope-co"):
            A2AProtectionContainerProvider().create(dict(PROPS))
    finally:
        server.stop()


def test_a_container_holding_a_mapping_is_not_removed(fake_arm: FakeArm, arm_env: Any) -> None:
    fake_arm.add_container("asr-a2a-westeurope", "asr-a2a-westeurope-container")
    fake_arm.put_resource(f"{PATH}/replicationProtectionContainerMappings/map1", {"state": "Paired"})
    with pytest.raises(Exception, match="ProtectionContainerNotEmpty"):
        A2AProtectionContainerProvider().delete(PATH, dict(PROPS))
    assert fake_arm.resource(PATH) is not None


def test_diff_never_replaces_for_an_unknown_and_replaces_another_container() -> None:
    provider = A2AProtectionContainerProvider()
    olds = {**PROPS, "resource_id": PATH}
    unknown = provider.diff(PATH, olds, {**PROPS, "vault_name": Unknown()})
    assert unknown.changes and unknown.replaces == []
    other = provider.diff(PATH, olds, {**PROPS, "container_name": "other-container"})
    assert other.replaces == ["container_name"] and other.delete_before_replace is True
    assert not provider.diff(PATH, olds, dict(PROPS)).changes
