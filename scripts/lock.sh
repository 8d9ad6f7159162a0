#!/usr/bin/env bash
# Re-lock the dependencies: uv.lock from pyproject.toml, then requirements*.txt exported from it for
# machines without uv (migrate.py falls back to pip on them). tests/test_locks.py checks they agree.
set -euo pipefail
cd "$(dirname "$0")/.."
uv lock "$@"
export_lock() {
  uv export --frozen --no-hashes --no-annotate --no-header --no-emit-project "$@"
}
{
  echo "# Runtime lock, exported from uv.lock by scripts/lock.sh: what the program, its dynamic providers and the offline plan import."
  export_lock --no-dev
} >requirements.txt
{
  echo "# Test and lint lock, exported from uv.lock by scripts/lock.sh (includes the runtime lock)."
  echo "-r requirements.txt"
  export_lock --only-group dev
} >requirements-dev.txt
