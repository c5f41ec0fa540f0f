# shellcheck shell=bash
# Source me (bash): `source scripts/pulumi-env.sh` after `scripts/build-engine.sh`.
# Points the shell at the engine built from Go modules and keeps every bit of Pulumi state in
# the lab: no cloud backend, no update checks, no plugin downloads, nothing under ~/.pulumi.
#
# Overrides (set before sourcing):
#   LVS_CACHE                cache root (default ~/.cache/pulumi-lvs)
#   LVS_PULUMI_STATE         directory of the file backend (default <repo>/.lab/pulumi-state)
#   LVS_PULUMI_HOME          PULUMI_HOME (default <cache>/pulumi-home)
#   PULUMI_CONFIG_PASSPHRASE / PULUMI_CONFIG_PASSPHRASE_FILE   kept if already set

# shellcheck source-path=SCRIPTDIR source=engine/versions.sh
source "$(dirname "${BASH_SOURCE[0]}")/engine/versions.sh" || return 1

if [ ! -x "$LVS_ENGINE_BIN/pulumi" ]; then
  echo "pulumi-env: no engine in $LVS_ENGINE_BIN; run scripts/build-engine.sh first" >&2
  return 1
fi

# Engine binaries first, so the CLI finds its language host and providers as ambient plugins.
case ":$PATH:" in
  *":$LVS_ENGINE_BIN:"*) ;;
  *) export PATH="$LVS_ENGINE_BIN:$PATH" ;;
esac

# Own PULUMI_HOME: credentials, plugin cache and workspace settings never touch the user's.
export PULUMI_HOME="${LVS_PULUMI_HOME:-$LVS_CACHE/pulumi-home}"
# File backend: the lab's state stays beside the lab (gitignored) and is thrown away with it.
LVS_PULUMI_STATE="${LVS_PULUMI_STATE:-$LVS_REPO/.lab/pulumi-state}"
mkdir -p "$PULUMI_HOME" "$LVS_PULUMI_STATE"
export PULUMI_BACKEND_URL="file://$LVS_PULUMI_STATE"
# Passphrase secrets provider; this default only ever protects throwaway lab stacks.
if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  export PULUMI_CONFIG_PASSPHRASE="pulumi-lvs-lab-only"
fi

# No network calls the machine cannot make anyway: update checks and plugin downloads fail
# slowly or noisily here, and every plugin the lab needs is on PATH.
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
# Ambient plugins (found on PATH) are the only plugins the lab has; never ignore them.
unset PULUMI_IGNORE_AMBIENT_PLUGINS
# Node programs: the Automation API checks the CLI version against the SDK; they match by
# construction (both come from package.json), so the check stays on.
