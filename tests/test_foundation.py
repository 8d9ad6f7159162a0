"""A foundation and the waves on it, under the mock engine: what each stack declares, how machines are spread over
the appliance pool, and what stops a wave before anything is declared."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pulumi
import pytest

from components import limits
from migrate_tool.offline.engine import ProgramRun
from tests.foundations import (
    FOUNDATION_STACK,
    PASSPHRASES,
    SPOKE,
    foundation,
    run_foundation,
    run_wave_on,
    use_stacks,
    wave_on,
    write_stacks,
)
from tests.program import of_type, one, run_wave
from tests.waves import wave

VAULT = "azure-native:recoveryservices:Vault"
STORAGE = "azure-native:storage:StorageAccount"
POLICY = "azure-native:recoveryservices:ReplicationPolicy"
INSTANCE = "aws:ec2/instance:Instance"
REGISTRATION = "pulumi-python:dynamic/asr:ApplianceRegistration"
ITEM = "azure-native:recoveryservices:ReplicationProtectedItem"
VNET = "azure-native:network:VirtualNetwork"
SPOKE_NETWORK = {
    "id": f"{SPOKE}/vnet-spoke-apps",
    "addressSpace": ["10.40.0.0/16"],
    "subnets": [{"name": "snet-app", "prefix": "10.40.2.0/24"}],
    "testNetworkId": f"{SPOKE}/vnet-spoke-apps-isolated",
}
"""A wave's own spoke network, and its isolated test network, that the platform team runs."""
AZURE_SPOKE = {("rg-spoke", "vnet-spoke-apps", "snet-app"): "10.40.2.0/24"}
"""The spoke subnet as Azure holds it (what `getSubnet` answers)."""


def _stacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, raw_foundation: dict[str, Any], *waves: dict[str, Any]
) -> None:
    files = {"foundation": ("migration:foundation", raw_foundation)}
    files.update({w["name"]: ("migration:wave", w) for w in waves})
    use_stacks(monkeypatch, write_stacks(tmp_path / "stacks", files))


def _items_by_appliance(run: ProgramRun, foundation_run: ProgramRun) -> Counter[str]:
    """How many of the wave's items name each foundation appliance's process server."""
    servers = {a["processServerId"]: name for name, a in foundation_run.outputs["foundation"]["appliances"].items()}
    return Counter(
        servers[item.inputs["properties"]["providerSpecificDetails"]["processServerId"]] for item in of_type(run, ITEM)
    )


def test_three_waves_of_100_100_and_50_share_one_vault_cache_policy_and_two_appliances(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    waves = [wave_on("wave1", 100, 0), wave_on("wave2", 100, 100), wave_on("wave3", 50, 200)]
    _stacks(tmp_path, monkeypatch, foundation(), *waves)
    base = run_foundation(foundation())
    runs = [run_wave_on(w, base) for w in waves]

    everything = [r for run in (base, *runs) for r in run.resources]
    declared = Counter(r.type for r in everything)
    assert (declared[VAULT], declared[STORAGE], declared[POLICY], declared[INSTANCE]) == (1, 1, 1, 2)
    assert declared[REGISTRATION] == 2 and all(not of_type(run, REGISTRATION) for run in runs)
    assert [len(of_type(run, ITEM)) for run in runs] == [100, 100, 50]
    # 250 machines over two appliances rated for 200 each: both used, none past its rating, and the plan shows the
    # load per wave exactly as the waves' items are spread.
    load = base.outputs["applianceLoad"]
    machines = {name: row["machines"] for name, row in load.items()}
    assert sum(machines.values()) == 250 and all(50 < n <= 200 for n in machines.values()), machines
    assert {w: sum(row["waves"][w] for row in load.values()) for w in ("wave1", "wave2", "wave3")} == {
        "wave1": 100, "wave2": 100, "wave3": 50,
    }  # fmt: skip
    assert base.outputs["waves"] == ["wave1", "wave2", "wave3"]
    for run in runs:
        wave_name = run.outputs["wave"]
        assert _items_by_appliance(run, base) == Counter({a: row["waves"][wave_name] for a, row in load.items()})
    # Every item goes into the foundation's container with its policy.
    shared = base.outputs["foundation"]
    item = of_type(runs[2], ITEM)[0]
    assert item.inputs["protectionContainerName"] == shared["containerName"]
    assert item.inputs["properties"]["policyId"] == shared["policyId"]


def test_a_later_wave_never_moves_the_machines_of_an_earlier_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = wave_on("wave1", 30, 0), wave_on("wave2", 30, 30)
    _stacks(tmp_path, monkeypatch, foundation(), first, second)
    base = run_foundation(foundation())
    before = {
        i.name: i.inputs["properties"]["providerSpecificDetails"]["processServerId"]
        for i in of_type(run_wave_on(second, base), ITEM)
    }
    _stacks(tmp_path, monkeypatch, foundation(), first, second, wave_on("wave3", 80, 60))
    after = {
        i.name: i.inputs["properties"]["providerSpecificDetails"]["processServerId"]
        for i in of_type(run_wave_on(second, base), ITEM)
    }
    assert after == before


def test_an_appliance_past_its_rating_is_refused_naming_the_waves_that_load_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = foundation(appliances=1)
    small["aws"]["appliances"][0].update({"instanceType": "c5.2xlarge", "dataDiskGb": 620})
    _stacks(tmp_path, monkeypatch, small, wave_on("wave1", 60, 0), wave_on("wave2", 60, 60))
    with pytest.raises(pulumi.RunError) as refused:
        run_foundation(small, {})
    message = str(refused.value)
    assert "migration:foundation.aws.appliances[0]: 'asr-app-a' carries 120 machines" in message
    assert "wave1 (60), wave2 (60)" in message and "rated for up to 99 machines" in message


def test_the_waves_on_a_foundation_share_the_subscriptions_protected_disk_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each wave's 1,600 disks pass its own check; the second wave's take the foundation's subscription past 3,000."""
    first, second = wave_on("wave1", 40, 0), wave_on("wave2", 40, 40)
    for machine in [*first["machines"], *second["machines"]]:
        machine["disks"] = 40
    _stacks(tmp_path, monkeypatch, foundation(), first, second)
    refusal = (
        "'3200 disks' across the waves on the foundation, wave1 (1600), wave2 (1600), is more than ASR protects in"
        f" one subscription ({limits.PROTECTED_DISKS_PER_SUBSCRIPTION.cite()})"
    )
    with pytest.raises(pulumi.RunError) as refused:
        run_foundation(foundation())
    assert f"migration:foundation: {refusal}" in str(refused.value)
    _stacks(tmp_path / "before", monkeypatch, foundation(), first)
    base = run_foundation(foundation())  # wave 1 alone fits
    assert of_type(run_wave_on(first, base), ITEM)
    _stacks(tmp_path, monkeypatch, foundation(), first, second)
    with pytest.raises(pulumi.RunError) as refused:
        run_wave_on(second, base)  # the wave that goes past the limit stops before anything is declared
    assert f"migration:wave.machines: {refusal}" in str(refused.value)
    assert of_type(run_wave_on(first, base), ITEM)  # an earlier wave is not held back by a later one


def test_a_machine_naming_an_appliance_the_pool_lacks_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = wave_on("wave1", 2)
    _stacks(tmp_path, monkeypatch, foundation(), raw)
    base = run_foundation(foundation())
    raw["machines"][1]["appliance"] = "asr-app-z"
    _stacks(tmp_path, monkeypatch, foundation(), raw)
    with pytest.raises(pulumi.RunError) as refused:
        run_wave_on(raw, base)
    assert (
        "migration:wave.machines[1].appliance: 'asr-app-z' must be one of the foundation's appliances"
        " ['asr-app-a', 'asr-app-b']" in str(refused.value)
    )


def test_the_foundation_refuses_to_drop_an_appliance_a_wave_still_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = wave_on("wave1", 2)
    raw["machines"][1]["appliance"] = "asr-app-b"
    _stacks(tmp_path, monkeypatch, foundation(appliances=1), raw)
    with pytest.raises(pulumi.RunError) as refused:
        run_foundation(foundation(appliances=1))
    assert (
        "stacks/Pulumi.wave1.yaml: migration:wave.machines[1].appliance: 'asr-app-b' must be one of the"
        " foundation's appliances ['asr-app-a']" in str(refused.value)
    )


def test_a_wave_on_a_foundation_cannot_declare_what_the_foundation_owns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = wave_on("wave1", 1, azure={"vault": "another-vault"})
    _stacks(tmp_path, monkeypatch, foundation(), raw)
    with pytest.raises(pulumi.RunError) as refused:
        run_wave_on(raw, run_foundation(foundation()))
    assert "migration:wave.azure.vault: 'another-vault' is the foundation's (stacks/Pulumi.foundation.yaml)" in str(
        refused.value
    )


def test_a_wave_on_an_appliance_not_yet_registered_stops_and_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = wave_on("wave1", 2)
    raw["machines"][1]["appliance"] = "asr-app-b"
    _stacks(tmp_path, monkeypatch, foundation(), raw)
    only_a = {k: v for k, v in PASSPHRASES.items() if k.endswith("asr-app-a")}
    base = run_foundation(foundation(), only_a)
    # Staged per appliance: a is registered, b waits with its own step.
    assert [r.inputs["appliance_ip"] for r in of_type(base, REGISTRATION)] == [
        base.outputs["foundation"]["appliances"]["asr-app-a"]["privateIp"]
    ]
    assert len(base.outputs["pendingSteps"]) == 1 and "'asr-app-b'" in base.outputs["pendingSteps"][0]
    with pytest.raises(Exception, match=r"appliance\(s\) asr-app-b of this wave are not registered yet"):
        run_wave_on(raw, base)


def test_a_wave_landing_in_existing_networks_declares_none_and_uses_their_ids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spoke = dict(SPOKE_NETWORK)
    raw = wave_on("wave1", 2, azure={"existingNetwork": spoke})
    raw["machines"][0]["target"] = {"staticIp": "10.40.2.10"}
    _stacks(tmp_path, monkeypatch, foundation(), raw)
    run = run_wave_on(raw, run_foundation(foundation()), subnets=AZURE_SPOKE)
    assert of_type(run, VNET) == []
    for item in of_type(run, ITEM):
        details = item.inputs["properties"]["providerSpecificDetails"]
        assert (details["targetNetworkId"], details["targetSubnetName"]) == (spoke["id"], "snet-app")
        assert (details["testNetworkId"], details["testSubnetName"]) == (spoke["testNetworkId"], "snet-app")
    assert run.outputs["subnetIds"] == {"snet-app": f"{spoke['id']}/subnets/snet-app"}
    assert run.outputs["testNetworkId"] == spoke["testNetworkId"]
    # Its test failovers land in the given isolated network too.
    testing = {**raw, "lifecycle": {"phase": "test"}}
    _stacks(tmp_path, monkeypatch, foundation(), testing)
    tested = run_wave_on(testing, run_foundation(foundation()), subnets=AZURE_SPOKE)
    action = one(tested, "pulumi-python:dynamic/asr:WaveTestFailover")
    assert action.inputs["test_network_id"] == spoke["testNetworkId"]
    assert sorted(action.inputs["machines"]) == ["vm0000", "vm0001"]


def test_an_existing_subnet_whose_range_in_azure_differs_from_the_config_stops_the_preview(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The static IPs were judged against the stated range: a different real one must not pass unnoticed."""
    spoke = dict(SPOKE_NETWORK)
    raw = wave_on("wave1", 1, azure={"existingNetwork": spoke})
    _stacks(tmp_path, monkeypatch, foundation(), raw)
    base = run_foundation(foundation())
    elsewhere = {("rg-spoke", "vnet-spoke-apps", "snet-app"): "10.40.8.0/24"}
    with pytest.raises(Exception, match=r"azure.existingNetwork.subnets\[0\].prefix: '10.40.2.0/24' is not the range of"
                       r" subnet snet-app of .*vnet-spoke-apps in Azure \(10.40.8.0/24\)"):  # fmt: skip
        run_wave_on(raw, base, subnets=elsewhere, preview=True)
    with pytest.raises(Exception, match=r"NotFound"):
        run_wave_on(raw, base, subnets={}, preview=True)
    assert run_wave_on(raw, base, subnets=AZURE_SPOKE, preview=True).outputs["wave"] == "wave1"


def test_a_static_ip_outside_the_existing_subnet_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spoke = dict(SPOKE_NETWORK)
    raw = wave_on("wave1", 1, azure={"existingNetwork": spoke})
    raw["machines"][0]["target"] = {"staticIp": "10.40.3.10"}
    _stacks(tmp_path, monkeypatch, foundation(), raw)
    with pytest.raises(
        pulumi.RunError, match=r"staticIp: '10.40.3.10' is outside the machine's target subnet snet-app"
    ):
        run_wave_on(raw, run_foundation(foundation()))


def test_a_foundation_on_existing_networks_creates_only_the_isolated_test_mirror(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = foundation()
    raw["azure"].pop("network")
    raw["azure"]["existingNetwork"] = {k: v for k, v in SPOKE_NETWORK.items() if k != "testNetworkId"}
    _stacks(tmp_path, monkeypatch, raw)
    run = run_foundation(raw, subnets=AZURE_SPOKE)
    mirror = one(run, VNET)
    assert mirror.inputs["virtualNetworkName"] == "vnet-spoke-apps-test"
    assert mirror.inputs["addressSpace"]["addressPrefixes"] == ["10.40.0.0/16"]
    assert run.outputs["foundation"]["networkId"] == f"{SPOKE}/vnet-spoke-apps"


def test_everything_a_foundation_declares_is_protected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _stacks(tmp_path, monkeypatch, foundation())
    run = run_foundation(foundation())
    unprotected = [
        r.urn for r in run.resources if r.custom and not r.type.startswith("pulumi:providers:") and not r.protect
    ]
    assert unprotected == []


def test_an_all_in_one_wave_becomes_the_foundation_of_the_next_without_registering_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = wave()
    second = wave_on("wave2", 3, 10, foundation={"stack": "organization/migration/wave1"})
    use_stacks(
        monkeypatch,
        write_stacks(tmp_path / "stacks", {"wave1": ("migration:wave", first), "wave2": ("migration:wave", second)}),
    )
    wave1 = run_wave(first)
    wave2 = run_wave(second, {}, "wave2", references={"organization/migration/wave1": wave1})
    for typ in (VAULT, STORAGE, POLICY, INSTANCE, REGISTRATION, VNET):
        assert of_type(wave2, typ) == [], typ
    registration = one(wave1, REGISTRATION)
    for item in of_type(wave2, ITEM):
        details = item.inputs["properties"]["providerSpecificDetails"]
        assert details["processServerId"] == registration.state["process_server_id"]
        assert item.inputs["properties"]["policyId"] == one(wave1, POLICY).state["id"]
    assert wave2.outputs["vaultId"] == wave1.outputs["vaultId"]
    # The foundation's appliance serves wave1's machines first, then wave2's: the foundation is the pool's first wave.
    assert {m["name"] for m in wave2.outputs["machines"]} == {"vm0010", "vm0011", "vm0012"}


def test_foundation_outputs_of_another_version_stop_the_wave(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = wave_on("wave1", 1)
    _stacks(tmp_path, monkeypatch, foundation(), raw)
    base = run_foundation(foundation())
    newer = ProgramRun(
        base.resources,
        {**base.outputs, "foundation": {**base.outputs["foundation"], "version": 9}},
        base.secret_outputs,
    )
    with pytest.raises(
        Exception, match=f"foundation {FOUNDATION_STACK}: foundation outputs version 9(\\.0)? is not one"
    ):
        run_wave_on(raw, newer)


def test_the_foundation_is_read_from_its_stack_file_before_anything_is_declared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_stacks(monkeypatch, write_stacks(tmp_path / "stacks", {}))
    with pytest.raises(pulumi.RunError, match=r"stacks/Pulumi.foundation.yaml does not exist"):
        run_wave(wave_on("wave1", 1), {}, "wave1")


def test_appliances_that_registered_into_different_fabrics_are_named() -> None:
    from components.replication import ApplianceFabricError, one_fabric

    assert one_fabric({"asr-app-a": "fabric-1", "asr-app-b": "fabric-1"}) == "fabric-1"
    with pytest.raises(ApplianceFabricError, match=r"different fabrics of the vault \(asr-app-a: f1, asr-app-b: f2\)"):
        one_fabric({"asr-app-a": "f1", "asr-app-b": "f2"})


def test_a_replicating_machine_stays_on_its_appliance_when_the_assignment_changes() -> None:
    """Changing a machine's appliance never sends enable replication again: the item ignores its process server."""
    from components.replication import ReplicationMachine, item_options
    from components.target_vm import TargetVm

    def machine(appliance: str) -> ReplicationMachine:
        target = TargetVm("StandardSSD_LRS", "NoLicenseType", None, None, None, False, {})
        return ReplicationMachine(
            "web01", "172.31.0.4", "linux", None, "replicate", "default", False, target, appliance
        )

    parent: Any = None
    on_foundation = item_options(machine("asr-app-a"), "replicate", parent, [])
    assert on_foundation.ignore_changes == ["properties.providerSpecificDetails.processServerId"]
    assert on_foundation.protect is True
    assert item_options(machine(""), "replicate", parent, []).ignore_changes is None


def test_pinning_one_machine_moves_no_other_while_the_appliances_have_room() -> None:
    from components.appliance_pool import PoolMachine, PoolWave, assign
    from components.config import ApplianceHostConfig

    pool = [ApplianceHostConfig(name=f"asr-app-{x}", instance_type="c5.4xlarge", data_disk_gb=1024) for x in "abc"]
    machines = [PoolMachine(f"vm{n:04d}", None, None) for n in range(60)]
    before = assign(pool, [PoolWave("wave1", tuple(machines))], {}).of_wave("wave1")
    moved = next(a.name for a in pool if a.name != before["vm0007"])
    pinned = [PoolMachine("vm0007", moved, None), *(m for m in machines if m.name != "vm0007")]
    after = assign(pool, [PoolWave("wave1", tuple(pinned))], {}).of_wave("wave1")
    assert after["vm0007"] == moved
    assert {m: a for m, a in after.items() if m != "vm0007"} == {m: a for m, a in before.items() if m != "vm0007"}
    assert len(set(before.values())) == 3  # the spread uses every appliance
    # A third appliance added later takes only machines that prefer it: the others stay where they were.
    two = assign(pool[:2], [PoolWave("wave1", tuple(machines))], {}).of_wave("wave1")
    assert all(before[m] == two[m] for m in before if before[m] != "asr-app-c")


def test_the_offline_plan_of_a_foundation_on_existing_networks_answers_with_the_stated_ranges(tmp_path: Path) -> None:
    from migrate_tool.offline.plan import build_plan

    raw = foundation()
    raw["azure"].pop("network")
    raw["azure"]["existingNetwork"] = {k: v for k, v in SPOKE_NETWORK.items() if k != "testNetworkId"}
    stacks = write_stacks(tmp_path / "stacks", {"foundation": ("migration:foundation", raw)})
    plan = build_plan("foundation", stacks)
    assert plan.run.outputs["foundation"]["subnetIds"] == {"snet-app": f"{SPOKE}/vnet-spoke-apps/subnets/snet-app"}
    reader = [r for r in plan.run.resources if r.type == "pulumi:providers:azure-native"]
    assert [r.inputs.get("subscriptionId") for r in reader] == ["6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f"]
