"""A foundation and two waves through the real Pulumi CLI, as the README walks them: the foundation's staged
registration per appliance, then waves that read it through StackReferences on the same backend and register,
create and hold nothing shared."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.cli.harness import ROOT, Cli
from tests.fake_arm.compute import FakeCompute

pytestmark = pytest.mark.cli

RG, VAULT = "rg-migration-weu", "rsv-migration-weu"  # stacks/Pulumi.foundation.yaml
PASSPHRASES = {"asr-appliance-a": "Gf55-cli-passphrase-a", "asr-appliance-b": "Hq66-cli-passphrase-b"}
SHARED = ("recoveryservices:Vault", "storage:StorageAccount", "ReplicationPolicy", "aws:ec2/instance:Instance")


def test_a_foundation_registers_its_appliances_one_at_a_time_and_two_waves_share_it(
    cli: Cli, fake: FakeCompute
) -> None:
    cli.run("stack", "init", "foundation")
    first = cli.run("up", "-s", "foundation", "--yes")
    assert "foundation migration-weu waits for you" in first, first[-3000:]
    outputs = cli.outputs("foundation")
    assert len(outputs["pendingSteps"]) == 2 and outputs["waves"] == ["wave2", "wave3"]
    appliances = outputs["foundation"]["appliances"]
    assert {a["processServerId"] for a in appliances.values()} == {None}

    # Appliance a is registered by hand, its passphrase set: the next up confirms it; b still waits.
    vault_path = fake.vault_path(RG, VAULT)
    fake.register_appliance(
        f"fabric-{VAULT}", f"container-{VAULT}", "modernized", appliances["asr-appliance-a"]["privateIp"],
        vault_path=vault_path,
    )  # fmt: skip
    secret_a = PASSPHRASES["asr-appliance-a"]
    cli.run("config", "set", "-s", "foundation", "--secret", "migration:appliancePassphrase-asr-appliance-a", secret_a)
    cli.run("up", "-s", "foundation", "--yes")
    outputs = cli.outputs("foundation")
    assert len(outputs["pendingSteps"]) == 1 and "'asr-appliance-b'" in outputs["pendingSteps"][0]
    # Then b, which joins the vault's fabric.
    fake.join_fabric(f"fabric-{VAULT}", appliances["asr-appliance-b"]["privateIp"], vault_path=vault_path)
    secret_b = PASSPHRASES["asr-appliance-b"]
    cli.run("config", "set", "-s", "foundation", "--secret", "migration:appliancePassphrase-asr-appliance-b", secret_b)
    cli.run("up", "-s", "foundation", "--yes")
    foundation = cli.outputs("foundation")
    assert foundation["pendingSteps"] == [] and all(
        a["processServerId"] for a in foundation["foundation"]["appliances"].values()
    )
    assert sorted(foundation["appliancePassphrases"].values()) == sorted(PASSPHRASES.values())
    cli.assert_no_plaintext("foundation", list(PASSPHRASES.values()))

    servers = {a["processServerId"]: name for name, a in foundation["foundation"]["appliances"].items()}
    for wave in ("wave2", "wave3"):
        # Its machines' Mobility agents register with their appliances: the appliances' site lists them.
        raw = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{wave}.yaml").read_text())["config"]["migration:wave"]
        for machine in raw["machines"]:
            fake.add_site_machine(machine["name"], machine["privateIp"], machine["name"])
        cli.run("stack", "init", wave)
        since = len(fake.requests)
        up = cli.run("up", "-s", wave, "--yes", "--show-replacement-steps")
        printed_types = [line for line in up.splitlines() if " created" in line or "+ " in line]
        assert not any(shared in line for line in printed_types for shared in SHARED), up[-3000:]
        assert "ApplianceRegistration" not in up, up[-3000:]
        # Nothing about the fabric changes: the wave registers nothing.
        assert not [
            r
            for r in fake.requests[since:]
            if r.method != "GET" and "replicationFabrics" in r.path and "replicationProtectedItems" not in r.path
        ]
        outputs = cli.outputs(wave)
        assert outputs["foundationStack"] == "organization/migration/foundation"
        assert outputs["vaultId"] == foundation["foundation"]["vaultId"]
        assert all(m["protectedItemId"] for m in outputs["machines"]), outputs["machines"]
        # The passphrase the wave's SSM parameter holds came through the StackReference, and stays encrypted.
        cli.assert_no_plaintext(wave, list(PASSPHRASES.values()))

    # wave3 pins its database to appliance b: its protected item, as the state keeps it, names b's process server.
    state = json.loads(cli.state_text("wave3"))["checkpoint"]["latest"]["resources"]
    [db] = [r for r in state if r["type"].endswith("ReplicationProtectedItem") and r["urn"].endswith("reports-db01")]
    assert servers[db["inputs"]["properties"]["providerSpecificDetails"]["processServerId"]] == "asr-appliance-b"
