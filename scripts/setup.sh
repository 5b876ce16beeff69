#!/bin/sh
# setup.sh - installs the Debian packages one use of covalid needs, and
# nothing else.  Idempotent: installs only what is missing.
#
#   scripts/setup.sh [-n|--dry-run] PROFILE
#
# PROFILE is what the packages are for (the Makefile's targets run it):
#   run    build covalid and covalid-server and run them (`make run`)
#   check  run's, the guest and Windows toolchains, and every test's tools
#          (`make check`), and the browser test's npm package
#   bench  check's, and the benchmarks' tools (`make bench`)
#   fuzz   run's, and clang (`make fuzz`)
#   deb    run's, and the Debian packaging tools (`make deb`)
# -n prints the profile's packages ("setup: PROFILE: needs: P...") and
# those of them missing here ("setup: PROFILE: missing: P..." or "...:
# nothing missing"), and changes nothing.
set -eu

# Build: compiler, make, pkg-config and the libraries' -dev packages.
# perl: the Makefile's test runner is prove, and the build runs nothing
# else of it, but every Debian machine has it.  That is all `make run`
# needs: covalid and covalid-server link these libraries, the server
# serves web/ and data/ from the tree.
BUILD_PACKAGES="gcc make pkg-config perl
libjansson-dev libsqlite3-dev libexpat1-dev libsodium-dev
libmicrohttpd-dev libcurl4-gnutls-dev libgnutls28-dev libpq-dev"
# The guest binaries (make guest, scripts/guest-deps.sh): musl for x86_64
# (musl-gcc), an i686 cross compiler to build musl itself for i686, and
# dpkg-dev, whose dpkg-source unpacks `apt-get source` (musl, jansson and
# libsodium are built from Debian's source packages; autoconf, automake and
# libtool make jansson's configure, which its source package does not
# ship, as Debian's own build does).  libseccomp-dev: the old-kernel
# harness (a seccomp filter refusing post-2.6.18 syscalls).  The Windows
# guest binaries (make win): Debian's mingw-w64 cross compilers for x64 and
# x86 (jansson and libsodium are cross-built from source with them).
GUEST_PACKAGES="musl-tools musl-dev gcc-i686-linux-gnu dpkg-dev autoconf automake libtool
libseccomp-dev gcc-mingw-w64-x86-64 gcc-mingw-w64-i686"
# Test: jq (shell tests read JSON), curl (shell tests talk to the real
# server), osinfo-db (OS short-ids), systemd-detect-virt and virt-what
# (peers compared live), cpuid (capture format), xmllint (JUnit output),
# chromium and nodejs (the web UI's browser tests, tests/browser), sqlite3
# (t4003 runs PRAGMA integrity_check on the database a killed server
# left), iproute2 (t2002 joins two network namespaces with a veth pair),
# python3 (t9003's webhook receiver checks signatures with python's hmac,
# independent of covalid's code; t5003 digests descriptors with python's
# blake2b).  qemu-user-static runs the i686 guest binary (tests/t/t7001):
# this machine's kernel may have no 32-bit support.  wine64 runs the x64
# Windows binary (tests/t/t8*); the x86 one cannot run here.  openssl: t4008
# makes its certificates with `openssl req -x509` (and `openssl s_client`
# reads back which one the server presents).  postgresql: the PostgreSQL
# backend's tests start a real server of their own (initdb, postgres,
# pg_ctl: tests/lib/pg.sh, for the store's conformance suite
# (tests/unit/test-store-*.c) and the multi-node test); haproxy: the
# multi-node test's load balancer in front of three server nodes (issue 15).
TEST_PACKAGES="osinfo-db cpuid virt-what systemd jq curl libxml2-utils sqlite3
chromium nodejs qemu-user-static iproute2 wine64 python3 openssl
postgresql haproxy"
# Bench: hyperfine; wrk and nginx (bench/api.sh runs its own nginx on
# loopback, as the peer of the server); postgresql for bench/scale.sh's
# pgbench.
BENCH_PACKAGES="hyperfine wrk nginx-light postgresql time"
# Fuzz: libFuzzer comes with clang (make fuzz).
FUZZ_PACKAGES="clang"
# The Debian package and `make install` (contrib/, debian/, docs/man/):
# go-md2man turns docs/man/*.md into man pages; debhelper, dpkg-dev,
# fakeroot build the package (make deb), lintian checks it; man-db renders
# the pages and bash-completion's loader finds the completion (t0004,
# t0005 test both, so check installs them too).
DEB_PACKAGES="go-md2man debhelper dpkg-dev fakeroot lintian man-db bash-completion"

dry_run=false
case ${1:-} in -n | --dry-run)
	dry_run=true
	shift
	;;
esac
profile=${1:-}
case $profile in
run) PACKAGES="$BUILD_PACKAGES" ;;
check) PACKAGES="$BUILD_PACKAGES $GUEST_PACKAGES $TEST_PACKAGES $DEB_PACKAGES" ;;
bench) PACKAGES="$BUILD_PACKAGES $GUEST_PACKAGES $TEST_PACKAGES $BENCH_PACKAGES" ;;
fuzz) PACKAGES="$BUILD_PACKAGES $FUZZ_PACKAGES" ;;
deb) PACKAGES="$BUILD_PACKAGES $DEB_PACKAGES" ;;
*)
	echo "usage: scripts/setup.sh [-n|--dry-run] run|check|bench|fuzz|deb${profile:+ (not '$profile')}" >&2
	exit 2
	;;
esac
# Only the profiles that build the guest binaries fetch Debian source
# packages (scripts/guest-deps.sh), so only they need deb-src entries;
# only check runs the browser tests, so only it needs npm.
case $profile in check | bench) need_src=true ;; *) need_src=false ;; esac
case $profile in check) need_npm=true ;; *) need_npm=false ;; esac

missing=""
for p in $PACKAGES; do
	case " $missing " in *" $p "*) continue ;; esac
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
# Debian's nodejs comes without npm; other builds of it (the machine's own)
# ship it: install Debian's npm only when there is no npm command.
if $need_npm && ! command -v npm >/dev/null 2>&1; then
	missing="$missing npm"
fi

if $dry_run; then
	# shellcheck disable=SC2086
	echo "setup: $profile: needs:" $PACKAGES
	if [ -n "$missing" ]; then
		echo "setup: $profile: missing:$missing"
	else
		echo "setup: $profile: nothing missing"
	fi
	exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
fi

# `apt-get source` needs deb-src entries.  When the machine has none, add
# one for each of the distribution's own deb entries (the deb822 file
# /etc/apt/sources.list.d/debian.sources, Debian 12's, or the one-line
# /etc/apt/sources.list), same URIs, suites and components, then update.
# Third-party repositories are left alone: many publish no sources, and a
# missing Sources index fails apt-get update.
has_deb_src() {
	grep -Eqs '^[[:space:]]*Types:.*deb-src' /etc/apt/sources.list.d/*.sources ||
		grep -Eqs '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list
}
debsrc=/etc/apt/sources.list.d/covalid-deb-src.sources
if $need_src && ! has_deb_src; then
	if [ "$(id -u)" -ne 0 ] && [ -z "$SUDO" ]; then
		echo "setup: need root (or sudo) to add deb-src entries to /etc/apt" >&2
		exit 1
	fi
	echo "setup: adding deb-src entries ($debsrc) from the machine's deb entries"
	{
		if [ -f /etc/apt/sources.list.d/debian.sources ]; then
			# Each stanza whose Types has deb: the same stanza as deb-src.
			awk 'function flush() {
				if (deb && !off) printf "%sTypes: deb-src\n%s\n", pre, post
				deb = off = 0; pre = post = ""; seen = 0
			     }
			     /^[[:space:]]*$/ { flush(); next }
			     $1 == "Types:" { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1; seen = 1; next }
			     $1 == "Enabled:" && $2 == "no" { off = 1 }
			     { if (seen) post = post $0 "\n"; else pre = pre $0 "\n" }
			     END { flush() }' /etc/apt/sources.list.d/debian.sources
		fi
		if [ -f /etc/apt/sources.list ]; then
			# "deb [options] URI SUITE COMPONENT..." as a stanza.
			awk '$1 == "deb" {
				i = 2; key = ""
				if ($2 ~ /^\[/) {
					for (;; i++) {
						o = $i; gsub(/[][]/, "", o)
						if (o ~ /^signed-by=/) key = "Signed-By: " substr(o, 11) "\n"
						if ($i ~ /\]$/) break
					}
					i++
				}
				uri = $i; suite = $(i + 1); comps = ""
				for (j = i + 2; j <= NF; j++) comps = comps (comps == "" ? "" : " ") $j
				printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents: %s\n%s\n", uri, suite, comps, key }' \
				/etc/apt/sources.list
		fi
	} >"${TMPDIR:-/tmp}/covalid-deb-src.$$"
	if [ ! -s "${TMPDIR:-/tmp}/covalid-deb-src.$$" ]; then
		rm -f "${TMPDIR:-/tmp}/covalid-deb-src.$$"
		echo "setup: no deb entries found to derive deb-src from (needed by scripts/guest-deps.sh)" >&2
		exit 1
	fi
	$SUDO install -m 644 "${TMPDIR:-/tmp}/covalid-deb-src.$$" "$debsrc"
	rm -f "${TMPDIR:-/tmp}/covalid-deb-src.$$"
	$SUDO apt-get update -q
elif $need_src && ! ls /var/lib/apt/lists/*_Sources* >/dev/null 2>&1; then
	$SUDO apt-get update -q
fi

if [ -n "$missing" ]; then
	echo "setup: installing:$missing"
	if [ "$(id -u)" -ne 0 ] && [ -z "$SUDO" ]; then
		echo "setup: need root (or sudo) to install:$missing" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	# Installing nginx, haproxy or postgresql must not start a system
	# service (nginx on port 80, a cluster on 5432): the tests and
	# benchmarks start their own.  (invoke-rc.d asks policy-rc.d first.)
	policy=
	case $missing in *nginx* | *haproxy* | *postgresql*)
		if [ ! -e /usr/sbin/policy-rc.d ]; then
			policy=/usr/sbin/policy-rc.d
			printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
			$SUDO chmod 755 "$policy"
			trap '$SUDO rm -f "$policy"' EXIT
		fi
		;;
	esac
	# shellcheck disable=SC2086
	if ! $SUDO apt-get install -y -q --no-install-recommends $missing; then
		$SUDO apt-get update -q
		# shellcheck disable=SC2086
		$SUDO apt-get install -y -q --no-install-recommends $missing
	fi
fi

# The browser test's one npm package (playwright-core, the exact version in
# tests/browser/package-lock.json), installed when node_modules is missing
# or older than the lock file.  It drives Debian's chromium: it must not
# download a browser of its own.
browser="$(cd "$(dirname "$0")/.." && pwd)/tests/browser"
if $need_npm && { [ ! -d "$browser/node_modules" ] || [ "$browser/package-lock.json" -nt "$browser/node_modules" ]; }; then
	echo "setup: npm ci in tests/browser"
	(cd "$browser" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
	touch "$browser/node_modules"
fi
