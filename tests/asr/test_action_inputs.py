"""`ActionInputs` and `MachineEntry`: what the program declares is what a provider reads back, and the providers'
checks follow the fields."""

from __future__ import annotations

from components.asr.action_inputs import ActionInputs, MachineEntry
from components.asr.plan_actions import PlanFailoverProvider
from components.asr.wave_actions import WaveTestFailoverCleanupProvider

WAVE = ActionInputs(
    resource_group_name="rg-wave1",
    vault_name="vault1",
    architecture="modernized",
    shutdown_source=True,
    aws_region="eu-west-1",
    max_concurrency=4,
    machines={"web01": MachineEntry("fabric1", "container1", "web01", instance_id="i-0123456789abcdef0")},
)


def test_to_props_leaves_unset_fields_out_and_from_props_reads_them_back() -> None:
    props = WAVE.to_props()
    assert props == {
        "resource_group_name": "rg-wave1", "vault_name": "vault1", "architecture": "modernized",
        "shutdown_source": True, "aws_region": "eu-west-1", "max_concurrency": 4,
        "machines": {"web01": {"fabric_name": "fabric1", "container_name": "container1",
                               "protected_item_name": "web01", "instance_id": "i-0123456789abcdef0"}},
    }  # fmt: skip
    assert ActionInputs.from_props({**props, "version": "2", "results": {}}) == WAVE
    plan = ActionInputs(
        "rg-wave1", "vault1", "classic", recovery_plan_name="rp1",
        machines=[MachineEntry("fabric1", "container1", "db01", machine_name="db01")],
    )  # fmt: skip
    assert plan.to_props()["machines"] == [
        {
            "machine_name": "db01",
            "fabric_name": "fabric1",
            "container_name": "container1",
            "protected_item_name": "db01",
        }
    ]
    assert ActionInputs.from_props(plan.to_props()) == plan


def test_a_wave_and_a_plan_provider_check_the_entries_the_fields_require() -> None:
    wave = WAVE.to_props()
    del wave["machines"]["web01"]["container_name"]
    reasons = [f.reason for f in WaveTestFailoverCleanupProvider().check({}, wave).failures]
    assert reasons == ["machines.web01.container_name: None must be a non-empty string"]
    plan = {**WAVE.to_props(), "recovery_plan_name": "rp1", "machines": [{"machine_name": "web01", "fabric_name": "f"}]}
    reasons = [f.reason for f in PlanFailoverProvider().check({}, plan).failures]
    assert reasons == [
        "machines[0].container_name: None must be a non-empty string",
        "machines[0].protected_item_name: None must be a non-empty string",
        "machines[0].instance_id: None must be a non-empty string",  # shutdown_source: the failover stops it first
    ]
