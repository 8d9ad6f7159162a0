"""A foundation and its waves as `pulumi up` runs them: the real program, the SDK's dynamic-provider server, the
fake ARM server (tests/engine/harness.py). The foundation registers its two appliances one `up` at a time; waves of
100, 100 and 50 machines then replicate through them, and none of them registers or creates anything shared."""

from __future__ import annotations

import functools
import io
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from migrate_tool.status import main as status
from tests.engine.cloud import PROTECTED_ITEM, REGISTRATION
from tests.engine.harness import Deployment, Engine, EngineError
from tests.fake_arm.compute import FakeCompute
from tests.fake_arm.fixtures import aim_client_layer
from tests.foundations import FOUNDATION_STACK, PASSPHRASES, foundation, use_stacks, wave_on, write_stacks
from tests.program import run_wave

RG, VAULT = foundation()["azure"]["resourceGroup"], foundation()["azure"]["vault"]
SHARED = ("Vault", "StorageAccount", "ReplicationPolicy", "ReplicationProtectionContainerMapping", "Instance")


def _fabric(fake: FakeCompute) -> dict[str, Any]:
    vault = fake.vault_path(foundation()["azure"]["resourceGroup"], foundation()["azure"]["vault"])
    found = fake.resource(f"{vault}/replicationFabrics/fabric-{foundation()['azure']['vault']}")
    assert found is not None, "no fabric registered"
    return found


def _created(deployment: Deployment) -> Counter[str]:
    return Counter(s.type.rsplit(":", 1)[-1] for s in deployment.steps if s.op == "create")


@pytest.mark.slow
def test_a_foundation_with_two_appliances_serves_three_waves_of_100_100_and_50(
    make_engine: Callable[..., Engine], fake: FakeCompute, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    waves = [wave_on("wave1", 100, 0), wave_on("wave2", 100, 100), wave_on("wave3", 50, 200)]
    stacks = {"foundation": ("migration:foundation", foundation())}
    stacks.update({w["name"]: ("migration:wave", w) for w in waves})
    stacks_dir = write_stacks(tmp_path / "stacks", stacks)
    use_stacks(monkeypatch, stacks_dir)

    base = make_engine()
    base.stack, base.program = "foundation", functools.partial(run_wave, key="migration:foundation")
    # First up: the hosts, no registration yet, a step per appliance to do by hand.
    first = base.up(foundation(), {})
    assert first.ops(REGISTRATION) == [] and len(first.outputs["pendingSteps"]) == 2
    # The passphrases set after registering each appliance by hand: the next up confirms both registrations.
    registered = base.up(foundation(), PASSPHRASES)
    assert sorted(op for op, _ in registered.ops(REGISTRATION)) == ["create", "create"]
    assert len(_fabric(fake)["properties"]["customDetails"]["processServers"]) == 2
    appliances = registered.outputs["foundation"]["appliances"]
    assert {a["processServerId"] for a in appliances.values()} == {
        s["id"] for s in _fabric(fake)["properties"]["customDetails"]["processServers"]
    }

    shared_creates = sum((_created(d) for d in (first, registered)), Counter())
    assert {t: shared_creates[t] for t in SHARED} == {
        "Vault": 1, "StorageAccount": 1, "ReplicationPolicy": 1, "ReplicationProtectionContainerMapping": 1,
        "Instance": 2,
    }  # fmt: skip

    served: Counter[str] = Counter()
    servers = {a["processServerId"]: name for name, a in appliances.items()}
    for raw in waves:
        engine = make_engine()
        engine.stack, engine.references = raw["name"], {FOUNDATION_STACK: registered.run}  # type: ignore[dict-item]
        fabric_before = _fabric(fake)
        up = engine.up(raw, {})
        # A wave registers nothing and declares nothing shared: wave 3's first up included.
        assert engine.last_preview is not None and engine.last_preview.ops(REGISTRATION) == []
        assert up.ops(REGISTRATION) == [] and not any(_created(up)[t] for t in SHARED)
        assert _fabric(fake) == fabric_before
        items = [s for s in engine.state.values() if s.type == PROTECTED_ITEM]
        assert len(items) == len(raw["machines"])
        served.update(servers[i.inputs["properties"]["providerSpecificDetails"]["processServerId"]] for i in items)
    load = registered.outputs["applianceLoad"]
    assert served == Counter({name: row["machines"] for name, row in load.items()}) and sum(served.values()) == 250

    # The board reads the foundation's vault once and lists the three waves, every machine replicating.
    aim_client_layer(fake.url, monkeypatch)
    out = io.StringIO()
    assert status(["foundation", "--stacks-dir", str(stacks_dir), "--json"], out, io.StringIO()) == 0
    board = json.loads(out.getvalue())
    assert [(w["wave"], w["summary"]) for w in board["waves"]] == [
        ("wave1", {"ready to test": 100}),
        ("wave2", {"ready to test": 100}),
        ("wave3", {"ready to test": 50}),
    ]
    assert {name: a["machines"] for name, a in board["appliances"].items()} == dict(served)


def _switches(fake: FakeCompute, since: int) -> list[tuple[str, str]]:
    """(item, target appliance) of the appliance switches POSTed since request number `since`."""
    return [
        (r.path.split("/")[-2], r.body["properties"]["targetApplianceId"])
        for r in fake.requests[since:]
        if r.method == "POST" and r.path.endswith("/updateAppliance")
    ]


@pytest.mark.slow
def test_pinning_a_replicating_machine_to_another_appliance_switches_it_once(
    make_engine: Callable[..., Engine], fake: FakeCompute, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = wave_on("wave1", 4)
    use_stacks(
        monkeypatch,
        write_stacks(
            tmp_path / "stacks",
            {"foundation": ("migration:foundation", foundation()), "wave1": ("migration:wave", raw)},
        ),
    )
    base = make_engine()
    base.stack, base.program = "foundation", functools.partial(run_wave, key="migration:foundation")
    registered = base.up(foundation(), PASSPHRASES)
    servers = {name: a["processServerId"] for name, a in registered.outputs["foundation"]["appliances"].items()}
    engine = make_engine()
    engine.stack, engine.references = "wave1", {FOUNDATION_STACK: registered.run}  # type: ignore[dict-item]

    since = len(fake.requests)
    first = engine.up(raw, {})
    assert _switches(fake, since) == []  # every item already names its appliance's process server
    assert first.error is None
    assert {r["result"] for r in engine.outputs_of("wave1-replication-appliances")["results"].values()} == {
        "AlreadyDone"
    }
    vm0 = engine.outputs_of("wave1-replication-appliances")["machines"]["vm0000"]["process_server_id"]
    other = next(name for name, server in servers.items() if server != vm0)

    # The operator pins vm0000 to the other appliance: the preview updates the switch, never the protected item.
    raw["machines"][0]["appliance"] = other
    since = len(fake.requests)
    moved = engine.up(raw, {})
    assert engine.last_preview is not None
    assert engine.last_preview.ops(PROTECTED_ITEM) == [] and moved.ops(PROTECTED_ITEM) == []
    assert moved.ops("WaveApplianceSwitch") == [("update", "wave1-replication-appliances")]
    assert _switches(fake, since) == [("vm0000", servers[other])]
    assert item_server(fake, "vm0000") == servers[other]
    assert engine.outputs_of("wave1-replication-appliances")["results"]["vm0000"]["result"] == "Succeeded"

    # Run again: nothing is sent.
    since = len(fake.requests)
    engine.up(raw, {})
    assert _switches(fake, since) == []

    # A switch whose job fails stops the `up` naming the machine; the next `up` retries only that machine.
    raw["machines"][1]["appliance"] = next(
        name for name, server in servers.items() if server != item_server(fake, "vm0001")
    )
    fake.next_job_ends("Failed", errors=[{"serviceErrorDetails": {"code": "1001", "message": "Appliance busy"}}])
    since = len(fake.requests)
    with pytest.raises(EngineError, match=r"vm0001: applianceSwitch failed: (?s:.*)\[1001\] Appliance busy"):
        engine.up(raw, {})
    assert [machine for machine, _ in _switches(fake, since)] == ["vm0001"]
    since = len(fake.requests)
    engine.up(raw, {})
    assert [machine for machine, _ in _switches(fake, since)] == ["vm0001"]
    assert item_server(fake, "vm0001") == servers[raw["machines"][1]["appliance"]]


def item_server(fake: FakeCompute, machine: str) -> str:
    """The process server the fake's item of `machine` replicates through."""
    item = fake.resource(
        fake.item_path(f"fabric-{VAULT}", f"container-{VAULT}", machine).replace(
            fake.vault_path(), fake.vault_path(RG, VAULT)
        )
    )
    assert item is not None
    return str(item["properties"]["providerSpecificDetails"]["processServerId"])
