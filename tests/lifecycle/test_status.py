"""`migrate.py status` against the fake vault: one row per machine, phases read from ASR's state, the last job."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import yaml

from components.asr.wave_actions import WaveTestFailoverProvider
from migrate_tool.status import main
from tests.fake_arm.credential import StaticTokenCredential
from tests.fake_arm.server import FakeArm
from tests.waves import wave


def _stack(tmp_path: Path, **lifecycle: str) -> Path:
    raw = wave(machines=4, lifecycle=lifecycle)
    raw["azure"].update(resourceGroup="rg-wave1", vault="vault1")
    (tmp_path / "Pulumi.w.yaml").write_text(yaml.safe_dump({"config": {"migration:wave": raw}}))
    return tmp_path


def _seed(fake: FakeArm) -> None:
    fake.add_fabric("fabric1")
    fake.add_container("fabric1", "container1")
    for machine in ("vm0000", "vm0001", "vm0002"):
        fake.add_protected_item("fabric1", "container1", machine)
    items = {m: fake.resource(fake.item_path("fabric1", "container1", m)) for m in ("vm0000", "vm0001", "vm0002")}
    items["vm0000"]["properties"]["providerSpecificDetails"]["lastRpoInSeconds"] = 95  # type: ignore[index]
    items["vm0001"]["properties"].update(testFailoverState="WaitingForCompletion")  # type: ignore[index]
    items["vm0002"]["properties"].update(activeLocation="Recovery", replicationHealth="Warning")  # type: ignore[index]


def test_status_prints_one_row_per_machine(fake_arm: FakeArm, arm_env: StaticTokenCredential, tmp_path: Path) -> None:
    _seed(fake_arm)
    out, err = io.StringIO(), io.StringIO()
    assert main(["w", "--stacks-dir", str(_stack(tmp_path, phase="test"))], out, err) == 0
    assert out.getvalue().splitlines() == [
        "machine  config phase  ASR phase      health   RPO         last job",
        "-------  ------------  -------------  -------  ----------  --------",
        "vm0000   test          replicate      Normal   1 min 35 s  -",
        "vm0001   test          test           Normal   -           -",
        "vm0002   test          cutover        Warning  -           -",
        "vm0003   test          not protected  -        -           -",
    ]
    assert "reading vault vault1 (poll 1): fabrics 1/1, protected items" in err.getvalue()
    assert {r.method for r in fake_arm.requests} == {"GET"}


def test_watch_polls_until_no_job_runs_and_shows_the_last_job(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, tmp_path: Path
) -> None:
    _seed(fake_arm)
    fake_arm.job_step_seconds = 1.0  # the job outlives the first poll even on a loaded machine
    props = {
        "resource_group_name": "rg-wave1", "vault_name": "vault1", "architecture": "modernized", "test_network_id": "/n",
        "version": "2",
        "machines": {"vm0000": {"fabric_name": "fabric1", "container_name": "container1", "protected_item_name": "vm0000"}},
    }  # fmt: skip
    fake_arm.resource(fake_arm.item_path("fabric1", "container1", "vm0000"))["properties"]["testFailoverState"] = "None"  # type: ignore[index]
    worker = threading.Thread(target=WaveTestFailoverProvider().create, args=(props,), daemon=True)
    worker.start()
    while not fake_arm.jobs:
        time.sleep(0.005)
    out, err = io.StringIO(), io.StringIO()
    assert main(["w", "--stacks-dir", str(_stack(tmp_path)), "--watch", "--interval", "0.1"], out, err) == 0
    worker.join(10)
    assert "jobs running on vm0000; polling again in 0.1 s" in err.getvalue()
    assert "(poll 2)" in err.getvalue()
    [row] = [line for line in out.getvalue().splitlines() if line.startswith("vm0000")]
    assert row.split()[-2:] == ["failover:", "Succeeded"] and "test" in row


def test_missing_stack_is_a_clear_error(tmp_path: Path) -> None:
    err = io.StringIO()
    assert main(["nope", "--stacks-dir", str(tmp_path)], io.StringIO(), err) == 2
    assert err.getvalue().startswith(f"status: no stack file {tmp_path}/Pulumi.nope.yaml")
