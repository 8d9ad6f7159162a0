"""One item's actions against the fake ARM server: requests sent, guards, idempotency, faults, audit records.

These call `run_action` on one item in-process (the per-machine logic); tests/engine runs the same actions as the
engine does, through the wave-level resources in the real dynamic-provider plugin.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from components.asr import console
from components.asr.action_protocol import Action, ActionRefusedError, LifecycleActionError, run_action
from components.asr.arm import site_recovery_client
from components.asr.jobs import ActionOutcomeUnknownError
from components.asr.lifecycle_actions import (
    CompleteMigrationAction,
    FailoverAction,
    TestFailoverAction,
    TestFailoverCleanupAction,
)
from components.asr.recovery_points import RecoveryPointError
from components.asr.targets import ItemTarget
from components.asr.wave_actions import (
    WaveCompleteMigrationProvider,
    WaveFailoverProvider,
    WaveTestFailoverCleanupProvider,
    WaveTestFailoverProvider,
)
from tests.fake_arm.credential import StaticTokenCredential
from tests.fake_arm.server import SUBSCRIPTION, FakeArm
from tests.lifecycle.conftest import REGION, ec2_state

FABRIC, CONTAINER = "fabric1", "container1"
TEST_NETWORK = "/subscriptions/s/resourceGroups/rg-wave1/providers/Microsoft.Network/virtualNetworks/net-test"


def _props(machine: str = "web01", architecture: str = "modernized", **extra: Any) -> dict[str, Any]:
    return {
        "resource_group_name": "rg-wave1",
        "vault_name": "vault1",
        "fabric_name": FABRIC,
        "container_name": CONTAINER,
        "protected_item_name": machine,
        "machine_name": machine,
        "architecture": architecture,
        "recovery_point": "latest",
        "test_network_id": TEST_NETWORK,
        "test_failover_max_age_days": 7,
        "shutdown_source": False,
        "aws_region": REGION,
        "instance_id": "i-0123456789abcdef0",
        "max_concurrency": 4,
        "version": "1",
        **extra,
    }


def _item(fake: FakeArm, machine: str = "web01", architecture: str = "modernized", **properties: Any) -> str:
    target_group = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/migrationRG"
    details = (
        {"instanceType": "InMageRcm", "targetVmName": machine, "targetResourceGroupId": target_group}
        if architecture == "modernized"
        else {
            "instanceType": "InMageAzureV2",
            "recoveryAzureVMName": machine,
            "recoveryAzureResourceGroupId": target_group,
        }
    )
    fake.add_protected_item(FABRIC, CONTAINER, machine, providerSpecificDetails=details, **properties)
    for name, when, kind in (
        ("rp-crash", "2026-05-01T10:00:00Z", "CrashConsistent"),
        ("rp-app", "2026-05-01T09:00:00Z", "AppConsistent"),
    ):
        fake.add_recovery_point(FABRIC, CONTAINER, machine, name, when, kind)
    return fake.item_path(FABRIC, CONTAINER, machine)


def create(action: Action, props: dict[str, Any]) -> dict[str, Any]:
    """Run one item's action as a wave action runs it for each machine: one client, the machine's props."""
    with site_recovery_client() as client:
        return run_action(action, ItemTarget(client, props), client, SUBSCRIPTION)


def _posts(fake: FakeArm) -> list[tuple[str, Any]]:
    return [(r.path.rsplit("/", 1)[-1], r.body) for r in fake.requests if r.method == "POST"]


def _tested(days_ago: float = 1) -> dict[str, Any]:
    when = datetime.now(UTC) - timedelta(days=days_ago)
    return {"lastSuccessfulTestFailoverTime": when.isoformat().replace("+00:00", "Z")}


# ---- test failover and cleanup --------------------------------------------------------------------------


def test_test_failover_posts_into_the_test_network_and_records_the_audit_trail(
    fake_arm: FakeArm, arm_env: StaticTokenCredential
) -> None:
    path = _item(fake_arm)
    result = create(TestFailoverAction(), _props())
    assert _posts(fake_arm) == [
        (
            "testFailover",
            {
                "properties": {
                    "failoverDirection": "PrimaryToRecovery",
                    "networkType": "VmNetworkAsInput",
                    "networkId": TEST_NETWORK,
                    "providerSpecificDetails": {"instanceType": "InMageRcm", "networkId": TEST_NETWORK},
                }
            },
        )
    ]
    outs = result
    assert outs["result"] == "Succeeded"
    assert outs["job_id"].endswith(f"/vaults/vault1/replicationJobs/{outs['job_name']}")
    assert outs["started_at"] <= outs["ended_at"]
    assert outs["recovery_point_used"] == {"requested": "latest", "id": None, "time": None, "type": "Latest"}
    assert outs["test_vm_id"].endswith(
        "/resourceGroups/migrationRG/providers/Microsoft.Compute/virtualMachines/web01-test"
    )
    assert fake_arm.resource(path)["properties"]["testFailoverState"] == "WaitingForCompletion"  # type: ignore[index]


@pytest.mark.parametrize(
    ("requested", "point"),
    [("latestProcessed", "rp-crash"), ("latestAppConsistent", "rp-app"), ("2026-05-01T09:30:00Z", "rp-app")],
)
def test_recovery_point_choice_is_resolved_to_an_id(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, requested: str, point: str
) -> None:
    path = _item(fake_arm, architecture="classic")
    outs = create(TestFailoverAction(), _props(architecture="classic", recovery_point=requested))
    [(_, body)] = _posts(fake_arm)
    point_id = body["properties"]["providerSpecificDetails"]["recoveryPointId"]
    assert point_id.lower() == f"{path}/recoveryPoints/{point}".lower()
    assert body["properties"]["providerSpecificDetails"]["instanceType"] == "InMageAzureV2"
    assert outs["recovery_point_used"]["id"] == point_id and outs["recovery_point_used"]["requested"] == requested


def test_no_matching_recovery_point_sends_nothing(fake_arm: FakeArm, arm_env: StaticTokenCredential) -> None:
    _item(fake_arm)
    with pytest.raises(RecoveryPointError, match="no recovery point matches recoveryPoint '2020-01-01T00:00:00Z'"):
        create(TestFailoverAction(), _props(recovery_point="2020-01-01T00:00:00Z"))
    assert _posts(fake_arm) == []


def test_test_failover_already_waiting_for_cleanup_is_not_sent_again(
    fake_arm: FakeArm, arm_env: StaticTokenCredential
) -> None:
    _item(fake_arm, testFailoverState="WaitingForCompletion", allowedOperations=["TestFailoverCleanup"])
    assert (create(TestFailoverAction(), _props()))["result"] == "AlreadyDone"
    assert _posts(fake_arm) == []


def test_cleanup_sends_comments_and_nothing_when_nothing_is_pending(
    fake_arm: FakeArm, arm_env: StaticTokenCredential
) -> None:
    _item(fake_arm)
    assert (create(TestFailoverCleanupAction(), _props()))["result"] == "NothingToCleanUp"
    assert _posts(fake_arm) == []
    create(TestFailoverAction(), _props())
    outs = create(TestFailoverCleanupAction(), _props(comments="wave 1 tested by app owners"))
    assert outs["result"] == "Succeeded"
    assert _posts(fake_arm)[-1] == ("testFailoverCleanup", {"properties": {"comments": "wave 1 tested by app owners"}})


# ---- failover guards -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        ({}, "web01: has no successful test failover; run phases test and tested first"),
        (_tested(days_ago=30), "is 30 days old, more than lifecycle.testFailoverMaxAgeDays (7)"),
        (
            {**_tested(), "testFailoverState": "WaitingForCompletion", "allowedOperations": ["TestFailoverCleanup"]},
            "web01: its test failover is not cleaned up yet",
        ),
    ],
)
def test_failover_needs_a_recent_cleaned_up_test(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, properties: dict[str, Any], message: str
) -> None:
    _item(fake_arm, **properties)
    if "allowedOperations" in properties:  # a pending cleanup: ASR itself no longer allows failover
        properties["allowedOperations"].append("UnplannedFailover")
    with pytest.raises(ActionRefusedError, match=re.escape(message)):
        create(FailoverAction(), _props())
    assert _posts(fake_arm) == []


def test_skip_test_failover_reason_waives_the_guard_and_is_recorded(
    fake_arm: FakeArm, arm_env: StaticTokenCredential
) -> None:
    _item(fake_arm)
    outs = create(FailoverAction(), _props(skip_test_failover_reason="stateless web node, rebuilt nightly"))
    assert outs["skip_test_failover_reason"] == "stateless web node, rebuilt nightly"
    assert outs["result"] == "Succeeded"
    assert [name for name, _ in _posts(fake_arm)] == ["unplannedFailover"]


def test_refused_when_asr_does_not_allow_the_operation(fake_arm: FakeArm, arm_env: StaticTokenCredential) -> None:
    _item(fake_arm, **_tested(), allowedOperations=["DisableProtection"], protectionState="Protecting")
    with pytest.raises(ActionRefusedError) as raised:
        create(FailoverAction(), _props())
    assert str(raised.value) == (
        "web01: failover: ASR does not allow UnplannedFailover on item web01 now (allowedOperations:"
        " DisableProtection; protectionState: Protecting; testFailoverState: None)"
    )
    assert _posts(fake_arm) == []


def test_failover_stops_the_ec2_source_first_and_asks_asr_to_shut_it_down(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, ec2: list[str]
) -> None:
    _item(fake_arm, **_tested())
    outs = create(FailoverAction(), _props(shutdown_source=True, instance_id=ec2[0]))
    assert ec2_state(ec2[0]) == "stopped"
    assert outs["source_stop"]["instances"] == {ec2[0]: {"before": "running", "after": "stopped"}}
    [(_, body)] = _posts(fake_arm)
    assert body["properties"]["sourceSiteOperations"] == "Required"
    assert body["properties"]["providerSpecificDetails"] == {"instanceType": "InMageRcm", "performShutdown": "true"}
    assert outs["vm_id"].endswith("/virtualMachines/web01")


def test_failover_is_not_started_when_the_source_cannot_be_found(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, ec2: list[str]
) -> None:
    _item(fake_arm, **_tested())
    with pytest.raises(Exception, match="i-0000000000000000a"):
        create(FailoverAction(), _props(shutdown_source=True, instance_id="i-0000000000000000a"))
    assert _posts(fake_arm) == []


def test_a_bad_stop_setting_stops_the_failover_before_the_source_or_asr_is_touched(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, ec2: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _item(fake_arm, **_tested())
    monkeypatch.setenv("ASR_SOURCE_STOP_TIMEOUT_SECONDS", "fifteen minutes")
    with pytest.raises(Exception, match="ASR_SOURCE_STOP_TIMEOUT_SECONDS: 'fifteen minutes' must be a positive number"):
        create(FailoverAction(), _props(shutdown_source=True, instance_id=ec2[0]))
    assert ec2_state(ec2[0]) == "running" and _posts(fake_arm) == []


def test_a_jobs_progress_is_logged_when_it_changes_not_at_every_poll(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wave follows hundreds of jobs for minutes: the log shows each job's changes, one line each."""
    logged: list[str] = []
    monkeypatch.setattr(console, "info", logged.append)  # with or without an engine (another test may set one)
    fake_arm.job_step_seconds = 0.3  # six polls (0.05 s) per state
    _item(fake_arm)
    assert create(TestFailoverAction(), _props())["result"] == "Succeeded"
    lines = [line for line in logged if line.startswith("web01: test failover:")]
    polls = [r for r in fake_arm.requests if r.method == "GET" and "/replicationJobs/" in r.path]
    assert len(polls) >= 6, polls
    states = [line.split("test failover: ", 1)[1].split(" ", 1)[0] for line in lines]
    assert states == ["NotStarted", "InProgress", "Succeeded"], lines


# ---- complete migration ------------------------------------------------------------------------------------


def test_complete_migration_removes_with_migration_complete_and_reruns_harmlessly(
    fake_arm: FakeArm, arm_env: StaticTokenCredential
) -> None:
    path = _item(fake_arm, **_tested())
    create(FailoverAction(), _props())
    outs = create(CompleteMigrationAction(), _props())
    assert _posts(fake_arm)[-1] == (
        "remove",
        {
            "properties": {
                "disableProtectionReason": "MigrationComplete",
                "replicationProviderInput": {"instanceType": "DisableProtectionProviderSpecificInput"},
            }
        },
    )
    assert outs["result"] == "Succeeded" and fake_arm.resource(path) is None
    assert (create(CompleteMigrationAction(), _props()))["result"] == "AlreadyDone"
    assert [name for name, _ in _posts(fake_arm)] == ["unplannedFailover", "remove"]
    assert not any(r.method == "DELETE" for r in fake_arm.requests)  # never the purge


def test_complete_migration_refused_before_failover(fake_arm: FakeArm, arm_env: StaticTokenCredential) -> None:
    _item(fake_arm)
    with pytest.raises(ActionRefusedError, match="ASR does not allow CompleteMigration"):
        create(CompleteMigrationAction(), _props())
    assert _posts(fake_arm) == []


# ---- delete, diff, update -----------------------------------------------------------------------------------


WAVE_PROVIDERS = [
    WaveTestFailoverProvider(),
    WaveTestFailoverCleanupProvider(),
    WaveFailoverProvider(),
    WaveCompleteMigrationProvider(),
]


def _wave_props(**extra: Any) -> dict[str, Any]:
    props = _props()
    entry = {k: props.pop(k) for k in ("fabric_name", "container_name", "protected_item_name", "instance_id")}
    props.pop("machine_name")
    return {**props, "machines": {"web01": entry}, **extra}


@pytest.mark.parametrize("provider", WAVE_PROVIDERS)
def test_delete_only_forgets(fake_arm: FakeArm, arm_env: StaticTokenCredential, provider: Any) -> None:
    _item(fake_arm, activeLocation="Recovery")
    provider.delete("id", {**_wave_props(), "results": {"web01": {"result": "Succeeded", "job_name": "j"}}})
    assert fake_arm.requests == []


def test_diff_replaces_on_another_vault_updates_on_machines_and_retries_failed_ones() -> None:
    provider = WaveFailoverProvider()
    olds = {**_wave_props(), "results": {"web01": {"result": "Succeeded", "job_name": "j"}}}
    assert provider.diff("id", olds, _wave_props(vault_name="vault2")).replaces == ["vault_name"]
    added = _wave_props()
    added["machines"]["db01"] = {**added["machines"]["web01"], "protected_item_name": "db01"}
    assert (provider.diff("id", olds, added).changes, provider.diff("id", olds, added).replaces) == (True, [])
    settings_only = _wave_props(recovery_point="latestProcessed", shutdown_source=True, max_concurrency=50)
    assert not provider.diff("id", olds, settings_only).changes  # the action ran: settings change nothing
    failed = {**olds, "results": {"web01": {"result": "Failed", "error": "job failed"}}}
    assert provider.diff("id", failed, _wave_props()).changes  # the next `pulumi up` retries the machine


def test_update_runs_only_machines_without_a_successful_record(
    fake_arm: FakeArm, arm_env: StaticTokenCredential
) -> None:
    _item(fake_arm, **_tested())
    _item(fake_arm, "db01", **_tested())
    news = _wave_props()
    news["machines"]["db01"] = {**news["machines"]["web01"], "protected_item_name": "db01"}
    olds = {**_wave_props(), "results": {"web01": {"result": "Succeeded", "job_name": "j-web"}}}
    outs = WaveFailoverProvider().update("id", olds, news).outs or {}
    assert [r.path.split("/")[-2] for r in fake_arm.requests if r.method == "POST"] == ["db01"]
    assert outs["results"]["web01"] == {"result": "Succeeded", "job_name": "j-web"}
    assert outs["results"]["db01"]["result"] == "Succeeded"


def test_one_machines_failure_is_recorded_and_the_others_succeed(
    fake_arm: FakeArm, arm_env: StaticTokenCredential
) -> None:
    _item(fake_arm, **_tested())
    _item(fake_arm, "db01")  # never tested: the guard refuses it
    news = _wave_props()
    news["machines"]["db01"] = {**news["machines"]["web01"], "protected_item_name": "db01"}
    outs = WaveFailoverProvider().create(news).outs or {}
    assert outs["results"]["web01"]["result"] == "Succeeded"
    assert outs["results"]["db01"]["result"] == "Refused"
    assert "db01: has no successful test failover" in outs["results"]["db01"]["error"]
    assert [r.path.split("/")[-2] for r in fake_arm.requests if r.method == "POST"] == ["web01"]


def test_check_names_field_value_and_rule() -> None:
    news = _wave_props(vault_name="", recovery_point="yesterday", architecture="Classic", shutdown_source=True)
    news["machines"]["web01"]["instance_id"] = ""
    result = WaveFailoverProvider().check({}, news)
    assert sorted(f.reason for f in result.failures) == [
        "architecture: 'Classic' must be one of modernized, classic",
        "machines.web01.instance_id: '' must be a non-empty string",
        "recovery_point: 'yesterday' must be one of latest, latestProcessed, latestAppConsistent or an ISO 8601"
        " time with a time zone, like 2026-05-01T22:00:00Z",
        "vault_name: '' must be a non-empty string",
    ]


# ---- faults ----------------------------------------------------------------------------------------------------


def test_throttled_failover_post_is_retried_and_starts_one_job(
    fake_arm: FakeArm, arm_env: StaticTokenCredential
) -> None:
    _item(fake_arm, **_tested())
    fake_arm.fail_next("POST", r"/unplannedFailover$", 429)  # no Retry-After, as ASR throttles
    fake_arm.fail_next("GET", r"/replicationProtectedItems/web01$", 503)
    outs = create(FailoverAction(), _props())
    assert [name for name, _ in _posts(fake_arm)] == ["unplannedFailover", "unplannedFailover"]
    assert len(fake_arm.jobs) == 1 and outs["result"] == "Succeeded"


ACTIONS = [
    ("testFailover", TestFailoverAction, {}),
    (
        "testFailoverCleanup",
        TestFailoverCleanupAction,
        {"testFailoverState": "WaitingForCompletion", "allowedOperations": ["TestFailoverCleanup"]},
    ),
    ("unplannedFailover", FailoverAction, _tested()),
    ("remove", CompleteMigrationAction, {"activeLocation": "Recovery", "allowedOperations": ["CompleteMigration"]}),
]


@pytest.mark.parametrize("status", [500, 503, 504])
@pytest.mark.parametrize(("endpoint", "action", "state"), ACTIONS, ids=[a[0] for a in ACTIONS])
def test_a_5xx_after_the_action_took_effect_attaches_and_never_resends(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, status: int, endpoint: str, action: Any, state: dict[str, Any]
) -> None:
    _item(fake_arm, **state)
    fake_arm.fail_next("POST", rf"/{endpoint}$", status, after_effect=True)
    outs = create(action(), _props())
    assert [name for name, _ in _posts(fake_arm)] == [endpoint]  # exactly one action request reached ASR
    assert len(fake_arm.jobs) == 1 and outs["result"] == "Succeeded"
    assert outs["job_name"] == next(iter(fake_arm.jobs.values())).name


def test_a_5xx_before_the_action_took_effect_is_sent_again_once_asr_shows_no_job(
    fake_arm: FakeArm, arm_env: StaticTokenCredential
) -> None:
    _item(fake_arm, **_tested())
    fake_arm.fail_next("POST", r"/unplannedFailover$", 503)  # refused before it reached ASR: no job on the item
    outs = create(FailoverAction(), _props())
    assert [name for name, _ in _posts(fake_arm)] == ["unplannedFailover", "unplannedFailover"]
    assert len(fake_arm.jobs) == 1 and outs["result"] == "Succeeded"


def test_when_asr_shows_no_job_after_repeated_5xx_the_error_says_a_rerun_is_safe(
    fake_arm: FakeArm, arm_env: StaticTokenCredential
) -> None:
    _item(fake_arm, **_tested())
    fake_arm.fail_next("POST", r"/unplannedFailover$", 500, times=10)
    with pytest.raises(ActionOutcomeUnknownError, match=r"web01: failover: .*HTTP 500.*Rerunning `pulumi up` is safe"):
        create(FailoverAction(), _props())
    assert len(_posts(fake_arm)) == 4 and fake_arm.jobs == {}  # ASR_RETRY_TOTAL 3: bounded, and each one refused


READS_AFTER_THE_POST = [
    # (what is read, requests of it to let through first, the 202's headers)
    (r"/replicationJobs/[^/]+$", 0, "async"),  # checking that the header's job is this action's
    (r"/replicationJobs/[^/]+$", 1, "async"),  # following the job
    (r"/replicationProtectedItems/web01$", 1, "none"),  # finding the job on the item (no header names it)
]


@pytest.mark.parametrize(("read", "skip", "headers"), READS_AFTER_THE_POST, ids=["job check", "job poll", "item read"])
def test_a_malformed_answer_after_the_post_says_the_action_started_and_a_rerun_attaches(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, read: str, skip: int, headers: str
) -> None:
    _item(fake_arm, **_tested())
    fake_arm.action_headers = headers
    original = len(fake_arm.requests)
    fake_arm.malform_next("GET", read, skip=skip)
    with pytest.raises(
        LifecycleActionError, match=r"(?is)web01: failover: .*(accepted|started).*rerunning `pulumi up` is safe"
    ):
        create(FailoverAction(), _props())
    assert len(_posts(fake_arm)) == 1 and original == 0
    outs = create(FailoverAction(), _props())  # the rerun: the job is found on the item, nothing is sent again
    assert len(_posts(fake_arm)) == 1 and outs["result"] in ("Attached", "AlreadyDone")


def test_dropped_connection_after_the_post_attaches_instead_of_resending(
    fake_arm: FakeArm, arm_env: StaticTokenCredential
) -> None:
    _item(fake_arm, **_tested())
    fake_arm.drop_next("POST", r"/unplannedFailover$", after_effect=True)
    outs = create(FailoverAction(), _props())
    assert [name for name, _ in _posts(fake_arm)] == ["unplannedFailover"]
    assert len(fake_arm.jobs) == 1 and outs["job_name"] == next(iter(fake_arm.jobs.values())).name


def test_failed_job_surfaces_asrs_code_message_and_recommended_action(
    fake_arm: FakeArm, arm_env: StaticTokenCredential
) -> None:
    _item(fake_arm, **_tested())
    fake_arm.next_job_ends(
        "Failed",
        "Failed",
        [
            {
                "serviceErrorDetails": {
                    "code": "70094",
                    "message": "Failover of the virtual machine failed.",
                    "possibleCauses": "The target subnet has no free IP address.",
                    "recommendedAction": "Free an IP address in the target subnet and retry.",
                },
                "taskId": "t1",
            }
        ],
    )
    with pytest.raises(LifecycleActionError) as raised:
        create(FailoverAction(), _props())
    message = str(raised.value)
    assert message.startswith("web01: failover: Failover for web01")
    for part in ("[70094] Failover of the virtual machine failed.", "Recommended action: Free an IP address"):
        assert part in message


def test_suspended_job_says_how_to_resume(fake_arm: FakeArm, arm_env: StaticTokenCredential) -> None:
    _item(fake_arm)
    fake_arm.next_job_ends("Suspended", "Waiting for a manual action")
    with pytest.raises(LifecycleActionError, match=r"az site-recovery job resume -g rg-wave1 --vault-name vault1"):
        create(TestFailoverAction(), _props())


def test_another_running_job_refuses_and_is_never_cancelled(fake_arm: FakeArm, arm_env: StaticTokenCredential) -> None:
    fake_arm.job_step_seconds = 5
    _item(fake_arm)
    worker = threading.Thread(target=lambda: _swallow(lambda: create(TestFailoverAction(), _props())), daemon=True)
    worker.start()
    _wait_for(lambda: bool(fake_arm.jobs))
    with pytest.raises(ActionRefusedError, match=r"ASR job .* \(TestFailover\) is running on the item; wait for it"):
        create(FailoverAction(), _props(skip_test_failover_reason="reason"))
    assert [name for name, _ in _posts(fake_arm)] == ["testFailover"]
    assert not any("cancel" in r.path.lower() for r in fake_arm.requests)


def _swallow(action: Any) -> None:
    try:
        action()
    except Exception:  # the job outlives the test; the worker's outcome is not what is tested here
        return


def _wait_for(condition: Any, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_5xx_after_a_job_that_is_already_over_is_not_sent_again(
    fake_arm: FakeArm, arm_env: StaticTokenCredential
) -> None:
    """The job ends (and the item's currentScenario resets) before the item is read again: the vault's recent
    jobs still show it, so the failover is not sent a second time."""
    _item(fake_arm, **_tested())
    fake_arm.job_step_seconds = 0.0  # the job is over at once
    fake_arm.fail_next("POST", r"/unplannedFailover$", 503, after_effect=True)
    outs = create(FailoverAction(), _props())
    assert [name for name, _ in _posts(fake_arm)] == ["unplannedFailover"]
    assert len(fake_arm.jobs) == 1 and outs["result"] == "Succeeded"
