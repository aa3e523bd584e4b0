# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Checks of error paths (source after lib.sh): expect_err, expect_usage, no_pin.
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
