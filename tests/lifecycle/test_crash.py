"""A `pulumi up` that dies between the failover POST and the job's end, then a rerun: one failover POST in all.

The first run is a separate interpreter that unpickles the provider as the provider host does and is killed
as soon as the fake has logged the POST; the rerun is a fresh `create` with the same inputs, as the engine
sends after an interrupted create.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from pulumi.dynamic.dynamic import serialize_provider

from components.asr.actions import FailoverProvider
from tests.fake_arm.credential import StaticTokenCredential
from tests.fake_arm.server import TOKEN, FakeArm
from tests.lifecycle.test_actions import _item, _props, _tested

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHILD = """
import base64, json, sys, dill
from components.asr import arm
from tests.fake_arm.credential import StaticTokenCredential
arm.default_credential = lambda _settings: StaticTokenCredential()  # the test's token, as in arm_env
provider = dill.loads(base64.b64decode(sys.argv[1]))
provider.create(json.loads(sys.argv[2]))
"""


def _start_and_kill_after_post(fake: FakeArm, serialized: str) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, serialized, json.dumps(_props())],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not any(r.method == "POST" for r in fake.requests):
            assert child.poll() is None, "the first run ended before it sent the failover"
            assert time.monotonic() < deadline, "no POST within 60 s"
            time.sleep(0.005)
    finally:
        child.kill()
        child.wait(timeout=10)


def test_crash_after_the_post_then_rerun_sends_exactly_one_failover(
    fake_arm: FakeArm, arm_env: StaticTokenCredential
) -> None:
    fake_arm.job_step_seconds = 1.0  # the job is still running when the first run dies
    _item(fake_arm, **_tested())
    serialized = serialize_provider(FailoverProvider())
    assert TOKEN.encode() not in base64.b64decode(serialized)
    _start_and_kill_after_post(fake_arm, serialized)
    [job] = fake_arm.jobs.values()
    assert fake_arm._job_state(job)[0] in ("NotStarted", "InProgress")

    outs = FailoverProvider().create(_props()).outs or {}

    posts = [r.path for r in fake_arm.requests if r.method == "POST"]
    assert len(posts) == 1 and posts[0].endswith("/replicationProtectedItems/web01/unplannedFailover")
    assert (outs["result"], outs["job_name"]) == ("Attached", job.name)
    assert fake_arm._job_state(job)[0] == "Succeeded"


def test_rerun_after_the_job_ended_records_it_as_done_without_a_post(
    fake_arm: FakeArm, arm_env: StaticTokenCredential
) -> None:
    fake_arm.job_step_seconds = 0.2
    _item(fake_arm, **_tested())
    _start_and_kill_after_post(fake_arm, serialize_provider(FailoverProvider()))
    time.sleep(0.5)  # the job ends while nobody waits for it

    outs = FailoverProvider().create(_props()).outs or {}

    assert [r.method for r in fake_arm.requests].count("POST") == 1
    assert outs["result"] == "AlreadyDone" and outs["vm_id"].endswith("/virtualMachines/web01")
