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
from tests.engine.harness import Deployment, Engine
from tests.fake_arm.compute import FakeCompute
from tests.fake_arm.fixtures import aim_client_layer
from tests.foundations import FOUNDATION_STACK, PASSPHRASES, foundation, use_stacks, wave_on, write_stacks
from tests.program import run_wave

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
    assert served == Counter({"asr-app-a": 125, "asr-app-b": 125})

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
    assert {name: a["machines"] for name, a in board["appliances"].items()} == {"asr-app-a": 125, "asr-app-b": 125}
