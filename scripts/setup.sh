#!/usr/bin/env bash
# Everything a fresh machine needs, from the project's own files: Debian packages for the lab,
# npm packages, the Pulumi engine built from Go modules, and the lab image. Slow artifacts are
# cached outside the clone (keyed by version or recipe) and rebuilt only when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)
step() { printf '\n== %s (%ss)\n' "$1" "$(( $(date +%s) - t0 ))"; }

step "host packages"; bash lab/install-host-deps.sh
step "npm packages"; npm ci --no-audit --no-fund
step "compile"; npm run build
step "pulumi engine"; bash scripts/build-engine.sh
step "lab image"; npm run lab:image
step "setup done"
