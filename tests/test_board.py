"""The migration board (`migrate.py status <foundation>`): every wave of a foundation from one read of its vault, as
text, JSON and a self-contained HTML page that a real headless Chromium renders."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from migrate_tool.board import BAR_WIDTH, STAGE_GROUPS, render_html
from migrate_tool.status import main
from tests.fake_arm.credential import StaticTokenCredential
from tests.fake_arm.fixtures import arm_env_fixture, fake_arm_fixture  # noqa: F401
from tests.fake_arm.server import FakeArm
from tests.foundations import foundation, wave_on, write_stacks

RG, VAULT = foundation()["azure"]["resourceGroup"], foundation()["azure"]["vault"]
FAILED = [{"serviceErrorDetails": {"message": "The test network subnet has no free addresses."}}]


def _item(fake: FakeArm, machine: str, **properties: Any) -> None:
    path = fake.item_path("fabric1", "container1", machine).replace(fake.vault_path(), fake.vault_path(RG, VAULT))
    body = {
        "friendlyName": machine,
        "activeLocation": "Primary",
        "protectionState": "Protected",
        "replicationHealth": "Normal",
        "testFailoverState": "None",
        "providerSpecificDetails": {"instanceType": "InMageRcm"},
    }
    fake.put_resource(path, {**body, **properties})


def _migration(tmp_path: Path, fake: FakeArm) -> Path:
    """A foundation, three waves of 4, 4 and 2 machines, and a vault where wave1 is done, wave2 tests (one test
    failover failed) and wave3 has not started."""
    wave2 = wave_on("wave2", 4, 4)
    wave2["machines"][1]["appliance"] = "asr-app-b"  # vm0005
    stacks = write_stacks(
        tmp_path / "stacks",
        {
            "foundation": ("migration:foundation", foundation()),
            "wave1": ("migration:wave", wave_on("wave1", 4, 0)),
            "wave2": ("migration:wave", wave2),
            "wave3": ("migration:wave", wave_on("wave3", 2, 8)),
        },
    )
    fake.put_resource(fake.vault_path(RG, VAULT) + "/replicationFabrics/fabric1", {})
    fake.put_resource(
        fake.vault_path(RG, VAULT) + "/replicationFabrics/fabric1/replicationProtectionContainers/container1", {}
    )
    for n in range(4):  # wave1: complete migration removed every item
        fake.add_job(f"vm{n:04d}", "DisableDr", "Disable replication", rg=RG, vault=VAULT)
    for n in range(4, 8):
        _item(fake, f"vm{n:04d}")
    fake.add_job("vm0005", "TestFailover", "Test failover", rg=RG, vault=VAULT, state="Failed", errors=FAILED)
    return stacks


def test_the_board_lists_every_wave_each_appliance_and_every_failed_machine(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, tmp_path: Path
) -> None:
    stacks = _migration(tmp_path, fake_arm)
    out, err = io.StringIO(), io.StringIO()
    assert main(["foundation", "--stacks-dir", str(stacks), "--json"], out, err) == 0, err.getvalue()
    board = json.loads(out.getvalue())
    assert [(w["wave"], w["machines"], w["summary"]) for w in board["waves"]] == [
        ("wave1", 4, {"migrated": 4}),
        ("wave2", 4, {"ready to test": 3, "failed": 1}),
        ("wave3", 2, {"not ready": 2}),
    ]
    # Each appliance's load across the waves is what the machines' rows say serves them; vm0005 is pinned to b.
    rows = [(w["wave"], r["appliance"]) for w in board["waves"] for r in w["rows"]]
    assert {name: (a["machines"], a["waves"]) for name, a in board["appliances"].items()} == {
        name: (
            sum(1 for _, served in rows if served == name),
            {w: n for w in ("wave1", "wave2", "wave3") if (n := rows.count((w, name)))},
        )
        for name in ("asr-app-a", "asr-app-b")
    }
    assert board["failed"] == [
        {
            "wave": "wave2",
            "machine": "vm0005",
            "appliance": "asr-app-b",
            "reason": "The test network subnet has no free addresses.",
        }
    ]
    text = io.StringIO()
    assert main(["foundation", "--stacks-dir", str(stacks)], text, io.StringIO()) == 0
    assert "  wave2: 4 machines: 3 ready to test, 1 failed" in text.getvalue()
    assert "  wave2/vm0005 (appliance asr-app-b): The test network subnet has no free addresses." in text.getvalue()


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs Chromium for the board's browser test (apt-get install chromium)")
        pytest.skip("no Chromium here (apt-get install chromium)")
    return found


def _screenshot(page: Path, png: Path) -> Image.Image:
    """What a real browser shows of `page`, opened from disk with the network unreachable."""
    subprocess.run(
        [
            _chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--force-device-scale-factor=1",
            "--proxy-server=127.0.0.1:9", "--window-size=1100,900", f"--screenshot={png}", page.as_uri(),
        ],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return Image.open(png).convert("RGB")


def _pixels(image: Image.Image, color: str) -> int:
    wanted = tuple(int(color[i : i + 2], 16) for i in (1, 3, 5))
    return sum(count for count, rgb in image.getcolors(image.width * image.height) or [] if rgb == wanted)


def test_the_html_board_renders_its_progress_bars_in_a_real_browser(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, tmp_path: Path
) -> None:
    stacks = _migration(tmp_path, fake_arm)
    page = tmp_path / "board.html"
    out = io.StringIO()
    assert main(["foundation", "--stacks-dir", str(stacks), "--json", "--html", str(page)], out, io.StringIO()) == 0
    text = page.read_text()
    assert "<script" not in text and "http" not in text.replace("http-equiv", "")  # self-contained: nothing to fetch
    image = _screenshot(page, tmp_path / "board.png")
    # Each wave's bar is 600 x 18 pixels, split by stage group: wave1 all migrated, wave2 3/4 testing and 1/4
    # failed, wave3 all waiting. The colours appear on screen in those areas (give or take the legend's swatches).
    bar = 18
    swatch = 12 * 12
    expected = {
        "migrated": BAR_WIDTH * bar,
        "testing": round(BAR_WIDTH * 3 / 4) * bar,
        "failed": (BAR_WIDTH - round(BAR_WIDTH * 3 / 4)) * bar,
        "waiting": BAR_WIDTH * bar,
    }
    colors = {name: color for name, _, color in STAGE_GROUPS}
    for group, area in expected.items():
        shown = _pixels(image, colors[group]) - swatch
        assert abs(shown - area) <= BAR_WIDTH, f"{group}: {shown} pixels of {colors[group]}, expected {area}"
    assert _pixels(image, colors["replicating"]) - swatch <= BAR_WIDTH  # no machine replicates: only its swatch


def test_the_html_board_escapes_what_it_shows() -> None:
    board = {
        "foundation": "<img src=x onerror=alert(1)>",
        "stack": "foundation",
        "vault": "v",
        "waves": [],
        "appliances": {},
        "failed": [{"wave": "w", "machine": "m", "appliance": "a", "reason": "<script>alert(1)</script>"}],
    }
    page = render_html(board)
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
