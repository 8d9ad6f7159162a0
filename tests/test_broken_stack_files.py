"""A corpus of broken stack files, each run through `migrate.py plan` as a separate process, as a user runs it.

Each must end with exit code 1, one clean line per mistake (no traceback), "Nothing was planned." and
no plan written. The cases are the ones probed from outside (issue 13) plus the usual slips.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.test_config import set_path
from tests.waves import wave

ROOT = Path(__file__).resolve().parents[1]
W = "migration:wave"
pytestmark = pytest.mark.slow  # one process per case: about a second each


def _wave(*edits: tuple[str, Any]) -> str:
    """The example wave's stack file with each `(key path, value)` edit applied."""
    raw = wave()
    for path, value in edits:
        set_path(raw, path, value)
    return yaml.safe_dump({"config": {W: raw}}, allow_unicode=True)


# Both machines on the first of two subnets, `snet-web`.
_ON_WEB_SUBNET = (
    (
        "azure.network.subnets",
        [{"name": "snet-web", "prefix": "10.0.1.0/24"}, {"name": "snet-app", "prefix": "10.0.2.0/24"}],
    ),
    ("machines.0.subnet", "snet-web"),
    ("machines.1.subnet", "snet-web"),
)

# (case, stack file text, the messages expected, one per mistake)
CASES: list[tuple[str, str, list[str]]] = [
    ("top-level-list", "- config: {}\n", ["list at the top level must be a mapping with a `config:` key"]),
    ("top-level-string", "just a string\n", ["str at the top level must be a mapping with a `config:` key"]),
    ("config-list", "config:\n  - migration:wave\n", ["config: list must be a mapping of config keys to values"]),
    ("yaml-syntax", "config:\n  migration:wave: {name: [\n", ["not valid YAML at line"]),
    ("yaml-tab", "config:\n\tmigration:wave: {}\n", ["not valid YAML at line 2"]),
    ("wave-missing", "config:\n  migration:other: 1\n", [f"{W}: (missing) is required"]),
    ("wave-string", "config:\n  migration:wave: wave1\n", [f"{W}: 'wave1' must be a mapping"]),
    ("wave-list", "config:\n  migration:wave: [1, 2]\n", [f"{W}: [1, 2] must be a mapping"]),
    (
        "bool-as-int",
        _wave(("lifecycle.maxConcurrency", True)),
        [f"{W}.lifecycle.maxConcurrency: True must be a valid integer"],
    ),
    (
        "string-as-int",
        _wave(("azure.registrationTimeoutMinutes", "60")),
        [f"{W}.azure.registrationTimeoutMinutes: '60' must be a valid integer"],
    ),
    (
        "int-as-subnet",
        _wave(("machines.0.subnet", 5)),
        [f"{W}.machines[0].subnet: 5 must be a string (write it in quotes in YAML)"],
    ),
    (
        "string-as-bool",
        _wave(("machines.0.retire", "yes")),
        [f"{W}.machines[0].retire: 'yes' must be a valid boolean"],
    ),
    (
        "vnet-non-ascii",
        _wave(("azure.network.name", "vnet-wäve")),
        [f"{W}.azure.network.name: 'vnet-wäve' must be 2-64 ASCII"],
    ),
    (
        "subnet-non-ascii",
        _wave(("azure.network.subnets.0.name", "snet-ñ")),
        [f"{W}.azure.network.subnets[0].name: 'snet-ñ' must be 1-80 ASCII"],
    ),
    (
        "subnet-slash-30",
        _wave(("azure.network.subnets.0.prefix", "10.0.0.0/30")),
        [f"{W}.azure.network.subnets[0].prefix: '10.0.0.0/30' must be a /29 or larger"],
    ),
    (
        "loopback-space",
        _wave(("azure.network.addressSpace", ["127.0.0.0/16", "10.0.0.0/16"])),
        [f"{W}.azure.network.addressSpace[0]: '127.0.0.0/16' overlaps 127.0.0.0/8, which Azure reserves"],
    ),
    (
        "data-disk-huge",
        _wave(("aws.applianceHost.dataDiskGb", 1_000_000)),
        [f"{W}.aws.applianceHost.dataDiskGb: 1000000 must be less than or equal to 16384"],
    ),
    (
        "os-disk-huge",
        _wave(("aws.applianceHost.osDiskGb", 20_000)),
        [f"{W}.aws.applianceHost.osDiskGb: 20000 must be less than or equal to 16384"],
    ),
    (
        "instance-type-any",
        _wave(("aws.applianceHost.instanceType", "whatever")),
        [f"{W}.aws.applianceHost.instanceType: 'whatever' must be an x86_64 instance type"],
    ),
    (
        "instance-type-small",
        _wave(("aws.applianceHost.instanceType", "m5.xlarge")),
        [f"{W}.aws.applianceHost.instanceType: 'm5.xlarge' has 4 vCPU and 16 GiB"],
    ),
    (
        "tag-iam-refuses",
        _wave(("tags.owner", "ops;dev#1")),
        [f"{W}.tags.owner: 'ops;dev#1' tag values may hold only letters"],
    ),
    (
        "secret-under-unknown-key",
        _wave(("appliancePassphrase", "Kx91-DO-NOT-ECHO")),
        [f"{W}.appliancePassphrase: (value not shown) is not a known key"],
    ),
    # Issue 28: a broken subnet entry is one mistake, not one more for every machine that names the subnet.
    (
        "subnet-bare-string",
        _wave(*_ON_WEB_SUBNET, ("azure.network.subnets.0", "snet-web")),
        [f"{W}.azure.network.subnets[0]: 'snet-web' must be a mapping"],
    ),
    (
        "subnet-without-name",
        _wave(*_ON_WEB_SUBNET, ("azure.network.subnets.0", {"prefix": "10.0.1.0/24"})),
        [f"{W}.azure.network.subnets[0].name: (missing) is required"],
    ),
    (
        "subnet-name-number",
        _wave(*_ON_WEB_SUBNET, ("azure.network.subnets.0.name", 7)),
        [f"{W}.azure.network.subnets[0].name: 7 must be a string"],
    ),
    (  # issue 25: refused with the sizing table's numbers before anything is planned
        "appliance-overloaded",
        _wave(("machines", wave(machines=250)["machines"])),
        [f"{W}.machines: '250 machines and 0 GB of churn a day' is more than one replication appliance serves"],
    ),
    (
        "two-mistakes",
        _wave(("machines.1.os", "solaris"), ("azure.storageAccount", "Bad_Name")),
        [f"{W}.azure.storageAccount: 'Bad_Name' must be 3-24", f"{W}.machines[1].os: 'solaris' must be 'windows' or"],
    ),
]


@pytest.mark.parametrize(("case", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_a_broken_stack_file_gets_one_clean_message_per_mistake(
    tmp_path: Path, case: str, text: str, expected: list[str]
) -> None:
    (tmp_path / f"Pulumi.{case}.yaml").write_text(text)
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "migrate_tool", "plan", case, "--stacks-dir", str(tmp_path), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    shown = result.stdout + result.stderr
    assert result.returncode == 1, shown
    assert "Traceback" not in shown and 'File "' not in shown, shown
    assert shown.rstrip().endswith("Nothing was planned."), shown
    assert not (out / "plan.json").exists() and not (out / "runbook.md").exists()
    # One listed problem per config mistake; a broken file (not a mapping, bad YAML) is one line of its own.
    problems = [line for line in shown.splitlines() if line.startswith("  - ")]
    assert len(problems) == len([m for m in expected if m.startswith(W)]), shown
    for message in expected:
        assert message in shown, shown
    assert "Kx91-DO-NOT-ECHO" not in shown
