#!/bin/sh
# t0005-deb: `make deb` builds the Debian package with Debian's tools
# (dpkg-buildpackage, debhelper) out of tree, lintian finds no error and no
# warning in it, and the package holds what docs/deploy.md ("Installing")
# says: the programs, the share files, the man pages, the completion, the
# units, the user (sysusers.d, made in postinst before tmpfiles.d makes its
# state directory), the conffile, the copyright; no unit enabled or started
# on installation.  The package is unpacked (dpkg-deb -x) and its programs
# and units are run and verified from there.
#
# The build takes minutes: it is made once per run, into
# $COVALID_BUILD/deb.  In the ASan pass (COVALID_BUILD is not $SRC/build)
# the package is the same (it is built from the sources with the package's
# own flags, never sanitized), so the normal pass's $SRC/build/deb is
# checked again instead of rebuilt, if it is there and newer than every
# source file; otherwise it is built here.
#
# Depends on: dpkg-dev, debhelper, fakeroot, lintian, go-md2man, man-db,
# systemd: all installed by scripts/setup.sh, so none is skipped.
. "$(dirname "$0")/../lib/tap.sh"

BUILD=${COVALID_BUILD:-$SRC/build}
VERSION=$(sed -n 's/^#define COVALID_VERSION "\(.*\)"/\1/p' "$SRC/include/covalid/covalid.h")
ARCH=$(dpkg --print-architecture)

newer_than_sources() {	# DEB: the .deb is newer than every file make deb copies
	(cd "$SRC" && git ls-files -z --cached --others --exclude-standard) |
		(cd "$SRC" && xargs -0 find 2>/dev/null -newer "$1" -type f) | grep -q . && return 1
	return 0
}

DEBDIR="$BUILD/deb"
NORMAL="$SRC/build/deb"
if [ "$BUILD" != "$SRC/build" ] && [ -f "$NORMAL/covalid_${VERSION}_$ARCH.deb" ] &&
	newer_than_sources "$NORMAL/covalid_${VERSION}_$ARCH.deb"; then
	DEBDIR=$NORMAL
	ok "make deb: the normal pass's package is newer than the sources: checked again, not rebuilt ($NORMAL)"
else
	make -C "$SRC" --no-print-directory BUILD="$BUILD" deb >"$TMP/deb.out" 2>&1
	rc=$?
	check "make deb: exit 0 (dpkg-buildpackage, then lintian --fail-on error,warning)" test "$rc" -eq 0
	[ "$rc" -eq 0 ] || diag "$(tail -30 "$TMP/deb.out")"
fi
DEB="$DEBDIR/covalid_${VERSION}_$ARCH.deb"
check "the package is $DEB" test -f "$DEB"
check "dpkg-buildpackage wrote nothing beside the source tree (its ../ is $DEBDIR)" \
	sh -c "! ls '$SRC'/../covalid_* >/dev/null 2>&1"
check "the source tree is left clean (no debian/covalid, debian/.debhelper, debian/files)" \
	sh -c "! test -e '$SRC/debian/covalid' && ! test -e '$SRC/debian/.debhelper' && ! test -e '$SRC/debian/files'"

# lintian, again, on its own: no error, no warning (and the overrides in
# debian/covalid.lintian-overrides are the only silenced tags).
lintian --fail-on error,warning "$DEBDIR"/*.changes >"$TMP/lintian.out" 2>&1
rc=$?
check "lintian: exit 0" test "$rc" -eq 0
check "... no E: or W: tag" sh -c "! grep -Eq '^[EW]: ' '$TMP/lintian.out'"
grep -E '^[EWIP]: ' "$TMP/lintian.out" | while read -r l; do diag "$l"; done
# The check can fail: lintian sees an error in a broken copy of the package.
mkdir -p "$TMP/broken/DEBIAN"
dpkg-deb -x "$DEB" "$TMP/broken" && dpkg-deb -e "$DEB" "$TMP/broken/DEBIAN" &&
	rm -f "$TMP/broken/usr/share/doc/covalid/copyright" &&
	dpkg-deb --root-owner-group -b "$TMP/broken" "$TMP/broken.deb" >/dev/null 2>&1
lintian "$TMP/broken.deb" >"$TMP/lintian-broken.out" 2>&1
check "... and reports a package without its copyright file (the check can fail)" \
	grep -q 'no-copyright-file' "$TMP/lintian-broken.out"

# What it holds.
dpkg-deb -c "$DEB" | awk '{ print $1, $6 }' | sed 's|^\([^ ]*\) \./|\1 /|' >"$TMP/contents"
for f in /usr/bin/covalid /usr/bin/covalid-server; do
	check "$f, mode 0755" grep -qx -- "-rwxr-xr-x $f" "$TMP/contents"
done
for f in /usr/share/covalid/web/index.html /usr/share/covalid/web/openapi.json \
	/usr/share/covalid/data/products.jsonl /usr/share/covalid/data/validated-configs.jsonl \
	/usr/share/man/man1/covalid.1.gz /usr/share/man/man1/covalid-check.1.gz /usr/share/man/man5/covalid.conf.5.gz \
	/usr/share/bash-completion/completions/covalid \
	/lib/systemd/system/covalid-server.service /lib/systemd/system/covalid-agent.service \
	/lib/systemd/system/covalid-agent-once.service /lib/systemd/system/covalid-agent.timer \
	/usr/lib/sysusers.d/covalid.conf /usr/lib/tmpfiles.d/covalid.conf /etc/covalid/covalid.conf \
	/usr/share/doc/covalid/copyright /usr/share/doc/covalid/changelog.gz; do
	check "$f, mode 0644" grep -qx -- "-rw-r--r-- $f" "$TMP/contents"
done
for f in "$SRC"/docs/man/*.1.md; do
	f=${f##*/}
	check "man page ${f%.md}" grep -q " /usr/share/man/man1/${f%.md}.gz\$" "$TMP/contents"
done
check "every file is root's (dpkg-deb -c: root/root)" \
	sh -c "! dpkg-deb -c '$DEB' | awk '\$2 != \"root/root\"' | grep -q ."
dpkg-deb -f "$DEB" Depends >"$TMP/depends"
check "Depends: the libraries covalid-server links (libmicrohttpd12, libpq5, libcurl3-gnutls)" \
	sh -c "grep -q libmicrohttpd12 '$TMP/depends' && grep -q libpq5 '$TMP/depends' && grep -q libcurl3-gnutls '$TMP/depends'"
check "... and a systemd-sysusers for postinst" grep -q 'systemd | systemd-standalone-sysusers' "$TMP/depends"

mkdir "$TMP/ctl"
dpkg-deb -e "$DEB" "$TMP/ctl"
check "conffiles: /etc/covalid/covalid.conf" grep -qx /etc/covalid/covalid.conf "$TMP/ctl/conffiles"
check "postinst makes the user (systemd-sysusers covalid.conf)" grep -q 'systemd-sysusers .*covalid.conf' "$TMP/ctl/postinst"
check "... before the state directory (systemd-tmpfiles --create covalid.conf)" \
	awk '/systemd-sysusers/ && !u { u = NR } /systemd-tmpfiles .*--create/ && !t { t = NR }
	     END { exit !(u && t && u < t) }' "$TMP/ctl/postinst"
check "no unit is started on installation (no deb-systemd-invoke)" sh -c "! grep -q 'deb-systemd-invoke' '$TMP/ctl/postinst'"
check "... nor enabled: every 'deb-systemd-helper enable' is under dh's was-enabled guard (re-enables what the admin enabled)" \
	awk '/deb-systemd-helper enable/ { n++; if (prev !~ /was-enabled/) bad++ }
	     /[^[:space:]]/ && !/^[[:space:]]*#/ { prev = $0 }
	     END { exit !(n > 0 && !bad) }' "$TMP/ctl/postinst"

# Unpacked, it runs, and its units verify.
X="$TMP/x"
dpkg-deb -x "$DEB" "$X"
check "unpacked covalid --version: covalid $VERSION" test "$(PATH=/usr/bin:/bin "$X/usr/bin/covalid" --version)" = "covalid $VERSION"
expect_exit 2 "unpacked covalid serve on a missing database: exit 2 (covalid-server found beside covalid)" \
	env PATH=/usr/bin:/bin "$X/usr/bin/covalid" serve --db "$TMP/none.db" --listen 127.0.0.1:0
check "... saying there is no such database" grep -q 'no such database' "$TMP/err"
check "the packaged man page renders without a warning (man -l covalid-serve.1.gz)" \
	sh -c "LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -l '$X/usr/share/man/man1/covalid-serve.1.gz' 2>'$TMP/m.err' | grep -q 'covalid serve' && ! test -s '$TMP/m.err'"
check "the packaged server unit runs /usr/bin/covalid serve with /usr/share/covalid/web" \
	grep -qx 'ExecStart=/usr/bin/covalid serve --db /var/lib/covalid/covalid.db --web /usr/share/covalid/web --listen 127.0.0.1:8080' \
	"$X/lib/systemd/system/covalid-server.service"
# What postinst runs, on the unpacked tree as its root ($DPKG_ROOT's way):
# the user covalid, then its state directory.  Only root may give the
# directory to covalid: as another user, tmpfiles makes it and fails the
# chown, so only the mode is checked then.
mkdir -p "$X/etc"
systemd-sysusers --root="$X" covalid.conf >"$TMP/sysusers.out" 2>&1
check "systemd-sysusers covalid.conf: exit 0" test $? -eq 0
check "... the user covalid, home /var/lib/covalid, no login shell" \
	grep -Eq '^covalid:x:[0-9]+:[0-9]+:[^:]*:/var/lib/covalid:/usr/sbin/nologin$' "$X/etc/passwd"
check "... and the group covalid" grep -Eq '^covalid:x:[0-9]+:' "$X/etc/group"
systemd-tmpfiles --root="$X" --create covalid.conf >"$TMP/tmpfiles.out" 2>&1
rc=$?
check "systemd-tmpfiles --create covalid.conf: /var/lib/covalid, mode 0750" \
	test "$(stat -c %a "$X/var/lib/covalid" 2>/dev/null)" = 750
if [ "$(id -u)" -eq 0 ]; then
	uid=$(awk -F: '$1 == "covalid" { print $3 }' "$X/etc/passwd")
	check "... owned by covalid (uid $uid), tmpfiles exit 0" \
		sh -c "[ $rc -eq 0 ] && [ \"\$(stat -c %u '$X/var/lib/covalid')\" = '$uid' ]"
else
	check "... (not root: only its chown fails)" grep -q 'fchownat() of .*/var/lib/covalid' "$TMP/tmpfiles.out"
fi

mkdir "$TMP/units"
for u in "$X"/lib/systemd/system/*; do
	sed -e "s|/usr/bin/covalid|$X/usr/bin/covalid|g" -e "s|/usr/share/covalid|$X/usr/share/covalid|g" "$u" >"$TMP/units/${u##*/}"
done
names=$(cd "$TMP/units" && ls)
(cd "$TMP/units" && MANPATH="$X/usr/share/man" systemd-analyze verify $names) >"$TMP/verify.out" 2>&1
rc=$?
check "systemd-analyze verify on the packaged units: exit 0, no warning" sh -c "[ $rc -eq 0 ] && ! test -s '$TMP/verify.out'"
[ -s "$TMP/verify.out" ] && diag "$(cat "$TMP/verify.out")"
done_testing
