"""`migrate.py plan-dr`: the DR project planned offline from a planned or a real wave's outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from migrate_tool.offline import dr_plan
from migrate_tool.offline import plan as wave_plan
from tests.dr.program import wave_outputs

ITEM = "azure-native:recoveryservices:ReplicationProtectedItem"


@pytest.mark.slow  # plans the whole wave first, about 5 s
def test_a_planned_wave_feeds_the_dr_plan_which_protects_nothing_until_machines_are_ready(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert wave_plan.main("wave1", tmp_path / "wave1") == 0
    capsys.readouterr()
    assert dr_plan.main("wave1-dr", tmp_path / "wave1" / "plan.json", tmp_path / "dr") == 0
    printed = capsys.readouterr().out
    document = json.loads((tmp_path / "dr" / "plan.json").read_text())
    planned_machines = [
        m["name"] for m in json.loads((tmp_path / "wave1" / "plan.json").read_text())["outputs"]["machines"]
    ]
    assert document["outputs"]["protectedMachines"] == []
    assert document["outputs"]["notReadyMachines"] == planned_machines and planned_machines
    assert not [r for r in document["resources"] if r["type"] == ITEM]
    assert "outputs from the wave's offline plan" in printed and "no machine of the wave is DR-ready yet" in printed
    assert printed.rstrip().endswith("OFFLINE PLAN: nothing was created.")


def test_a_real_waves_stack_outputs_protect_its_ready_machines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = tmp_path / "wave1.json"  # what `pulumi stack output --json --show-secrets` writes
    outputs.write_text(json.dumps(wave_outputs({"web01": 1}, not_ready=("db01",))))
    assert dr_plan.main("wave1-dr", outputs, tmp_path / "dr") == 0
    document = json.loads((tmp_path / "dr" / "plan.json").read_text())
    assert (document["outputs"]["protectedMachines"], document["outputs"]["notReadyMachines"]) == (["web01"], ["db01"])
    [item] = [r for r in document["resources"] if r["type"] == ITEM]
    disks = item["inputs"]["properties"]["providerSpecificDetails"]["vmManagedDisks"]
    assert [d["diskId"].rsplit("/", 1)[-1] for d in disks] == ["web01-osdisk", "web01-data0"]
    assert "outputs from the wave's stack outputs" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no wave outputs at"),
        ("{not json", "not valid JSON"),
        (json.dumps(wave_outputs({"web01": 0}, version=1)), "outputsVersion 1 is not supported"),
    ],
    ids=["missing", "not JSON", "old contract"],
)
def test_unusable_wave_outputs_stop_the_dr_plan_with_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, expected: str
) -> None:
    outputs = tmp_path / "wave1.json"
    if content is not None:
        outputs.write_text(content)
    assert dr_plan.main("wave1-dr", outputs, tmp_path / "dr") == 1
    error = capsys.readouterr().err
    assert expected in error and error.rstrip().endswith("Nothing was planned.")
    assert not (tmp_path / "dr").exists()
