"""Shared check for dynamic providers: pickled by Pulumi's serializer, loaded by dill in a fresh interpreter."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider

from tests.fake_arm.server import TOKEN

PROJECT_ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = (TOKEN.encode(), b"Bearer", b"azure.identity", b"StaticTokenCredential")


def round_trip(
    provider: ResourceProvider, secret: str, check_props: dict[str, object], cwd: Path = PROJECT_ROOT
) -> list[str]:
    """Serialize `provider` as the engine stores it, assert no secret or credential is inside, load it in a
    fresh interpreter started from `cwd` (the project root, as the provider host starts) with none of our
    environment, and run `check`; return that process's output lines."""
    serialized = serialize_provider(provider)
    raw = base64.b64decode(serialized)
    for forbidden in (secret.encode(), *FORBIDDEN):
        assert forbidden not in raw, forbidden
    assert type(provider).__module__.encode() in raw  # pickled by reference, not by value
    script = (
        "import base64, json, sys, dill\n"
        "provider = dill.loads(base64.b64decode(sys.stdin.readline()))\n"
        "print(type(provider).__module__, type(provider).__name__, vars(provider))\n"
        "props = json.loads(sys.stdin.readline())\n"
        "print(json.dumps([failure.reason for failure in provider.check({}, props).failures]))\n"
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ASR_", "AZURE_", "PYTHONPATH"))}
    done = subprocess.run(
        [sys.executable, "-c", script],
        input=f"{serialized}\n{json.dumps(check_props)}\n",
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()
