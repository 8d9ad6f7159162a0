"""Throttling and transient failures: what is retried, how often, how long it waits, what is never replayed."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.core.pipeline.policies import RetryPolicy
from azure.mgmt.recoveryservicessiterecovery import SiteRecoveryManagementClient

from components.asr import arm
from components.asr.jobs import JobMatch, start_job
from components.asr.retry import AsrRetryPolicy
from tests.fake_arm.credential import StaticTokenCredential
from tests.fake_arm.fixtures import arm_env_fixture, fake_arm_fixture  # noqa: F401
from tests.fake_arm.server import FakeArm

RG, VAULT = "rg-wave1", "vault1"
COMMIT = r"/replicationProtectedItems/web01/failoverCommit$"


@pytest.fixture
def item(fake_arm: FakeArm) -> str:
    fake_arm.add_fabric("fabric1")
    fake_arm.add_container("fabric1", "container1")
    fake_arm.add_protected_item("fabric1", "container1", "web01")
    return fake_arm.item_path("fabric1", "container1", "web01")


def _commit(client: SiteRecoveryManagementClient) -> str:
    return start_job(
        client, client.replication_protected_items.begin_failover_commit, RG, VAULT, "fabric1", "container1", "web01"
    )


def _posts(fake: FakeArm) -> list[str]:
    return [request.path for request in fake.requests if request.method == "POST"]


def test_post_429_without_retry_after_is_retried(fake_arm: FakeArm, arm_env: StaticTokenCredential, item: str) -> None:
    fake_arm.fail_next("POST", COMMIT, 429, times=2)
    with arm.site_recovery_client() as client:
        job = _commit(client)
    assert _posts(fake_arm) == [f"{item}/failoverCommit"] * 3
    stored = fake_arm.resource(item)
    assert stored is not None and stored["properties"]["currentScenario"]["jobId"].endswith(f"/replicationJobs/{job}")


def test_azure_core_alone_does_not_retry_post_429_without_retry_after(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, item: str
) -> None:
    """The reason AsrRetryPolicy exists: azure-core's own policy gives up on the first 429."""
    fake_arm.fail_next("POST", COMMIT, 429, times=1)
    client = SiteRecoveryManagementClient(
        arm_env, "c183865e-6077-46f2-a3b1-deb0f4f4650a", fake_arm.url, retry_policy=RetryPolicy(), **_loopback(arm_env)
    )
    with client, pytest.raises(HttpResponseError) as error:
        _commit(client)
    assert error.value.status_code == 429
    assert len(_posts(fake_arm)) == 1


def test_post_429_retries_are_bounded(fake_arm: FakeArm, arm_env: StaticTokenCredential, item: str) -> None:
    fake_arm.fail_next("POST", COMMIT, 429, times=50)
    with arm.site_recovery_client() as client, pytest.raises(HttpResponseError) as error:
        _commit(client)
    assert error.value.status_code == 429
    assert len(_posts(fake_arm)) == 4  # the first attempt + ASR_RETRY_TOTAL=3 retries


def test_post_429_with_retry_after_waits_that_long(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, item: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASR_RETRY_BACKOFF_MAX_SECONDS", "5")  # the cap on Retry-After, above the 1 s asked for
    fake_arm.fail_next("POST", COMMIT, 429, retry_after="1")
    with arm.site_recovery_client() as client:
        _commit(client)
    first, second = (request.at for request in fake_arm.requests if request.method == "POST")
    assert 0.95 <= second - first < 3


@pytest.mark.parametrize("status", [500, 503, 504])
def test_post_5xx_is_never_retried_by_the_policy(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, item: str, status: int
) -> None:
    """A 5xx can come after the request took effect: the pipeline must not replay the POST (start_job decides)."""
    fake_arm.fail_next("POST", COMMIT, status)
    with arm.site_recovery_client() as client, pytest.raises(HttpResponseError) as error:
        client.replication_protected_items.begin_failover_commit(
            RG, VAULT, "fabric1", "container1", "web01", polling=False
        )
    assert error.value.status_code == status
    assert len(_posts(fake_arm)) == 1


def test_get_503_and_500_are_retried(fake_arm: FakeArm, arm_env: StaticTokenCredential, item: str) -> None:
    fake_arm.fail_next("GET", r"/web01$", 503)
    fake_arm.fail_next("GET", r"/web01$", 500)
    with arm.site_recovery_client() as client:
        found = client.replication_protected_items.get(RG, VAULT, "fabric1", "container1", "web01")
    assert found.name == "web01"
    assert fake_arm.calls() == [("GET", item)] * 3


def test_get_5xx_retries_are_bounded(fake_arm: FakeArm, arm_env: StaticTokenCredential, item: str) -> None:
    fake_arm.fail_next("GET", r"/web01$", 503, times=50)
    with arm.site_recovery_client() as client, pytest.raises(HttpResponseError) as error:
        client.replication_protected_items.get(RG, VAULT, "fabric1", "container1", "web01")
    assert error.value.status_code == 503
    assert len(fake_arm.requests) == 4


def test_get_dropped_connection_is_retried(fake_arm: FakeArm, arm_env: StaticTokenCredential, item: str) -> None:
    fake_arm.drop_next("GET", r"/web01$")
    with arm.site_recovery_client() as client:
        found = client.replication_protected_items.get(RG, VAULT, "fabric1", "container1", "web01")
    assert found.name == "web01"
    assert fake_arm.calls() == [("GET", item)] * 2


def test_post_dropped_before_it_took_effect_is_sent_again_only_because_asr_shows_no_job(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, item: str
) -> None:
    fake_arm.drop_next("POST", COMMIT)
    with arm.site_recovery_client() as client:
        job = start_job(
            client,
            client.replication_protected_items.begin_failover_commit,
            RG,
            VAULT,
            "fabric1",
            "container1",
            "web01",
            get_item=lambda: client.replication_protected_items.get(RG, VAULT, "fabric1", "container1", "web01"),
            match=JobMatch(frozenset({"commitfailover"}), ("web01",)),
        )
    # POST (dropped), the item read (no job on it), the vault's running jobs (none of this action), POST again
    assert [(method, path.rsplit("/", 1)[-1]) for method, path in fake_arm.calls()][:4] == [
        ("POST", "failoverCommit"), ("GET", "web01"), ("GET", "replicationJobs"), ("POST", "failoverCommit"),
    ]  # fmt: skip
    assert [j.name for j in fake_arm.jobs.values()] == [job]


def test_post_dropped_after_it_took_effect_attaches_to_the_running_job(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, item: str
) -> None:
    fake_arm.drop_next("POST", COMMIT, after_effect=True)
    with arm.site_recovery_client() as client:
        job = start_job(
            client,
            client.replication_protected_items.begin_failover_commit,
            RG,
            VAULT,
            "fabric1",
            "container1",
            "web01",
            get_item=lambda: client.replication_protected_items.get(RG, VAULT, "fabric1", "container1", "web01"),
        )
    [started] = fake_arm.jobs.values()
    assert job == started.name
    assert fake_arm.calls(skip_reads=True) == [("POST", f"{item}/failoverCommit")]


def test_backoff_is_jittered_exponential_and_capped() -> None:
    policy = AsrRetryPolicy(total=10, backoff=1.0, backoff_max=8.0, retry_after_max=8.0)
    for failures, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (6, 8.0)]:
        settings = {"history": [None] * failures, "backoff": 1.0, "max_backoff": 8.0}
        delays = {policy.get_backoff_time(settings) for _ in range(50)}
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays), (failures, delays)
        assert len(delays) > 1, "back-off is not jittered"


def test_retry_after_is_honoured_up_to_the_cap() -> None:
    policy = AsrRetryPolicy(total=3, backoff=1.0, backoff_max=60.0, retry_after_max=60.0)
    slept: list[float] = []
    transport = SimpleNamespace(sleep=slept.append)
    settings = {"history": [None], "backoff": 1.0, "max_backoff": 60.0}
    for retry_after in ("3", "3600"):
        response = SimpleNamespace(http_response=SimpleNamespace(headers={"Retry-After": retry_after}))
        policy.sleep(settings, transport, response)  # type: ignore[arg-type]
    assert slept == [3.0, 60.0]


def _loopback(credential: StaticTokenCredential) -> dict[str, Any]:
    return {"authentication_policy": arm.LoopbackBearerTokenPolicy(credential, "https://management.azure.com/.default")}


@pytest.fixture(autouse=True)
def _fast_clock_guard() -> Any:
    """Each test here must stay well under the suite's budget."""
    started = time.monotonic()
    yield
    assert time.monotonic() - started < 5
