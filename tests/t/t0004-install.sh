#!/bin/sh
# t0004-install: `make install DESTDIR=... PREFIX=/usr` puts every file a
# package ships where docs/deploy.md ("Installing") says, with its mode, and
# nothing else; the installed covalid runs from there (and finds the
# installed covalid-server); the man pages render without a warning and
# `man covalid-check` finds its page; the systemd units pass
# `systemd-analyze verify`; the bash completion completes every command,
# subcommand and option `covalid help` names; `make uninstall` leaves
# nothing.  The expected lists come from the sources (web/, data/,
# docs/man/, contrib/) and from `covalid help`, never from what install did.
#
# It installs the programs under test ($COVALID_BUILD): make is run with
# that BUILD and must compile nothing (the unit tests are not install's).
#
# Depends on: make, go-md2man, man-db, systemd (systemd-analyze),
# bash-completion, curl: all installed by scripts/setup.sh, so none is
# skipped.
. "$(dirname "$0")/../lib/tap.sh"

BUILD=${COVALID_BUILD:-$SRC/build}
DEST="$TMP/root"
VERSION=$(sed -n 's/^#define COVALID_VERSION "\(.*\)"/\1/p' "$SRC/include/covalid/covalid.h")

make -C "$SRC" --no-print-directory BUILD="$BUILD" DESTDIR="$DEST" PREFIX=/usr install \
	>"$TMP/install.out" 2>&1
rc=$?
check "make install DESTDIR PREFIX=/usr: exit 0" test "$rc" -eq 0
[ "$rc" -eq 0 ] || diag "$(tail -20 "$TMP/install.out")"
check "... compiled and linked nothing (the programs under test are installed; no unit test is built)" \
	sh -c "! grep -Eq '^  (CC|LINK) |gcc ' '$TMP/install.out'"
check "... the installed covalid is the one under test" cmp -s "$BUILD/covalid" "$DEST/usr/bin/covalid"
check "... and covalid-server" cmp -s "$BUILD/covalid-server" "$DEST/usr/bin/covalid-server"

# What must be there, with its mode, from the sources.
{
	echo "755 usr/bin/covalid"
	echo "755 usr/bin/covalid-server"
	for f in "$SRC"/web/*.html "$SRC"/web/*.js "$SRC"/web/*.css "$SRC"/web/*.json; do
		echo "644 usr/share/covalid/web/${f##*/}"
	done
	for f in "$SRC"/data/*.jsonl "$SRC"/data/*.json; do
		echo "644 usr/share/covalid/data/${f##*/}"
	done
	for f in "$SRC"/docs/man/*.1.md; do
		f=${f##*/}
		echo "644 usr/share/man/man1/${f%.md}"
	done
	for f in "$SRC"/docs/man/*.5.md; do
		f=${f##*/}
		echo "644 usr/share/man/man5/${f%.md}"
	done
	echo "644 usr/share/bash-completion/completions/covalid"
	for f in "$SRC"/contrib/systemd/*; do
		echo "644 usr/lib/systemd/system/${f##*/}"
	done
	echo "644 usr/lib/sysusers.d/covalid.conf"
	echo "644 usr/lib/tmpfiles.d/covalid.conf"
	echo "644 etc/covalid/covalid.conf"
} | LC_ALL=C sort >"$TMP/expected"
(cd "$DEST" && find . \( -type f -o -type l \) -printf '%m %P\n') | LC_ALL=C sort >"$TMP/installed"
check "every file in place with its mode, and nothing else" cmp -s "$TMP/expected" "$TMP/installed"
cmp -s "$TMP/expected" "$TMP/installed" || diag "$(diff "$TMP/expected" "$TMP/installed")"
check "the web UI is web/'s" diff -r "$SRC/web" "$DEST/usr/share/covalid/web"
check "the default configuration is contrib/covalid.conf" cmp -s "$SRC/contrib/covalid.conf" "$DEST/etc/covalid/covalid.conf"
check_eval "... every key of the contract (db, server, token-file) in it, commented out; no line sets one" \
	"for k in db server token-file; do grep -q \"^#\$k = \" '$DEST/etc/covalid/covalid.conf' || exit 1; done;
	 ! grep -Ev '^[[:space:]]*(#|\$)' '$DEST/etc/covalid/covalid.conf' | grep -q ."

# The installed programs, from the tree (PATH without the build: covalid
# must find covalid-server beside itself).
IBIN="$DEST/usr/bin"
check "installed covalid --version: covalid $VERSION" test "$(PATH=/usr/bin:/bin "$IBIN/covalid" --version)" = "covalid $VERSION"
PATH=/usr/bin:/bin "$IBIN/covalid" help >"$TMP/help.out" 2>&1
check "installed covalid help: exit 0" test $? -eq 0
sed -n '/^commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p' "$TMP/help.out" >"$TMP/commands"
check "covalid help lists the commands (probe, check, serve, case ...)" \
	sh -c "grep -qx probe '$TMP/commands' && grep -qx check '$TMP/commands' && grep -qx serve '$TMP/commands' && grep -qx case '$TMP/commands'"
expect_exit 0 "installed covalid probe --root a fixture machine: exit 0" \
	env PATH=/usr/bin:/bin "$IBIN/covalid" probe --root "$SRC/tests/fixtures/hyperv2008-rhel53/root" --json
check "... the probe's descriptor: Hyper-V (microsoft)" grep -q '"id": *"microsoft"' "$TMP/out"
# serve runs in covalid-server: found beside the installed covalid, with
# the installed web UI.
"$IBIN/covalid" catalog import --db "$TMP/p.db" "$DEST/usr/share/covalid/data/products.jsonl" \
	"$DEST/usr/share/covalid/data/validated-configs.jsonl" >/dev/null 2>&1
check "the installed seed catalog imports" test $? -eq 0
PATH=/usr/bin:/bin "$IBIN/covalid" serve --db "$TMP/p.db" --web "$DEST/usr/share/covalid/web" \
	--listen 127.0.0.1:0 --access-log "$TMP/access.log" >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVER_PID=$!
i=0
URL=
while [ $i -lt 100 ]; do
	URL=$(sed -n 's|^covalid serve: listening on \(http://[^ ]*\)/$|\1|p' "$TMP/serve.out")
	[ -n "$URL" ] && break
	kill -0 "$SERVER_PID" 2>/dev/null || break
	sleep 0.1
	i=$((i + 1))
done
check "installed covalid serve starts (covalid-server found beside covalid)" test -n "$URL"
[ -n "$URL" ] || diag "$(cat "$TMP/serve.err")"
curl -s --max-time 20 -o "$TMP/index.html" "$URL/" 2>/dev/null
check "... and serves the installed web UI's index.html" cmp -s "$TMP/index.html" "$SRC/web/index.html"
kill -TERM "$SERVER_PID" 2>/dev/null
wait "$SERVER_PID"
check "... and stops on SIGTERM with exit 0" test $? -eq 0

# Man pages: one per command covalid help lists, each rendering without a
# warning, found by man through MANPATH.
MAN="$DEST/usr/share/man"
for c in $(grep -vx help "$TMP/commands"); do
	check "covalid-$c(1) is installed" test -f "$MAN/man1/covalid-$c.1"
done
for p in "$MAN"/man1/*.1 "$MAN"/man5/*.5; do
	name=${p##*/}
	LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -l "$p" >"$TMP/man.out" 2>"$TMP/man.err"
	rc=$?
	check "man -l $name: exit 0, no warning" sh -c "[ $rc -eq 0 ] && ! [ -s '$TMP/man.err' ]"
	[ -s "$TMP/man.err" ] && diag "$(head -5 "$TMP/man.err")"
	check "... it has NAME, SYNOPSIS, SEE ALSO" \
		sh -c "grep -q '^NAME' '$TMP/man.out' && grep -q '^SYNOPSIS' '$TMP/man.out' && grep -q '^SEE ALSO' '$TMP/man.out'"
done
for p in "$MAN"/man1/covalid-*.1; do
	n=${p##*/}
	n=${n%.1}
	[ "$n" = covalid-server ] && continue
	c=${n#covalid-}
	check_eval "$n(1) has EXIT STATUS and every --option covalid help $c names" \
		"LC_ALL=C.UTF-8 MANWIDTH=200 man -l '$p' 2>/dev/null >'$TMP/page' && grep -q '^EXIT STATUS' '$TMP/page' &&
		 (for o in \$(\"$COVALID\" help $c 2>&1 | grep -o -- '--[a-z][a-z-]*' | sort -u); do
			grep -q -- \"\$o\" '$TMP/page' || { echo \"# $n: \$o missing\" >&2; exit 1; }
		 done)"
done
MANPATH="$MAN" LC_ALL=C.UTF-8 MANWIDTH=80 man covalid-check >"$TMP/check.man" 2>&1
check "MANPATH=.../usr/share/man man covalid-check: the page" \
	sh -c "grep -q 'covalid-check *- ' '$TMP/check.man' && grep -q 'covalid check' '$TMP/check.man'"
MANPATH="$MAN" LC_ALL=C.UTF-8 MANWIDTH=80 man 5 covalid.conf >"$TMP/conf.man" 2>&1
check "man 5 covalid.conf: the keys and the database's precedence" \
	sh -c "grep -q 'token-file' '$TMP/conf.man' && grep -q 'COVALID_DB' '$TMP/conf.man' && grep -q '/etc/covalid/covalid.conf' '$TMP/conf.man'"

# systemd units: the installed copies name the installed paths; verify runs
# on them with those paths moved under DEST (verify wants ExecStart='s
# program to exist) and MANPATH on the installed pages (it checks each
# Documentation=man: page with man).
UNITS="$DEST/usr/lib/systemd/system"
check "the server unit runs /usr/bin/covalid serve on /var/lib/covalid with the installed web UI" \
	grep -qx 'ExecStart=/usr/bin/covalid serve --db /var/lib/covalid/covalid.db --web /usr/share/covalid/web --listen 127.0.0.1:8080' \
	"$UNITS/covalid-server.service"
check_eval "... as the user covalid, StateDirectory=covalid, hardened" \
	"grep -qx 'User=covalid' '$UNITS/covalid-server.service' && grep -qx 'StateDirectory=covalid' '$UNITS/covalid-server.service' &&
	 grep -qx 'NoNewPrivileges=yes' '$UNITS/covalid-server.service' && grep -qx 'ProtectSystem=strict' '$UNITS/covalid-server.service' &&
	 grep -qx 'CapabilityBoundingSet=' '$UNITS/covalid-server.service' && grep -qx 'SystemCallFilter=@system-service' '$UNITS/covalid-server.service'"
check "the sysusers.d file makes the user covalid, home /var/lib/covalid" \
	grep -Eq '^u covalid - ".*" /var/lib/covalid$' "$DEST/usr/lib/sysusers.d/covalid.conf"
check "the agent units run /usr/bin/covalid" \
	sh -c "grep -q '^ExecStart=/usr/bin/covalid agent run ' '$UNITS/covalid-agent.service' && grep -q '^ExecStart=/usr/bin/covalid agent run --once ' '$UNITS/covalid-agent-once.service'"
mkdir "$TMP/units"
for u in "$UNITS"/*; do
	sed -e "s|/usr/bin/covalid|$DEST/usr/bin/covalid|g" -e "s|/usr/share/covalid|$DEST/usr/share/covalid|g" \
		"$u" >"$TMP/units/${u##*/}"
done
names=$(cd "$TMP/units" && ls)
(cd "$TMP/units" && MANPATH="$MAN" systemd-analyze verify $names) >"$TMP/verify.out" 2>&1
rc=$?
check "systemd-analyze verify $(echo $names): exit 0" test "$rc" -eq 0
check "... and no warning" test ! -s "$TMP/verify.out"
[ -s "$TMP/verify.out" ] && diag "$(cat "$TMP/verify.out")"
sed 's|^Documentation=man:covalid-serve(1)|Documentation=man:covalid-nosuchpage(1)|' "$TMP/units/covalid-server.service" \
	>"$TMP/units/broken.service"
(cd "$TMP/units" && MANPATH="$MAN" systemd-analyze verify broken.service) >"$TMP/broken.out" 2>&1
check "... a Documentation= page that is not installed is reported (the check can fail)" \
	grep -q 'covalid-nosuchpage' "$TMP/broken.out"
systemd-analyze security --offline=yes "$TMP/units/covalid-server.service" >"$TMP/security.out" 2>&1
level=$(sed -n 's/.*Overall exposure level for covalid-server.service: \([0-9.]*\) .*/\1/p' "$TMP/security.out")
check "systemd-analyze security: the server's exposure level is below 2.0 (got ${level:-none})" \
	awk -v l="$level" 'BEGIN { exit !(l != "" && l + 0 < 2.0) }'

# bash completion: syntax, bash-completion's loader finds it, and it
# completes what covalid help names.
COMPL="$DEST/usr/share/bash-completion/completions/covalid"
check "bash -n on the completion" bash -n "$COMPL"
XDG_DATA_DIRS="$DEST/usr/share" bash -c '. /usr/share/bash-completion/bash_completion; __load_completion covalid; complete -p covalid' \
	>"$TMP/loaded" 2>&1
check "bash-completion's loader finds it in share/bash-completion/completions" grep -q -- '-F _covalid covalid' "$TMP/loaded"
complete_words() {	# the words offered for the command line "$@" (the last word is completed)
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _covalid; printf "%s\n" "${COMPREPLY[@]}"' \
		_ "$COMPL" "$@"
}
check "covalid ch<Tab> -> check" test "$(complete_words covalid ch)" = check
complete_words covalid '' >"$TMP/all-commands"
for c in $(cat "$TMP/commands"); do
	check "covalid <Tab> offers $c" grep -qx "$c" "$TMP/all-commands"
done
for c in $(grep -vx help "$TMP/commands"); do
	"$COVALID" help "$c" >"$TMP/h" 2>&1
	complete_words covalid "$c" -- >"$TMP/opts"
	missing=
	for o in $(grep -o -- '--[a-z][a-z-]*' "$TMP/h" | sort -u); do
		# submit's help names another command's option: "covalid kit run --sign KEY".
		[ "$c $o" = "submit --sign" ] && continue
		grep -qx -- "$o" "$TMP/opts" || missing="$missing $o"
	done
	check "covalid $c --<Tab> offers every option covalid help $c names${missing:+ (missing:$missing)}" test -z "$missing"
	subs=$(sed -n "s/^ *\(usage: \)\{0,1\}covalid $c \([a-z][a-z|-]*\)\( .*\)\{0,1\}\$/\2/p" "$TMP/h" | tr '|' '\n' | sort -u)
	if [ -n "$subs" ]; then
		complete_words covalid "$c" '' >"$TMP/subs"
		missing=
		for s in $subs; do
			grep -qx -- "$s" "$TMP/subs" || missing="$missing $s"
		done
		check "covalid $c <Tab> offers its subcommands ($(echo $subs))${missing:+ (missing:$missing)}" test -z "$missing"
	fi
done
check "covalid serve --web <Tab> completes directories" \
	sh -c "cd '$SRC' && [ \"\$(bash -c '. \"\$0\"; COMP_WORDS=(covalid serve --web we); COMP_CWORD=3; _covalid; printf \"%s\\n\" \"\${COMPREPLY[@]}\"' '$COMPL')\" = web ]"

# An administrator's configuration survives a second install and uninstall.
echo 'db = /srv/covalid.db' >>"$DEST/etc/covalid/covalid.conf"
make -C "$SRC" --no-print-directory BUILD="$BUILD" DESTDIR="$DEST" PREFIX=/usr install >"$TMP/install2.out" 2>&1
check "a second install keeps a changed /etc/covalid/covalid.conf" grep -qx 'db = /srv/covalid.db' "$DEST/etc/covalid/covalid.conf"
make -C "$SRC" --no-print-directory BUILD="$BUILD" DESTDIR="$DEST" PREFIX=/usr uninstall >"$TMP/uninstall.out" 2>&1
check "make uninstall: exit 0" test $? -eq 0
check "... keeps the changed configuration, and says so" \
	sh -c "test -f '$DEST/etc/covalid/covalid.conf' && grep -q 'keeping .*covalid.conf' '$TMP/uninstall.out'"
rm -f "$DEST/etc/covalid/covalid.conf"
make -C "$SRC" --no-print-directory BUILD="$BUILD" DESTDIR="$DEST" PREFIX=/usr install >/dev/null 2>&1 &&
	make -C "$SRC" --no-print-directory BUILD="$BUILD" DESTDIR="$DEST" PREFIX=/usr uninstall >"$TMP/uninstall.out" 2>&1
check "install then uninstall: exit 0" test $? -eq 0
(cd "$DEST" && find . \( -type f -o -type l \) -printf '%P\n') >"$TMP/left"
check "... leaves no file" test ! -s "$TMP/left"
[ -s "$TMP/left" ] && diag "$(cat "$TMP/left")"
(cd "$DEST" && find . -name '*covalid*' -printf '%P\n') >"$TMP/left"
check "... and no directory of covalid's" test ! -s "$TMP/left"
[ -s "$TMP/left" ] && diag "$(cat "$TMP/left")"

# The default PREFIX's layout (GNU): /usr/local, its etc, units naming it.
DEST2="$TMP/root2"
make -C "$SRC" --no-print-directory BUILD="$BUILD" DESTDIR="$DEST2" install >"$TMP/install3.out" 2>&1
check "make install (PREFIX /usr/local): exit 0" test $? -eq 0
check_eval "... programs in /usr/local/bin, share in /usr/local/share, configuration in /usr/local/etc" \
	"test -x '$DEST2/usr/local/bin/covalid' && test -x '$DEST2/usr/local/bin/covalid-server' &&
	 test -f '$DEST2/usr/local/share/covalid/web/index.html' && test -f '$DEST2/usr/local/share/man/man1/covalid-check.1' &&
	 test -f '$DEST2/usr/local/etc/covalid/covalid.conf' && ! test -e '$DEST2/etc'"
check "... the server unit names /usr/local/bin/covalid and /usr/local/share/covalid/web" \
	grep -qx 'ExecStart=/usr/local/bin/covalid serve --db /var/lib/covalid/covalid.db --web /usr/local/share/covalid/web --listen 127.0.0.1:8080' \
	"$DEST2/usr/local/lib/systemd/system/covalid-server.service"
done_testing
