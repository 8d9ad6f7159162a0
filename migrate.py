#!/usr/bin/env python3
"""Quick start, with nothing but Python 3.10+:

    python3 migrate.py                 # offline plan of the example wave `wave1` (no credentials)
    python3 migrate.py plan tutorial   # offline plan of another stack
    python3 migrate.py test            # the test suite (pytest arguments may follow)

On first use (and whenever the lock files change) it creates `.venv` and installs the pinned
dependencies from requirements.txt and requirements-dev.txt, then runs the command inside it.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
LOCKS = (ROOT / "requirements.txt", ROOT / "requirements-dev.txt")


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv() -> Path:
    """Create .venv and install the locked dependencies unless the installed set matches the locks."""
    digest = hashlib.sha256(b"".join(path.read_bytes() for path in LOCKS)).hexdigest()
    stamp = VENV / ".installed-lock"
    if venv_python().exists() and stamp.exists() and stamp.read_text() == digest:
        return venv_python()
    if not venv_python().exists():
        print(f"Creating {VENV} ...", flush=True)
        venv.create(VENV, with_pip=True)
    print("Installing pinned dependencies (first run takes a minute or two) ...", flush=True)
    subprocess.run(
        [str(venv_python()), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", str(LOCKS[1])],
        check=True,
    )
    stamp.write_text(digest)
    return venv_python()


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 10):  # noqa: UP036 (migrate.py runs on whatever python3 the user has)
        print("Python 3.10 or newer is needed.", file=sys.stderr)
        return 2
    python = str(ensure_venv())
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if argv[:1] == ["test"]:
        return subprocess.call([python, "-m", "pytest", *argv[1:]], cwd=ROOT, env=env)
    return subprocess.call([python, "-m", "migrate_tool", *(argv or ["plan"])], cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
