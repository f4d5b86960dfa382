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
	for tool in mount mkdir cat sync; do
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
# Each process costs tens of milliseconds under TCG (a dynamic one more):
# what the shell can do itself, it does.
now() { read -r now _ </proc/uptime; }
mounted() { # SOURCE DIR
	while read -r src dir _; do
		[ "$src $dir" != "$1 $2" ] || return 0
	done </proc/mounts
	return 1
}
# Lines "SOURCE DIR TYPE [OPTIONS]" on stdin, mounted by one process; its
# status is non-zero if any failed (the others are mounted all the same).
mount_all() {
	while read -r src dir type opts; do
		echo "$src $dir $type ${opts:-defaults} 0 0"
	done >/dev/.modless-fstab
	mount -a -T /dev/.modless-fstab
}

mount -t proc proc /proc
# The kernel mounts devtmpfs itself only when it mounted the root, not after an initramfs.
mounted devtmpfs /dev || mount -t devtmpfs devtmpfs /dev
now
read -r release </proc/sys/kernel/osrelease
say "INIT up=$now kernel=$release"
# The kernel autoloads a module by running the host's modprobe, a dynamic
# binary linking libcrypto (0.2-1 s under TCG: bpffs's mount below asks for
# bpf_preload). Without a module tree for this kernel it can load nothing, so
# autoloading is turned off (an empty path): requests fail at once, as they
# would have after the exec.
modprobe_knob=/proc/sys/kernel/modprobe
[ -d "/lib/modules/$release" ] || [ ! -e "$modprobe_knob" ] || echo >"$modprobe_knob"

# Writable scratch space over the read-only root; the host paths the command
# names there stay visible: each is bound aside on /dev, then moved back on top.
held=/dev/.modless-views
[ -r "$run/views" ] || die "no view list at $run/views"
while IFS= read -r p; do echo "$p"; done <"$run/views" >"$held.list"
i=0
while IFS= read -r p; do
	[ -d "$held" ] || mkdir "$held"
	if [ -d "$p" ]; then mkdir "$held/$i"; else : >"$held/$i"; fi
	mount -o bind "$p" "$held/$i" || die "cannot bind $p"
	i=$((i + 1))
done <"$held.list"
# Redirected, not piped: a pipeline would fork two shells.
{
	echo "sysfs /sys sysfs"
	for d in /tmp /run /var/tmp /root; do
		[ ! -d "$d" ] || echo "tmpfs $d tmpfs mode=1777"
	done
} >"$held.mounts"
mount_all <"$held.mounts" || die "cannot mount sysfs and the scratch tmpfs"
i=0
while IFS= read -r p; do
	if [ -d "$held/$i" ]; then mkdir -p "$p"; else mkdir -p "${p%/*}" && : >"$p"; fi
	mount -o move "$held/$i" "$p" || die "cannot show $p"
	i=$((i + 1))
done <"$held.list"
# The working and run directories exist on the host, so in the guest too
# unless a tmpfs above hides them.
mkdir -p /dev/shm /dev/pts "$cwd" "$run" || die "cannot create $cwd and $run"
p9="trans=virtio,version=9p2000.L,msize=512000"
# One process for all; a pseudo file system this kernel lacks is not an
# error, the two shares are checked after.
mount_all <<EOF
mlcwd $cwd 9p $p9
mlrun $run 9p $p9
tmpfs /dev/shm tmpfs
devpts /dev/pts devpts
bpf /sys/fs/bpf bpf
debugfs /sys/kernel/debug debugfs
tracefs /sys/kernel/tracing tracefs
cgroup2 /sys/fs/cgroup cgroup2
EOF
mounted mlcwd "$cwd" && mounted mlrun "$run" || die "cannot mount $cwd and $run"
[ -r "$run/tests" ] || die "no test list at $run/tests"
[ -d "$run/out" ] || mkdir -p "$run/out"
: >"$run/results"

tab='	' # one tab: $(printf '\t') would fork
n=0
hung_knob=/proc/sys/kernel/hung_task_timeout_secs
# Without the knob the kernel has no hung-task detector to relax.
set_hung() { [ ! -e "$hung_knob" ] || echo "$1" >"$hung_knob" || die "cannot set $hung_knob to $1"; }
# Read when first needed, and whole: a sysctl read from an offset is empty,
# and the shell's `read` takes one byte at a time.
hung_default=unread
while IFS="$tab" read -r name limit hung mode; do
	[ -n "$name" ] || continue
	[ "$hung" != - ] || hung=
	say "TEST-BEGIN $n $name"
	if [ -n "$hung" ]; then
		[ "$hung_default" != unread ] || hung_default=$(cat "$hung_knob" 2>/dev/null)
		set_hung "$hung"
	fi
	now
	start=$now
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
	now
	end=$now
	[ -z "$hung" ] || set_hung "$hung_default"
	echo "$n $rc $start $end" >>"$run/results"
	say "TEST-END $n $rc"
	n=$((n + 1))
done <"$run/tests"

# The kernel log, each line stamped with its time: the host boots with
# printk.time=1, so the static busybox, loaded already, prints the stamps as
# util-linux's dmesg does, without one more dynamic exec (0.1-1 s under TCG).
# -s: the whole ring (the stamps make its text longer than the ring).
if command -v busybox >/dev/null; then
	busybox dmesg -s 1048576 >"$run/kmsg.log" 2>&1
else
	/usr/bin/dmesg >"$run/kmsg.log" 2>&1
fi
echo "$n" >"$run/done"
# The end marker goes through the kernel's log at warning level (shown on the
# console). On 7.3 the 8250 console prints from its own thread (nbcon), and
# the reset's flush can cut a line that thread is printing: the marker goes
# out before the sync, which gives the thread the time to print it. The
# host judges the run by the `done` file above, not by this line.
now
echo "<4>MODLESS-DONE up=$now" >/dev/kmsg 2>/dev/null || say "DONE up=$now"
sync
# No ACPI power-off is needed: QEMU runs with -no-reboot, so a reboot exits it.
echo b >/proc/sysrq-trigger
sleep 5
