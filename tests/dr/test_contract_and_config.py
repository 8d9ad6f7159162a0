"""The outputs contract v2, the region pairs (and their agreement with the policy pack), the DR config."""

from __future__ import annotations

from typing import Any

import pytest

from a2a.config import DrConfigError, parse_dr, resolve
from components.azure_pairs import paired_region
from components.contract import OUTPUTS_VERSION, READ_KEYS, ContractError, machine_entry, read_wave_outputs
from tests.dr.program import WAVE_STACK, disk_id, vm_id, wave_outputs

NETWORK = {"addressSpace": ["10.120.0.0/16"], "subnetPrefix": "10.120.1.0/24"}


def test_machine_entry_before_preparation_is_not_dr_ready() -> None:
    entry = machine_entry(name="web01", instance_id="i-1", private_ip="172.31.0.4", os="linux", vm_size="Standard_B2s")
    assert entry == {
        "name": "web01", "instanceId": "i-1", "privateIp": "172.31.0.4", "os": "linux", "vmSize": "Standard_B2s",
        "sourceType": "physical", "vmResourceId": None, "managedDiskIds": [], "preparation": None, "drReady": False,
    }  # fmt: skip
    assert OUTPUTS_VERSION == 2


def test_read_wave_outputs_picks_ready_machines_and_accepts_engine_floats() -> None:
    outputs = {**wave_outputs({"web01": 1}, ("api01",)), "outputsVersion": 2.0}
    wave = read_wave_outputs(outputs, WAVE_STACK)
    assert [m.name for m in wave.ready] == ["web01"] and wave.not_ready == ("api01",)
    assert wave.ready[0].managed_disk_ids == (disk_id("web01-osdisk"), disk_id("web01-data0"))
    assert wave.ready[0].resource_group_name == "rg-migration-wave1-weu"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"outputsVersion": None}, "wave stack acme/migration/wave1: outputsVersion is missing"),
        ({"outputsVersion": 3}, "outputsVersion 3 is not supported; this DR stack reads contract version(s) 2"),
        ({"outputsVersion": "2"}, "outputsVersion '2' is not supported"),
        ({"networkId": ""}, "networkId: '' must be a non-empty string"),
        ({"machines": "web01"}, "machines: 'web01' must be a list of machine entries"),
    ],
)
def test_read_wave_outputs_refuses_clearly(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ContractError) as raised:
        read_wave_outputs({**wave_outputs({"web01": 0}), **change}, WAVE_STACK)
    assert message in str(raised.value)


def test_ready_machine_needs_a_vm_id_and_disks() -> None:
    outputs = wave_outputs({"web01": 0})
    outputs["machines"][0]["vmResourceId"] = vm_id("web01").replace("virtualMachines", "disks")
    with pytest.raises(
        ContractError, match=r"machines\[0\] \(web01\)\.vmResourceId: .* must be the ARM id of a virtual"
    ):
        read_wave_outputs(outputs, WAVE_STACK)
    outputs = wave_outputs({"web01": 0})
    outputs["machines"][0]["managedDiskIds"] = []
    with pytest.raises(ContractError, match=r"machines\[0\] \(web01\)\.managedDiskIds: \[\] must list"):
        read_wave_outputs(outputs, WAVE_STACK)


def test_dr_config_errors_name_field_value_and_rule() -> None:
    with pytest.raises(DrConfigError) as raised:
        parse_dr({"waveStack": "acme/migration/wave1", "location": "mars", "vaultName": "1-bad",
                  "network": {"addressSpace": ["10.120.0.1/16"], "subnetPrefix": "10.120.1.0/24"}, "extra": 1})  # fmt: skip
    lines = str(raised.value).splitlines()
    assert any(line.startswith("migration:dr.location: 'mars' ") for line in lines), lines
    assert any(line.startswith("migration:dr.vaultName: '1-bad' ") for line in lines), lines
    assert any(line.startswith("migration:dr.network.addressSpace[0]: '10.120.0.1/16' must be an IPv4 CIDR")
               for line in lines), lines  # fmt: skip
    assert "migration:dr.extra: (value not shown) is not a known setting" in lines
    with pytest.raises(DrConfigError, match=r"^migration:dr.waveStack: \(missing\) is required$"):
        parse_dr({"network": NETWORK})


def test_resolve_defaults_and_refusals() -> None:
    config = parse_dr({"waveStack": WAVE_STACK, "network": NETWORK})
    plan = resolve(config, "wave1", "West Europe")
    assert (plan.primary_location, plan.location, plan.resource_group_name, plan.vault_name) == (
        "westeurope", "northeurope", "rg-wave1-dr-northeurope", "rsv-wave1-dr-northeurope",
    )  # fmt: skip
    with pytest.raises(DrConfigError, match="'italynorth' has no Azure paired region to default to"):
        resolve(config, "wave1", "italynorth")
    same = parse_dr({"waveStack": WAVE_STACK, "network": NETWORK, "location": "westeurope"})
    with pytest.raises(
        DrConfigError, match=r"migration:dr\.location: 'westeurope' must differ from the primary region"
    ):
        resolve(same, "wave1", "westeurope")


def test_paired_region_reads_any_spelling_one_way_pairs_and_unpaired_regions() -> None:
    assert paired_region("West Europe") == "northeurope"
    assert paired_region("westus3") == "eastus" and paired_region("eastus") == "westus"
    assert paired_region("italynorth") is None


def test_the_dr_stack_fetches_exactly_the_keys_the_contract_reader_needs() -> None:
    """dr/__main__.py fetches `READ_KEYS` through its StackReference: enough for the reader, none to spare."""
    full = wave_outputs({"web01": 1})
    assert read_wave_outputs({k: full[k] for k in READ_KEYS}, WAVE_STACK).ready[0].name == "web01"
    for key in READ_KEYS:
        with pytest.raises(ContractError):
            read_wave_outputs({k: full[k] for k in READ_KEYS if k != key}, WAVE_STACK)


def test_a_region_reserved_for_in_country_dr_needs_the_allow_listing_said() -> None:
    """Issue 25: Germany West Central's pair, Germany North, takes A2A replication only once Microsoft allow-lists
    both subscriptions; the default must not walk into it silently."""
    config = parse_dr({"waveStack": WAVE_STACK, "network": NETWORK})
    with pytest.raises(DrConfigError) as refused:
        resolve(config, "wave1", "germanywestcentral")
    [problem] = [str(p) for p in refused.value.problems]
    assert problem.startswith("migration:dr.location: 'germanynorth' is reserved for in-country disaster recovery of")
    assert "azure-to-azure-support-matrix" in problem and "(it is the default: the primary region's pair)" in problem
    allowed = parse_dr({"waveStack": WAVE_STACK, "network": NETWORK, "restrictedRegionsAllowlisted": True})
    assert resolve(allowed, "wave1", "germanywestcentral").location == "germanynorth"
    assert resolve(config, "wave1", "westeurope").location == "northeurope"  # an open pair needs nothing


@pytest.mark.parametrize(("minutes", "ok"), [(0, True), (1, False), (59, False), (60, True), (720, True)])
def test_app_consistent_points_are_off_or_at_least_an_hour_apart(minutes: int, ok: bool) -> None:
    raw = {"waveStack": WAVE_STACK, "network": NETWORK, "replicationPolicy": {"appConsistentFrequencyMinutes": minutes}}
    if ok:
        assert parse_dr(raw).replication_policy.app_consistent_frequency_minutes == minutes
        return
    with pytest.raises(DrConfigError, match=r"appConsistentFrequencyMinutes: \d+ must be 0 \(off\) or at least 60"):
        parse_dr(raw)
