# --config FILE (sockaccel.conf(5)): every kind of bad file gives one line
# "sockaccel-loader: FILE:LINE: why", exit 1, and nothing attached or pinned;
# the command line overrides the file key by key; [attach] cgroup= and unit=
# (through a stand-in systemctl) attach; [loader] pin-dir/map-size are used;
# the shipped etc/sockaccel.conf is valid and attaches nothing.
# vm: host-only config file parsing and option precedence in user space
# timeout: 200
. "$SA_LIB"
. "$SA_ROOT/tests/netns/errors_lib.sh"
need_cmd bpftool jq

LOADER=$SA_BUILD/sockaccel-loader	# without --pin-dir: the file's pin-dir is tested
rel=${SA_CG#"$SA_CG2"/}

# bad NAME LINE CONTENT : the loader refuses the file, naming it and LINE
bad() {
	local name=$1 line=$2 f=$SA_TMP/bad-$RANDOM.conf
	printf '%b' "$3" >"$f"
	expect_err "$name" 1 $SA_LOADER --config "$f"
	assert_match "$ERR" "^sockaccel-loader: $f:$line: " "$name: FILE:LINE"
	no_pin "$name"
	assert_eq "$(cg_links "$SA_CG")" 0 "$name: programs attached to SA_CG"
}
good="[attach]\ncgroup = $SA_CG\n"
bad "unknown section" 3 "${good}[atach]\ncgroup = x\n"
bad "unknown empty section" 3 "${good}[nosuch]\n"
bad "unknown key [attach]" 3 "${good}cgroups = $SA_CG\n"
bad "unknown key [policy]" 4 "${good}[policy]\nport = 80\n"
bad "unknown key [loader]" 4 "${good}[loader]\ntimeout = 3\n"
bad "key outside a section" 1 "ports = 80\n$good"
bad "syntax error" 3 "${good}just words\n"
bad "unclosed section" 3 "${good}[policy\n"
bad "bad port" 4 "${good}[policy]\nports = 80,0\n"
bad "bad port list" 4 "${good}[policy]\nexclude-ports = 22,ssh\n"
bad "long process name" 4 "${good}[policy]\nexclude-comm = averyveryverylongname\n"
bad "max-unread too small" 4 "${good}[policy]\nmax-unread = 100\n"
bad "redirect-streams not a bool" 4 "${good}[policy]\nredirect-streams = maybe\n"
bad "accelerate-short not a bool" 4 "${good}[policy]\naccelerate-short = sometimes\n"
bad "empty splicers" 4 "${good}[policy]\nsplicers =\n"
bad "duplicate max-unread" 6 "${good}[policy]\nmax-unread = 65536\n\nmax-unread = 65536\n"
bad "duplicate splicers" 5 "${good}[policy]\nsplicers = none\nsplicers = none\n"
bad "duplicate drain-timeout" 5 "${good}[loader]\ndrain-timeout = 1\ndrain-timeout = 2\n"
bad "bad map-size" 4 "${good}[loader]\nmap-size = 0\n"
bad "bad drain-timeout" 4 "${good}[loader]\ndrain-timeout = -1\n"
bad "relative pin-dir" 4 "${good}[loader]\npin-dir = sockaccel\n"
bad "bad metrics" 4 "${good}[loader]\nmetrics = 127.0.0.1:99999\n"
bad "bad pid" 3 "${good}pid = 12abc\n"
bad "empty cgroup" 3 "${good}cgroup =\n"
bad "line too long" 4 "${good}[policy]\nexclude-comm = $(printf 'a,%.0s' $(seq 100))a\n"
bad "NUL byte" 3 "${good}\0\n"
# found only when resolved: the line of the entry
bad "cgroup not found" 3 "${good}cgroup = $SA_CG2/sockaccel-no-such-cgroup\n"
bad "pid not found" 4 "[policy]\nports = 80\n[attach]\npid = 4194304\n"
# not readable
expect_err "no such file" 1 $SA_LOADER --config "$SA_TMP/nosuch.conf" "$SA_CG"
assert_eq "$ERR" "sockaccel-loader: $SA_TMP/nosuch.conf: cannot read: No such file or directory" "no such file: error"
no_pin "no such file"
expect_err "a directory" 1 $SA_LOADER --config "$SA_TMP" "$SA_CG"
assert_match "$ERR" "^sockaccel-loader: $SA_TMP: cannot read: " "a directory: error"
no_pin "a directory"
assert_eq "$(cg_links "$SA_CG")" 0 "after the bad files: programs attached to SA_CG"

# The shipped default attaches nothing (and needs no selector on the command line).
$SA_LOADER --config "$SA_ROOT/etc/sockaccel.conf" || fail "loader --config etc/sockaccel.conf"
assert_eq "$($SA_CTL -j status | jq '.cgroups | length')" 0 "default config: cgroups attached"
$SA_CTL teardown >/dev/null || fail "teardown"

# The file's values, the command line over them key by key. The file's
# pin-dir is used (the loader is run without --pin-dir here) ...
other=$(new_cgroup other)
cat >"$SA_TMP/a.conf" <<EOC
# a comment
[attach]
cgroup = $rel            ; relative to the cgroup2 mount, with a comment
[policy]
ports = 6379
exclude-comm = backup
max-unread = 65536
redirect-streams = yes
accelerate-short = yes
[loader]
pin-dir = $SA_PIN
map-size = 1000
EOC
$LOADER --config "$SA_TMP/a.conf" --ports 80,443 "$other" || fail "loader --config a.conf --ports 80,443 OTHER"
st=$($SA_CTL -j status) || fail "status"
echo "$st" | jq -c '.policy, [.cgroups[].path]'
assert_eq "$(jq -c .policy.include_ports <<<"$st")" "[80,443]" "ports: the command line's"
assert_eq "$(jq -c .policy.exclude_comms <<<"$st")" '["backup"]' "exclude-comm: the file's"
assert_eq "$(jq .policy.max_unread <<<"$st")" 65536 "max-unread: the file's"
assert_eq "$(jq .policy.stream_tcp <<<"$st")" false "redirect-streams: the file's"
assert_eq "$(jq .policy.short_lived_skip <<<"$st")" false "accelerate-short: the file's"
assert_eq "$(jq -c .policy.splicers <<<"$st")" '["haproxy"]' "splicers: the default"
assert_eq "$(cg_links "$SA_CG")" 1 "the file's cgroup attached"
assert_eq "$(cg_links "$other")" 1 "the command line's cgroup attached"
max=$(bpftool -j map show pinned "$SA_PIN/sock_map" | jq .max_entries)
assert_eq "$max" 1000 "map-size: the file's"
$SA_CTL teardown >/dev/null || fail "teardown"
# ... unless --pin-dir is given
pin2=$(new_pindir second)
$LOADER --pin-dir "$pin2" --config "$SA_TMP/a.conf" --max-unread 8192 --splicers none || fail "loader --pin-dir P2"
[ ! -e "$SA_PIN" ] || fail "the file's pin-dir was used although --pin-dir was given"
st=$($SA_CTL --pin-dir "$pin2" -j status) || fail "status P2"
assert_eq "$(jq .policy.max_unread <<<"$st")" 8192 "max-unread: the command line's"
assert_eq "$(jq -c .policy.include_ports <<<"$st")" "[6379]" "ports: the file's"
assert_eq "$(jq -c .policy.splicers <<<"$st")" "[]" "splicers: the command line's"
$SA_CTL --pin-dir "$pin2" teardown >/dev/null || fail "teardown P2"

# [attach] unit= through a stand-in systemctl (a private /run with
# /run/systemd/system, as t_select_pid does)
fake_systemctl redis.service "$rel"
printf '[attach]\nunit = redis.service\n' >"$SA_TMP/unit.conf"
fake_systemd $SA_LOADER --config "$SA_TMP/unit.conf" || fail "loader --config unit.conf (stand-in systemctl)"
assert_eq "$($SA_CTL -j status | jq -r '.cgroups[0].name')" "unit redis.service" "status name (unit from the file)"
assert_eq "$(cg_links "$SA_CG")" 1 "unit= : programs attached to SA_CG"
$SA_CTL teardown >/dev/null || fail "teardown"
printf '[attach]\nunit = redis.service\n\nunit = nosuch.service\n' >"$SA_TMP/unit2.conf"
expect_err "unit not found" 1 fake_systemd $SA_LOADER --config "$SA_TMP/unit2.conf"
assert_match "$ERR" "^sockaccel-loader: $SA_TMP/unit2.conf:4: unit nosuch.service not found" "unit not found: FILE:LINE"
no_pin "unit not found"
assert_eq "$(cg_links "$SA_CG")" 0 "unit not found: programs attached to SA_CG"
echo "config: all checks passed"
