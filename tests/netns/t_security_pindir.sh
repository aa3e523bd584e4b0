# A pin directory an attacker pre-created or planted files in is refused,
# vm: host-only pin dir checks in user space; passed on 6.1 and 6.12 on 2026-11-29
# with one error line naming the path and the problem, and nothing is
# attached, pinned or removed: a dir owned by another user (nobody made it in
# the world-writable, sticky /sys/fs/bpf), a world-writable one, a symlink
# (to a live load: teardown through it must not remove that load), one whose
# parent others may write to (not sticky), and in a dir of our own a planted symlink, a directory under a pin's name, and a map
# of the wrong kind, type, value size or max_entries, or a program, under a
# name the loader uses, or a pin owned by another user. bpffs cannot hold
# regular files. docs/security.md.
# timeout: 300
. "$SA_LIB"
. "$SA_ROOT/tests/netns/security_lib.sh"
need_cmd bpftool

# The victim: a live load at SA_PIN (SA_CG attached).
load --redirect-streams "$SA_CG" >/dev/null
victim=$(pin_state "$SA_PIN")
CG=$(new_cgroup target)

# refused NAME DIR PATTERN: the loader, status, stats, conns and teardown on
# DIR are refused with an error matching PATTERN; nothing attached to CG.
refused() {
	local name=$1 dir=$2 pat=$3 cmd
	for cmd in "$SA_BUILD/sockaccel-loader --pin-dir $dir $CG" "$SA_BUILD/sockaccelctl --pin-dir $dir status" \
		   "$SA_BUILD/sockaccelctl --pin-dir $dir stats" "$SA_BUILD/sockaccelctl --pin-dir $dir conns" \
		   "$SA_BUILD/sockaccel-loader --pin-dir $dir --upgrade" "$SA_BUILD/sockaccelctl --pin-dir $dir detach $CG" \
		   "$SA_BUILD/sockaccelctl --pin-dir $dir teardown --force"; do
		# shellcheck disable=SC2086
		expect_refused "$name: ${cmd#"$SA_BUILD/"}" $cmd
		assert_match "$ERR" "$pat" "$name: the error says what is wrong"
		case $ERR in *"$dir"*) ;; *) fail "$name: the error does not name $dir" ;; esac
	done
	assert_eq "$(cg_links "$CG")" 0 "$name: programs attached to the target cgroup"
	assert_eq "$(pin_state "$SA_PIN")" "$victim" "$name: the live load at SA_PIN"
}

# ---- 1. pre-created by another user (nobody may mkdir in /sys/fs/bpf: 1777)
D=$(new_pindir byother)
if ! "${NOBODY[@]}" mkdir "$D" 2>/dev/null; then
	# bpffs mounted with mode=0700 (as the loader mounts it): made for nobody
	info "$(dirname "$D") is not writable by nobody (mode $(stat -c %a "$(dirname "$D")")): chown instead"
	mkdir "$D" && chown 65534:65534 "$D" || fail "mkdir/chown $D"
fi
refused "owned by nobody" "$D" "owned by uid 65534"
[ -z "$(ls -A "$D")" ] || fail "owned by nobody: something was pinned in $D"
rmdir "$D"

# ---- 2. world-writable, root's
D=$(new_pindir worldw)
mkdir -m 0777 "$D" && chmod 0777 "$D"
refused "world-writable" "$D" "writable by everyone"
[ -z "$(ls -A "$D")" ] || fail "world-writable: something was pinned in $D"
rmdir "$D"

# ---- 3. a symlink to the live load: teardown through it removes nothing
D=$(new_pindir symlink)
ln -s "$SA_PIN" "$D"
refused "symlink" "$D" "is a symbolic link"
rm "$D"

# ---- 3b. a parent others may write to, without the sticky bit
D=$(new_pindir openparent)
mkdir -m 0777 "$D" && chmod 0777 "$D" && mkdir -m 0700 "$D/pins"
refused "parent writable by others" "$D/pins" "parent $D \(uid 0, mode 0777\) lets others replace"
[ -z "$(ls -A "$D/pins")" ] || fail "open parent: something was pinned in $D/pins"
rm -r "$D"

# ---- 4. planted entries in a directory of our own (0700, root's)
D=$(new_pindir planted)
mkdir -m 0700 "$D"
# bpffs has no regular files: a planted "regular file" cannot exist
touch "$D/sock_map" 2>/dev/null && fail "a regular file could be created on bpffs"
ln -s "$SA_PIN/sock_map" "$D/sock_map"
refused "planted symlink" "$D" "symbolic link sock_map"
rm "$D/sock_map"
mkdir "$D/counters"
refused "planted directory" "$D" "counters is a directory"
rmdir "$D/counters"

# A complete load in D, then one pin at a time replaced by a wrong object.
# (A partial set is refused as incomplete already: t_bad_input, t_features.)
$SA_BUILD/sockaccel-loader --pin-dir "$D" "$CG" >/dev/null || fail "load at $D"
$SA_BUILD/sockaccelctl --pin-dir "$D" detach "$CG" >/dev/null || fail "detach $CG"
good=$(pin_state "$D")
vsize() { bpftool -j map show pinned "$D/$1" | jq .bytes_value; }
cfg_v=$(vsize config)
# plant NAME ARGS...: move the real pin aside, pin `bpftool map create` ARGS as NAME
plant() {
	local name=$1
	shift
	mv "$D/$name" "$D/real_$name" || fail "mv $name"
	bpftool map create "$D/$name" "$@" || fail "bpftool map create $name $*"
}
unplant() { rm "$D/$1" && mv "$D/real_$1" "$D/$1" || fail "restore $1"; }

plant sock_map type hash key 4 value 8 entries 16 name sock_map
refused "hash map as sock_map" "$D" "sock_map does not match.*type 1 "
unplant sock_map
plant counters type percpu_array key 4 value 64 entries 8 name counters
refused "counters with 64-byte values" "$D" "counters does not match.*value 64 "
unplant counters
plant config type array key 4 value "$cfg_v" entries 2 name sa_config
refused "config with max_entries 2" "$D" "config does not match.*max_entries 2;"
unplant config
# cgroup_names (made on first use; none here) is read into fixed buffers
[ ! -e "$D/cgroup_names" ] || fail "cgroup_names exists after a load by path"
bpftool map create "$D/cgroup_names" type hash key 8 value 512 entries 64 name sa_cg_names ||
	fail "bpftool map create cgroup_names"
refused "cgroup_names with 512-byte values" "$D" "cgroup_names does not match.*value 512 "
rm "$D/cgroup_names"
mv "$D/drain" "$D/real_drain"
bpftool prog pin pinned "$D/prog_sk_msg" "$D/drain" || fail "pin a program as drain"
refused "program pinned as a map" "$D" "drain is a program, not the map"
unplant drain
mv "$D/prog_sockops" "$D/real_prog_sockops"
bpftool prog pin pinned "$D/prog_sk_msg" "$D/prog_sockops" || fail "pin sk_msg as prog_sockops"
refused "sk_msg program as prog_sockops" "$D" "prog_sockops is a program of type"
unplant prog_sockops

chown 65534 "$D/drain"
refused "a pin owned by nobody" "$D" "pin $D/drain is owned by uid 65534"
chown 0 "$D/drain"

# Restored: accepted again, and torn down normally.
assert_eq "$(pin_state "$D")" "$good" "restored pin dir"
$SA_BUILD/sockaccel-loader --pin-dir "$D" "$CG" >/dev/null || fail "load at the restored $D"
assert_eq "$(cg_links "$CG")" 1 "restored: attached"
$SA_BUILD/sockaccelctl --pin-dir "$D" teardown >/dev/null || fail "teardown $D"
[ ! -e "$D" ] || fail "$D left after teardown"

# The victim load still works.
stream "$SA_NS" "$SA_CG" 127.0.0.1 127.0.0.1 5410 $((256 << 10)) 5 >/dev/null
assert_ge "$(stats_get redirected_bytes)" 1 "the live load still redirects"
