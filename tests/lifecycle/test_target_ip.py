"""`WaveTargetIp`: each replica's static IP set on the item's primary adapter, against the fake ARM server."""

from __future__ import annotations

from typing import Any

import pytest

from components.asr.target_ip import TargetIpAction, WaveTargetIpProvider
from tests.fake_arm.credential import StaticTokenCredential
from tests.fake_arm.server import FakeArm
from tests.lifecycle.test_actions import CONTAINER, FABRIC, _props, create

CLASSIC_NIC = {"nicId": "web01-nic0", "ipConfigs": [{"name": "ipconfig1", "isPrimary": True}]}


def _item(
    fake: FakeArm, architecture: str = "modernized", nics: list[dict[str, Any]] | None = None, **extra: Any
) -> str:
    details: dict[str, Any] = (
        {"instanceType": "InMageRcm", "vmNics": [{"nicId": "web01-nic0", "isPrimaryNic": "true"}]}
        if architecture == "modernized"
        else {"instanceType": "InMageAzureV2", "vmNics": [CLASSIC_NIC]}
    )
    if nics is not None:
        details["vmNics"] = nics
    fake.add_protected_item(FABRIC, CONTAINER, "web01", providerSpecificDetails=details, **extra)
    return fake.item_path(FABRIC, CONTAINER, "web01")


def _ip_props(architecture: str = "modernized") -> dict[str, Any]:
    return _props(architecture=architecture, static_ip="10.0.1.10", subnet_name="snet-web")


def _patches(fake: FakeArm) -> list[Any]:
    return [r.body for r in fake.requests if r.method == "PATCH"]


def test_modernized_sets_the_primary_adapters_target_and_test_address_as_a_job(
    fake_arm: FakeArm, arm_env: StaticTokenCredential
) -> None:
    path = _item(fake_arm)
    record = create(TargetIpAction(), _ip_props())
    assert _patches(fake_arm) == [
        {
            "properties": {
                "providerSpecificDetails": {
                    "instanceType": "InMageRcm",
                    "vmNics": [{"nicId": "web01-nic0", "isPrimaryNic": "true", "targetSubnetName": "snet-web",
                                "targetStaticIPAddress": "10.0.1.10", "testSubnetName": "snet-web",
                                "testStaticIPAddress": "10.0.1.10"}],
                }
            }
        }
    ]  # fmt: skip
    assert (record["result"], record["static_ip"], record["previous_ip"]) == ("Succeeded", "10.0.1.10", None)
    [job] = fake_arm.jobs.values()
    assert (job.scenario, record["job_name"]) == ("UpdateVmProperties", job.name)
    nic = fake_arm.resource(path)["properties"]["providerSpecificDetails"]["vmNics"][0]  # type: ignore[index]
    assert nic["targetIPAddress"] == "10.0.1.10"


def test_classic_sets_the_primary_ip_configuration_and_a_rerun_sends_nothing(
    fake_arm: FakeArm, arm_env: StaticTokenCredential
) -> None:
    _item(fake_arm, "classic")
    assert create(TargetIpAction(), _ip_props("classic"))["result"] == "Succeeded"
    [patch] = _patches(fake_arm)
    assert patch["properties"]["vmNics"] == [
        {"nicId": "web01-nic0", "selectionType": "SelectedByUser",
         "ipConfigs": [{"ipConfigName": "ipconfig1", "isPrimary": True, "recoverySubnetName": "snet-web",
                        "recoveryStaticIPAddress": "10.0.1.10", "tfoSubnetName": "snet-web",
                        "tfoStaticIPAddress": "10.0.1.10"}]}
    ]  # fmt: skip
    assert create(TargetIpAction(), _ip_props("classic"))["result"] == "AlreadyDone"
    assert len(_patches(fake_arm)) == 1


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        ({"nics": []}, "ASR shows no network adapter on item web01 yet"),
        ({"activeLocation": "Recovery"}, "the machine has failed over"),
    ],
    ids=["no adapter yet", "failed over"],
)
def test_an_item_that_cannot_take_the_address_is_refused_and_nothing_is_sent(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, item: dict[str, Any], reason: str
) -> None:
    _item(fake_arm, **item)
    outs = WaveTargetIpProvider().create(
        {**_ip_props(), "machines": {"web01": {"fabric_name": FABRIC, "container_name": CONTAINER,
                                               "protected_item_name": "web01", "static_ip": "10.0.1.10",
                                               "subnet_name": "snet-web"}}}
    ).outs  # fmt: skip
    assert outs is not None
    results = outs["results"]
    assert results["web01"]["result"] == "Refused" and reason in results["web01"]["error"]
    assert _patches(fake_arm) == []


def test_check_names_the_machine_whose_address_is_missing() -> None:
    news = {**_ip_props(), "machines": {"web01": {"fabric_name": FABRIC, "container_name": CONTAINER,
                                                  "protected_item_name": "web01", "subnet_name": "snet-web"}}}  # fmt: skip
    failures = WaveTargetIpProvider().check({}, news).failures
    assert [f.reason for f in failures] == ["machines.web01.static_ip: None must be a non-empty string"]
