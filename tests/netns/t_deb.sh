# The Debian package: `make deb` (into the test's own OUTPUT) builds
# vm: host-only builds the package from the source tree, installs nothing
# sockaccel_VERSION_ARCH.deb; lintian reports no error or warning on the .deb,
# .changes and .buildinfo; the .deb holds every installed path the project
# promises (binaries, units, conffile, man pages, completion, docs), its
# control fields are sane, the units are neither enabled nor started by its
# scripts, and the programs in it run. Never installed here: the VM test does
# install, start and purge.
# timeout: 900
. "$SA_LIB"
# The package is built from source with its own flags: an ASan SA_BUILD adds nothing.
[ "${SA_SANITIZE:-}" != 1 ] || skip "the sanitizer suite (the package is built from source, not from SA_BUILD)"
need_cmd dpkg-buildpackage dh lintian rst2man fakeroot
VERSION=$("$SA_BUILD/sockaccel-loader" --version | sed -n 's/^sockaccel-loader //p')
[ -n "$VERSION" ] || fail "sockaccel-loader --version printed no version"
ARCH=$(dpkg --print-architecture)
OUT=$SA_TMP/out
DEB=$OUT/deb/sockaccel_${VERSION}_${ARCH}.deb

make -C "$SA_ROOT" --no-print-directory OUTPUT="$OUT" deb || {
	tail -n 30 "$OUT/deb/build.log" 2>/dev/null; fail "make deb failed"; }
[ -f "$DEB" ] || { ls -l "$OUT/deb"; fail "no $DEB"; }
info "built $(basename "$DEB") ($(stat -c %s "$DEB") bytes)"
# nothing written in the source tree by the build (it ran in a copy)
for f in debian/tmp debian/sockaccel debian/files debian/.debhelper debian/debhelper-build-stamp \
	debian/sockaccel.substvars; do
	[ ! -e "$SA_ROOT/$f" ] || fail "the package build wrote $SA_ROOT/$f"
done

# lintian: no error, no warning (overrides listed in debian/*.lintian-overrides)
( cd "$OUT/deb" && lintian --fail-on error,warning --pedantic -I ./*.changes ./*.deb ./*.buildinfo ) \
	>"$SA_TMP/lintian" 2>&1
rc=$?
sed 's/^/  lintian: /' "$SA_TMP/lintian"
grep -E '^[EW]: ' "$SA_TMP/lintian" && fail "lintian reports errors or warnings"
assert_eq "$rc" 0 "lintian exit status"

# every path the package promises
dpkg-deb -c "$DEB" | awk '{ print $6 }' | sed 's|^\./|/|' >"$SA_TMP/contents" || fail "dpkg-deb -c failed"
want="/usr/sbin/sockaccel-loader /usr/sbin/sockaccelctl
/lib/systemd/system/sockaccel.service /lib/systemd/system/sockaccel@.service
/etc/sockaccel/sockaccel.conf
/usr/share/man/man8/sockaccel-loader.8.gz /usr/share/man/man8/sockaccelctl.8.gz
/usr/share/bash-completion/completions/sockaccelctl /usr/share/bash-completion/completions/sockaccel-loader
/usr/share/doc/sockaccel/copyright /usr/share/doc/sockaccel/README.md.gz /usr/share/doc/sockaccel/usage.md.gz"
# sockaccel.conf(5) comes with the config parser (man/sockaccel.conf.5.rst)
if [ -f "$SA_ROOT/man/sockaccel.conf.5.rst" ]; then
	want="$want /usr/share/man/man5/sockaccel.conf.5.gz"
else
	info "man/sockaccel.conf.5.rst not in this tree: sockaccel.conf.5.gz not checked"
fi
for p in $want; do
	grep -qxF "$p" "$SA_TMP/contents" || fail "$p missing from the package"
done
info "all $(wc -w <<<"$want") promised paths are in it"
grep -E '^/usr/sbin/.' "$SA_TMP/contents" | grep -vxE '/usr/sbin/sockaccel(-loader|ctl)' &&
	fail "unexpected programs in /usr/sbin (test tools packaged?)"

# control fields
dpkg-deb -f "$DEB" >"$SA_TMP/control" || fail "dpkg-deb -f failed"
cat "$SA_TMP/control"
field() { dpkg-deb -f "$DEB" "$1"; }
assert_eq "$(field Package)" sockaccel "Package"
assert_eq "$(field Version)" "$VERSION" "Version (the loader's)"
assert_eq "$(field Architecture)" "$ARCH" "Architecture"
assert_match "$(field Depends)" 'libbpf1' "Depends (shlibs: libbpf)"
assert_match "$(field Depends)" 'libc6' "Depends (shlibs: libc)"
assert_match "$(field Maintainer)" '^[^<]+ <[^>]+@[^>]+>$' "Maintainer"
assert_match "$(field Section)" '^net$' "Section"
[ -n "$(field Description)" ] || fail "no Description"
# the conffile, and scripts that neither enable nor start the units
mkdir "$SA_TMP/ctrl"
dpkg-deb -e "$DEB" "$SA_TMP/ctrl" || fail "dpkg-deb -e failed"
assert_eq "$(cat "$SA_TMP/ctrl/conffiles")" /etc/sockaccel/sockaccel.conf "conffiles"
if grep -nE 'deb-systemd-invoke (start|restart)|systemctl (start|restart|enable)|deb-systemd-helper enable' "$SA_TMP/ctrl/"* |
	grep -v 'was-enabled' | grep -vE '^\S+:[0-9]+:\s+deb-systemd-helper enable .*(>/dev/null \|\| true)$'; then
	fail "a maintainer script enables or starts a unit"
fi
# --no-enable: (re-)enabled only when dpkg had installed it before and the
# admin had enabled it ("debian-installed"); without it, the first install enables
grep -q "deb-systemd-helper debian-installed 'sockaccel.service'" "$SA_TMP/ctrl/postinst" ||
	fail "postinst enables sockaccel.service on first install (dh_installsystemd without --no-enable?)"
info "postinst re-enables only what the admin had enabled; nothing started"

# the programs in it run (extracted into the test's dir, not installed)
dpkg-deb -x "$DEB" "$SA_TMP/root" || fail "dpkg-deb -x failed"
assert_eq "$("$SA_TMP/root/usr/sbin/sockaccel-loader" --version)" "sockaccel-loader $VERSION" "packaged loader --version"
"$SA_TMP/root/usr/sbin/sockaccelctl" --help >/dev/null || fail "packaged sockaccelctl --help failed"
man -l "$SA_TMP/root/usr/share/man/man8/sockaccelctl.8.gz" 2>/dev/null | grep -q 'sockaccelctl - inspect' ||
	fail "packaged sockaccelctl(8) does not render"
dpkg -s sockaccel >/dev/null 2>&1 && info "note: a sockaccel package is installed on this host (not by this test)"
exit 0
