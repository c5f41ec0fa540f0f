#!/usr/bin/env bash
# The main job: bring the lab up and `pulumi up` the DR cluster on it (director1, rs1, rs2,
# VIP 192.168.13.100:80, rr), show the client being served by both real servers, then say
# how to preview a change, apply it and destroy. Run scripts/setup.sh once before.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)
elapsed() { echo "$(( $(date +%s) - t0 ))s"; }

npm run --silent build
npm run --silent lab:up
node scripts/lab-stack-hosts.js
# shellcheck source=pulumi-env.sh
source scripts/pulumi-env.sh
# State from an earlier lab describes VMs that may have been recreated since; start the
# stack afresh. Safe on a live cluster too: host steps are idempotent and IpvsTable adopts
# the entries it finds that match.
pulumi stack rm --yes --force --preserve-config --non-interactive --stack lab >/dev/null 2>&1 || true
pulumi stack init lab --non-interactive >/dev/null
echo "== pulumi up (stack lab)"
pulumi up --yes --non-interactive --skip-preview --stack lab
echo "== pulumi up done at $(elapsed)"

echo "== the client (192.168.13.250, inside the lab's namespace) asks the VIP 6 times:"
ns=$(node -e 'console.log(require("./.lab/hosts.json").netns)')
for _ in 1 2 3 4 5 6; do
    ip netns exec "$ns" curl -s --max-time 5 http://192.168.13.100/ || echo "(request failed)"
done

cat <<'NEXT'

The DR cluster is up. Next:
  source scripts/pulumi-env.sh
  # change a weight or add rs3 in stacks/Pulumi.lab.yaml, then see exactly which entries change:
  pulumi preview --diff --stack lab
  pulumi up --stack lab
  # see drift (entries changed by hand on director1) entry by entry:
  pulumi preview --refresh --diff --stack lab
  # put every host back as it was, and stop the lab:
  pulumi destroy --yes --stack lab && npm run lab:down
NEXT
