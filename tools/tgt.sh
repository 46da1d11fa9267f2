#!/bin/sh
# tgt.sh - a private, loopback-only iSCSI target (Debian's user-space tgtd)
# for the passthrough tests.
#
#   tools/tgt.sh start DIR PORT CTL IQN IMAGE   start tgtd, export IMAGE as LUN 1
#   tools/tgt.sh stop DIR                        tear it down
#
# DIR     a directory of our own for state: tgtd.pid, ctl, tgtd.log
# PORT    TCP port; tgtd listens on 127.0.0.1:PORT only
# CTL     tgtd's control port number (-C, 1..32767): a private management
#         socket (/var/run/tgtd/socket.CTL), so this instance never meets
#         another tgtd on the machine
# IQN     target name, e.g. iqn.2024-01.vscsi.test:t1
# IMAGE   a file, exported as LUN 1 (tgt's LUN 0 is its controller LUN)
#
# `start` prints the iSCSI URL (iscsi://127.0.0.1:PORT/IQN/1) on success.  On
# failure it says why on stderr, stops what it started and exits non-zero:
# status 2 means tgtd is not installed (tests skip on that).
# Only 127.0.0.1 may log in (bind -I 127.0.0.1); any initiator name is
# accepted, so one QEMU can log in twice as two I_T nexuses.
set -u

die() { echo "tgt.sh: $*" >&2; exit 1; }

TGTD=${TGTD:-/usr/sbin/tgtd}
TGTADM=${TGTADM:-tgtadm}

adm() { "$TGTADM" -C "$CTL" "$@"; }

# Is the process in DIR/tgtd.pid still our tgtd?
alive() {
	[ -f "$DIR/tgtd.pid" ] || return 1
	pid=$(cat "$DIR/tgtd.pid")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

stop() {
	[ -f "$DIR/ctl" ] && CTL=$(cat "$DIR/ctl") || CTL=
	if [ -n "$CTL" ] && alive; then
		# A plain SIGTERM is ignored while targets exist (tgtd 1.0.85):
		# take the system offline, delete the target, then the system.
		adm --op update --mode sys --name State -v offline >/dev/null 2>&1
		adm --lld iscsi --op delete --mode target --tid 1 --force >/dev/null 2>&1
		adm --op delete --mode system >/dev/null 2>&1
	fi
	if alive; then
		pid=$(cat "$DIR/tgtd.pid")
		for i in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.2
		done
		kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null && sleep 0.5
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	fi
	# tgtd leaves its control socket and lock file behind.
	[ -n "$CTL" ] && rm -f "/var/run/tgtd/socket.$CTL" "/var/run/tgtd/socket.$CTL.lock"
	rm -f "$DIR/tgtd.pid" "$DIR/ctl"
}

case "${1:-}" in
start)
	[ $# -eq 6 ] || die "usage: $0 start DIR PORT CTL IQN IMAGE"
	DIR=$2 PORT=$3 CTL=$4 IQN=$5 IMAGE=$6
	if [ ! -x "$TGTD" ] || ! command -v "$TGTADM" >/dev/null 2>&1; then
		echo "tgt.sh: tgtd/tgtadm not installed (apt-get install tgt)" >&2
		exit 2
	fi
	[ -f "$IMAGE" ] || die "no image file $IMAGE"
	case "$PORT$CTL" in *[!0-9]*) die "PORT and CTL must be numbers" ;; esac
	[ "$CTL" -ge 1 ] && [ "$CTL" -le 32767 ] || die "CTL must be 1..32767 (tgtd's limit)"
	adm --op show --mode sys >/dev/null 2>&1 && die "another tgtd already answers on control port $CTL"
	mkdir -p "$DIR" || die "cannot create $DIR"
	alive && die "a tgtd from $DIR is already running (pid $(cat "$DIR/tgtd.pid"))"
	# setsid: tgtd must not get the terminal's signals; -f keeps it a child
	# we can wait for and kill by pid.
	setsid "$TGTD" -f -C "$CTL" --iscsi "portal=127.0.0.1:$PORT" \
		>"$DIR/tgtd.log" 2>&1 </dev/null &
	echo $! >"$DIR/tgtd.pid"
	echo "$CTL" >"$DIR/ctl"
	ok=
	for i in $(seq 1 50); do
		alive || break
		if adm --op show --mode sys >/dev/null 2>&1; then ok=1; break; fi
		sleep 0.1
	done
	if [ -z "$ok" ]; then
		sleep 0.2
		echo "tgt.sh: tgtd did not start; its log:" >&2
		cat "$DIR/tgtd.log" >&2
		stop
		exit 1
	fi
	if ! adm --lld iscsi --op new --mode target --tid 1 -T "$IQN" ||
	   ! adm --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 -b "$IMAGE" ||
	   ! adm --lld iscsi --op bind --mode target --tid 1 -I 127.0.0.1; then
		echo "tgt.sh: tgtadm failed to set up the target" >&2
		stop
		exit 1
	fi
	# The portal must be listening before a QEMU tries to log in.
	for i in $(seq 1 30); do
		if ss -ltnH "sport = :$PORT" 2>/dev/null | grep -q "127.0.0.1:$PORT"; then
			echo "iscsi://127.0.0.1:$PORT/$IQN/1"
			exit 0
		fi
		sleep 0.1
	done
	echo "tgt.sh: tgtd is not listening on 127.0.0.1:$PORT; its log:" >&2
	cat "$DIR/tgtd.log" >&2
	stop
	exit 1
	;;
stop)
	[ $# -eq 2 ] || die "usage: $0 stop DIR"
	DIR=$2
	stop
	;;
*)
	echo "usage: $0 start DIR PORT CTL IQN IMAGE | stop DIR" >&2
	exit 2
	;;
esac
