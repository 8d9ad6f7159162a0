"""The offline plan as a user runs it: a subprocess on the example stacks and on broken config."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from migrate_tool.offline.plan import StackFile
from tests.waves import SECRETS, wave

ROOT = Path(__file__).resolve().parents[1]


def plan(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "migrate_tool", "plan", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def planned_example(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, subprocess.CompletedProcess[str], Path]:
    """The example stack `request.param` planned into a directory of its own: (stack, the process, the directory)."""
    out = tmp_path_factory.mktemp(request.param)
    return request.param, plan(request.param, "--out", str(out)), out


@pytest.fixture(scope="module", params=["wave1", "tutorial"])
def example(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, subprocess.CompletedProcess[str], Path]:
    return planned_example(request, tmp_path_factory)


def test_example_stack_plans_and_says_it_is_offline(example) -> None:
    stack, result, _ = example
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        "OFFLINE PLAN: the real program ran under Pulumi's mock engine. Nothing was created"
    )
    assert f"Stack '{stack}'" in result.stdout
    assert re.search(rf"^ \+   [│ ]*├─ migration:azure:LandingZone +{stack}-lz +create$", result.stdout, re.M)
    assert f"  + azure-native:storage:StorageAccount  {stack}-lz-cache  (create)" in result.stdout
    assert "minimumTlsVersion: TLS1_2" in result.stdout
    assert "  + outputsVersion: 2" in result.stdout
    assert re.search(r"^    \+ \d+ to create \(\d+ resources, \d+ components and the stack\)$", result.stdout, re.M)
    assert not re.search(r"^ *- ", result.stdout, re.M), "nothing in a new stack's plan reads as a delete"
    # A new modernized wave needs no secret for its first up: the passphrase is staged, the key optional.
    assert "note: staged secret migration:appliancePassphrase is not set, so the first `pulumi up`" in result.stdout
    assert "migration:vaultRegistrationKey" not in result.stdout
    # The policy pack ran over the plan: nothing mandatory; the tutorial is flagged as classic.
    assert "Policy pack: 0 mandatory" in result.stdout or "Policy pack: no violations." in result.stdout
    assert "[advisory] classic-architecture-retired" not in result.stdout  # the tutorial runs on today's Azure


def test_plan_json_lists_every_resource_with_its_component(example) -> None:
    stack, _, out = example
    document = json.loads((out / "plan.json").read_text())
    assert document["offline"] is True and document["stack"] == stack
    config = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]["migration:wave"]
    assert document["architecture"] == config["architecture"]
    types = [r["type"] for r in document["resources"]]
    assert types.count("azure-native:network:VirtualNetwork") == 2
    assert "azure-native:recoveryservices:Vault" in types and "aws:ec2/instance:Instance" in types
    urns = {r["urn"] for r in document["resources"]}
    assert all(r["parent"] in urns for r in document["resources"] if r["type"] != "migration:index:MigrationWave")
    contract_keys = ("name", "instanceId", "privateIp", "os", "vmSize")
    assert [{k: m[k] for k in contract_keys} for m in document["outputs"]["machines"]] == [
        {
            "name": m["name"],
            "instanceId": m["instanceId"],
            "privateIp": m["privateIp"],
            "os": m["os"],
            "vmSize": m.get("vmSize"),
        }
        for m in config["machines"]
    ]
    # One protected item per machine, with the architecture's enable-protection input.
    items = [r for r in document["resources"] if r["type"] == "azure-native:recoveryservices:ReplicationProtectedItem"]
    assert sorted(r["inputs"]["replicatedProtectedItemName"] for r in items) == sorted(
        m["name"] for m in config["machines"]
    )
    expected = "InMageRcm" if config["architecture"] == "modernized" else "InMageAzureV2"
    assert {r["inputs"]["properties"]["providerSpecificDetails"]["instanceType"] for r in items} == {expected}
    assert all(
        m["protectedItemId"].endswith(f"/replicationProtectedItems/{m['name']}")
        for m in document["outputs"]["machines"]
    )


def test_runbook_is_written_for_a_change_board(example) -> None:
    stack, _, out = example
    runbook = (out / "runbook.md").read_text()
    assert runbook.startswith(f"# Runbook: migration wave `{stack}`")
    for section in (
        "## Scope",
        "## Machines",
        "## Pre-flight checks",
        "## Stack outputs",
        "## Rollback",
        "## Sign-off",
    ):
        assert section in runbook
    assert "Classic architecture" not in runbook  # the tutorial runs on today's Azure


@pytest.mark.slow  # a whole `migrate.py plan` process or two: CI's second stage
def test_plan_is_reproducible(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    runs = [
        subprocess.Popen([sys.executable, "-m", "migrate_tool", "plan", "wave1", "--out", str(out)], cwd=ROOT, env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for out in (first, second)
    ]  # fmt: skip
    assert [run.wait(timeout=300) for run in runs] == [0, 0]  # two processes at once: separate registrations
    assert (first / "plan.json").read_text() == (second / "plan.json").read_text()


def write_stack(directory: Path, name: str, raw: dict, extra: dict | None = None) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump({"config": {"migration:wave": raw, **(extra or {})}}))


def test_broken_config_exits_non_zero_with_each_problem_and_plans_nothing(tmp_path: Path) -> None:
    raw = wave()
    raw["azure"]["storageAccount"] = "AwsMigrated_2017"
    raw["azure"]["location"] = "West Europe"
    raw["machines"][1]["privateIp"] = "172.31.10.11"
    write_stack(tmp_path / "stacks", "broken", raw)
    result = plan("broken", "--stacks-dir", str(tmp_path / "stacks"), "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert "3 problem(s) in stack config 'migration:wave'" in result.stderr
    assert (
        "migration:wave.azure.storageAccount: 'AwsMigrated_2017' must be 3-24 lowercase letters or digits"
        in result.stderr
    )
    assert "migration:wave.azure.location: 'West Europe' must be a known Azure region name" in result.stderr
    assert "migration:wave.machines[1].privateIp: '172.31.10.11' duplicates machines[0].privateIp" in result.stderr
    assert "Nothing was planned." in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "out").exists()


def test_unknown_stack_is_a_clear_error(tmp_path: Path) -> None:
    result = plan("nosuchwave", "--stacks-dir", str(tmp_path))
    assert result.returncode == 1
    assert "no stack file" in result.stderr and "Pulumi.nosuchwave.yaml" in result.stderr


@pytest.mark.slow  # a whole `migrate.py plan` process or two: CI's second stage
def test_plaintext_secrets_in_a_stack_never_reach_the_plan(tmp_path: Path) -> None:
    write_stack(tmp_path / "stacks", "leaky", wave(architecture="classic"), extra=SECRETS)
    out = tmp_path / "out"
    result = plan("leaky", "--stacks-dir", str(tmp_path / "stacks"), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "warning: migration:appliancePassphrase is stored in plain text in the stack file" in result.stdout
    written = result.stdout + result.stderr + (out / "plan.json").read_text() + (out / "runbook.md").read_text()
    for key, value in SECRETS.items():
        assert value not in written, f"{key} leaked into the plan"
    assert "[secret]" in (out / "plan.json").read_text()


@pytest.mark.slow  # a whole `migrate.py plan` process or two: CI's second stage
def test_the_runbook_calls_out_irreversible_lifecycle_steps(tmp_path: Path) -> None:
    raw = wave()
    raw["lifecycle"] = {"phase": "cutover"}
    for machine in raw["machines"]:
        machine["skipTestFailover"] = "CAB-42: rebuilt from images, nothing to test"
    write_stack(tmp_path / "stacks", "cutover", raw)
    out = tmp_path / "out"
    result = plan("cutover", "--stacks-dir", str(tmp_path / "stacks"), "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    runbook = (out / "runbook.md").read_text()
    assert "| WaveFailover | wave1-lifecycle-failover (db01, web01) | FAILOVER to Azure" in runbook
    assert "**This plan declares irreversible steps** (WaveFailover)" in runbook
    assert "| web01 | i-0123456789abcdef0 | 172.31.10.11 | windows | chosen by ASR | cutover |" in runbook


@pytest.mark.slow  # a whole `migrate.py plan` process
def test_the_runbook_shows_each_recovery_plan_with_its_boot_groups(tmp_path: Path) -> None:
    raw = wave(machines=120)
    raw["lifecycle"] = {"orchestration": "recoveryPlan"}
    for n, machine in enumerate(raw["machines"]):
        machine["bootGroup"] = 1 if n < 20 else 2  # 20 databases, then 100 app servers
    write_stack(tmp_path / "stacks", "plans", raw)
    out = tmp_path / "out"
    result = plan("plans", "--stacks-dir", str(tmp_path / "stacks"), "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    runbook = (out / "runbook.md").read_text()
    section = runbook.split("## Recovery plans")[1].split("## ")[0]
    rows = [line.split(" | ")[:3] for line in section.splitlines() if line.startswith("| wave1-plan")]
    assert rows == [
        ["| wave1-plan", "Boot group 1", "10"],
        ["| wave1-plan", "Boot group 2", "50"],
        ["| wave1-plan-2", "Boot group 1", "10"],
        ["| wave1-plan-2", "Boot group 2", "50"],
    ]
    assert "the wave's 2 plans run side by side in each phase" in section
    assert (
        "| Appliance size and load | c5.4xlarge, 620 GB cache: rated for 150 machines and 1,000 GB a day; the wave:"
        " 120 machines and 0 GB of churn a day (120 with no declared churn, counted as 0) |"
    ) in runbook


def test_a_replicating_wave_runbook_declares_no_irreversible_step(example) -> None:
    _, _, out = example
    runbook = (out / "runbook.md").read_text()
    assert "Nothing in this plan fails a machine over or completes a migration." in runbook
    assert "Failover |" not in runbook


BROKEN_STACK_FILES = [
    ("- a\n- b\n", "list at the top level must be a mapping with a `config:` key"),
    ("just a string\n", "str at the top level must be a mapping with a `config:` key"),
    ("config:\n  - migration:wave\n", "config: list must be a mapping of config keys to values"),
    ("config:\n  migration:wave: {name: [\n", "not valid YAML at line 3, column 1"),
]


@pytest.mark.parametrize(("text", "message"), BROKEN_STACK_FILES, ids=["list", "string", "config list", "yaml error"])
def test_a_broken_stack_file_is_refused_with_what_is_wrong_and_where(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "Pulumi.broken.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=re.escape(message)):
        StackFile.load(path)


def test_a_broken_stack_file_gets_one_clean_line_from_the_command_and_no_plan(tmp_path: Path) -> None:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.broken.yaml").write_text(BROKEN_STACK_FILES[3][0])
    result = plan("broken", "--stacks-dir", str(tmp_path / "stacks"), "--out", str(tmp_path / "out"))
    assert result.returncode == 1, result.stdout + result.stderr
    assert BROKEN_STACK_FILES[3][1] in result.stderr and "Traceback" not in result.stdout + result.stderr
    assert not (tmp_path / "out").exists()


# --- Resource identities ---------------------------------------------------------------------------------------
# A URN is a resource's type, its parents' types and its logical name. If one changes, `pulumi up` deletes the old
# resource and creates a new one. For a vault, an item or a protected resource group that means a stop, or worse, a
# purge. So a refactor that changes one is caught here. If the change is intended, and the resource is new or
# carries an alias for its old URN, regenerate the snapshots: `.venv/bin/python -m tests.test_offline_plan`.

GOLDEN = Path(__file__).resolve().parent / "golden"


def planned_urns(plan_json: Path) -> list[str]:
    return sorted(r["urn"] for r in json.loads(plan_json.read_text())["resources"])


@pytest.fixture(scope="module", params=["foundation", "wave2"])
def shared_example(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, subprocess.CompletedProcess[str], Path]:
    """The example foundation and a wave on it (whose plan answers its StackReference with the foundation's)."""
    return planned_example(request, tmp_path_factory)


def test_a_foundation_and_a_wave_on_it_plan_offline(shared_example) -> None:
    stack, result, out = shared_example
    assert result.returncode == 0, result.stderr
    document = json.loads((out / "plan.json").read_text())
    types = [r["type"] for r in document["resources"]]
    runbook = (out / "runbook.md").read_text()
    if stack == "foundation":
        assert (types.count("azure-native:recoveryservices:Vault"), types.count("aws:ec2/instance:Instance")) == (1, 2)
        load = document["outputs"]["applianceLoad"]
        assert sum(row["machines"] for row in load.values()) == 6  # wave2's 4 and wave3's 2, across both appliances
        assert load["asr-appliance-b"]["waves"].get("wave3", 0) >= 1  # wave3 pins its database to appliance b
        for name, row in load.items():
            assert f"| {name} | c5.4xlarge | {row['machines']} |" in runbook
    else:
        assert "azure-native:recoveryservices:Vault" not in types and "aws:ec2/instance:Instance" not in types
        assert "pulumi-python:dynamic/asr:ApplianceRegistration" not in types
        assert "## Shared with foundation `organization/migration/foundation`" in runbook


def test_every_example_stack_resource_keeps_its_urn(example) -> None:
    _keeps_its_urns(*example)


def test_the_foundation_and_its_wave_keep_their_urns(shared_example) -> None:
    _keeps_its_urns(*shared_example)


def _keeps_its_urns(stack: str, result: subprocess.CompletedProcess[str], out: Path) -> None:
    assert result.returncode == 0, result.stderr
    planned, known = planned_urns(out / "plan.json"), (GOLDEN / f"urns-{stack}.txt").read_text().splitlines()
    gone = sorted(set(known) - set(planned))
    assert gone == [], (
        f"{len(gone)} resource(s) of {stack} would be replaced or deleted in an existing stack (URN changed or"
        " removed); add an alias, or regenerate the snapshot if that is intended:\n" + "\n".join(gone)
    )
    assert sorted(set(planned) - set(known)) == [], f"new resources in {stack}: regenerate the snapshot"


if __name__ == "__main__":  # regenerate tests/golden/urns-<stack>.txt from fresh plans
    for name in ("wave1", "tutorial", "foundation", "wave2"):
        target = Path(f"/tmp/stack-identity-{name}")
        done = plan(name, "--out", str(target))
        if done.returncode != 0:
            sys.exit(done.stderr)
        (GOLDEN / f"urns-{name}.txt").write_text("\n".join(planned_urns(target / "plan.json")) + "\n")
        print(f"wrote {GOLDEN / f'urns-{name}.txt'}")
