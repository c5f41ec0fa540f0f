# shellcheck shell=bash disable=SC2034  # variables are for the scripts that source this
# Sourced by build-engine.sh and pulumi-env.sh so both agree on versions and paths.
#
# The engine must match the Node SDK the program loads, so versions come from what npm
# installed (node_modules/@pulumi/*/package.json) and fall back to the pins in package.json.
# Sets: LVS_REPO LVS_CACHE LVS_PULUMI_VERSION LVS_COMMAND_VERSION LVS_ENGINE_DIR LVS_ENGINE_BIN

LVS_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LVS_CACHE="${LVS_CACHE:-$HOME/.cache/pulumi-lvs}"

# lvs_npm_version NAME: installed version of NAME, else its exact pin in package.json
# (empty when the project does not depend on NAME).
lvs_npm_version() {
  # shellcheck disable=SC2016  # the single-quoted text is JavaScript, not shell
  node -e '
    const fs = require("fs"), path = require("path");
    const [repo, name] = process.argv.slice(1);
    const installed = path.join(repo, "node_modules", name, "package.json");
    if (fs.existsSync(installed)) { console.log(require(installed).version); process.exit(0); }
    const pkg = require(path.join(repo, "package.json"));
    const spec = (pkg.dependencies || {})[name] || (pkg.devDependencies || {})[name] || "";
    if (spec && !/^\d+\.\d+\.\d+$/.test(spec)) {
      console.error(`package.json: ${name} must be pinned to an exact version (found "${spec}")`);
      process.exit(1);
    }
    console.log(spec);
  ' "$LVS_REPO" "$1"
}

LVS_PULUMI_VERSION="$(lvs_npm_version @pulumi/pulumi)"
LVS_COMMAND_VERSION="$(lvs_npm_version @pulumi/command)"
# One directory per CLI version: everything in bin/ is built against that version.
LVS_ENGINE_DIR="$LVS_CACHE/engine/pulumi-v$LVS_PULUMI_VERSION"
LVS_ENGINE_BIN="$LVS_ENGINE_DIR/bin"
