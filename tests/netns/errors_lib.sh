# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Checks of error paths (source after lib.sh): expect_err, expect_usage, no_pin,
# and a stand-in systemd for --unit (fake_systemctl, fake_systemd).
# expect_err NAME EXPECTED_EXIT(or "nonzero") CMD... : stderr must be exactly
# one line starting with the program name; sets ERR to that line.
expect_err() {
	local name=$1 want=$2 rc nl
	shift 2
	"$@" >"$SA_TMP/out" 2>"$SA_TMP/err"
	rc=$?
	ERR=$(cat "$SA_TMP/err")
	echo "[$name] exit $rc, stdout: $(head -c 300 "$SA_TMP/out"), stderr: $ERR"
	if [ "$want" = nonzero ]; then
		[ $rc != 0 ] || fail "$name: exit 0, expected an error"
	else
		assert_eq "$rc" "$want" "$name: exit status"
	fi
	[ $rc -lt 128 ] || fail "$name: killed by a signal (exit $rc)"
	nl=$(wc -l <"$SA_TMP/err")
	assert_eq "$nl" 1 "$name: stderr lines"
	assert_match "$ERR" '^sockaccel(-loader|ctl): ' "$name: stderr prefix"
}
# expect_usage NAME CMD... : exit 2 and a stderr line naming the program
# (getopt/argp may add a line of their own: not checked)
expect_usage() {
	local name=$1 rc
	shift
	"$@" >"$SA_TMP/out" 2>"$SA_TMP/err"
	rc=$?
	echo "[$name] exit $rc, stderr: $(cat "$SA_TMP/err")"
	assert_eq "$rc" 2 "$name: exit status"
	grep -Eq 'sockaccel(-loader|ctl)' "$SA_TMP/err" || fail "$name: stderr does not name the program"
}
no_pin() {	# NAME
	[ ! -e "$SA_PIN" ] || { ls -la "$SA_PIN"; fail "$1: pin dir $SA_PIN exists"; }
}

# fake_systemctl UNIT CGROUP: a stand-in systemctl in $SA_TMP/fakesd that knows
# one unit, whose ControlGroup is CGROUP (relative to the cgroup2 mount), and
# logs its arguments to $SA_TMP/systemctl.args
fake_systemctl() {
	mkdir -p "$SA_TMP/fakesd" || fail "mkdir $SA_TMP/fakesd"
	cat >"$SA_TMP/fakesd/systemctl" <<EOS
#!/bin/sh
echo "\$*" >>"$SA_TMP/systemctl.args"
[ "\$*" = "show -p ControlGroup --value -- $1" ] && echo "/$2"
exit 0
EOS
	chmod +x "$SA_TMP/fakesd/systemctl"
}
# fake_systemd CMD...: CMD with /run/systemd/system present (a private /run)
# and the stand-in systemctl first in PATH
fake_systemd() {
	unshare -m --propagation private sh -c 'mount -t tmpfs sockaccel-test /run && mkdir -p /run/systemd/system &&
		exec "$@"' sh env PATH="$SA_TMP/fakesd:$PATH" "$@"
}
