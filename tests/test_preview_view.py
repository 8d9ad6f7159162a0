"""The offline plan reads like `pulumi preview`: Pulumi's symbols, dependency order by component, folded values."""

from __future__ import annotations

import re

import pytest

from migrate_tool.offline import preview_view
from migrate_tool.offline.engine import PlannedResource
from migrate_tool.offline.plan import Plan, build_plan, key_properties


@pytest.fixture(scope="module")
def wave1() -> Plan:
    return build_plan("wave1", None, None)


def _names_in_table(table: str) -> list[str]:
    return [line.split()[-2] for line in table.splitlines()[1:]]


def test_every_row_is_a_create_with_pulumis_symbol_and_word(wave1: Plan) -> None:
    table = preview_view.render_table(wave1.run.resources, "migration", "wave1")
    rows = table.splitlines()
    assert rows[0].split() == ["Type", "Name", "Plan"]
    assert rows[1].split() == ["+", "pulumi:pulumi:Stack", "migration-wave1", "create"]
    assert len(rows) == len(wave1.run.resources) + 2
    assert all(row.startswith(" +   ") and row.rstrip().endswith(" create") for row in rows[1:])


def test_resources_come_after_what_they_depend_on_grouped_by_component(wave1: Plan) -> None:
    rows = [r for r, _depth, _last in preview_view.grouped(wave1.run.resources)]
    names = _names_in_table(preview_view.render_table(wave1.run.resources, "migration", "wave1"))
    assert names[1:] == [r.name for r in rows]
    position = {r.urn: i for i, r in enumerate(rows)}
    for resource in rows:
        for dependency in resource.dependencies:
            if dependency in position:
                assert position[dependency] < position[resource.urn], (dependency, resource.urn)
    at = {r.name: i for i, r in enumerate(rows)}
    # The landing zone and the vault before replication, replication before the lifecycle; the AWS provider
    # before anything it creates.
    assert at["wave1-lz"] < at["wave1-rsv"] < at["wave1-replication"] < at["wave1-lifecycle"]
    assert at["wave1-aws"] < at["wave1-appliance-sg"]
    # Grouped: a component's resources follow it without another component's in between.
    for component in ("wave1-lz", "wave1-rsv", "wave1-replication", "wave1-appliance", "wave1-lifecycle"):
        inside = {next(r.urn for r in wave1.run.resources if r.name == component)}
        for resource in rows:  # a parent comes before its children, so one pass finds every descendant
            if resource.parent_urn in inside:
                inside.add(resource.urn)
        members = [at[r.name] for r in wave1.run.resources if r.urn in inside and r.name != component]
        assert sorted(members) == list(range(at[component] + 1, at[component] + 1 + len(members))), component


def test_long_values_and_large_maps_are_folded_and_ids_shown_whole(wave1: Plan) -> None:
    details = preview_view.render_details(wave1.run.resources, key_properties)
    assert max(len(line) for line in details.splitlines()) < 320
    assert re.search(r"machines: \{6 entries: [a-z0-9-]+(, [a-z0-9-]+){3}, …\}", details)
    assert "/virtualNetworks/vnet-migration-wave1-weu-test\n" in details  # an ARM id keeps the name at its end
    folded = preview_view.fold("x" * 150 + "y" * 150)
    assert folded.startswith("x" * 80 + " … ") and folded.endswith("y" * 60 + " (300 characters)")


def test_outputs_are_summarized_one_line_each(wave1: Plan) -> None:
    lines = preview_view.render_outputs(wave1.run.outputs, set(wave1.run.secret_outputs), "[secret]").splitlines()
    assert len(lines) == len(wave1.run.outputs)
    assert "  + machines: [6 items]" in lines
    assert "  + replication: {3 keys: containerName, fabricName, policyId}" in lines
    assert all(len(line) < 250 for line in lines)


def test_the_summary_counts_like_pulumi() -> None:
    resources = [
        PlannedResource("urn:a", "my:index:Component", "a", "", False, "", {}),
        PlannedResource("urn:b", "aws:s3/bucket:Bucket", "b", "urn:a", True, "", {}),
    ]
    assert preview_view.summary(resources) == "Resources:\n    + 3 to create (1 resources, 1 components and the stack)"
