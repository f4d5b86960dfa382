#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Try a jobd policy in a guest, by hand: load jobd.ko, attach the policy with
# `modless load` in the background, submit jobs, print where they were placed
# and ran, detach, unload. Runs in the guest (cwd: the repository):
#
#   scripts/run-qemu.sh -- examples/jobd/try-policy.sh POLICY.bpf.o DOMAINS COUNT:COST_US...
#
# e.g. `... my_policy.bpf.o 3 40:9000 10:10000`: jobd with 3 domains (one
# worker per CPU; the guest has 4 CPUs), then 40 jobs of 9 ms and 10 of 10 ms
# (jobd takes costs up to 10000 us).
# The guest sees the host's files read-only and the working directory writable;
# /tmp, /root, /run and /var/tmp are empty there but for the paths named on the
# run-qemu.sh command line.
set -eu
[ $# -ge 3 ] || {
	echo "usage: $0 POLICY.bpf.o DOMAINS COUNT:COST_US..." >&2
	exit 2
}
obj=$1 domains=$2
shift 2
repo=$(cd "$(dirname "$0")/../.." && pwd)
modless=$repo/target/debug/modless
proc=/proc/jobd

say() { echo "try-policy: $*"; }
die() {
	echo "try-policy: error: $*" >&2
	exit 1
}
policy() { sed -n 's/^policy: //p' "$proc"; }

say "insmod jobd.ko domains=$domains"
insmod "$repo/examples/jobd/module/jobd.ko" domains="$domains"

say "modless load $obj &"
"$modless" load "$obj" &
loader=$!
# Loading takes seconds under TCG; jobd names the policy once it is attached.
tries=0
while [ "$(policy)" = default ]; do
	kill -0 "$loader" 2>/dev/null || die "modless load exited before the policy was attached"
	tries=$((tries + 1))
	[ "$tries" -le 120 ] || die "no policy attached after 120 s"
	sleep 1
done
say "attached: $(policy)"

for batch in "$@"; do
	say "submit ${batch%%:*} ${batch#*:}"
	echo "submit ${batch%%:*} ${batch#*:}" >"$proc"
done
echo "drain 60000" >"$proc" || die "jobs still running after 60 s"
say "placement (per domain: placed by the policy, ran there):"
grep -E '^(policy|submitted|rejected|completed|domain)[: ]' "$proc"

say "detach: SIGTERM to modless load"
kill -TERM "$loader"
wait "$loader" || die "modless load exited with status $?"
[ "$(policy)" = default ] || die "policy $(policy) still attached after modless load ended"
say "detached: policy $(policy)"

say "rmmod jobd"
rmmod jobd
say "done"
