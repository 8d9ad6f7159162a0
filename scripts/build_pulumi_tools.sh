#!/usr/bin/env bash
# Build the real Pulumi CLI, pinned, from the Go module proxy, and cache it outside the repository
# (issue 15). `go install` refuses a module with `replace` directives, so the CLI is built from a
# wrapper module that requires pkg/v3 and sdk/v3 at one version and repeats pkg/go.mod's own
# `replace` lines except the local `../sdk` one. The plugin scripts the CLI distribution ships beside
# it come from the same version's sdk/v3 module (python/dist/).
#
# The Python language host (github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3) is
# built when the proxy serves it. On 2026-12-01 it answered 403 "not available" for every version,
# so the script says so and exits 3: the CLI alone cannot run a Python program.
#
# Usage: scripts/build_pulumi_tools.sh            -> prints the directory to put on PATH
# Cache: ${PULUMI_TOOLS_CACHE:-$HOME/.cache/migration-pulumi-tools}/<version>/bin
set -euo pipefail

VERSION="${PULUMI_TOOLS_VERSION:-v3.274.1}"
PROXY="${GOPROXY_URL:-https://proxy.golang.org}"
CACHE="${PULUMI_TOOLS_CACHE:-$HOME/.cache/migration-pulumi-tools}/$VERSION"
BIN="$CACHE/bin"
LANGUAGE_MODULE="github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3"
mkdir -p "$BIN"

if [[ ! -x "$BIN/pulumi" ]]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  curl -fsS "$PROXY/github.com/pulumi/pulumi/pkg/v3/@v/$VERSION.mod" -o "$work/pkg.mod"
  {
    echo "module migration.local/pulumi-cli"
    echo
    echo "go 1.24"
    echo
    echo "require ("
    echo "	github.com/pulumi/pulumi/pkg/v3 $VERSION"
    echo "	github.com/pulumi/pulumi/sdk/v3 $VERSION"
    echo ")"
    grep -E '^replace ' "$work/pkg.mod" | grep -v '=> \.\./sdk' || true
  } >"$work/go.mod"
  cat >"$work/tools.go" <<'GO'
//go:build tools

package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
GO
  (cd "$work" && go mod tidy >&2 && go build -o "$BIN/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi >&2)
fi

if [[ ! -x "$BIN/pulumi-resource-pulumi-python" ]]; then
  sdk="$(mktemp -d)"
  curl -fsS "$PROXY/github.com/pulumi/pulumi/sdk/v3/@v/$VERSION.zip" -o "$sdk/sdk.zip"
  (cd "$sdk" && unzip -q sdk.zip "github.com/pulumi/pulumi/sdk/v3@$VERSION/python/*")
  cp "$sdk/github.com/pulumi/pulumi/sdk/v3@$VERSION/python/dist/pulumi-resource-pulumi-python" "$BIN/"
  cp "$sdk/github.com/pulumi/pulumi/sdk/v3@$VERSION/python/cmd/pulumi-language-python-exec" "$BIN/"
  chmod +x "$BIN/pulumi-resource-pulumi-python" "$BIN/pulumi-language-python-exec"
  rm -rf "$sdk"
fi

if [[ ! -x "$BIN/pulumi-language-python" ]]; then
  status="$(curl -s -o /dev/null -w '%{http_code}' "$PROXY/$LANGUAGE_MODULE/@v/$VERSION.info")"
  if [[ "$status" != 200 ]]; then
    echo "blocked: $LANGUAGE_MODULE@$VERSION is not served by $PROXY (HTTP $status)" >&2
    echo "$BIN"
    exit 3
  fi
  GOBIN="$BIN" go install "$LANGUAGE_MODULE@$VERSION" >&2
fi
echo "$BIN"
