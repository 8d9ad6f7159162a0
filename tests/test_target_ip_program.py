"""A machine's `target.staticIp`: validated against its subnet and the wave, and set before any failover."""

from __future__ import annotations

import pytest

from components.config import WaveConfigError, parse_wave
from tests.program import of_type, one, run_wave
from tests.waves import wave

TARGET_IP = "pulumi-python:dynamic/asr:WaveTargetIp"


def _with_ip(phase: str = "test", ip: str = "10.0.0.10", **machine: object) -> dict:
    raw = wave(lifecycle={"phase": phase, "shutdownSource": False})
    raw["machines"][1].update(target={"staticIp": ip}, **machine)
    return raw


def test_the_address_is_set_on_the_machines_item_before_its_test_failover() -> None:
    run = run_wave(_with_ip())
    ips = one(run, TARGET_IP)
    test_failover = one(run, "pulumi-python:dynamic/asr:WaveTestFailover")
    tested = test_failover.inputs["machines"]["db01"]  # the same item the test failover runs on
    assert ips.inputs["machines"] == {
        "db01": {
            "fabric_name": tested["fabric_name"],
            "container_name": tested["container_name"],
            "protected_item_name": "db01",
            "static_ip": "10.0.0.10",
            "subnet_name": "default",
        }
    }
    assert (ips.inputs["vault_name"], ips.inputs["architecture"]) == ("myVault", "modernized")
    assert ips.urn in test_failover.dependencies  # the test VM already gets the address


@pytest.mark.slow  # two whole programs
@pytest.mark.parametrize("phase", ["cutover", "complete"])
def test_once_a_machine_fails_over_its_address_is_no_longer_sent(phase: str) -> None:
    raw = _with_ip(phase, skipTestFailover="verified on the DBA team's copy")
    raw["machines"][0]["skipTestFailover"] = "verified"
    assert of_type(run_wave(raw), TARGET_IP) == []


@pytest.mark.parametrize(
    ("ip", "subnets", "expected"),
    [
        ("10.0.1.10", None, "migration:wave.machines[1].target.staticIp: '10.0.1.10' is outside the machine's target"
         " subnet default (10.0.0.0/24)"),
        ("10.0.0.3", None, "migration:wave.machines[1].target.staticIp: '10.0.0.3' is reserved by Azure in subnet"
         " default (10.0.0.0/24: the first four and the last address)"),
        ("10.0.0.255", None, "'10.0.0.255' is reserved by Azure"),
        ("10.0.2.20", [{"name": "default", "prefix": "10.0.0.0/24"}, {"name": "snet-data", "prefix": "10.0.2.0/24"}],
         None),
    ],
    ids=["outside", "first four", "broadcast", "in the machine's own subnet"],
)  # fmt: skip
def test_the_address_must_be_usable_in_the_machines_subnet(ip: str, subnets: list | None, expected: str | None) -> None:
    raw = _with_ip(ip=ip, subnet="snet-data" if subnets else None)
    if subnets:
        raw["azure"]["network"]["subnets"] = subnets
    if expected is None:
        assert parse_wave(raw).machines[1].target.static_ip == ip
        return
    with pytest.raises(WaveConfigError) as raised:
        parse_wave(raw)
    assert expected in str(raised.value)


def test_two_machines_cannot_share_an_address_and_a_wave_default_is_refused() -> None:
    raw = _with_ip()
    raw["machines"][0]["target"] = {"staticIp": "10.0.0.10"}
    raw["azure"]["targetDefaults"] = {"staticIp": "10.0.0.11"}
    with pytest.raises(WaveConfigError) as raised:
        parse_wave(raw)
    assert [p.path for p in raised.value.problems] == [
        "migration:wave.azure.targetDefaults.staticIp",
        "migration:wave.machines[1].target.staticIp",
    ]
    assert "is already machines[0]'s" in str(raised.value)
