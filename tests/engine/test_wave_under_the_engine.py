"""A wave as `pulumi preview` / `pulumi up` run it: the real program, the SDK's dynamic-provider server over gRPC,
the fake ARM server and a moto server behind it (tests/engine/harness.py).

What these prove, for both architectures and both orchestrations: a new wave previews (every check accepts the
unknowns the engine passes) and comes up; each phase move previews and runs exactly its ASR actions; harmless
edits, a refresh and a rerun change nothing in ASR and never show a ran action as replaced; a plugin killed
mid-failover is followed by exactly one failover; destroy stops at what is protected and purges nothing.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from components.config import parse_wave
from tests.engine.conftest import ec2_state
from tests.engine.harness import Deployment, Engine, EngineError
from tests.fake_arm.compute import FakeCompute
from tests.waves import SECRETS, wave

PHASES = ("replicate", "test", "tested", "cutover", "complete")
# The ASR action POSTs each phase move sends for each machine (perMachine) or for the plan (recoveryPlan).
ITEM_POSTS = {
    "test": "testFailover",
    "tested": "testFailoverCleanup",
    "cutover": "unplannedFailover",
    "complete": "remove",
}
PLAN_POSTS = {"test": "testFailover", "tested": "testFailoverCleanup", "cutover": "unplannedFailover"}


def _raw(architecture: str, orchestration: str, ec2: list[str], **lifecycle: Any) -> dict[str, Any]:
    raw = wave(architecture=architecture)
    raw["lifecycle"] = {"phase": "replicate", "orchestration": orchestration, "shutdownSource": True, **lifecycle}
    for machine, instance_id in zip(raw["machines"], ec2, strict=True):
        machine["instanceId"] = instance_id
    raw["machines"][1]["target"] = {"staticIp": DB01_IP}  # the database keeps its address (WaveTargetIp)
    return raw


DB01_IP = "10.0.0.12"


def ip_updates(fake: FakeCompute, since: int = 0) -> list[tuple[str, Any]]:
    """(item, body) of the target-settings updates (PATCH of an item) sent since request number `since`."""
    return [(r.path.split("/")[-1], r.body) for r in fake.requests[since:] if r.method == "PATCH"]


ACTIONS = frozenset(ITEM_POSTS.values()) | {"failoverCommit"}


def posts(fake: FakeCompute, since: int = 0) -> list[tuple[str, str]]:
    """(target, action) of the lifecycle actions POSTed since request number `since`, sorted."""
    return sorted(
        (r.path.split("/")[-2], r.path.split("/")[-1])
        for r in fake.requests[since:]
        if r.method == "POST" and r.path.split("/")[-1] in ACTIONS
    )


def restarted(fake: FakeCompute, since: int = 0) -> list[str]:
    """The VMs the post-migration prep restarted since request number `since`, sorted."""
    return sorted(
        r.path.split("/")[-2] for r in fake.requests[since:] if r.method == "POST" and r.path.endswith("/restart")
    )


def without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    return value


def assert_safe_preview(deployment: Deployment) -> None:
    """What a change board relies on: the preview ran, and no dynamic resource is replaced."""
    assert deployment.error is None, f"preview failed: {deployment.error}"
    replaced = [name for op, name in deployment.ops("") if op == "replace"]
    assert replaced == [], f"preview shows replacements: {replaced}"


def expected_posts(phase: str, orchestration: str, machines: list[str], plans: list[str]) -> list[tuple[str, str]]:
    if orchestration == "recoveryPlan" and phase in PLAN_POSTS:
        return sorted((plan, PLAN_POSTS[phase]) for plan in plans)
    return sorted((machine, ITEM_POSTS[phase]) for machine in machines) if phase in ITEM_POSTS else []


def up_at(engine: Engine, raw: dict[str, Any], phase: str) -> None:
    """A new stack's first `pulumi up` straight at `phase` (the first phase record accepts any phase): every action
    up to that phase runs in this one up, in order; the walk above covers the phases one at a time."""
    raw["lifecycle"]["phase"] = phase
    engine.up(raw)


def walk(engine: Engine, fake: FakeCompute, raw: dict[str, Any], orchestration: str) -> dict[str, Deployment]:
    """Preview then up each phase in order; assert each preview is safe and each up sends exactly its actions."""
    machines = [m["name"] for m in raw["machines"]]
    done: dict[str, Deployment] = {}
    for phase in PHASES:
        raw["lifecycle"]["phase"] = phase
        since = len(fake.requests)
        done[phase] = engine.up(raw)
        assert_safe_preview(engine.last_preview)  # type: ignore[arg-type]
        plans = [layout.name for layout in parse_wave(raw).recovery_plans()]
        assert posts(fake, since) == expected_posts(phase, orchestration, machines, plans), phase
    return done


ALL_COMBINATIONS = [("modernized", "perMachine"), ("classic", "recoveryPlan"), ("modernized", "recoveryPlan"),
                    ("classic", "perMachine")]  # fmt: skip
CLEANUP_NOTES = "web01 login page ok; db01 replica lag 2 s - checked by app owners"


@pytest.mark.slow
@pytest.mark.parametrize(("architecture", "orchestration"), ALL_COMBINATIONS)
def test_a_new_wave_previews_comes_up_and_walks_every_phase(
    make_engine: Callable[..., Engine],
    fake: FakeCompute,
    ec2: list[str],
    moto_url: str,
    architecture: str,
    orchestration: str,
) -> None:
    engine = make_engine()
    raw = _raw(architecture, orchestration, ec2, cleanupNotes=CLEANUP_NOTES)
    first = engine.preview(raw)
    assert_safe_preview(first)
    assert ("create", "wave1-replication-registration") in first.ops("ApplianceRegistration")
    done = walk(engine, fake, raw, orchestration)
    assert [ec2_state(moto_url, i) for i in ec2] == ["stopped", "stopped"]  # stopped before the failover
    [(item, body)] = ip_updates(fake)  # once, in the first up, before any test failover; never again
    assert item == "db01" and DB01_IP in json.dumps(body)
    first_action = min(
        i for i, r in enumerate(fake.requests) if r.method == "POST" and r.path.endswith("/testFailover")
    )
    assert max(i for i, r in enumerate(fake.requests) if r.method == "PATCH") < first_action

    # The operator's cleanup notes (the seed's "record and save any observations") go on the wire and into the audit.
    sent = [r.body for r in fake.requests if r.method == "POST" and r.path.endswith("/testFailoverCleanup")]
    assert sent and all(body == {"properties": {"comments": CLEANUP_NOTES}} for body in sent), sent

    outputs = done["complete"].outputs
    audit = outputs["lifecycle"]["audit"]
    cleanups = (
        [audit["recoveryPlans"]["wave1-plan"]["testFailoverCleanup"]]
        if orchestration == "recoveryPlan"
        else [audit[m]["testFailoverCleanup"] for m in ("web01", "db01")]
    )
    assert all(c["comments"] == CLEANUP_NOTES for c in cleanups), cleanups
    assert audit["web01"]["completeMigration"]["result"] == "Succeeded"
    assert all(m["drReady"] for m in outputs["machines"]), outputs["machines"]
    assert all(m["vmResourceId"].endswith(f"/virtualMachines/{m['name']}") for m in outputs["machines"])
    if orchestration == "perMachine":
        assert {audit[m]["failover"]["result"] for m in ("web01", "db01")} == {"Succeeded"}
        assert audit["web01"]["testFailover"]["test_vm_id"].endswith("/virtualMachines/web01-test")
    else:
        assert audit["recoveryPlans"]["wave1-plan"]["failover"]["result"] == "Succeeded"
    since = len(fake.requests)
    rerun = engine.up(raw)  # nothing left to do
    assert posts(fake, since) == [] and [op for op, _ in rerun.ops("")] == []

    # Refresh after `complete` (ASR has removed the items), then up: nothing in ASR changes, no item comes back.
    read = engine.refresh()
    assert not [s for s in read if s.op == "delete"], "no completed item is left in the state for refresh to drop"
    since = len(fake.requests)
    after_refresh = engine.up(raw)
    assert_safe_preview(engine.last_preview)  # type: ignore[arg-type]
    assert [(r.method, r.path) for r in fake.requests[since:] if r.method != "GET"] == []
    assert [op for op, _ in after_refresh.ops("")] == []
    assert not [s for s in engine.state.values() if s.type.endswith("ReplicationProtectedItem")]


def test_a_new_modernized_wave_needs_no_secret_and_carries_on_once_the_passphrase_is_set(
    make_engine: Callable[..., Engine], fake: FakeCompute, ec2: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    engine = make_engine()
    raw = _raw("modernized", "perMachine", ec2)
    raw["aws"]["mobilityInstallerS3Uri"] = "s3://wave1-asr-agents/mobility/"
    first = engine.up(raw, secrets={})  # a new stack: nothing set yet
    assert_safe_preview(engine.last_preview)  # type: ignore[arg-type]
    created = {name for op, name in first.ops("") if op == "create"}
    assert {"wave1-lz-rg", "wave1-rsv-vault", "wave1-appliance-instance"} <= created
    assert not [n for n in created if "replication" in n or "lifecycle" in n or "mobility" in n or "passphrase" in n]
    pending = first.outputs["pendingSteps"]
    assert len(pending) == 2 and "vault 'myVault'" in pending[0] and "asr-appliance-01" in pending[0]
    # The preview (and the up) says it where the operator looks: as the engine's warnings.
    assert f"wave wave1 waits for you: {pending[1]}" in caplog.text
    assert "pulumi config set --secret migration:appliancePassphrase" in pending[1]
    assert [r for r in fake.requests if r.method != "GET"] == []  # nothing asked of ASR yet

    passphrase = "Kx91-staged-passphrase"
    second = engine.up(raw, secrets={"migration:appliancePassphrase": passphrase})
    assert_safe_preview(engine.last_preview)  # type: ignore[arg-type]
    ops = dict((name, op) for op, name in second.ops(""))
    assert ops["wave1-replication-registration"] == "create" and ops["wave1-replication-web01"] == "create"
    assert ops["wave1-source-prep-mobility-agent"] == "create" and ops["wave1-lifecycle-phases"] == "create"
    assert not [name for name, op in ops.items() if op == "replace"]
    assert second.outputs["pendingSteps"] == []
    assert {m["name"] for m in second.outputs["machines"] if m["protectedItemId"]} == {"web01", "db01"}
    for stored in engine.state.values():  # the staged secret is as secret as the others: only under secret keys
        visible = {k: v for k, v in {**stored.inputs, **stored.outputs}.items() if k not in stored.secret_keys}
        assert passphrase not in json.dumps(visible), stored.urn


def test_a_classic_wave_generates_its_vault_credentials_file_and_keeps_it_secret(
    make_engine: Callable[..., Engine], fake: FakeCompute, ec2: list[str]
) -> None:
    engine = make_engine()
    raw = _raw("classic", "perMachine", ec2)
    secrets = {k: v for k, v in SECRETS.items() if k != "migration:vaultRegistrationKey"}  # nothing downloaded
    first = engine.up(raw, secrets=secrets)
    assert_safe_preview(engine.last_preview)  # type: ignore[arg-type]
    assert ("create", "wave1-vault-credentials") in first.ops("VaultCredentials")
    writes = [r.path.split("/")[-2] for r in fake.requests if r.method == "PUT" and "/vaults/" in r.path]
    # The integrity key, then the certificate, once each (other vault writes, such as the vault setting, are
    # independent of them and may come in between).
    assert [w for w in writes if w in ("extendedInformation", "certificates")] == [
        "extendedInformation",
        "certificates",
    ]

    [credentials] = [s for s in engine.state.values() if s.type.endswith("VaultCredentials")]
    content = credentials.outputs["content"]
    assert content.startswith('<?xml version="1.0" encoding="utf-8"?>') and "<ManagementCert>" in content
    assert "content" in credentials.secret_keys  # the file carries a private key: secret in the state
    assert b"ManagementCert" not in base64.b64decode(credentials.inputs["__provider"])
    # The configuration server reads it from the appliance secret, next to the passwords; only as a secret.
    [version] = [s for s in engine.state.values() if s.name == "wave1-appliance-secret-version"]
    assert credentials.urn in version.dependencies  # the host's secret waits for the file
    assert json.loads(version.inputs["secretString"])["vaultRegistrationKey"] == content
    assert "secretString" in version.secret_keys
    holders = {s.name for s in engine.state.values() if "<ManagementCert>" in json.dumps({**s.inputs, **s.outputs})}
    assert holders == {"wave1-vault-credentials", "wave1-appliance-secret-version"}

    since = len(fake.requests)
    again = engine.up(raw, secrets=secrets)  # a rerun makes no new certificate
    assert again.ops("VaultCredentials") == []
    assert [r for r in fake.requests[since:] if "/certificates/" in r.path or "extendedInformation" in r.path] == []


HARMLESS_EDITS: dict[str, Callable[[dict[str, Any]], None]] = {
    "tags": lambda raw: raw["tags"].update(costCenter="4712"),
    "registration timeout": lambda raw: raw["azure"].update(registrationTimeoutMinutes=90),
    "maxConcurrency": lambda raw: raw["lifecycle"].update(maxConcurrency=50),
    "recoveryPoint": lambda raw: raw["lifecycle"].update(recoveryPoint="latestProcessed"),
    "VM size": lambda raw: raw["machines"][0].update(vmSize="Standard_D8s_v5"),
    "cleanup notes": lambda raw: raw["lifecycle"].update(cleanupNotes="written after the cleanup ran"),
}


RAN = ("WaveTestFailover", "WaveFailover", "PlanTestFailover", "PlanFailover")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("architecture", "orchestration"),
    [("modernized", "perMachine"), ("classic", "recoveryPlan")],
)
def test_harmless_edits_after_a_failover_never_replace_or_rerun_an_action(
    make_engine: Callable[..., Engine], fake: FakeCompute, ec2: list[str], architecture: str, orchestration: str
) -> None:
    engine = make_engine()
    raw = _raw(architecture, orchestration, ec2)
    up_at(engine, raw, "cutover")
    ran = {s.name for s in engine.state.values() if s.type.endswith(RAN)}
    assert len(ran) == 2, ran  # the test failover and the failover ran
    for edit, apply in HARMLESS_EDITS.items():
        apply(raw)
        since = len(fake.requests)
        engine.up(raw)
        assert_safe_preview(engine.last_preview)  # type: ignore[arg-type]
        assert posts(fake, since) == [], f"{edit}: an action was sent again"
    assert {s.name for s in engine.state.values() if s.type.endswith(RAN)} == ran


@pytest.mark.slow  # CI's second stage: keeps the README's test command under two minutes
def test_refresh_then_up_changes_nothing_in_asr(
    make_engine: Callable[..., Engine], fake: FakeCompute, ec2: list[str]
) -> None:
    engine = make_engine()
    raw = _raw("modernized", "perMachine", ec2)
    up_at(engine, raw, "tested")
    records = engine.outputs_of("lifecycle-test-failover")["results"]
    read = engine.refresh()
    assert {s.name for s in read if s.op == "read"} >= {
        "wave1-lifecycle-test-failover",
        "wave1-replication-registration",
    }
    # The audit trail is history: a refresh keeps it (the wire drops nested nulls, nothing else changes).
    assert without_nulls(engine.outputs_of("lifecycle-test-failover")["results"]) == without_nulls(records)
    since = len(fake.requests)
    engine.up(raw)
    assert_safe_preview(engine.last_preview)  # type: ignore[arg-type]
    assert [(r.method, r.path.rsplit("/", 1)[-1]) for r in fake.requests[since:] if r.method != "GET"] == []


@pytest.mark.slow
@pytest.mark.parametrize(
    ("architecture", "orchestration"),
    [("modernized", "perMachine"), ("classic", "recoveryPlan")],
)
def test_destroy_stops_at_protected_resources_and_undoes_nothing_in_asr(
    make_engine: Callable[..., Engine], fake: FakeCompute, ec2: list[str], architecture: str, orchestration: str
) -> None:
    engine = make_engine()
    raw = _raw(architecture, orchestration, ec2)
    up_at(engine, raw, "cutover")
    [failover] = [s.name for s in engine.state.values() if s.type.endswith(("WaveFailover", "PlanFailover"))]
    since = len(fake.requests)
    with pytest.raises(EngineError, match="refusing to delete protected resource"):
        engine.destroy()
    assert [r for r in fake.requests[since:] if r.method in ("POST", "DELETE", "PUT")] == []
    forgotten = {s.name for s in engine.steps if s.op == "delete"}
    assert failover in forgotten  # its Delete ran in the plugin: it only forgets the record


@pytest.mark.slow
@pytest.mark.parametrize(
    ("architecture", "orchestration"),
    [("modernized", "perMachine"), ("classic", "recoveryPlan")],
)
def test_a_plugin_killed_mid_failover_is_followed_by_exactly_one_failover(
    make_engine: Callable[..., Engine], fake: FakeCompute, ec2: list[str], architecture: str, orchestration: str
) -> None:
    engine = make_engine()
    raw = _raw(architecture, orchestration, ec2)
    up_at(engine, raw, "tested")
    fake.job_step_seconds = 1.0  # the failover jobs outlive the kill
    raw["lifecycle"]["phase"] = "cutover"
    expected = expected_posts("cutover", orchestration, ["web01", "db01"], ["wave1-plan"])

    def kill_after_the_posts() -> None:
        deadline = time.monotonic() + 30
        while (
            len([p for p in posts(fake) if p[1] == "unplannedFailover"]) < len(expected) and time.monotonic() < deadline
        ):
            time.sleep(0.01)
        engine.plugin.kill()

    killer = threading.Thread(target=kill_after_the_posts)
    killer.start()
    with pytest.raises(EngineError):
        engine.up(raw)
    killer.join()
    failover = "wave1-lifecycle-failover" if orchestration == "perMachine" else "wave1-lifecycle-plan-failover"
    assert failover not in {s.name for s in engine.state.values()}  # its create never returned
    engine.restart_plugin()  # the next `pulumi up` starts a new plugin
    engine.up(raw)
    assert [p for p in posts(fake) if p[1] == "unplannedFailover"] == expected  # exactly one failover each
    outputs = engine.outputs_of(failover.removeprefix("wave1"))
    results = outputs["results"].values() if orchestration == "perMachine" else [outputs]
    assert {r["result"] for r in results} <= {"Attached", "AlreadyDone"}, results


@pytest.mark.slow  # CI's second stage: keeps the README's test command under two minutes
def test_one_machines_failed_job_keeps_the_others_results_and_a_rerun_retries_only_it(
    make_engine: Callable[..., Engine], fake: FakeCompute, ec2: list[str]
) -> None:
    engine = make_engine()
    raw = _raw("modernized", "perMachine", ec2)
    engine.up(raw)
    raw["lifecycle"]["phase"] = "test"
    fake.next_job_ends("Failed", errors=[{"serviceErrorDetails": {"code": "28092", "message": "No recovery point"}}])
    with pytest.raises(
        EngineError, match=r"(?s)check failed: results: (db01|web01): testFailover failed: .*28092.*Fix the cause"
    ):
        engine.up(raw)
    results = engine.outputs_of("lifecycle-test-failover")["results"]
    assert sorted(r["result"] for r in results.values()) == ["Failed", "Succeeded"]  # both recorded in the state
    failed = next(m for m, r in results.items() if r["result"] == "Failed")
    since = len(fake.requests)
    engine.up(raw)
    assert posts(fake, since) == [(failed, "testFailover")]
    assert {r["result"] for r in engine.outputs_of("lifecycle-test-failover")["results"].values()} == {"Succeeded"}


@pytest.mark.slow
def test_one_machines_failed_complete_migration_stops_on_the_outcome_and_the_others_are_prepared_for_dr(
    make_engine: Callable[..., Engine], fake: FakeCompute, ec2: list[str]
) -> None:
    """Issue 28: the failed machine's ASR error and the retry instruction stop the `up`, not the prep's check of a
    VM id it never had; every machine that did complete is prepared in that same `up`; the rerun retries only the
    failed machine's complete migration and prepares only it."""
    engine = make_engine()
    raw = _raw("modernized", "perMachine", ec2)
    up_at(engine, raw, "cutover")
    raw["lifecycle"]["phase"] = "complete"
    fake.next_job_ends("Failed", errors=[{"serviceErrorDetails": {"code": "150172", "message": "Protection failed"}}])
    with pytest.raises(EngineError) as stopped:
        engine.up(raw)
    message = str(stopped.value)
    assert re.search(
        r"(?s)check failed: results: (db01|web01): completeMigration failed: .*150172.*Fix the cause", message
    )
    assert "vm_resource_id" not in message, message
    completed = engine.outputs_of("lifecycle-complete-migration")["results"]
    [failed] = [m for m, r in completed.items() if r["result"] == "Failed"]
    [other] = [m for m, r in completed.items() if r["result"] == "Succeeded"]
    prepared = engine.outputs_of("lifecycle-post-migration")["results"]
    assert list(prepared) == [other] and prepared[other]["dr_ready"] is True, prepared
    assert restarted(fake) == [other]

    since = len(fake.requests)
    rerun = engine.up(raw)
    assert posts(fake, since) == [(failed, "remove")]
    prepared = engine.outputs_of("lifecycle-post-migration")["results"]
    assert {m: r["dr_ready"] for m, r in prepared.items()} == {"web01": True, "db01": True}
    assert restarted(fake, since) == [failed]  # only the retried machine is prepared
    assert all(m["drReady"] for m in rerun.outputs["machines"]), rerun.outputs["machines"]


def test_secrets_stay_secret_in_the_state_and_never_reach_a_dynamic_resource(
    make_engine: Callable[..., Engine], fake: FakeCompute, ec2: list[str]
) -> None:
    engine = make_engine()
    engine.up(_raw("modernized", "perMachine", ec2))
    secrets = [value.encode() for value in SECRETS.values()]
    for stored in engine.state.values():
        visible = {k: v for k, v in {**stored.inputs, **stored.outputs}.items() if k not in stored.secret_keys}
        assert not any(secret in json.dumps(visible).encode() for secret in secrets), stored.urn  # stored encrypted
        if stored.dynamic:
            provider = base64.b64decode(stored.inputs["__provider"])
            assert not any(secret in provider for secret in secrets), stored.urn  # nothing pickled into state
            assert not any(secret in json.dumps(stored.outputs).encode() for secret in secrets), stored.urn
    holders = {s.name for s in engine.state.values() if any(x in json.dumps(s.inputs).encode() for x in secrets)}
    assert holders and all(not name.startswith("wave1-lifecycle") for name in holders)


@pytest.mark.slow
def test_twenty_machines_test_failover_in_about_one_jobs_time_through_the_plugin(
    make_engine: Callable[..., Engine], fake: FakeCompute
) -> None:
    """Measured through the real server: one resource per machine made 20 two-second jobs take 10.5 s."""
    engine = make_engine()
    raw = wave(machines=20)
    raw["lifecycle"] = {"phase": "replicate", "shutdownSource": False, "maxConcurrency": 20}
    engine.up(raw)
    fake.job_step_seconds = 0.5  # jobs of 1 s
    raw["lifecycle"]["phase"] = "test"
    engine.plugin.rpcs.clear()
    since = len(fake.requests)
    engine.up(raw)
    [create] = [r for r in engine.plugin.rpcs if r.method == "Create" and r.name == "wave1-lifecycle-test-failover"]
    assert len(posts(fake, since)) == 20
    assert create.ended - create.started < 2.0, "20 jobs of 1 s must run at once, not four at a time"
    starts = sorted(r.at for r in fake.requests[since:] if r.path.endswith("/testFailover"))
    assert starts[-1] - starts[0] < 0.5  # all sent together


@pytest.mark.slow
def test_a_150_machine_recovery_plan_wave_tests_as_two_plans_at_once_in_one_jobs_time(
    make_engine: Callable[..., Engine], fake: FakeCompute
) -> None:
    """Issue 25: ASR takes at most 100 machines in a plan (the fake refuses more, as ASR does); the wave's two plans
    run their test failovers side by side, each in its own worker of the plugin."""
    engine = make_engine()
    raw = wave(machines=150)
    raw["lifecycle"] = {"phase": "replicate", "orchestration": "recoveryPlan", "shutdownSource": False}
    engine.up(raw)
    fake.job_step_seconds = 0.5  # jobs of 1 s
    raw["lifecycle"]["phase"] = "test"
    engine.plugin.rpcs.clear()
    since = len(fake.requests)
    tested = engine.up(raw)
    assert_safe_preview(engine.last_preview)  # type: ignore[arg-type]
    assert posts(fake, since) == [("wave1-plan", "testFailover"), ("wave1-plan-2", "testFailover")]
    creates = [r for r in engine.plugin.rpcs if r.method == "Create" and r.name.endswith("-test-failover")]
    assert sorted(r.name for r in creates) == [
        "wave1-lifecycle-plan-2-test-failover",
        "wave1-lifecycle-plan-test-failover",
    ]
    started, ended = min(r.started for r in creates), max(r.ended for r in creates)
    assert ended - started < 2.0, "two plans of 1 s jobs must run at once, not one after the other"
    audit = tested.outputs["lifecycle"]["audit"]["recoveryPlans"]
    assert {plan["testFailover"]["result"] for plan in audit.values()} == {"Succeeded"}
    for plan in ("wave1-plan", "wave1-plan-2"):  # what the stand-in for azure-native put in the vault
        vault = fake.vault_path(raw["azure"]["resourceGroup"], raw["azure"]["vault"])
        groups = fake.resource(f"{vault}/replicationRecoveryPlans/{plan}")["properties"]["groups"]  # type: ignore[index]
        assert sum(len(g["replicationProtectedItems"]) for g in groups) == 75


@pytest.mark.slow
@pytest.mark.parametrize("orchestration", ["perMachine", "recoveryPlan"])
def test_a_200_machine_wave_walks_every_phase_within_every_hosts_limit(
    make_engine: Callable[..., Engine], fake: FakeCompute, orchestration: str
) -> None:
    """Issue 25's wave: 200 machines on one appliance sized for them, through every phase, with the stand-ins for the
    azure-native and aws plugins refusing what the hosts refuse (tests/host_limits.py) and the fake ARM server
    refusing a plan of more than 100 items."""
    engine = make_engine()
    raw = wave(machines=200)
    raw["lifecycle"] = {"phase": "replicate", "orchestration": orchestration, "shutdownSource": False,
                        "maxConcurrency": 200}  # fmt: skip
    fake.job_step_seconds = 0.05
    done = walk(engine, fake, raw, orchestration)
    machines = done["complete"].outputs["machines"]
    assert len(machines) == 200 and all(m["drReady"] for m in machines)
    [host] = [s for s in engine.state.values() if s.type == "aws:ec2/instance:Instance"]
    assert host.inputs["instanceType"] == "c5.4xlarge" and host.inputs["ebsBlockDevices"][0]["volumeSize"] == 1024
    inbound = [s.name for s in engine.state.values() if s.type.endswith("SecurityGroupIngressRule")]
    assert len(inbound) == 4, inbound  # the appliance's three and the installer endpoint's one: none per machine
