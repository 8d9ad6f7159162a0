#!/usr/bin/env python3
"""Quick start, with nothing but Python 3.11+:

    python3 migrate.py                 # offline plan of the example wave `wave1` (no credentials)
    python3 migrate.py plan tutorial   # offline plan of another stack
    python3 migrate.py test            # the test suite, in parallel (pytest arguments may follow)

On first use (and whenever the locks change) it creates `.venv` with the pinned dependencies, then runs
the command inside it. It installs them with uv from uv.lock (`uv sync --frozen`, seconds): the uv on
PATH, or a pinned uv that it fetches once from PyPI into ~/.cache/migration-uv. Where uv cannot be had
(or MIGRATE_USE_PIP=1), it falls back to pip and requirements*.txt, the same pins exported from the
lock (a minute or two).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
LOCKS = (ROOT / "pyproject.toml", ROOT / "uv.lock", ROOT / "requirements.txt", ROOT / "requirements-dev.txt")
UV_VERSION = "0.13.9"
UV_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "migration-uv" / UV_VERSION
MAX_TEST_WORKERS = 8


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _pip_install(python: str) -> list[str]:
    return [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--root-user-action=ignore"]


def find_uv() -> str | None:
    """The uv to install with: on PATH, else the pinned one fetched once with pip; None to use pip."""
    if os.environ.get("MIGRATE_USE_PIP") == "1":
        return None
    on_path = shutil.which("uv")
    if on_path:
        return on_path
    cached = UV_CACHE / "bin" / ("uv.exe" if os.name == "nt" else "uv")
    if not cached.exists():
        print(f"Fetching uv {UV_VERSION} into {UV_CACHE} ...", flush=True)
        fetched = subprocess.run([*_pip_install(sys.executable), "--target", str(UV_CACHE), f"uv=={UV_VERSION}"])
        if fetched.returncode != 0 or not cached.exists():
            print("Could not fetch uv; installing with pip instead.", flush=True)
            return None
    return str(cached)


def ensure_venv() -> Path:
    """Create .venv with the locked dependencies unless the installed set matches the locks."""
    digest = hashlib.sha256(b"".join(path.read_bytes() for path in LOCKS)).hexdigest()
    stamp = VENV / ".installed-lock"
    if venv_python().exists() and stamp.exists() and stamp.read_text() == digest:
        return venv_python()
    uv = find_uv()
    if uv:
        # --compile-bytecode, as pip does: otherwise every first import (pulumi_azure_native is large) compiles
        # in each test worker and plugin process, which made a fresh checkout's tests half a minute slower.
        print("Installing pinned dependencies with uv ...", flush=True)
        env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(VENV)}
        subprocess.run(
            [uv, "sync", "--frozen", "--quiet", "--compile-bytecode", "--python", sys.executable],
            cwd=ROOT,
            env=env,
            check=True,
        )
    else:
        if not venv_python().exists():
            print(f"Creating {VENV} ...", flush=True)
            venv.create(VENV, with_pip=True)
        print("Installing pinned dependencies with pip (first run takes a minute or two) ...", flush=True)
        subprocess.run([*_pip_install(str(venv_python())), "-r", str(ROOT / "requirements-dev.txt")], check=True)
        # The repository's own package (components, a2a, migrate_tool), editable, as `uv sync` installs it.
        subprocess.run([*_pip_install(str(venv_python())), "--no-deps", "-e", str(ROOT)], check=True)
    stamp.write_text(digest)
    return venv_python()


def pytest_arguments(argv: list[str]) -> list[str]:
    """`test` runs in parallel unless the caller chose the workers (-n) or turned xdist off."""
    chosen = "no:xdist" in argv or any(a.startswith(("-n", "--numprocesses", "--dist")) for a in argv)
    workers = min(os.cpu_count() or 1, MAX_TEST_WORKERS)
    return argv if chosen or workers < 2 else ["-n", str(workers), *argv]


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 (migrate.py runs on whatever python3 the user has)
        print("Python 3.11 or newer is needed.", file=sys.stderr)
        return 2
    python = str(ensure_venv())
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if argv[:1] == ["test"]:
        return subprocess.call([python, "-m", "pytest", *pytest_arguments(argv[1:])], cwd=ROOT, env=env)
    return subprocess.call([python, "-m", "migrate_tool", *(argv or ["plan"])], cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
