#!/usr/bin/env bash
# CI's real-CLI stage (issue 27): build (or reuse) the Pulumi CLI and the Python language host, then run the tests
# that drive them (tests/cli, marker `cli`). Needs the venv `python3 migrate.py --help` makes, Go, and the Go module
# proxy on a cold cache (about 8 minutes to build; seconds once cached in ~/.cache/migration-pulumi-tools).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
PULUMI_CLI_DIR="$(bash scripts/build_pulumi_tools.sh)"
export PULUMI_CLI_DIR
echo "real-CLI stage: tools in $PULUMI_CLI_DIR ($("$PULUMI_CLI_DIR/pulumi" version)), ready after $(($(date +%s) - started)) s"
python3 migrate.py test -m cli -n 2 "$@"
echo "real-CLI stage: $(($(date +%s) - started)) s in all"
