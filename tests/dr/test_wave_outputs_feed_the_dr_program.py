"""The outputs contract end to end: a wave planned by the real program, its outputs fed to the real DR program."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.runtime import mocks as pulumi_mocks

from migrate_tool.offline.engine import PlanMocks, RecordingMonitor
from tests.dr.program import disk_id, run_dr, vm_id
from tests.dr.test_dr_program import DR_CONFIG, ITEM
from tests.program import run_wave
from tests.waves import wave


class PreparedMocks(PlanMocks):
    """The offline answers, plus a post-migration prep that succeeded (what a real `up` at `complete` records)."""

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        resource_id, state = super().new_resource(args)
        if args.typ.endswith("WavePostMigrationPrep"):
            state["results"] = {
                name: {
                    "vm_resource_id": vm_id(name),
                    "managed_disk_ids": [disk_id(f"{name}-osdisk"), disk_id(f"{name}-data0")],
                    "agent": {"status": "ok"},
                    "mobility_service": {"status": "removed"},
                    "restart": {"status": "restarted"},
                    "dr_ready": True,
                }
                for name in args.inputs["machines"]
            }
        return resource_id, state


@pytest.mark.slow  # two whole programs, about 10 s
def test_a_planned_waves_outputs_are_what_the_dr_program_reads() -> None:
    raw = wave(lifecycle={"phase": "cutover"})
    raw["machines"][1].update(phase="complete", skipTestFailover="database verified by the DBA team")
    outputs = run_wave(raw, monitor=RecordingMonitor(PreparedMocks())).outputs
    [db] = [m for m in outputs["machines"] if m["name"] == "db01"]
    assert db["drReady"] and db["vmResourceId"] and db["protectedItemId"] is None  # migrated, prepared, item gone

    dr, _mocks = run_dr({**DR_CONFIG, "primaryLocation": outputs["location"]}, outputs)
    assert dr.outputs["protectedMachines"] == ["db01"]
    assert dr.outputs["notReadyMachines"] == ["web01"]
    [item] = [r for r in dr.resources if r.type == ITEM]
    a2a = item.inputs["properties"]["providerSpecificDetails"]
    assert a2a["fabricObjectId"] == db["vmResourceId"]
    assert [d["diskId"] for d in a2a["vmManagedDisks"]] == db["managedDiskIds"]
