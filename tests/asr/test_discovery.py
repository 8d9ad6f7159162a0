"""Classic discoverProtectableItem and modernized discovered-machine lookup (one resource per wave) against the
fake ARM server."""

from __future__ import annotations

import base64
from typing import Any

import dill
import pytest

from components.asr.discovered_machine import DiscoveredMachinesProvider, DiscoveryTimeoutError, pick_machine
from components.asr.jobs import AsrJobError
from components.asr.protectable_machines import ProtectableMachinesProvider
from tests.fake_arm.credential import StaticTokenCredential
from tests.fake_arm.fixtures import arm_env_fixture, fake_arm_fixture  # noqa: F401
from tests.fake_arm.server import FakeArm
from tests.provider_roundtrip import round_trip

CONTAINER = (
    "/subscriptions/c183865e-6077-46f2-a3b1-deb0f4f4650a/resourceGroups/rg-wave1/providers/Microsoft.RecoveryServices"
    "/vaults/vault1/replicationFabrics/cs-fabric/replicationProtectionContainers/cs-container"
)


@pytest.fixture(autouse=True)
def _fast_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASR_REGISTRATION_POLL_SECONDS", "0.05")


def _classic(**machine: str) -> dict[str, Any]:
    return {
        "resource_group_name": "rg-wave1",
        "vault_name": "vault1",
        "fabric_name": "cs-fabric",
        "container_name": "cs-container",
        "machines": {"web01": {"ip_address": "172.31.10.11", "os_type": "Windows", **machine}},
        "version": "2",
    }


@pytest.fixture
def classic_fabric(fake_arm: FakeArm) -> None:
    fake_arm.register_appliance("cs-fabric", "cs-container", "classic", "172.31.5.10")


def test_classic_discovery_posts_the_machine_then_reads_its_id(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, classic_fabric: None
) -> None:
    result = ProtectableMachinesProvider().create(_classic())
    [job] = fake_arm.jobs.values()
    assert [(r.method, r.path, r.body) for r in fake_arm.requests if "replicationJobs" not in r.path] == [
        ("GET", f"{CONTAINER}/replicationProtectableItems", None),
        (
            "POST",
            f"{CONTAINER}/discoverProtectableItem",
            {"properties": {"friendlyName": "web01", "ipAddress": "172.31.10.11", "osType": "Windows"}},
        ),
        ("GET", f"{CONTAINER}/replicationProtectableItems", None),
    ]
    assert ("GET", f"{CONTAINER.split('/replicationFabrics')[0]}/replicationJobs/{job.name}") in fake_arm.calls()
    assert result.outs is not None
    item_id = result.outs["protectable_item_ids"]["web01"]
    assert item_id.lower().startswith(f"/subscriptions/{CONTAINER[15:]}/replicationprotectableitems/".lower())


def test_classic_discovery_of_a_listed_machine_sends_nothing(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, classic_fabric: None
) -> None:
    fake_arm.put_resource(
        f"{CONTAINER}/replicationProtectableItems/known",
        {
            "friendlyName": "WEB01",
            "customDetails": {"instanceType": "VMwareVirtualMachine", "ipAddress": "172.31.10.11"},
        },
    )
    result = ProtectableMachinesProvider().create(_classic())
    assert fake_arm.calls(skip_reads=True) == []
    assert result.outs is not None and result.outs["protectable_item_names"] == {"web01": "known"}


def test_classic_update_discovers_only_new_machines(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, classic_fabric: None
) -> None:
    provider = ProtectableMachinesProvider()
    olds = provider.create(_classic()).outs or {}
    news = _classic()
    news["machines"]["db01"] = {"ip_address": "172.31.10.12", "os_type": "Linux"}
    before = len(fake_arm.calls(skip_reads=True))
    outs = provider.update("id", olds, news).outs or {}
    posts = fake_arm.calls(skip_reads=True)[before:]
    assert [r.body["properties"]["friendlyName"] for r in fake_arm.requests if r.method == "POST"][-1:] == ["db01"]
    assert len(posts) == 1
    assert outs["protectable_item_ids"]["web01"] == olds["protectable_item_ids"]["web01"]
    assert set(outs["protectable_item_ids"]) == {"web01", "db01"}


def test_throttled_discovery_post_is_retried(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, classic_fabric: None
) -> None:
    fake_arm.fail_next("POST", r"/discoverProtectableItem$", 429)  # no Retry-After: retried by AsrRetryPolicy
    ProtectableMachinesProvider().create(_classic())
    assert fake_arm.calls(skip_reads=True) == [("POST", f"{CONTAINER}/discoverProtectableItem")] * 2


def test_a_failed_discovery_job_surfaces_asrs_message(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, classic_fabric: None
) -> None:
    fake_arm.next_job_ends(
        "Failed",
        errors=[
            {
                "serviceErrorDetails": {
                    "code": "540011",
                    "message": "The IP address 172.31.10.11 is not reachable from the configuration server.",
                    "possibleCauses": "The machine is switched off.",
                    "recommendedAction": "Open TCP 135, 445 and 20000-20050 from the process server.",
                }
            }
        ],
    )
    with pytest.raises(AsrJobError) as raised:
        ProtectableMachinesProvider().create(_classic())
    assert "The IP address 172.31.10.11 is not reachable from the configuration server." in str(raised.value)
    assert "Open TCP 135, 445 and 20000-20050 from the process server." in str(raised.value)


def test_classic_check_and_delete(fake_arm: FakeArm, arm_env: StaticTokenCredential) -> None:
    failures = ProtectableMachinesProvider().check({}, {**_classic(os_type="windows"), "vault_name": ""}).failures
    assert sorted(f.reason for f in failures) == [
        "machines.web01.os_type: 'windows' must be one of Windows, Linux",
        "vault_name: '' must be a non-empty string",
    ]
    ProtectableMachinesProvider().delete("id", _classic())
    assert fake_arm.requests == []


def _modern(fake_arm: FakeArm, **extra: Any) -> dict[str, Any]:
    return {
        "physical_site_id": fake_arm.site_path(),
        "machines": {"orders-web01": "172.31.10.21"},
        "timeout_minutes": 1,
        "version": "2",
        **extra,
    }


def test_modernized_lookup_returns_the_machine_with_the_ip(fake_arm: FakeArm, arm_env: StaticTokenCredential) -> None:
    fake_arm.add_site_machine("gone", "172.31.10.21", "orders-web01", deleted=True)
    fake_arm.add_site_machine("other", "172.31.10.99", "orders-db01")
    wanted = fake_arm.add_site_machine("m-1", "172.31.10.21", "ip-172-31-10-21.eu-west-1.compute.internal")
    result = DiscoveredMachinesProvider().create(_modern(fake_arm))
    assert [(r.method, r.path, r.query) for r in fake_arm.requests] == [
        ("GET", f"{fake_arm.site_path()}/machines", {"api-version": "2023-06-06"})
    ]
    assert result.outs is not None and result.outs["machine_ids"] == {"orders-web01": wanted}
    assert result.outs["discovered_names"] == {"orders-web01": "ip-172-31-10-21.eu-west-1.compute.internal"}


def test_modernized_lookup_of_a_wave_lists_the_site_once_per_poll(
    fake_arm: FakeArm, arm_env: StaticTokenCredential
) -> None:
    machines = {f"vm{n}": f"172.31.11.{n}" for n in range(1, 21)}
    for name, ip in machines.items():
        fake_arm.add_site_machine(f"m-{name}", ip, name)
    result = DiscoveredMachinesProvider().create(_modern(fake_arm, machines=machines))
    assert len(fake_arm.requests) == 1
    assert result.outs is not None and sorted(result.outs["machine_ids"]) == sorted(machines)


def test_modernized_lookup_waits_then_times_out_clearly(fake_arm: FakeArm, arm_env: StaticTokenCredential) -> None:
    fake_arm.add_site_machine("other", "172.31.10.99", "orders-db01")
    with pytest.raises(DiscoveryTimeoutError) as raised:
        DiscoveredMachinesProvider().create(_modern(fake_arm, timeout_minutes=0.003))
    assert str(raised.value).startswith(
        f"orders-web01 (172.31.10.21) did not appear in the appliance's site {fake_arm.site_path()} within 0.003"
        " minutes (1 machine(s) listed, none with those IPs)."
    )
    assert len(fake_arm.requests) >= 2, "it must poll again before giving up"


def test_modernized_throttled_list_is_retried(fake_arm: FakeArm, arm_env: StaticTokenCredential) -> None:
    fake_arm.add_site_machine("m-1", "172.31.10.21", "orders-web01")
    fake_arm.fail_next("GET", r"/machines$", 503, retry_after="0")
    DiscoveredMachinesProvider().create(_modern(fake_arm))
    assert len(fake_arm.requests) == 2


def test_pick_machine_prefers_the_name_on_a_tie() -> None:
    def machine(name: str, display: str) -> dict[str, Any]:
        return {
            "id": name,
            "properties": {"displayName": display, "networkAdapters": [{"ipAddressList": ["10.0.0.4"]}]},
        }

    assert pick_machine([machine("a", "x"), machine("b", "Web01")], "10.0.0.4", "web01") == machine("b", "Web01")
    assert pick_machine([machine("a", "x")], "10.0.0.5", "web01") is None


def test_check_rejects_a_site_that_is_not_an_offazure_site(fake_arm: FakeArm) -> None:
    failures = DiscoveredMachinesProvider().check({}, _modern(fake_arm, physical_site_id="/subscriptions/s/x")).failures
    assert [f.reason for f in failures] == [
        "physical_site_id: '/subscriptions/s/x' must be a Microsoft.OffAzure site ARM id"
    ]


@pytest.mark.parametrize("provider", [ProtectableMachinesProvider(), DiscoveredMachinesProvider()])
def test_providers_round_trip_in_a_fresh_interpreter_without_secrets(
    provider: Any, fake_arm: FakeArm, arm_env: StaticTokenCredential, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "s3cr3t-discovery-client-secret"
    monkeypatch.setenv("AZURE_CLIENT_SECRET", secret)
    fake_arm.register_appliance("cs-fabric", "cs-container", "classic", "172.31.5.10")
    fake_arm.add_site_machine("m-1", "172.31.10.21", "orders-web01")
    classic = isinstance(provider, ProtectableMachinesProvider)
    props = _classic() if classic else _modern(fake_arm)
    provider.create(props)
    broken = {**props, "vault_name": ""} if classic else {**props, "physical_site_id": ""}
    lines = round_trip(provider, secret, broken)
    key = "vault_name" if classic else "physical_site_id"
    assert lines == [
        f"{type(provider).__module__} {type(provider).__name__} {{}}",
        f"[\"{key}: '' must be a non-empty string\"]",
    ]


# `serialize_provider(ProtectableMachinesProvider())` as stored in the state of a classic wave created while the
# module was `components.asr.discovery` (made with the code of commit d464122).
PICKLED_BEFORE_THE_RENAME = (
    "gASVPwAAAAAAAACMGGNvbXBvbmVudHMuYXNyLmRpc2NvdmVyeZSMG1Byb3RlY3RhYmxlTWFjaGluZXNQcm92aWRlcpSTlCmBlC4="
)


def test_a_stack_created_before_the_module_rename_still_loads_its_discovery_provider() -> None:
    """The engine unpickles the stored provider to refresh or delete the resource: the old path must resolve."""
    raw = base64.b64decode(PICKLED_BEFORE_THE_RENAME)
    assert b"components.asr.discovery" in raw and b"protectable_machines" not in raw
    provider = dill.loads(raw)
    assert type(provider) is ProtectableMachinesProvider  # the class now at components.asr.protectable_machines
    reasons = [f.reason for f in provider.check({}, {**_classic(), "vault_name": ""}).failures]
    assert reasons == ["vault_name: '' must be a non-empty string"]  # and it works as the current provider does
