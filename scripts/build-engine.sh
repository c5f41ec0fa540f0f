#!/usr/bin/env bash
# Builds the real Pulumi engine from Go modules into a cache outside the repo:
#   ${LVS_CACHE:-~/.cache/pulumi-lvs}/engine/pulumi-v<version>/bin
# Idempotent: each binary is built only when missing, so a warm run takes about a second.
# Versions follow node_modules/@pulumi/* (else package.json) so engine and Node SDK match.
# Use the result with: source scripts/pulumi-env.sh
#
# What ends up in bin/:
#   pulumi                         CLI + engine, module github.com/pulumi/pulumi/pkg/v3, ./cmd/pulumi
#   pulumi-language-nodejs         small host from scripts/engine/ (upstream's module is not served)
#   pulumi-resource-pulumi-nodejs  upstream's dynamic-provider launcher, from the sdk/v3 module
#   pulumi-resource-command        only if its module can be fetched (see build_command_provider)
#
# Env: LVS_CACHE (cache root), LVS_REQUIRE_COMMAND_PROVIDER=1 (fail when the command provider
# cannot be built), LVS_ENGINE_RETRY=1 (retry a provider fetch that failed before).
set -euo pipefail

die() { echo "build-engine: ERROR: $*" >&2; exit 1; }
note() { echo "build-engine: $*" >&2; }

command -v go >/dev/null || die "go not found on PATH (needed to build the engine)"
command -v node >/dev/null || die "node not found on PATH (needed to read package versions)"
# shellcheck source-path=SCRIPTDIR source=engine/versions.sh
source "$(dirname "${BASH_SOURCE[0]}")/engine/versions.sh"
[ -n "$LVS_PULUMI_VERSION" ] || die "@pulumi/pulumi is neither installed nor pinned in package.json"

V="v$LVS_PULUMI_VERSION"
PKG_MOD="github.com/pulumi/pulumi/pkg/v3"
SDK_MOD="github.com/pulumi/pulumi/sdk/v3"
SHIM_SRC="$LVS_REPO/scripts/engine/pulumi-language-nodejs/main.go"
mkdir -p "$LVS_ENGINE_BIN"

# Go flags for every build here. Builds run under nice: other work shares the 2 cores.
export GOFLAGS="-buildvcs=false -trimpath"
# The checksum database is unreachable here (its lookups answer 404), so it is skipped for the
# pulumi repo's modules only. Every dependency is still verified against pkg's and sdk's own
# go.sum, and the two top-level zips against scripts/engine/go-sums.txt.
export GONOSUMDB="github.com/pulumi/pulumi,github.com/pulumi/pulumi-command"

# One build at a time per cache dir: CI and a developer shell may start this together.
exec 9>"$LVS_ENGINE_DIR/.lock"
flock 9

now_ms() { local t=${EPOCHREALTIME/./}; echo $(( t / 1000 )); }
secs() { local ms=$(( $(now_ms) - $1 )); printf '%d.%01ds' $(( ms / 1000 )) $(( ms % 1000 / 100 )); }
t_all=$(now_ms)
timed() { # timed LABEL CMD...: runs CMD, prints how long it took
  local label=$1 t0; shift; t0=$(now_ms)
  "$@"
  note "$label: $(secs "$t0")"
}

# mod_field JSON FIELD: one field of `go mod download -json` output ("" when absent).
mod_field() { node -e 'const j=JSON.parse(process.argv[1]); console.log(j[process.argv[2]] ?? "")' "$1" "$2"; }

# GOPROXY as configured, minus a trailing "direct": these machines reach no VCS host, so a
# module the proxy lacks would only end in a confusing git error instead of the proxy's answer.
proxy_only() {
  local p; p="$(go env GOPROXY)"; p="${p%,direct}"; p="${p%|direct}"
  echo "$p"
}

# fetch MODULE@VERSION: downloads into the module cache, echoes its Dir; fails with Go's reason
# (first line, addresses elided so no registry address lands in the cache's marker files).
fetch() {
  local json err dir sum pinned
  json="$(GOPROXY="$(proxy_only)" go mod download -json "$1" 2>/dev/null || true)"
  [ -n "$json" ] || { go mod download "$1"; return 1; }
  err="$(mod_field "$json" Error)"
  [ -z "$err" ] || { echo "$err" | head -n 1 | sed -E 's#[a-z]+://[^ ]*#<proxy>#g' >&2; return 1; }
  dir="$(mod_field "$json" Dir)"; sum="$(mod_field "$json" Sum)"
  pinned="$(awk -v m="$1" '$1 == m { print $2 }' "$LVS_REPO/scripts/engine/go-sums.txt")"
  if [ -n "$pinned" ] && [ "$pinned" != "$sum" ]; then
    echo "$1: hash $sum does not match $pinned in scripts/engine/go-sums.txt" >&2; return 1
  fi
  [ -n "$pinned" ] || note "no pinned hash for $1 (got $sum): add it to scripts/engine/go-sums.txt"
  echo "$dir"
}

WORK=""
cleanup() { [ -z "$WORK" ] || rm -rf "$WORK"; }
trap cleanup EXIT

# Upstream builds pkg with `replace sdk/v3 => ../sdk`, which `go install` refuses, so the
# repo layout (pkg/ and sdk/ side by side, writable) is rebuilt from the module cache.
prepare_sources() {
  [ -z "$WORK" ] || return 0
  local pkg_dir sdk_dir
  pkg_dir="$(fetch "$PKG_MOD@$V")" || die "cannot fetch $PKG_MOD@$V from the Go module proxy"
  sdk_dir="$(fetch "$SDK_MOD@$V")" || die "cannot fetch $SDK_MOD@$V from the Go module proxy"
  WORK="$(mktemp -d "$LVS_CACHE/engine/.build.XXXXXX")"
  cp -r "$pkg_dir" "$WORK/pkg"
  cp -r "$sdk_dir" "$WORK/sdk"
  chmod -R u+w "$WORK"
}

# install_bin SRC NAME: atomic move into bin/, so a killed build never leaves half a binary.
install_bin() { chmod 0755 "$1"; mv -f "$1" "$LVS_ENGINE_BIN/$2"; }

build_cli() {
  [ -x "$LVS_ENGINE_BIN/pulumi" ] && return 0
  prepare_sources
  note "building pulumi $V (cold: about 10 minutes on 2 cores)"
  (cd "$WORK/pkg" && nice -n 10 go build -o "$WORK/pulumi" \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$V" \
      ./cmd/pulumi) || die "go build of $PKG_MOD/cmd/pulumi failed (output above)"
  install_bin "$WORK/pulumi" pulumi
}

# The host is compiled as a package inside the sdk/v3 copy, so it uses sdk's own go.mod and
# go.sum and needs no module of its own. A stamp of its source hash triggers rebuilds.
build_language_host() {
  local stamp="$LVS_ENGINE_DIR/pulumi-language-nodejs.src-sha256" want
  want="$(sha256sum "$SHIM_SRC" | cut -d' ' -f1)"
  if [ -x "$LVS_ENGINE_BIN/pulumi-language-nodejs" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  prepare_sources
  mkdir -p "$WORK/sdk/lvs/pulumi-language-nodejs"
  cp "$SHIM_SRC" "$WORK/sdk/lvs/pulumi-language-nodejs/main.go"
  (cd "$WORK/sdk" && nice -n 10 go build -o "$WORK/pulumi-language-nodejs" \
      -ldflags "-s -w -X main.version=$LVS_PULUMI_VERSION" ./lvs/pulumi-language-nodejs) \
    || die "go build of scripts/engine/pulumi-language-nodejs failed (output above)"
  install_bin "$WORK/pulumi-language-nodejs" pulumi-language-nodejs
  echo "$want" >"$stamp"
}

# Dynamic providers (pulumi.dynamic.Resource) run through this launcher script.
install_dynamic_launcher() {
  [ -x "$LVS_ENGINE_BIN/pulumi-resource-pulumi-nodejs" ] && return 0
  prepare_sources
  cp "$WORK/sdk/nodejs/dist/pulumi-resource-pulumi-nodejs" "$WORK/launcher"
  install_bin "$WORK/launcher" pulumi-resource-pulumi-nodejs
}

# pulumi-command keeps its provider in a nested module (provider/) but tags releases only at
# the repo root, so `provider@vX.Y.Z` does not exist upstream and pseudo-versions of it are
# not served by the proxy here. The attempt stays so a future pin that is served can work
# (that branch has never run: no version was fetchable when this was written); a failure is
# remembered per version so warm runs stay offline.
build_command_provider() {
  [ -n "$LVS_COMMAND_VERSION" ] || return 0
  [ -x "$LVS_ENGINE_BIN/pulumi-resource-command" ] && return 0
  local mod="github.com/pulumi/pulumi-command/provider@v$LVS_COMMAND_VERSION"
  local marker="$LVS_ENGINE_DIR/pulumi-resource-command.unavailable" dir reason
  if [ -f "$marker" ] && [ "${LVS_ENGINE_RETRY:-0}" != 1 ] && grep -qxF "$mod" "$marker"; then
    reason="$(tail -n +2 "$marker")"
  elif dir="$(fetch "$mod" 2>"$LVS_ENGINE_DIR/.fetch-err")"; then
    local work; work="$(mktemp -d "$LVS_CACHE/engine/.build.XXXXXX")"
    cp -r "$dir" "$work/provider" && chmod -R u+w "$work"
    if (cd "$work/provider" && nice -n 10 go build -o "$work/bin" \
          -ldflags "-s -w -X github.com/pulumi/pulumi-command/provider/pkg/version.Version=v$LVS_COMMAND_VERSION" \
          ./cmd/pulumi-resource-command); then
      install_bin "$work/bin" pulumi-resource-command; rm -rf "$work"; return 0
    fi
    rm -rf "$work"; reason="go build of $mod failed (output above)"
  else
    reason="the Go module proxy does not serve it ($(cat "$LVS_ENGINE_DIR/.fetch-err"))"
    printf '%s\n%s\n' "$mod" "$reason" >"$marker"
  fi
  rm -f "$LVS_ENGINE_DIR/.fetch-err"
  local msg="pulumi-resource-command $LVS_COMMAND_VERSION is not available: $reason
  @pulumi/command resources cannot run under the real engine; dynamic providers still work."
  [ "${LVS_REQUIRE_COMMAND_PROVIDER:-0}" = 1 ] && die "$msg"
  note "WARNING: $msg"
}

timed "pulumi CLI" build_cli
timed "pulumi-language-nodejs" build_language_host
timed "pulumi-resource-pulumi-nodejs" install_dynamic_launcher
timed "pulumi-resource-command" build_command_provider

got="$("$LVS_ENGINE_BIN/pulumi" version 2>/dev/null || true)"
[ "$got" = "$V" ] || die "$LVS_ENGINE_BIN/pulumi reports version '$got', expected $V"
note "engine $V ready in $LVS_ENGINE_BIN (total $(secs "$t_all"))"
