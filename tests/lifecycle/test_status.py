"""`migrate.py status`, the wave board, against the fake vault: every stage a machine passes, as a person sees it."""

from __future__ import annotations

import io
import json
import threading
import time
from pathlib import Path

import pytest
import yaml
from azure.identity import CredentialUnavailableError

from components.asr import arm
from components.asr.wave_actions import WaveTestFailoverProvider
from migrate_tool.status import STAGES, main
from tests.fake_arm.credential import StaticTokenCredential
from tests.fake_arm.server import FakeArm
from tests.waves import wave

RG, VAULT = "rg-wave1", "vault1"
FAILED_ERROR = [{"serviceErrorDetails": {"message": "The test network subnet has no free addresses."}}]


def _stack(tmp_path: Path, machines: int = 12, **lifecycle: str) -> Path:
    raw = wave(machines=machines, lifecycle=lifecycle)
    raw["azure"].update(resourceGroup=RG, vault=VAULT)
    (tmp_path / "Pulumi.w.yaml").write_text(yaml.safe_dump({"config": {"migration:wave": raw}}))
    return tmp_path


def _item(fake: FakeArm, machine: str, **properties: object) -> dict:
    path = fake.item_path("fabric1", "container1", machine).replace(fake.vault_path(), fake.vault_path(RG, VAULT))
    item = fake.put_resource(
        path,
        {
            "friendlyName": machine,
            "activeLocation": "Primary",
            "protectionState": "Protected",
            "protectionStateDescription": "Protected",
            "replicationHealth": "Normal",
            "testFailoverState": "None",
            "providerSpecificDetails": {"instanceType": "InMageRcm"},
        },
    )
    details = properties.pop("providerSpecificDetails", {})
    item["properties"].update(properties)
    item["properties"]["providerSpecificDetails"].update(details)  # type: ignore[union-attr]
    return item


def _job(fake: FakeArm, machine: str, scenario: str, name: str, **kwargs: object) -> None:
    fake.add_job(machine, scenario, name, rg=RG, vault=VAULT, **kwargs)  # type: ignore[arg-type]


def _seed_every_stage(fake: FakeArm) -> None:
    fake.put_resource(fake.vault_path(RG, VAULT) + "/replicationFabrics/fabric1", {})
    fake.put_resource(
        fake.vault_path(RG, VAULT) + "/replicationFabrics/fabric1/replicationProtectionContainers/container1", {}
    )
    # vm0000: no item yet -> not ready
    _item(
        fake,
        "vm0001",
        protectionState="InitialReplicationInProgress",
        protectionStateDescription="Initial replication in progress",
        providerSpecificDetails={"initialReplicationProgressPercentage": 40},
    )
    _item(fake, "vm0002", providerSpecificDetails={"lastRpoInSeconds": 95})
    _item(fake, "vm0003")
    _job(fake, "vm0003", "TestFailover", "Test failover", running=True)
    _item(
        fake,
        "vm0004",
        testFailoverState="WaitingForCompletion",
        protectionStateDescription="Cleanup test failover pending",
    )
    _job(fake, "vm0004", "TestFailover", "Test failover")
    _item(fake, "vm0005", lastSuccessfulTestFailoverTime="2026-11-30T10:00:00Z")
    _job(fake, "vm0005", "TestFailoverCleanup", "Cleanup test failover")
    _item(fake, "vm0006", lastSuccessfulTestFailoverTime="2026-11-30T10:00:00Z")
    _job(fake, "vm0006", "UnplannedFailover", "Failover", running=True)
    _item(fake, "vm0007", activeLocation="Recovery", protectionStateDescription="Failover completed")
    _job(fake, "vm0007", "UnplannedFailover", "Failover")
    _job(fake, "vm0008", "DisableDr", "Disable replication")  # complete migration removed the item
    _job(fake, "vm0009", "DisableDr", "Disable replication")
    _item(fake, "vm0010", replicationHealth="Critical")
    _job(fake, "vm0010", "TestFailover", "Test failover", state="Failed", errors=FAILED_ERROR)
    _item(fake, "vm0011")
    _job(fake, "vm0011", "DisableDr", "Disable replication", running=True)
    _job(fake, "vm9999", "TestFailover", "Test failover", running=True)  # another wave's machine in the same vault


def _outputs(tmp_path: Path) -> Path:
    path = tmp_path / "outputs.json"
    path.write_text(
        json.dumps({"machines": [{"name": "vm0009", "drReady": True}, {"name": "vm0008", "drReady": False}]})
    )
    return path


def test_the_board_shows_every_stage_a_machine_passes(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, tmp_path: Path
) -> None:
    _seed_every_stage(fake_arm)
    out, err = io.StringIO(), io.StringIO()
    stacks = _stack(tmp_path, phase="test")
    assert main(["w", "--stacks-dir", str(stacks), "--outputs", str(_outputs(tmp_path))], out, err) == 0, err.getvalue()
    lines = [line.rstrip() for line in out.getvalue().splitlines()]
    rows = {line.split()[0]: line for line in lines[2:14]}
    assert lines[0].split("  ")[0] == "machine" and "stage" in lines[0] and "last job" in lines[0]
    expected = {
        "vm0000": "not ready",
        "vm0001": "replicating 40%",
        "vm0002": "ready to test",
        "vm0003": "test running",
        "vm0004": "tested",
        "vm0005": "ready for cutover",
        "vm0006": "cutover running",
        "vm0007": "failed over",
        "vm0008": "migrated",
        "vm0009": "prepared for DR",
        "vm0010": "failed: The test network subnet has no free addresses.",
        "vm0011": "completing",
    }
    for machine, stage_text in expected.items():
        assert f"  {stage_text}  " in rows[machine] + "  ", (machine, rows[machine])
    assert "Initial replication in progress" in rows["vm0001"]
    assert "1 min 35 s" in rows["vm0002"] and "Critical" in rows["vm0010"]
    assert "Test failover: NotStarted" in rows["vm0003"]
    assert lines[-1] == (
        "12 machines: 1 not ready, 1 replicating, 1 ready to test, 1 test running, 1 tested, 1 ready for cutover,"
        " 1 cutover running, 1 failed over, 1 completing, 1 migrated, 1 prepared for DR, 1 failed"
    )
    assert "vm9999" not in out.getvalue()
    assert {r.method for r in fake_arm.requests} == {"GET"}


def test_a_new_wave_shows_the_steps_it_waits_for_above_the_board(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, tmp_path: Path
) -> None:
    steps = ["Register the replication appliance on EC2 instance 'asr-appliance-01' ...", "Copy the passphrase ..."]
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"machines": [], "pendingSteps": steps}))
    out = io.StringIO()
    assert (
        main(["w", "--stacks-dir", str(_stack(tmp_path, machines=2)), "--outputs", str(outputs)], out, io.StringIO())
        == 0
    )
    lines = out.getvalue().splitlines()
    assert lines[:2] == [f"Waiting for you (1/2): {steps[0]}", f"Waiting for you (2/2): {steps[1]}"]
    assert lines[-1] == "2 machines: 2 not ready"


def test_json_gives_the_same_board_for_scripts(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, tmp_path: Path
) -> None:
    _seed_every_stage(fake_arm)
    out = io.StringIO()
    stacks = _stack(tmp_path)
    assert (
        main(["w", "--stacks-dir", str(stacks), "--json", "--outputs", str(_outputs(tmp_path))], out, io.StringIO())
        == 0
    )
    board = json.loads(out.getvalue())
    assert [m["stage"] for m in board["machines"]] == [
        "not ready", "replicating", "ready to test", "test running", "tested", "ready for cutover",
        "cutover running", "failed over", "migrated", "prepared for DR", "failed", "completing",
    ]  # fmt: skip
    assert set(board["summary"]) <= set(STAGES) and sum(board["summary"].values()) == 12
    failed = board["machines"][10]
    assert failed["lastJob"]["state"] == "Failed" and "no free addresses" in failed["lastJob"]["error"]
    assert board["machines"][2]["rpoSeconds"] == 95


def test_missing_settings_or_credentials_are_one_line_never_a_traceback(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stacks = _stack(tmp_path, machines=2)
    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID")
    err = io.StringIO()
    assert main(["w", "--stacks-dir", str(stacks)], io.StringIO(), err) == 2
    assert err.getvalue().strip().splitlines()[-1] == (
        "status: cannot read the vault: AZURE_SUBSCRIPTION_ID: (missing) is required (or ARM_SUBSCRIPTION_ID, or pass"
        " subscription_id) (see docs/asr-client.md)"
    )

    class NoCredential:  # what DefaultAzureCredential raises when no credential source is set up
        def get_token(self, *scopes: str, **kwargs: object) -> None:
            raise CredentialUnavailableError(
                "DefaultAzureCredential failed to retrieve a token from the included credentials."
            )

    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", "00000000-0000-0000-0000-000000000000")
    monkeypatch.setattr(arm, "default_credential", lambda _settings: NoCredential())
    err = io.StringIO()
    assert main(["w", "--stacks-dir", str(stacks)], io.StringIO(), err) == 2
    assert (
        err.getvalue()
        .strip()
        .splitlines()[-1]
        .startswith("status: cannot read the vault: DefaultAzureCredential failed to retrieve a token")
    )
    assert "Traceback" not in err.getvalue()


def test_watch_refreshes_the_board_until_no_job_runs(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, tmp_path: Path
) -> None:
    fake_arm.add_fabric("fabric1")
    fake_arm.add_container("fabric1", "container1")
    fake_arm.add_protected_item("fabric1", "container1", "vm0000")
    fake_arm.job_step_seconds = 1.0  # the job outlives the first poll even on a loaded machine
    props = {
        "resource_group_name": "rg-wave1", "vault_name": "vault1", "architecture": "modernized", "test_network_id": "/n",
        "version": "2",
        "machines": {"vm0000": {"fabric_name": "fabric1", "container_name": "container1", "protected_item_name": "vm0000"}},
    }  # fmt: skip
    worker = threading.Thread(target=WaveTestFailoverProvider().create, args=(props,), daemon=True)
    worker.start()
    while not fake_arm.jobs:
        time.sleep(0.005)
    out, err = io.StringIO(), io.StringIO()
    assert main(["w", "--stacks-dir", str(_stack(tmp_path, machines=1)), "--watch", "--interval", "0.1"], out, err) == 0
    worker.join(10)
    assert "jobs running on vm0000; polling again in 0.1 s" in err.getvalue()
    assert "(poll 2)" in err.getvalue()
    boards = out.getvalue().split("poll ")
    assert len(boards) >= 2 and "test running" in boards[1]  # the board while the job ran
    [row] = [line for line in out.getvalue().splitlines()[-4:] if line.startswith("vm0000")]
    assert "  tested  " in row and row.rstrip().split("  ")[-1].startswith("Test failover: Succeeded")


def test_missing_stack_is_a_clear_error(tmp_path: Path) -> None:
    err = io.StringIO()
    assert main(["nope", "--stacks-dir", str(tmp_path)], io.StringIO(), err) == 2
    assert err.getvalue().startswith(f"status: no stack file {tmp_path}/Pulumi.nope.yaml")
