# Helpers of the t_security_* tests (docs/security.md). Source after lib.sh.
need_cmd setpriv

# An unprivileged user: uid/gid nobody, no groups, no capabilities.
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)

# expect_refused NAME CMD... : CMD must fail cleanly: exit 1 (not 0, not a
# usage error, not a signal) with one error line: on stderr, prefixed with
# the program's name, or with -j a JSON {"error": ...} on stdout and nothing
# on stderr. Sets ERR to the message.
expect_refused() {
	local name=$1 rc
	shift
	"$@" >"$SA_TMP/out" 2>"$SA_TMP/err" </dev/null
	rc=$?
	echo "[$name] exit $rc, stdout: $(head -c 300 "$SA_TMP/out"), stderr: $(head -c 600 "$SA_TMP/err")"
	[ $rc -lt 128 ] || fail "$name: killed by a signal (exit $rc)"
	assert_eq "$rc" 1 "$name: exit status"
	if [ -s "$SA_TMP/err" ]; then
		assert_eq "$(wc -l <"$SA_TMP/err")" 1 "$name: stderr lines"
		ERR=$(cat "$SA_TMP/err")
		assert_match "$ERR" '^sockaccel(-loader|ctl): ' "$name: stderr prefix"
	else
		assert_eq "$(wc -l <"$SA_TMP/out")" 1 "$name: JSON error lines"
		ERR=$(jq -er .error "$SA_TMP/out") || fail "$name: no JSON error on stdout"
	fi
}

# pin_state DIR: what a refused command must leave unchanged: the entries of
# DIR (name, mode, owner), the cgroups attached, the map's entry count.
pin_state() {
	ls -ln --time-style=+ "$1" | awk 'NR > 1 { print $1, $3, $4, $NF }'
	$SA_CTL --pin-dir "$1" -j status 2>/dev/null | jq -c '[.cgroups, .map_entries]'
}
