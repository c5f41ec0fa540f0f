#!/usr/bin/env bash
# Smoke test of the engine from build-engine.sh: a throwaway Node project outside the repo
# (using the repo's node_modules) goes through login, stack init, up, preview, destroy with a
# dynamic provider, and must show no changes on the second preview.
# LVS_SMOKE_COMMAND=1 adds one @pulumi/command local.Command (needs pulumi-resource-command).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
dir="$(mktemp -d "${TMPDIR:-/tmp}/lvs-engine-smoke.XXXXXX")"
trap 'rm -rf "$dir"' EXIT

export LVS_PULUMI_STATE="$dir/state"
# shellcheck source-path=SCRIPTDIR source=../pulumi-env.sh
source "$repo/scripts/pulumi-env.sh"

mkdir -p "$dir/proj"
cd "$dir/proj"
ln -s "$repo/node_modules" node_modules
# Plain JavaScript: the e2e tier loads compiled code too, and it skips ts-node's type check.
cat >Pulumi.yaml <<'EOF'
name: engine-smoke
runtime:
  name: nodejs
  options:
    typescript: false
EOF
echo '{ "name": "engine-smoke", "private": true, "main": "index.js" }' >package.json
cat >index.js <<'EOF'
const pulumi = require("@pulumi/pulumi");
// Serialized by the engine and run by pulumi-resource-pulumi-nodejs: capture nothing live.
const provider = {
  async create(inputs) { return { id: `echo-${inputs.text}`, outs: { text: inputs.text, length: inputs.text.length } }; },
  async diff(_id, olds, news) { return { changes: olds.text !== news.text, replaces: ["text"] }; },
  async delete() {},
};
const echo = new pulumi.dynamic.Resource(provider, "echo", { text: "hi", length: undefined });
exports.length = echo.length;
if (process.env.LVS_SMOKE_COMMAND === "1") {
  const command = require("@pulumi/command");
  exports.stdout = new command.local.Command("hello", { create: "echo hi" }).stdout;
}
EOF

step() { local t0=${EPOCHREALTIME/./}; echo "+ $*"; "$@"; echo "  ($(( (${EPOCHREALTIME/./} - t0) / 1000 )) ms)"; }
step pulumi login >/dev/null
step pulumi stack init smoke
step pulumi up --yes --skip-preview --color never
[ "$(pulumi stack output length)" = 2 ] || { echo "smoke: unexpected stack output" >&2; exit 1; }
step pulumi preview --expect-no-changes --color never
step pulumi destroy --yes --skip-preview --color never
step pulumi stack rm --yes smoke
echo "smoke: engine OK ($(pulumi version))"
