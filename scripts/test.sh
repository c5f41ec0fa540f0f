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

# The lab is one per machine: this run holds its lock from the lab tier on, and its vitest runs
# join it (test/support/lab-lock.ts).
LOCK=/var/tmp/pulumi-lvs-lab.test-lock
take_lab_lock() {
    local pid announced=0 started=$SECONDS
    until mkdir "$LOCK" 2>/dev/null; do
        pid=$(cat "$LOCK/pid" 2>/dev/null || true)
        # An owner that is gone (or a lock still without a pid after a few seconds) is stale.
        if { [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; } || { [ -z "$pid" ] && [ $((SECONDS - started)) -gt 5 ]; }; then
            rm -rf "$LOCK"
            continue
        fi
        [ "$announced" = 1 ] || echo "[lab-lock] waiting for another test run (pid ${pid:-?}) to finish with the lab"
        announced=1
        sleep 2
    done
    echo $$ > "$LOCK/pid"
    export LVS_LAB_LOCK_OWNER=$$
}
give_lab_lock() { [ "$(cat "$LOCK/pid" 2>/dev/null)" != "$$" ] || rm -rf "$LOCK"; }

finish() {
    give_lab_lock
    node scripts/test-times.js table
}
trap finish EXIT

# lab.test.ts proves a cold lab, alone. Then two lanes side by side, each file leasing the hosts
# it uses (test/support/host-lease.ts): the e2e files in order, and beside them the other lab
# files and reboot-restores (director2, rs3). lab-down.test.ts proves that down leaves nothing;
# it runs after both lanes, which need the lab up.
LAB_FIRST=test/lab/lab.test.ts
LAB_DOWN=test/lab/lab-down.test.ts
SIDE_E2E=test/e2e/reboot-restores.test.ts
side_lane() {
    npx vitest run --project lab --project e2e --maxWorkers=1 --exclude "$LAB_FIRST" --exclude "$LAB_DOWN" test/lab/ "$SIDE_E2E"
}
lanes() {
    local side_pid side_rc main_rc
    npm run --silent build || return
    side_lane > .test-times/side-lane.log 2>&1 &
    side_pid=$!
    npx vitest run --project e2e --exclude "$SIDE_E2E"
    main_rc=$?
    wait "$side_pid"
    side_rc=$?
    echo "== the lane beside the e2e files (lab files and $SIDE_E2E), exit $side_rc:"
    cat .test-times/side-lane.log
    [ "$main_rc" = 0 ] && [ "$side_rc" = 0 ]
}
run_tier typecheck npm run --silent typecheck &&
    run_tier unit npm run --silent test:unit &&
    take_lab_lock &&
    run_tier lab npx vitest run --project lab "$LAB_FIRST" &&
    run_tier "e2e+lab" lanes &&
    run_tier lab-down npx vitest run --project lab "$LAB_DOWN"
