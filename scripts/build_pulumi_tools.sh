#!/usr/bin/env bash
# Build the real Pulumi CLI, pinned, from the Go module proxy, and cache it outside the repository
# (issue 15). `go install` refuses a module with `replace` directives, so the CLI is built from a
# wrapper module that requires pkg/v3 and sdk/v3 at one version and repeats pkg/go.mod's own
# `replace` lines except the local `../sdk` one. The plugin scripts the CLI distribution ships beside
# it come from the same version's sdk/v3 module (python/dist/).
#
# The Python language host (github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3) is one
# main.go that the proxy refuses to serve (403 at every version); it is built from the copy in
# ../shared/vendor/pulumi-language-python (pulumi/pulumi v3.259.0, unmodified; its go.mod requires pkg/v3 and
# sdk/v3 v3.259.0 from the proxy), or from $PULUMI_LANGUAGE_PYTHON_SRC. The host runs programs and policy packs
# with `pulumi-language-python-exec`, which must sit beside it (from the CLI's own sdk/v3 version).
# Where a Pulumi CLI is already on PATH (a user's, a CI runner with pulumi/actions), nothing is built: the
# script prints that CLI's directory.
#
# Usage: scripts/build_pulumi_tools.sh            -> prints the directory to put on PATH
# Cache: ${PULUMI_TOOLS_CACHE:-$HOME/.cache/migration-pulumi-tools}/<version>/bin
set -euo pipefail

if [[ -z "${PULUMI_TOOLS_BUILD:-}" ]] && command -v pulumi >/dev/null && command -v pulumi-language-python >/dev/null; then
  dirname "$(command -v pulumi)"
  exit 0
fi
HERE="$(cd "$(dirname "$0")/.." && pwd)"
LANGUAGE_SRC="${PULUMI_LANGUAGE_PYTHON_SRC:-$HERE/../shared/vendor/pulumi-language-python}"
LANGUAGE_VERSION="v3.259.0"
VERSION="${PULUMI_TOOLS_VERSION:-v3.274.1}"
PROXY="${GOPROXY_URL:-https://proxy.golang.org}"
CACHE="${PULUMI_TOOLS_CACHE:-$HOME/.cache/migration-pulumi-tools}/$VERSION"
BIN="$CACHE/bin"
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
  (cd "$work" && go mod tidy >&2 && go build -o "$BIN/pulumi" \
    -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$VERSION" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi >&2)
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
  if [[ ! -f "$LANGUAGE_SRC/main.go" ]]; then
    echo "no Python language host source at $LANGUAGE_SRC (set PULUMI_LANGUAGE_PYTHON_SRC)" >&2
    exit 3
  fi
  src="$(mktemp -d)"
  cp -r "$LANGUAGE_SRC"/. "$src/"   # the shared copy may be read-only; go build writes nothing there, but be safe
  (cd "$src" && go build -o "$BIN/pulumi-language-python" \
    -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$LANGUAGE_VERSION" . >&2)
  rm -rf "$src"
fi
echo "$BIN"
