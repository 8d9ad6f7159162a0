"""ApplianceRegistration against the fake ARM server: waiting, matching by IP, timeouts, throttling, pickling."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from pulumi.output import Unknown

from components.asr.arm import AsrSettingsError
from components.asr.registration import (
    ApplianceRegistrationProvider,
    RegistrationTimeoutError,
    find_registration,
    wait_for_registration,
)
from tests.fake_arm.credential import StaticTokenCredential
from tests.fake_arm.fixtures import arm_env_fixture, fake_arm_fixture  # noqa: F401
from tests.fake_arm.server import FakeArm
from tests.provider_roundtrip import round_trip

IP = "172.31.5.10"
FABRICS = "/subscriptions/c183865e-6077-46f2-a3b1-deb0f4f4650a/resourceGroups/rg-wave1/providers/Microsoft.RecoveryServices/vaults/vault1/replicationFabrics"


def _props(architecture: str = "modernized", **extra: Any) -> dict[str, Any]:
    return {
        "resource_group_name": "rg-wave1",
        "vault_name": "vault1",
        "architecture": architecture,
        "appliance_ip": IP,
        "timeout_minutes": 1,
        "version": "1",
        **extra,
    }


@pytest.fixture(autouse=True)
def _fast_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASR_REGISTRATION_POLL_SECONDS", "0.05")


def test_modernized_registration_outputs_the_appliances_fabric(
    fake_arm: FakeArm, arm_env: StaticTokenCredential
) -> None:
    fake_arm.register_appliance("other-fabric", "other-container", "modernized", "172.31.99.99", site="other")
    fake_arm.register_appliance("fabric1", "container1", "modernized", IP)
    result = ApplianceRegistrationProvider().create(_props())
    assert result.outs is not None
    assert {k: result.outs[k] for k in ("fabric_name", "container_name", "process_server_id", "master_target_id")} == {
        "fabric_name": "fabric1",
        "container_name": "container1",
        "process_server_id": "ps-fabric1",
        "master_target_id": "",
    }
    assert result.outs["run_as_account_ids"] == []
    assert result.outs["physical_site_id"] == fake_arm.site_path()
    assert (
        result.id
        == "/Subscriptions/c183865e-6077-46f2-a3b1-deb0f4f4650a/resourceGroups/rg-wave1/providers/Microsoft.RecoveryServices/vaults/vault1/replicationFabrics/fabric1"
    )
    # Only reads: the fabric is never created by a PUT.
    assert fake_arm.calls(skip_reads=True) == []
    assert ("GET", f"{FABRICS}/fabric1/replicationProtectionContainers") in fake_arm.calls()


def test_classic_registration_outputs_process_server_master_target_and_run_as_accounts(
    fake_arm: FakeArm, arm_env: StaticTokenCredential
) -> None:
    fake_arm.register_appliance("cs-fabric", "cs-container", "classic", IP)
    result = ApplianceRegistrationProvider().create(_props("classic"))
    assert result.outs is not None
    assert (result.outs["fabric_name"], result.outs["process_server_id"], result.outs["master_target_id"]) == (
        "cs-fabric",
        "ps-cs-fabric",
        "mt-cs-fabric",
    )
    assert result.outs["run_as_account_ids"] == ["1"]
    assert result.outs["physical_site_id"] == ""


def test_waits_with_progress_until_the_appliance_registers(fake_arm: FakeArm, arm_env: StaticTokenCredential) -> None:
    messages: list[str] = []
    timer = threading.Timer(0.3, fake_arm.register_appliance, ("fabric1", "container1", "modernized", IP))
    timer.start()
    try:
        outs = wait_for_registration(_props(), progress=messages.append)
    finally:
        timer.cancel()
    assert outs["fabric_name"] == "fabric1"
    assert messages, "no progress while waiting"
    assert messages[0].startswith(
        f"waiting for {IP} to register with vault vault1: no InMageRcm fabric is registered in the vault yet"
    )
    assert messages[0].endswith("of 1 minutes)")
    fabric_lists = [c for c in fake_arm.calls() if c == ("GET", FABRICS)]
    assert len(fabric_lists) == len(messages) + 1


def test_a_registration_that_never_arrives_times_out_saying_what_is_missing_and_where_to_look(
    fake_arm: FakeArm, arm_env: StaticTokenCredential
) -> None:
    fake_arm.register_appliance("someone-elses", "c", "modernized", "10.9.9.9")
    with pytest.raises(RegistrationTimeoutError) as raised:
        wait_for_registration(_props(timeout_minutes=0.005), progress=lambda _m: None)
    message = str(raised.value)
    assert message.startswith(
        f"The replication appliance {IP} did not register with vault vault1 (resource group rg-wave1) within 0.005"
        f" minutes: InMageRcm fabric(s) someone-elses are registered, but none has a process server with IP {IP}."
    )
    assert "replication appliance configuration manager" in message
    assert "azure.registrationTimeoutMinutes" in message


def test_classic_timeout_points_at_the_configuration_server(fake_arm: FakeArm, arm_env: StaticTokenCredential) -> None:
    with pytest.raises(RegistrationTimeoutError) as raised:
        wait_for_registration(_props("classic", timeout_minutes=0.002), progress=lambda _m: None)
    assert f"The configuration server {IP} did not register" in str(raised.value)
    assert "no VMware fabric is registered in the vault yet (fabric types seen: none)" in str(raised.value)
    assert "cspsconfigtool.exe" in str(raised.value)


def test_throttled_fabric_list_is_retried(fake_arm: FakeArm, arm_env: StaticTokenCredential) -> None:
    fake_arm.register_appliance("fabric1", "container1", "modernized", IP)
    fake_arm.fail_next("GET", r"/replicationFabrics$", 429, times=2)
    result = ApplianceRegistrationProvider().create(_props())
    assert result.outs is not None and result.outs["fabric_name"] == "fabric1"
    assert [c for c in fake_arm.calls() if c == ("GET", FABRICS)] == [("GET", FABRICS)] * 3


def test_a_persistent_failure_is_surfaced_with_the_services_message(
    fake_arm: FakeArm, arm_env: StaticTokenCredential
) -> None:
    fake_arm.fail_next("GET", r"/replicationFabrics$", 500, times=10)
    with pytest.raises(HttpResponseError, match="injected 500"):
        ApplianceRegistrationProvider().create(_props())


def test_a_bad_poll_interval_names_the_variable(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASR_REGISTRATION_POLL_SECONDS", "soon")
    with pytest.raises(AsrSettingsError, match="ASR_REGISTRATION_POLL_SECONDS: 'soon' must be a positive number"):
        ApplianceRegistrationProvider().create(_props())


def test_fabric_present_without_container_is_reported() -> None:
    fabric = {
        "name": "f1",
        "properties": {
            "customDetails": {"instanceType": "InMageRcm", "processServers": [{"id": "p", "ipAddresses": [IP]}]}
        },
    }
    registration, missing = find_registration([fabric], lambda _name: [], "modernized", IP)
    assert registration is None
    assert missing == f"fabric f1 has the appliance {IP} but no protection container yet"


def test_read_refreshes_without_waiting_and_delete_sends_nothing(
    fake_arm: FakeArm, arm_env: StaticTokenCredential
) -> None:
    provider = ApplianceRegistrationProvider()
    stale = {**_props(), "fabric_name": "old"}
    assert provider.read("id", stale).outs == stale  # nothing registered: keep the last outputs
    fake_arm.register_appliance("fabric1", "container1", "modernized", IP)
    refreshed = provider.read("id", stale).outs
    assert refreshed is not None and refreshed["fabric_name"] == "fabric1"
    fake_arm.requests.clear()
    provider.delete("id", refreshed)
    assert fake_arm.requests == []


@pytest.mark.parametrize(
    ("change", "changes", "replaces"),
    [
        ({"timeout_minutes": 120}, False, []),  # waiting longer changes nothing once registered
        ({"appliance_ip": "10.0.0.9"}, True, ["appliance_ip"]),
        ({"architecture": "classic"}, True, ["architecture"]),
        ({"appliance_ip": Unknown()}, True, []),  # preview: not known yet is never a replacement
        ({"version": "2"}, True, []),
    ],
)
def test_diff(change: dict[str, Any], changes: bool, replaces: list[str]) -> None:
    result = ApplianceRegistrationProvider().diff("id", _props(), {**_props(), **change})
    assert (result.changes, result.replaces) == (changes, replaces)


def test_check_names_field_value_and_rule() -> None:
    failures = (
        ApplianceRegistrationProvider().check({}, {**_props(), "appliance_ip": "", "timeout_minutes": 0}).failures
    )
    assert sorted(f.reason for f in failures) == [
        "appliance_ip: '' must be a non-empty string",
        "timeout_minutes: 0 must be a positive number",
    ]


def test_provider_round_trips_in_a_fresh_interpreter_without_secrets(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "s3cr3t-registration-client-secret"
    monkeypatch.setenv("AZURE_CLIENT_SECRET", secret)
    provider = ApplianceRegistrationProvider()
    fake_arm.register_appliance("fabric1", "container1", "modernized", IP)
    provider.create(_props())  # clients and tokens were in use in this process
    lines = round_trip(provider, secret, {**_props(), "architecture": "x"})
    assert lines == [
        "components.asr.registration ApplianceRegistrationProvider {}",
        "[\"architecture: 'x' must be one of modernized, classic\"]",
    ]
