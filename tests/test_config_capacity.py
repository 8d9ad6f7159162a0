"""The appliance is sized for the wave and refused when over its rating; disks within ASR's subscription limit."""

from __future__ import annotations

import pytest

from components import limits
from components.config import WaveConfigError, parse_wave
from tests.waves import wave


def problems(raw: dict) -> list[str]:
    with pytest.raises(WaveConfigError) as refused:
        parse_wave(raw)
    return [str(p) for p in refused.value.problems]


@pytest.mark.parametrize(
    ("machines", "churn", "size"),
    [
        (6, None, ("c5.2xlarge", 620)),
        (99, 5, ("c5.2xlarge", 620)),  # 495 GB a day: the smallest row
        (100, None, ("c5.4xlarge", 620)),  # 100-150 machines: 12 vCPU, 18 GB, a 600 GB cache
        (60, 10, ("c5.4xlarge", 620)),  # 600 GB a day
        (151, None, ("c5.4xlarge", 1024)),  # 151-200 machines: 16 vCPU, 32 GB, a 1 TB cache
        (200, 9, ("c5.4xlarge", 1024)),
    ],
)
def test_the_default_host_is_sized_for_the_waves_machines_and_churn(
    machines: int, churn: float | None, size: tuple[str, int]
) -> None:
    raw = wave(machines=machines)
    if churn is not None:
        raw["aws"]["expectedChurnGbPerDay"] = churn
    host = parse_wave(raw).appliance_host
    assert (host.instance_type, host.data_disk_gb) == size


def test_250_machines_on_one_appliance_are_refused_with_the_sizing_tables_numbers() -> None:
    [problem] = problems(wave(machines=250))
    assert problem.startswith(
        "migration:wave.machines: '250 machines and 0 GB of churn a day' is more than one replica"
    )
    assert "at most 200 machines and 2,000 GB a day" in problem
    assert "replication-appliance-support-matrix" in problem and "read 2026-12-06" in problem


def test_churn_past_2_tb_a_day_is_refused_however_few_the_machines() -> None:
    raw = wave(machines=10)
    raw["machines"][0]["expectedChurnGbPerDay"] = 2500  # one machine's own figure, over the wave default
    raw["aws"]["expectedChurnGbPerDay"] = 1
    [problem] = problems(raw)
    assert "'10 machines and 2,509 GB of churn a day' is more than one replication appliance serves" in problem


def test_a_host_smaller_than_the_wave_needs_names_what_it_is_rated_for_and_what_is_needed() -> None:
    raw = wave(machines=120)
    raw["aws"]["applianceHost"].update(instanceType="c5.2xlarge", dataDiskGb=620)
    [problem] = problems(raw)
    assert problem.startswith("migration:wave.aws.applianceHost.instanceType: 'c5.2xlarge' with a 620 GB data disk is")
    assert "rated for up to 99 machines and 500 GB a day" in problem
    assert "needs at least 12 vCPU, 18 GiB and a 600 GB cache disk" in problem


def test_a_large_enough_host_given_by_hand_is_kept() -> None:
    raw = wave(machines=180)
    raw["aws"]["applianceHost"].update(instanceType="m5.4xlarge", dataDiskGb=2048)
    host = parse_wave(raw).appliance_host
    assert (host.instance_type, host.data_disk_gb) == ("m5.4xlarge", 2048)


def test_retired_machines_do_not_load_the_appliance() -> None:
    raw = wave(machines=210)
    for machine in raw["machines"][:10]:
        machine["retire"] = True
    assert parse_wave(raw).appliance_host.data_disk_gb == 1024


def test_more_than_3000_protected_disks_are_refused_with_the_limits_source() -> None:
    raw = wave(machines=47)
    for machine in raw["machines"]:
        machine["disks"] = 65
    [problem] = problems(raw)
    assert problem == (
        f"migration:wave.machines: '3055 disks' is more than ASR protects in one subscription"
        f" ({limits.PROTECTED_DISKS_PER_SUBSCRIPTION.cite()}); waves replicating into the same subscription share"
        " the limit"
    )


def test_a_machine_of_more_than_64_data_disks_is_refused() -> None:
    raw = wave()
    raw["machines"][0]["disks"] = 66
    [problem] = problems(raw)
    assert problem.startswith("migration:wave.machines[0].disks: 66 must be 1 (the OS disk) to 65, with at most data")
