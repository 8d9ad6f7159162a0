"""A wave through the real Pulumi CLI: `pulumi preview` and `pulumi up` of a new modernized wave, its staged second
step, every lifecycle phase to `complete`, a refresh; what the CLI prints, the stack outputs and the state file."""

from __future__ import annotations

import json

import pytest

from tests.cli.harness import PASSPHRASE, Cli
from tests.cli.world import World
from tests.fake_arm.compute import FakeCompute
from tests.fake_arm.server import SUBSCRIPTION

pytestmark = pytest.mark.cli

STACK = "wave1"
RG, VAULT = "rg-migration-wave1-weu", "rsv-migration-wave1-weu"  # stacks/Pulumi.wave1.yaml
APPLIANCE_PASSPHRASE = "Kx91-cli-appliance-passphrase"
ACTIONS = {
    "test": "testFailover",
    "tested": "testFailoverCleanup",
    "cutover": "unplannedFailover",
    "complete": "remove",
}
POSTED = frozenset(ACTIONS.values())


def posts(fake: FakeCompute, since: int) -> list[tuple[str, str]]:
    """(item, action) of the lifecycle POSTs the fake received since request number `since`."""
    return sorted(
        (r.path.split("/")[-2], r.path.split("/")[-1])
        for r in fake.requests[since:]
        if r.method == "POST" and r.path.split("/")[-1] in POSTED
    )


def set_wave(cli: Cli, path: str, value: str, kind: str = "string") -> None:
    """What an operator types to edit the wave: `pulumi config set --path migration:wave.<path>`."""
    cli.run("config", "set", "-s", STACK, "--path", f"migration:wave.{path}", value, "--type", kind)


def test_wave1_previews_comes_up_in_two_staged_steps_and_walks_every_phase(cli: Cli, fake: FakeCompute) -> None:
    cli.run("stack", "init", STACK)
    set_wave(cli, "lifecycle.shutdownSource", "false", "bool")  # the fleet's EC2 instances are not in any AWS

    preview = cli.run("preview", "-s", STACK)
    assert "+ 49 to create" in preview, preview  # the plan a change board sees
    first = cli.run("up", "-s", STACK, "--yes")
    assert "+ 49 created" in first and "wave wave1 waits for you" in first, first
    outputs = cli.outputs(STACK)
    assert len(outputs["pendingSteps"]) == 2 and "appliancePassphrase" in outputs["pendingSteps"][1]
    assert [r for r in fake.requests if r.method not in ("GET",)] == []  # nothing asked of ASR yet

    # The operator registers the appliance and sets its passphrase; its agents register with the appliance.
    fake.register_appliance(
        f"fabric-{VAULT}", f"container-{VAULT}", "modernized", outputs["appliancePrivateIp"],
        vault_path=fake.vault_path(RG, VAULT),
    )  # fmt: skip
    for machine in outputs["machines"]:
        fake.add_site_machine(machine["name"], machine["privateIp"], machine["name"])
    cli.run("config", "set", "-s", STACK, "--secret", "migration:appliancePassphrase", APPLIANCE_PASSPHRASE)
    second = cli.run("up", "-s", STACK, "--yes")
    assert "error" not in second.lower().replace("errors", ""), second
    outputs = cli.outputs(STACK)
    assert outputs["pendingSteps"] == []
    names = sorted(m["name"] for m in outputs["machines"])
    assert all(m["protectedItemId"] for m in outputs["machines"]), outputs["machines"]

    for machine in names:  # the VMs a failover makes run in Azure (the post-migration prep finds them)
        fake.add_vm(machine, "linux" if "api" in machine or "worker" in machine or "db" in machine else "windows",
                    resource_group=RG)  # fmt: skip
    for phase in ("test", "tested", "cutover", "complete"):
        set_wave(cli, "lifecycle.phase", phase)
        since = len(fake.requests)
        printed = cli.run("up", "-s", STACK, "--yes")
        assert posts(fake, since) == sorted((m, ACTIONS[phase]) for m in names), (phase, printed[-3000:])
        run_together = [line for line in printed.splitlines() if line.count("info: ") > 1]
        assert run_together == [], run_together  # six machines' progress, one line each
    outputs = cli.outputs(STACK)
    assert all(m["drReady"] for m in outputs["machines"]), outputs["machines"]
    audit = outputs["lifecycle"]["audit"]
    assert {audit[m]["completeMigration"]["result"] for m in names} == {"Succeeded"}

    # Nothing secret in plain text in the state file: the passphrase is encrypted with the stack's key.
    cli.assert_no_plaintext(STACK, [APPLIANCE_PASSPHRASE, PASSPHRASE])
    assert json.loads(cli.state_text(STACK))["checkpoint"]["latest"]["secrets_providers"]["type"] == "passphrase"

    # A refresh and the next preview change nothing and send nothing to ASR.
    since = len(fake.requests)
    cli.run("refresh", "-s", STACK, "--yes")
    again = cli.run("preview", "-s", STACK, "--expect-no-changes")
    assert [(r.method, r.path) for r in fake.requests[since:] if r.method != "GET"] == [], again
    assert SUBSCRIPTION in json.dumps(outputs)

    # A harmless edit (a tag) after the migration: tags update in place, no action runs again, nothing is replaced.
    set_wave(cli, "tags.costCenter", "4712")
    since = len(fake.requests)
    edited = cli.run("up", "-s", STACK, "--yes")
    assert posts(fake, since) == [] and " replace" not in edited and "replaced" not in edited, edited[-3000:]

    # The DR project reads the wave's real outputs through a StackReference on the same backend, as committed.
    cli.run("stack", "init", "wave1-dr", project="dr")
    dr_preview = cli.run("preview", "-s", "wave1-dr", project="dr")
    assert "ReplicationProtectedItem" in dr_preview or "to create" in dr_preview, dr_preview
    # A container's job fails: besides the SDK's traceback, the operator gets ASR's error as a line of its own
    # (the plugin's stderr reaches the CLI on its own channel, so where it lands beside the traceback varies),
    # and the next `up` goes on.
    fake.next_job_ends("Failed", errors=[{"serviceErrorDetails": {"code": "28010", "message": "Fabric not ready"}}])
    failed = cli.run("up", "-s", "wave1-dr", "--yes", project="dr", check=False)
    assert cli.log[-1][1] != 0 and "Traceback" in failed, failed[-3000:]
    ours = [line for line in failed.splitlines() if line.strip().startswith("error: A2AProtectionContainer create: ")]
    assert ours and "ended Failed" in ours[0], failed[-3000:]
    assert "[28010] Fabric not ready" in failed.split(ours[0].strip(), 1)[1][:200], failed[-3000:]
    cli.run("up", "-s", "wave1-dr", "--yes", project="dr")
    dr = cli.outputs_of("wave1-dr", project="dr")
    assert sorted(dr["protectedMachines"]) == names, dr


def test_the_tutorial_as_a_classic_recovery_plan_wave_walks_every_phase(cli: Cli, fake: FakeCompute) -> None:
    """The other architecture and orchestration: a classic configuration server on a vault that already runs
    classic, one recovery plan, configured the way an operator does it (`pulumi config set`)."""
    stack, rg, vault = "tutorial", "rg-classic-vault", "myVault"
    cli.run("stack", "init", stack)
    for path, value, kind in (
        ("architecture", "classic", "string"),
        ("azure.existingVaultResourceGroup", rg, "string"),
        ("aws.mobilityInstallerS3Uri", "s3://classic-asr-agents/repository/", "string"),
        ("lifecycle.orchestration", "recoveryPlan", "string"),
        ("lifecycle.shutdownSource", "false", "bool"),
    ):
        cli.run("config", "set", "-s", stack, "--path", f"migration:wave.{path}", value, "--type", kind)
    for key in ("appliancePassphrase", "mysqlRootPassword", "mysqlUserPassword"):
        cli.run("config", "set", "-s", stack, "--secret", f"migration:{key}", f"{key}-Zt81-cli")
    # The configuration server registers itself from its user data, at the address EC2 gives its instance.
    [address] = [World.address_of(fake, "aws:ec2/instance:Instance", "tutorial-appliance-instance")]
    fake.register_appliance(f"fabric-{vault}", f"container-{vault}", "classic", address,
                            vault_path=fake.vault_path(rg, vault))  # fmt: skip
    first = cli.run("up", "-s", stack, "--yes")
    assert "VaultCredentials" in first and "+ 44 created" in first, first[-3000:]
    outputs = cli.outputs(stack)
    names = sorted(m["name"] for m in outputs["machines"])
    assert names == ["db01", "web01"] and all(m["protectedItemId"] for m in outputs["machines"])
    for machine in names:
        fake.add_vm(machine, "linux" if machine == "db01" else "windows", resource_group=rg)
    plan_posts = {"test": "testFailover", "tested": "testFailoverCleanup", "cutover": "unplannedFailover"}
    for phase in ("test", "tested", "cutover", "complete"):
        cli.run("config", "set", "-s", stack, "--path", "migration:wave.lifecycle.phase", phase)
        since = len(fake.requests)
        cli.run("up", "-s", stack, "--yes")
        expected = [("tutorial-plan", plan_posts[phase])] if phase in plan_posts else [(m, "remove") for m in names]
        assert posts(fake, since) == expected, phase
    outputs = cli.outputs(stack)
    assert all(m["drReady"] for m in outputs["machines"])
    assert outputs["lifecycle"]["audit"]["recoveryPlans"]["tutorial-plan"]["failover"]["result"] == "Succeeded"
    cli.assert_no_plaintext(stack, [f"{key}-Zt81-cli" for key in ("appliancePassphrase", "mysqlRootPassword",
                                    "mysqlUserPassword")] + ["<ManagementCert>"])  # fmt: skip
