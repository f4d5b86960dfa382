#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# PID 1 of a modless guest. The root is the host's / over virtio-9p, read-only;
# the host passes the run directory and working directory on the kernel command
# line (unknown key=value parameters reach init as environment variables).
#
# Protocol with the host (modless-qemu):
#   $modless_run/tests        one test per line: NAME<TAB>TIMEOUT_S<TAB>HUNG_TASK_S<TAB>MODE
#                             (HUNG_TASK_S "-": the kernel's hung-task timeout;
#                             MODE "tty": run on the console as a session leader with
#                             it as controlling terminal, no time limit (--shell))
#   $modless_run/cmd/N.sh     the shell script of test N (N counts from 0)
#   $modless_run/out/N.log    output of test N (stdout+stderr)
#   $modless_run/results      one line per finished test: N RC START END (uptime s)
#   $modless_run/views        host paths to show read-only over the tmpfs below,
#                             one a line (read through the root before /root is covered)
#   $modless_run/kmsg.log     the kernel log at the end (console output is
#                             asynchronous and may not be flushed before reboot)
#   $modless_run/done         written last; its absence means the guest died early
# Markers (MODLESS-*) go to the console and into the kernel log, so the host can
# attribute kernel splats to the test that was running.

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb
run=$modless_run
cwd=$modless_cwd

# Every exec of a dynamic binary over 9p costs tens of milliseconds under TCG;
# the static busybox, when the host has it, makes init several times faster.
# (Not busybox's sh as init: on 6.12 the applets its standalone shell runs
# misread their options, e.g. "mount: -t: invalid option".)
if command -v busybox >/dev/null; then
	for tool in mount mkdir cut nproc uname sync; do
		eval "$tool() { busybox $tool \"\$@\"; }"
	done
fi
# Tests get coreutils' timeout (exit status 124) and the host's sh.
timeout=/usr/bin/timeout

say() {
	echo "MODLESS-$*"
	# Level 5 stays out of the console (loglevel=5) but lands in the log.
	echo "<5>MODLESS-$*" >/dev/kmsg 2>/dev/null
}
die() {
	say "INIT-ERROR $*"
	echo b >/proc/sysrq-trigger
	sleep 5
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
# The kernel mounts devtmpfs itself only when it mounted the root, not after an initramfs.
grep -q '^[^ ]* /dev devtmpfs' /proc/mounts || mount -t devtmpfs devtmpfs /dev
say "INIT up=$(cut -d' ' -f1 /proc/uptime) cpus=$(nproc) kernel=$(uname -r)"

# Writable scratch space over the read-only root; the host paths the command
# names there stay visible: each is bound aside on /dev, then moved back on top.
held=/dev/.modless-views
mkdir -p "$held"
cat "$run/views" >"$held/list" 2>/dev/null || die "no view list at $run/views"
i=0
while IFS= read -r p; do
	if [ -d "$p" ]; then mkdir "$held/$i"; else : >"$held/$i"; fi
	mount -o bind "$p" "$held/$i" || die "cannot bind $p"
	i=$((i + 1))
done <"$held/list"
for d in /tmp /run /var/tmp /root; do
	[ -d "$d" ] && mount -t tmpfs -o mode=1777 tmpfs "$d"
done
i=0
while IFS= read -r p; do
	if [ -d "$held/$i" ]; then mkdir -p "$p"; else mkdir -p "${p%/*}" && : >"$p"; fi
	mount -o move "$held/$i" "$p" || die "cannot show $p"
	i=$((i + 1))
done <"$held/list"
mkdir -p /dev/shm /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t devpts devpts /dev/pts
mount -t bpf bpf /sys/fs/bpf
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing
mount -t cgroup2 cgroup2 /sys/fs/cgroup

p9="trans=virtio,version=9p2000.L,msize=512000"
mkdir -p "$cwd" && mount -t 9p -o "$p9" mlcwd "$cwd" || die "cannot mount $cwd"
mkdir -p "$run" && mount -t 9p -o "$p9" mlrun "$run" || die "cannot mount $run"
[ -r "$run/tests" ] || die "no test list at $run/tests"
mkdir -p "$run/out"
: >"$run/results"

uptime_s() { cut -d' ' -f1 /proc/uptime; }
tab=$(printf '\t')
n=0
hung_knob=/proc/sys/kernel/hung_task_timeout_secs
# Without the knob the kernel has no hung-task detector to relax.
set_hung() { [ ! -e "$hung_knob" ] || echo "$1" >"$hung_knob" || die "cannot set $hung_knob to $1"; }
hung_default=$(cat "$hung_knob" 2>/dev/null)
while IFS="$tab" read -r name limit hung mode; do
	[ -n "$name" ] || continue
	[ "$hung" != - ] || hung=
	say "TEST-BEGIN $n $name"
	[ -z "$hung" ] || set_hung "$hung"
	start=$(uptime_s)
	if [ "$mode" = tty ]; then
		# Job control needs a session whose controlling terminal is the serial line.
		(cd "$cwd" && TERM=${modless_term:-vt100} exec /usr/bin/setsid -w -c /bin/sh "$run/cmd/$n.sh") \
			<>/dev/ttyS0 >&0 2>&0
	else
		# -e: a script fails at its first failing command, not only its last.
		(cd "$cwd" && exec "$timeout" -k 5 "$limit" /bin/sh -e "$run/cmd/$n.sh") \
			>"$run/out/$n.log" 2>&1 </dev/null
	fi
	rc=$?
	end=$(uptime_s)
	[ -z "$hung" ] || set_hung "$hung_default"
	echo "$n $rc $start $end" >>"$run/results"
	say "TEST-END $n $rc"
	n=$((n + 1))
done <"$run/tests"

# util-linux's dmesg stamps each line with its time (busybox's cannot: this
# kernel has no PRINTK_TIME); busybox's when the host lacks it.
/usr/bin/dmesg >"$run/kmsg.log" 2>&1 || busybox dmesg >"$run/kmsg.log"
echo "$n" >"$run/done"
sync
# The end marker goes through the kernel's log at warning level (shown on the
# console): printed before the reset's own last words, whereas a write to the
# console's tty may still sit in the UART's buffer when the guest resets.
echo "<4>MODLESS-DONE up=$(uptime_s)" >/dev/kmsg 2>/dev/null || say "DONE up=$(uptime_s)"
# No ACPI power-off is needed: QEMU runs with -no-reboot, so a reboot exits it.
echo b >/proc/sysrq-trigger
sleep 5
