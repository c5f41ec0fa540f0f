#!/usr/bin/env bash
# `npm test`: the type check, then the unit, lab and real-engine tiers, stopping at the first
# that fails, and always ending with the table of where the time went (each tier, and each lab
# and e2e file), from .test-times/ (written by test/support/timing-reporter.ts).
set -uo pipefail
cd "$(dirname "$0")/.."
rm -rf .test-times && mkdir -p .test-times
tiers=()

run_tier() {
    local name=$1 t0 rc
    shift
    t0=$(date +%s%N)
    "$@"
    rc=$?
    tiers+=("$name $(( ($(date +%s%N) - t0) / 1000000 )) $rc")
    printf '%s\n' "${tiers[@]}" > .test-times/tiers.txt
    return $rc
}

finish() { node scripts/test-times.js table; }
trap finish EXIT

# lab.test.ts proves a cold lab, alone; the other lab files then run two at a time where their
# hosts are disjoint (test/support/host-lease.ts). lab-down.test.ts proves that down leaves
# nothing; it runs after the e2e tier, which needs the lab up.
LAB_FIRST=test/lab/lab.test.ts
LAB_DOWN=test/lab/lab-down.test.ts
lab_tier() {
    npx vitest run --project lab "$LAB_FIRST" &&
        npx vitest run --project lab --exclude "$LAB_FIRST" --exclude "$LAB_DOWN"
}
run_tier typecheck npm run --silent typecheck &&
    run_tier unit npm run --silent test:unit &&
    run_tier lab lab_tier &&
    run_tier e2e npm run --silent test:e2e &&
    run_tier lab-down npx vitest run --project lab "$LAB_DOWN"
