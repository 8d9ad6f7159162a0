"""Finding an action's ASR job, following it, and what each ending looks like to the user."""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest
from azure.mgmt.recoveryservicessiterecovery import SiteRecoveryManagementClient, models

from components.asr import arm
from components.asr.jobs import (
    AsrJobError,
    AsrJobSuspendedError,
    AsrJobTimeoutError,
    JobMatch,
    JobOutcome,
    JobStatus,
    JobWatcher,
    job_name_from_id,
    job_name_from_item,
    outcome_for_state,
    start_job,
    wait_for_job,
)
from tests.fake_arm.credential import StaticTokenCredential
from tests.fake_arm.fixtures import arm_env_fixture, fake_arm_fixture  # noqa: F401
from tests.fake_arm.server import SUBSCRIPTION, FakeArm

RG, VAULT = "rg-wave1", "vault1"
VAULT_ID = "/Subscriptions/c183865e-6077-46f2-a3b1-deb0f4f4650a/resourceGroups/rg-wave1/providers/Microsoft.RecoveryServices/vaults/vault1"


@pytest.fixture
def item(fake_arm: FakeArm) -> str:
    fake_arm.add_fabric("fabric1")
    fake_arm.add_container("fabric1", "container1")
    fake_arm.add_protected_item("fabric1", "container1", "web01")
    return fake_arm.item_path("fabric1", "container1", "web01")


def _test_failover(client: SiteRecoveryManagementClient, item: str = "web01", watcher: JobWatcher | None = None) -> str:
    body = models.TestFailoverInput(
        properties=models.TestFailoverInputProperties(
            failover_direction="PrimaryToRecovery",
            network_type="VmNetworkAsInput",
            network_id="/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/test-vnet",
            provider_specific_details=models.InMageRcmTestFailoverInput(),
        )
    )
    return start_job(
        client,
        client.replication_protected_items.begin_test_failover,
        RG,
        VAULT,
        "fabric1",
        "container1",
        item,
        body,
        get_item=lambda: client.replication_protected_items.get(RG, VAULT, "fabric1", "container1", item),
        match=JobMatch(frozenset({"testfailover"}), (item,)),
        watcher=watcher,
    )


def _only_job(fake: FakeArm) -> str:
    [job] = fake.jobs.values()
    return job.name


@pytest.mark.parametrize(
    ("job_id", "expected"),
    [
        (
            f"https://management.azure.com{VAULT_ID}/replicationJobs/abc/operationresults/abc?api-version=2025-08-01",
            "abc",
        ),
        (f"https://management.azure.com{VAULT_ID}/replicationOperationStatus/op-1?api-version=2025-08-01", "op-1"),
        (f"{VAULT_ID}/replicationJobs/2838f9b4-2609-4f76-a7e9-07e6387c5e98", "2838f9b4-2609-4f76-a7e9-07e6387c5e98"),
        (f"{VAULT_ID}/replicationJobs/None", None),  # ASR's "no current scenario"
        ("", None),
        (None, None),
    ],
)
def test_job_name_from_id(job_id: str | None, expected: str | None) -> None:
    assert job_name_from_id(job_id) == expected


def test_job_name_from_item_reads_current_scenario_of_json_and_models() -> None:
    as_json = {"properties": {"currentScenario": {"jobId": f"{VAULT_ID}/replicationJobs/job-7", "scenarioName": "X"}}}
    assert job_name_from_item(as_json) == "job-7"
    as_model = models.ReplicationProtectedItem(as_json)
    assert job_name_from_item(as_model) == "job-7"
    assert job_name_from_item({"properties": {}}) is None


@pytest.mark.parametrize(
    ("state", "outcome"),
    [
        ("NotStarted", None),
        ("InProgress", None),
        ("Succeeded", JobOutcome.SUCCEEDED),
        ("Failed", JobOutcome.FAILED),
        ("Cancelled", JobOutcome.CANCELLED),
        ("Suspended", JobOutcome.SUSPENDED),
        ("Other", JobOutcome.UNKNOWN),
        (None, JobOutcome.UNKNOWN),
    ],
)
def test_states_map_to_outcomes(state: str | None, outcome: JobOutcome | None) -> None:
    assert outcome_for_state(state) is outcome


def test_job_found_from_azure_async_operation_after_checking_it_exists(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, item: str
) -> None:
    with arm.site_recovery_client() as client:
        job = _test_failover(client)
    assert job == _only_job(fake_arm)
    assert fake_arm.calls() == [
        ("POST", f"{item}/testFailover"),
        ("GET", f"{fake_arm.vault_path()}/replicationJobs/{job}"),
    ]


def test_job_found_from_location_first(fake_arm: FakeArm, arm_env: StaticTokenCredential, item: str) -> None:
    fake_arm.action_headers = "location"  # Azure-AsyncOperation then names an unrelated operation id
    with arm.site_recovery_client() as client:
        job = _test_failover(client)
    assert job == _only_job(fake_arm)
    assert fake_arm.calls() == [
        ("POST", f"{item}/testFailover"),
        ("GET", f"{item.split('/replicationFabrics')[0]}/replicationJobs/{job}"),
    ]


@pytest.mark.parametrize("watched", [False, True], ids=["own GET", "watcher's listing"])
def test_a_header_naming_an_unrelated_job_is_not_followed(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, item: str, watched: bool
) -> None:
    """As in the official example: Azure-AsyncOperation names a job of another scenario and target."""
    fake_arm.action_headers = "async-unrelated"
    with arm.site_recovery_client() as client:
        job = _test_failover(client, watcher=JobWatcher(client, SUBSCRIPTION, RG, VAULT) if watched else None)
    [own] = [j for j in fake_arm.jobs.values() if j.scenario == "TestFailover"]
    assert job == own.name
    assert len(fake_arm.jobs) == 2  # the unrelated job exists, and was not taken for this one


def test_job_found_from_item_when_async_operation_is_not_a_job(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, item: str
) -> None:
    fake_arm.action_headers = "async-mismatch"
    with arm.site_recovery_client() as client:
        job = _test_failover(client)
    assert job == _only_job(fake_arm)
    methods_and_kinds = [(method, path.rsplit("/", 2)[-2]) for method, path in fake_arm.calls()]
    assert methods_and_kinds == [
        ("POST", "web01"),
        ("GET", "replicationJobs"),  # the operation id is not a job: 404
        ("GET", "replicationProtectedItems"),  # currentScenario.jobId
        ("GET", "replicationJobs"),  # ... checked to be this action's job
    ]


def test_job_found_from_item_when_no_header_names_it(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, item: str
) -> None:
    fake_arm.action_headers = "none"
    with arm.site_recovery_client() as client:
        job = _test_failover(client)
    assert job == _only_job(fake_arm)
    assert fake_arm.calls() == [
        ("POST", f"{item}/testFailover"),
        ("GET", item),
        ("GET", f"{item.split('/replicationFabrics')[0]}/replicationJobs/{job}"),
    ]


def test_wait_reports_progress_until_success_and_the_item_moves_on(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, item: str
) -> None:
    seen: list[JobStatus] = []
    with arm.site_recovery_client() as client:
        job = _test_failover(client)
        final = wait_for_job(client, RG, VAULT, job, progress=seen.append)
        after = client.replication_protected_items.get(RG, VAULT, "fabric1", "container1", "web01")
    states = [status.state for status in seen]
    assert states[-1] == "Succeeded" and set(states[:-1]) <= {"NotStarted", "InProgress"} and "InProgress" in states
    assert (final.name, final.state, final.friendly_name, final.target_object_name) == (
        job,
        "Succeeded",
        "Test failover",
        "web01",
    )
    assert after.properties is not None
    assert after.properties.allowed_operations == ["TestFailoverCleanup"]
    assert after.properties.test_failover_state == "WaitingForCompletion"


def test_failed_job_surfaces_asr_errors_verbatim(fake_arm: FakeArm, arm_env: StaticTokenCredential, item: str) -> None:
    fake_arm.next_job_ends(
        "Failed",
        "Failed",
        errors=[
            {
                "serviceErrorDetails": {
                    "code": "28092",
                    "message": "The network 'test-vnet' selected for test failover was not found.",
                    "possibleCauses": "The virtual network was deleted or is in another region.",
                    "recommendedAction": "Select an existing virtual network in the target region and retry.",
                    "activityId": "a1",
                },
                "providerErrorDetails": {
                    "errorCode": 559,
                    "errorMessage": "Mobility agent on web01 did not respond.",
                    "possibleCauses": "The source machine is shut down.",
                    "recommendedAction": "Start web01 and retry the operation.",
                },
                "errorLevel": "Error",
                "taskId": "task-1",
            }
        ],
    )
    with arm.site_recovery_client() as client:
        job = _test_failover(client)
        with pytest.raises(AsrJobError) as raised:
            wait_for_job(client, RG, VAULT, job)
    error = raised.value
    assert not isinstance(error, AsrJobSuspendedError)
    assert [(d.source, d.code, d.message, d.possible_causes, d.recommended_action) for d in error.errors] == [
        (
            "service",
            "28092",
            "The network 'test-vnet' selected for test failover was not found.",
            "The virtual network was deleted or is in another region.",
            "Select an existing virtual network in the target region and retry.",
        ),
        (
            "provider",
            "559",
            "Mobility agent on web01 did not respond.",
            "The source machine is shut down.",
            "Start web01 and retry the operation.",
        ),
    ]
    assert str(error) == "\n".join(
        [
            f"Test failover for web01 (job {job} in vault vault1) ended Failed: Failed",
            "[28092] The network 'test-vnet' selected for test failover was not found.",
            "  Possible causes: The virtual network was deleted or is in another region.",
            "  Recommended action: Select an existing virtual network in the target region and retry.",
            "[559] Mobility agent on web01 did not respond.",
            "  Possible causes: The source machine is shut down.",
            "  Recommended action: Start web01 and retry the operation.",
        ]
    )
    after = fake_arm.resource(item)
    assert after is not None and after["properties"]["allowedOperations"] != ["TestFailoverCleanup"]


def test_cancelled_job_is_an_error(fake_arm: FakeArm, arm_env: StaticTokenCredential, item: str) -> None:
    fake_arm.next_job_ends("Cancelled", "Cancelled by user")
    with arm.site_recovery_client() as client:
        job = _test_failover(client)
        with pytest.raises(AsrJobError, match="ended Cancelled: Cancelled by user"):
            wait_for_job(client, RG, VAULT, job)


def test_suspended_job_says_how_to_resume_and_resuming_completes_it(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, item: str
) -> None:
    fake_arm.next_job_ends("Suspended", "WaitingForManualAction")
    with arm.site_recovery_client() as client:
        job = _test_failover(client)
        with pytest.raises(AsrJobSuspendedError) as raised:
            wait_for_job(client, RG, VAULT, job)
        message = str(raised.value)
        assert "ended Suspended: WaitingForManualAction" in message
        assert "(ASR allows: Cancel, Resume)" in message
        assert f"az site-recovery job resume -g rg-wave1 --vault-name vault1 --job-name {job}" in message
        assert f".../vaults/vault1/replicationJobs/{job}/resume" in message

        client.replication_jobs.begin_resume(
            RG,
            VAULT,
            job,
            models.ResumeJobParams(properties=models.ResumeJobParamsProperties(comments="resumed")),
            polling=False,
        )
        final = wait_for_job(client, RG, VAULT, job)
    assert final.state == "Succeeded"
    assert fake_arm.calls(skip_reads=True) == [
        ("POST", f"{item}/testFailover"),
        ("POST", f"{fake_arm.vault_path()}/replicationJobs/{job}/resume"),
    ]
    assert fake_arm.resource(item)["properties"]["allowedOperations"] == ["TestFailoverCleanup"]  # type: ignore[index]


def test_wait_times_out_with_a_clear_message(fake_arm: FakeArm, arm_env: StaticTokenCredential, item: str) -> None:
    fake_arm.job_step_seconds = 60
    with arm.site_recovery_client() as client:
        job = _test_failover(client)
        started = time.monotonic()
        with pytest.raises(AsrJobTimeoutError) as raised:
            wait_for_job(client, RG, VAULT, job, timeout=0.3)
    assert time.monotonic() - started < 1.5
    assert str(raised.value) == (
        f"Test failover (job {job} in vault vault1) is still NotStarted (NotStarted) after 0.3 s. The job keeps"
        " running in ASR; run `pulumi up` again to wait for it, or raise ASR_JOB_TIMEOUT_SECONDS."
    )


def test_timeout_default_comes_from_the_environment(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, item: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_arm.job_step_seconds = 60
    monkeypatch.setenv("ASR_JOB_TIMEOUT_SECONDS", "0.2")
    with arm.site_recovery_client() as client:
        job = _test_failover(client)
        with pytest.raises(AsrJobTimeoutError, match=r"after 0\.2 s"):
            wait_for_job(client, RG, VAULT, job)


def _job_get_gaps(fake: FakeArm, job: str) -> list[float]:
    times = [r.at for r in fake.requests if r.method == "GET" and r.path.endswith(f"/replicationJobs/{job}")]
    return [later - earlier for earlier, later in itertools.pairwise(times[1:])]  # skip start_job's check


def test_polling_follows_the_servers_retry_after(fake_arm: FakeArm, arm_env: StaticTokenCredential, item: str) -> None:
    fake_arm.job_step_seconds = 0.4  # done after 0.8 s: the second poll, 1 s after the first, sees Succeeded
    fake_arm.retry_after = "1"
    with arm.site_recovery_client() as client:
        job = _test_failover(client)
        wait_for_job(client, RG, VAULT, job, poll_interval=20)  # would time the test out if Retry-After were ignored
    gaps = _job_get_gaps(fake_arm, job)
    assert gaps and all(0.95 <= gap < 1.5 for gap in gaps), gaps


def test_polling_uses_the_interval_without_retry_after(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, item: str
) -> None:
    fake_arm.job_step_seconds = 0.3
    fake_arm.retry_after = None
    with arm.site_recovery_client() as client:
        job = _test_failover(client)
        wait_for_job(client, RG, VAULT, job, poll_interval=0.2)
    gaps = _job_get_gaps(fake_arm, job)
    assert gaps and all(0.15 <= gap < 0.8 for gap in gaps), gaps


def test_recovery_plan_action_runs_as_a_job(fake_arm: FakeArm, arm_env: StaticTokenCredential, item: str) -> None:
    plan_path = f"{fake_arm.vault_path()}/replicationRecoveryPlans/wave1"
    fake_arm.put_resource(plan_path, {"friendlyName": "wave1", "allowedOperations": ["TestFailover"]})
    body = models.RecoveryPlanTestFailoverInput(
        properties=models.RecoveryPlanTestFailoverInputProperties(
            failover_direction="PrimaryToRecovery",
            network_type="VmNetworkAsInput",
            network_id="/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/test-vnet",
            provider_specific_details=[
                models.RecoveryPlanInMageRcmFailoverInput(recovery_point_type="LatestProcessed")
            ],
        )
    )
    with arm.site_recovery_client() as client:
        job = start_job(
            client,
            client.replication_recovery_plans.begin_test_failover,
            RG,
            VAULT,
            "wave1",
            body,
            get_item=lambda: client.replication_recovery_plans.get(RG, VAULT, "wave1"),
        )
        wait_for_job(client, RG, VAULT, job)
        plan = client.replication_recovery_plans.get(RG, VAULT, "wave1")
    post = next(r for r in fake_arm.requests if r.method == "POST")
    assert (post.path, post.body["properties"]["providerSpecificDetails"]) == (
        f"{plan_path}/testFailover",
        [{"instanceType": "InMageRcm", "recoveryPointType": "LatestProcessed"}],
    )
    assert plan.properties is not None
    assert plan.properties.allowed_operations == ["TestFailoverCleanup"]


def test_enable_replication_put_runs_as_a_job_and_the_item_appears(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, item: str
) -> None:
    body: dict[str, Any] = {
        "properties": {
            "policyId": f"{VAULT_ID}/replicationPolicies/policy1",
            "providerSpecificDetails": {"instanceType": "InMageRcm", "fabricDiscoveryMachineId": "machine-1"},
        }
    }
    with arm.site_recovery_client() as client:
        job = start_job(
            client, client.replication_protected_items.begin_create, RG, VAULT, "fabric1", "container1", "app02", body
        )
        wait_for_job(client, RG, VAULT, job)
        created = client.replication_protected_items.get(RG, VAULT, "fabric1", "container1", "app02")
    put = next(r for r in fake_arm.requests if r.method == "PUT")
    assert put.body == body
    assert created.properties is not None
    assert created.properties.protection_state == "Protected"
    assert created.properties.policy_id == f"{VAULT_ID}/replicationPolicies/policy1"


def test_a_watcher_follows_many_jobs_with_one_list_per_poll_and_falls_back_to_gets(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, item: str
) -> None:
    with arm.site_recovery_client() as client:
        names = [_test_failover(client)]
        for machine in ("web02", "web03"):
            fake_arm.add_protected_item("fabric1", "container1", machine)
            names.append(
                start_job(client, client.replication_protected_items.begin_test_failover_cleanup, RG, VAULT,
                          "fabric1", "container1", machine, {"properties": {"comments": "x"}})
            )  # fmt: skip
        since = len(fake_arm.requests)
        watcher = JobWatcher(client, SUBSCRIPTION, RG, VAULT)
        assert [watcher.wait(name).state for name in names] == ["Succeeded"] * 3
        reads = [(r.method, r.path.rsplit("/", 1)[-1], r.query.get("$filter", "")) for r in fake_arm.requests[since:]]
        assert {read[1] for read in reads} == {"replicationJobs"}, reads  # lists only, no GET per job
        assert all(read[2].startswith("startTime eq '") for read in reads)

        fake_arm.fail_next("GET", r"/replicationJobs$", 400, times=10)
        since = len(fake_arm.requests)
        assert JobWatcher(client, SUBSCRIPTION, RG, VAULT).wait(names[0]).state == "Succeeded"
        assert [r.path.rsplit("/", 1)[-1] for r in fake_arm.requests[since:]] == ["replicationJobs", names[0]]


def test_a_watcher_reads_every_page_of_the_job_list(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, item: str
) -> None:
    """ASR pages a long job list (`nextLink`); a job on a later page is followed from the listing too."""
    fake_arm.jobs_page_size = 2
    machines = ["web01", "web02", "web03", "web04", "web05"]
    for machine in machines[1:]:
        fake_arm.add_protected_item("fabric1", "container1", machine)
    with arm.site_recovery_client() as client:
        names = [_test_failover(client, machine) for machine in machines]
        since = len(fake_arm.requests)
        watcher = JobWatcher(client, SUBSCRIPTION, RG, VAULT)
        assert [watcher.wait(name).state for name in names] == ["Succeeded"] * 5
    reads = [(r.path.rsplit("/", 1)[-1], r.query.get("$skipToken")) for r in fake_arm.requests[since:]]
    assert reads[:3] == [("replicationJobs", None), ("replicationJobs", "2"), ("replicationJobs", "4")], reads
    assert {path for path, _ in reads} == {"replicationJobs"}  # no job needed a GET of its own


def test_the_watchers_listing_asks_for_the_api_version_the_sdks_own_calls_use(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, item: str
) -> None:
    """The listing is sent past the SDK's operations: on the wire it must name the same API version they do."""
    with arm.site_recovery_client() as client:
        name = _test_failover(client)  # start_job confirms its job with the SDK's own GET
        assert JobWatcher(client, SUBSCRIPTION, RG, VAULT).wait(name).state == "Succeeded"
    listed, read = (
        next(r.query["api-version"] for r in fake_arm.requests if r.path.endswith(path))
        for path in ("/replicationJobs", f"/replicationJobs/{name}")
    )
    assert listed == read


def test_a_watcher_confirms_each_started_job_from_a_listing_sent_after_its_answer(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, item: str
) -> None:
    """A wave's burst of starts costs one POST per machine: each job is confirmed from the watcher's next
    listing (never one sent before the POST was answered, which cannot show it), not from a GET of its own."""
    for machine in ("web02", "web03"):
        fake_arm.add_protected_item("fabric1", "container1", machine)
    with arm.site_recovery_client() as client:
        watcher = JobWatcher(client, SUBSCRIPTION, RG, VAULT)
        names = [_test_failover(client, machine, watcher) for machine in ("web01", "web02", "web03")]
        assert [watcher.wait(name).state for name in names] == ["Succeeded"] * 3
    assert sorted(names) == sorted(j.name for j in fake_arm.jobs.values())
    calls = [(method, path.rsplit("/", 1)[-1]) for method, path in fake_arm.calls()]
    assert calls[:6] == [
        ("POST", "testFailover"), ("GET", "replicationJobs"),
        ("POST", "testFailover"), ("GET", "replicationJobs"),
        ("POST", "testFailover"), ("GET", "replicationJobs"),
    ]  # fmt: skip
    assert set(calls[6:]) == {("GET", "replicationJobs")}  # following them: lists only, no GET per job
