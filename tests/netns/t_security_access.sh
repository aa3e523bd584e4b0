# Who can read or change the pins: the loader creates the pin dir 0700 and
# vm: host-only pin modes and what an unprivileged user gets: user space and bpffs modes; passed on 6.1 and 6.12 on 2026-11-29
# every pin 0600, owned by root; an unprivileged user (nobody, no
# capabilities) cannot read or change them, and gets from every command of
# both tools one clear error line and exit 1, changing nothing. So do root
# without capabilities and root of a user namespace (bpf() refused with
# EPERM: "needs root", not "kernel lacks" or "owned by uid 65534").
# docs/security.md.
# timeout: 300
. "$SA_LIB"
. "$SA_ROOT/tests/netns/security_lib.sh"
need_cmd bpftool

load --redirect-streams "$SA_CG" >/dev/null

# ---- modes of what the loader created
assert_eq "$(stat -c '%a %u %g' "$SA_PIN")" "700 0 0" "pin dir mode/owner"
n=0
for f in "$SA_PIN"/*; do
	assert_eq "$(stat -c '%a %u' "$f")" "600 0" "mode/owner of pin $(basename "$f")"
	n=$((n + 1))
done
assert_ge $n 12 "pins checked"
info "pin dir 0700 root, $n pins 0600 root"
# bpffs honours the modes: nobody can neither list, open nor remove a pin,
# nor move the directory away (its parent /sys/fs/bpf is sticky).
"${NOBODY[@]}" ls "$SA_PIN" >/dev/null 2>&1 && fail "nobody can list the pin dir"
"${NOBODY[@]}" bpftool map dump pinned "$SA_PIN/counters" >/dev/null 2>&1 &&
	fail "nobody can read the counters map"
"${NOBODY[@]}" rm -f "$SA_PIN/sock_map" 2>/dev/null
[ -e "$SA_PIN/sock_map" ] || fail "nobody removed a pin"
"${NOBODY[@]}" mv "$SA_PIN" "$SA_PIN.moved" 2>/dev/null && fail "nobody moved the pin dir"
[ -d "$SA_PIN" ] || fail "the pin dir is gone"

before=$(pin_state "$SA_PIN")
OTHER_CG=$(new_cgroup other)
NEWPIN=$(new_pindir unpriv)

# ---- every command, as nobody, as root without capabilities, and as root of
# a user namespace: of root's (unshare -Ur) and of nobody's (rootless
# container): capabilities there pass capget() but bpf() says EPERM.
declare -A AS_CMD=(
	[nobody]="${NOBODY[*]}"
	[root-nocaps]="setpriv --inh-caps=-all --bounding-set=-all"
	[userns-root]="unshare -Ur"
	[rootless-userns]="${NOBODY[*]} unshare -r"
)
WHO=(nobody root-nocaps)
for who in userns-root rootless-userns; do
	# shellcheck disable=SC2086
	if ${AS_CMD[$who]} true 2>/dev/null; then WHO+=("$who"); else info "$who: unshare does not work here, not run"; fi
done
for who in "${WHO[@]}"; do
	read -ra AS <<<"${AS_CMD[$who]}"
	L="$SA_BUILD/sockaccel-loader --pin-dir $SA_PIN"
	C="$SA_BUILD/sockaccelctl --pin-dir $SA_PIN"
	for cmd in "$L $OTHER_CG" "$L $SA_CG" "$L --upgrade" "$L --foreground $OTHER_CG" \
		   "$L --probe" "$L --ports 80 $SA_CG" \
		   "$SA_BUILD/sockaccel-loader --pin-dir $NEWPIN $OTHER_CG" \
		   "$C status" "$C stats" "$C stats -i 1 -c 1" "$C conns" "$C detach $SA_CG" \
		   "$C detach --force $SA_CG" "$C teardown" "$C teardown --force" \
		   "$C latency -d 1" "$C latency --cgroup $SA_CG -d 1"; do
		# shellcheck disable=SC2086
		expect_refused "$who: $cmd" "${AS[@]}" $cmd
		assert_match "$ERR" "root" "$who: $cmd: the error says root is needed"
		case $who in *userns*) assert_match "$ERR" "needs root.*EPERM" "$who: $cmd: bpf() refused" ;; esac
		# shellcheck disable=SC2086
		expect_refused "$who: -j $cmd" "${AS[@]}" ${cmd/ / -j }
	done
	# help needs nothing
	"${AS[@]}" "$SA_BUILD/sockaccelctl" help >/dev/null || fail "$who: sockaccelctl help"
	# nothing changed
	assert_eq "$(pin_state "$SA_PIN")" "$before" "$who: pins, cgroups and map after the refused commands"
	[ ! -e "$NEWPIN" ] || fail "$who: a pin dir was created at $NEWPIN"
	assert_eq "$(cg_links "$OTHER_CG")" 0 "$who: programs attached to a cgroup"
	assert_eq "$(cg_links "$SA_CG")" 1 "$who: SA_CG's attachment"
done

# ---- and root still has it all
stream "$SA_NS" "$SA_CG" 127.0.0.1 127.0.0.1 5400 $((256 << 10)) 3 >/dev/null
assert_ge "$(stats_get redirected_bytes)" 1 "redirected after the refused commands"
