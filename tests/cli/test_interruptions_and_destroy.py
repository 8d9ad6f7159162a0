"""What the real CLI does when an operator kills `pulumi up` in the middle of a failover, and with `pulumi destroy`:
exactly one failover per machine reaches ASR, and destroy stops at what is protected with nothing undone in ASR."""

from __future__ import annotations

import signal
import subprocess
import time

import pytest

from tests.cli.harness import Cli
from tests.cli.test_a_wave_through_the_real_cli import APPLIANCE_PASSPHRASE, RG, STACK, VAULT, posts, set_wave
from tests.fake_arm.compute import FakeCompute

pytestmark = pytest.mark.cli


def up_to_tested(cli: Cli, fake: FakeCompute) -> list[str]:
    """wave1 replicating, tested and cleaned up: what a cutover starts from. The machines' names."""
    cli.run("stack", "init", STACK)
    set_wave(cli, "lifecycle.shutdownSource", "false", "bool")
    cli.run("up", "-s", STACK, "--yes")
    outputs = cli.outputs(STACK)
    fake.register_appliance(f"fabric-{VAULT}", f"container-{VAULT}", "modernized", outputs["appliancePrivateIp"],
                            vault_path=fake.vault_path(RG, VAULT))  # fmt: skip
    for machine in outputs["machines"]:
        fake.add_site_machine(machine["name"], machine["privateIp"], machine["name"])
    cli.run("config", "set", "-s", STACK, "--secret", "migration:appliancePassphrase", APPLIANCE_PASSPHRASE)
    cli.run("up", "-s", STACK, "--yes")
    for phase in ("test", "tested"):
        set_wave(cli, "lifecycle.phase", phase)
        cli.run("up", "-s", STACK, "--yes")
    return sorted(m["name"] for m in outputs["machines"])


@pytest.mark.parametrize("ctrl_c", ["once", "twice"])
def test_an_up_interrupted_mid_failover_is_followed_by_exactly_one_failover_per_machine(
    cli: Cli, fake: FakeCompute, ctrl_c: str
) -> None:
    """Ctrl-C once: the CLI cancels after the steps in flight, so the failover finishes and is recorded. Twice: it
    stops at once, leaving the failover's create pending in the state; the next `up` says so and creates it again,
    and the action attaches to the jobs ASR is running instead of sending a second failover."""
    names = up_to_tested(cli, fake)
    set_wave(cli, "lifecycle.phase", "cutover")
    fake.job_step_seconds = 2.0  # the failover jobs outlive the kill
    since = len(fake.requests)
    up = subprocess.Popen(["pulumi", "up", "-s", STACK, "--yes"], cwd=cli.project, env=cli.env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip

    def failovers_sent() -> int:
        return len([p for p in posts(fake, since) if p[1] == "unplannedFailover"])

    deadline = time.monotonic() + 120
    while failovers_sent() < len(names) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert failovers_sent() == len(names), "the failover POSTs never went out"
    up.send_signal(signal.SIGINT)  # the operator's Ctrl-C
    if ctrl_c == "twice":
        time.sleep(0.3)
        up.send_signal(signal.SIGINT)
    killed, _ = up.communicate(timeout=120)
    assert up.returncode != 0, killed

    fake.job_step_seconds = 0.05
    rerun = cli.run("up", "-s", STACK, "--yes")  # all the operator types: `pulumi up` again
    if ctrl_c == "once":
        assert "update canceled" in killed and "WaveFailover wave1-lifecycle-failover created" in killed, killed
        assert "pending operations" not in rerun, rerun
    else:
        assert "^C received; terminating" in killed and "creating (interrupted)" in killed, killed
        assert "Attempting to deploy or update resources with 1 pending operations" in rerun, rerun
        assert "wave1-lifecycle-failover, interrupted while creating" in rerun, rerun
    assert sorted(p for p in posts(fake, since) if p[1] == "unplannedFailover") == [
        (m, "unplannedFailover") for m in names
    ]  # exactly one failover each: the rerun attached to the jobs the killed up had started
    audit = cli.outputs(STACK)["lifecycle"]["audit"]
    assert {audit[m]["failover"]["result"] for m in names} <= {"Attached", "AlreadyDone", "Succeeded"}


def test_destroy_stops_at_what_is_protected_and_undoes_nothing_in_asr(cli: Cli, fake: FakeCompute) -> None:
    names = up_to_tested(cli, fake)
    since = len(fake.requests)
    refused = cli.run("destroy", "-s", STACK, "--yes", check=False)
    assert cli.log[-1][1] != 0 and "protected" in refused, refused
    assert [(r.method, r.path) for r in fake.requests[since:] if r.method in ("POST", "PUT", "DELETE", "PATCH")] == []
    assert names  # the wave was replicating and tested when destroy was refused
