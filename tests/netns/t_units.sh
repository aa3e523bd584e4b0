# systemd/sockaccel.service and sockaccel@.service: `systemd-analyze verify`
# (with this build's loader in place of /usr/sbin/sockaccel-loader, and a
# stand-in redis-server.service for the template's instance) reports nothing;
# the agreed settings are there (Type=notify, the ExecStart/ExecReload lines,
# a graceful stop that outlasts the drain, the template following its unit).
# A unit with a deliberate mistake must make verify speak (the check can fail).
# vm: host-only static checks of the unit files (the VM test boots systemd)
# timeout: 120
. "$SA_LIB"
need_cmd systemd-analyze

src=$SA_ROOT/systemd
dir=$SA_TMP/units
mkdir -p "$dir"
for u in sockaccel.service sockaccel@.service; do
	[ -f "$src/$u" ] || fail "no $src/$u"
	sed "s#/usr/sbin/sockaccel-loader#$SA_BUILD/sockaccel-loader#g" "$src/$u" >"$dir/$u"
done
printf '[Unit]\nDescription=stand-in\n[Service]\nExecStart=/bin/true\n' >"$dir/redis-server.service"
cd "$dir" || fail "cd $dir"

# verify UNIT: no output at all (warnings go to stderr with exit 0)
verify() {
	local out rc
	# --man=no: the man pages are not installed on a build host
	out=$(systemd-analyze verify --man=no "./$1" 2>&1)
	rc=$?
	echo "[verify $1] exit $rc: $out"
	[ "$rc" = 0 ] && [ -z "$out" ]
}
verify sockaccel.service || fail "systemd-analyze verify sockaccel.service: $out"
verify sockaccel@redis-server.service || fail "systemd-analyze verify sockaccel@redis-server.service"

# verify can fail: an unknown key and a missing binary
sed 's/^TimeoutStopSec=.*/&\nTimeoutStopSecs=1/' sockaccel.service >broken.service
verify broken.service && fail "verify did not report an unknown key"
sed "s#$SA_BUILD/sockaccel-loader#$SA_TMP/nosuch-loader#" sockaccel.service >broken2.service
verify broken2.service && fail "verify did not report a missing ExecStart binary"

# What the other pieces rely on (tests/vm, the package, docs/usage.md)
key() { sed -n "s/^$2=//p" "$src/$1"; }
assert_eq "$(key sockaccel.service Type)" notify "sockaccel.service Type"
assert_eq "$(key sockaccel.service ExecStart)" \
	"/usr/sbin/sockaccel-loader --foreground --config /etc/sockaccel/sockaccel.conf" "sockaccel.service ExecStart"
assert_eq "$(key sockaccel.service ExecReload)" '/bin/kill -HUP $MAINPID' "sockaccel.service ExecReload"
assert_eq "$(key sockaccel@.service Type)" notify "sockaccel@.service Type"
assert_eq "$(key sockaccel@.service ExecStart)" \
	"/usr/sbin/sockaccel-loader --foreground --unit %i.service" "sockaccel@.service ExecStart"
for u in sockaccel.service sockaccel@.service; do
	assert_eq "$(key $u KillSignal)" SIGTERM "$u KillSignal (graceful drain)"
	assert_eq "$(key $u KillMode)" mixed "$u KillMode (SIGTERM to the loader only)"
	t=$(key $u TimeoutStopSec)
	assert_ge "${t%s}" 60 "$u TimeoutStopSec (longer than the 30 s drain timeout)"
	for cap in CAP_BPF CAP_NET_ADMIN CAP_SYS_ADMIN CAP_PERFMON; do
		assert_match "$(key $u CapabilityBoundingSet)" "$cap" "$u keeps $cap"
	done
done
assert_match "$(key sockaccel@.service BindsTo)" '%i\.service' "template BindsTo its unit"
assert_match "$(key sockaccel@.service PartOf)" '%i\.service' "template PartOf its unit (restart)"
assert_match "$(key sockaccel@.service After)" '%i\.service' "template After its unit"
assert_eq "$(key sockaccel@.service WantedBy)" '%i.service' "template WantedBy its unit"
echo "units: all checks passed"
