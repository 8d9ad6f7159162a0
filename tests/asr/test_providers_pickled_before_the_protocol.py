"""Stacks made before the one action protocol and the package (commit e4aaf59) still load their providers.

The engine unpickles a resource's stored provider to diff, update, refresh or delete it. Each string below is
`serialize_provider(<Provider>())` as that commit stored it; each is loaded in a fresh interpreter started where
the engine starts the provider host (the project directory, no PYTHONPATH: `dr/` for the DR provider) and must
be the class of today's code, and check as it does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PICKLED_AT_E4AAF59 = {
    "components.asr.wave_actions.WaveTestFailoverProvider": "gASVPwAAAAAAAACMG2NvbXBvbmVudHMuYXNyLndhdmVfYWN0aW9uc5SMGFdhdmVUZXN0RmFpbG92ZXJQcm92aWRlcpSTlCmBlC4=",
    "components.asr.wave_actions.WaveTestFailoverCleanupProvider": "gASVRgAAAAAAAACMG2NvbXBvbmVudHMuYXNyLndhdmVfYWN0aW9uc5SMH1dhdmVUZXN0RmFpbG92ZXJDbGVhbnVwUHJvdmlkZXKUk5QpgZQu",
    "components.asr.wave_actions.WaveFailoverProvider": "gASVOwAAAAAAAACMG2NvbXBvbmVudHMuYXNyLndhdmVfYWN0aW9uc5SMFFdhdmVGYWlsb3ZlclByb3ZpZGVylJOUKYGULg==",
    "components.asr.wave_actions.WaveCompleteMigrationProvider": "gASVRAAAAAAAAACMG2NvbXBvbmVudHMuYXNyLndhdmVfYWN0aW9uc5SMHVdhdmVDb21wbGV0ZU1pZ3JhdGlvblByb3ZpZGVylJOUKYGULg==",
    "components.asr.plan_actions.PlanTestFailoverProvider": "gASVPwAAAAAAAACMG2NvbXBvbmVudHMuYXNyLnBsYW5fYWN0aW9uc5SMGFBsYW5UZXN0RmFpbG92ZXJQcm92aWRlcpSTlCmBlC4=",
    "components.asr.plan_actions.PlanTestFailoverCleanupProvider": "gASVRgAAAAAAAACMG2NvbXBvbmVudHMuYXNyLnBsYW5fYWN0aW9uc5SMH1BsYW5UZXN0RmFpbG92ZXJDbGVhbnVwUHJvdmlkZXKUk5QpgZQu",
    "components.asr.plan_actions.PlanFailoverProvider": "gASVOwAAAAAAAACMG2NvbXBvbmVudHMuYXNyLnBsYW5fYWN0aW9uc5SMFFBsYW5GYWlsb3ZlclByb3ZpZGVylJOUKYGULg==",
    "components.asr.target_ip.WaveTargetIpProvider": "gASVOAAAAAAAAACMGGNvbXBvbmVudHMuYXNyLnRhcmdldF9pcJSMFFdhdmVUYXJnZXRJcFByb3ZpZGVylJOUKYGULg==",
    "components.asr.appliance_switch.WaveApplianceSwitchProvider": "gASVRgAAAAAAAACMH2NvbXBvbmVudHMuYXNyLmFwcGxpYW5jZV9zd2l0Y2iUjBtXYXZlQXBwbGlhbmNlU3dpdGNoUHJvdmlkZXKUk5QpgZQu",
    "components.lifecycle.PhaseRecordProvider": "gASVMwAAAAAAAACMFGNvbXBvbmVudHMubGlmZWN5Y2xllIwTUGhhc2VSZWNvcmRQcm92aWRlcpSTlCmBlC4=",
    "components.lifecycle.WaveOutcomeProvider": "gASVMwAAAAAAAACMFGNvbXBvbmVudHMubGlmZWN5Y2xllIwTV2F2ZU91dGNvbWVQcm92aWRlcpSTlCmBlC4=",
    "a2a.protection_container.A2AProtectionContainerProvider": "gASVQgAAAAAAAACMGGEyYS5wcm90ZWN0aW9uX2NvbnRhaW5lcpSMHkEyQVByb3RlY3Rpb25Db250YWluZXJQcm92aWRlcpSTlCmBlC4=",
}  # fmt: skip
LOAD = (
    "import base64, json, sys, dill\n"
    "for name, pickled in json.loads(sys.stdin.read()).items():\n"
    "    provider = dill.loads(base64.b64decode(pickled))\n"
    "    reasons = [f.reason for f in provider.check({}, {'resource_group_name': ''}).failures]\n"
    "    print(json.dumps([name, type(provider).__module__ + '.' + type(provider).__name__, reasons]))\n"
)


def _load(pickled: dict[str, str], cwd: Path) -> list[tuple[str, str, list[str]]]:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-c", LOAD], input=json.dumps(pickled), capture_output=True, text=True, cwd=cwd, env=env,
        timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return [tuple(json.loads(line)) for line in done.stdout.splitlines()]  # type: ignore[misc]


def test_every_action_provider_pickled_before_the_change_loads_as_todays_class() -> None:
    program = {k: v for k, v in PICKLED_AT_E4AAF59.items() if not k.startswith("a2a.")}
    dr = {k: v for k, v in PICKLED_AT_E4AAF59.items() if k.startswith("a2a.")}
    loaded = _load(program, ROOT) + _load(dr, ROOT / "dr")
    assert [(name, cls) for name, cls, _ in loaded] == [(name, name) for name in PICKLED_AT_E4AAF59]
    reasons = {name: reasons for name, _, reasons in loaded}
    assert (
        "resource_group_name: '' must be a non-empty string"
        in reasons["components.asr.wave_actions.WaveFailoverProvider"]
    )
    assert (
        "resource_group_name: '' must be a non-empty string"
        in reasons["components.asr.plan_actions.PlanFailoverProvider"]
    )
    assert (
        "resource_group_name: '' must be a non-empty string"
        in reasons["a2a.protection_container.A2AProtectionContainerProvider"]
    )
