#!/bin/sh
# setup.sh - installs the Debian packages covalid needs to build, test and
# benchmark, and nothing else.  Idempotent: installs only what is missing.
set -eu

# Build: compiler, make, pkg-config and the libraries' -dev packages.
# Test: prove (perl), jq (shell tests read JSON), curl (shell tests talk
# to the real server), osinfo-db (OS short-ids),
# systemd-detect-virt and virt-what (peers compared live), cpuid (capture
# format), clang (fuzzing), xmllint (JUnit output), chromium and nodejs (the
# web UI's browser test, tests/browser), sqlite3 (t4003 runs PRAGMA
# integrity_check on the database a killed server left), iproute2 (t2002
# joins two network namespaces with a veth pair).  Bench: hyperfine;
# wrk and nginx (bench/api.sh runs its own nginx on loopback, as the peer of
# the server).
PACKAGES="gcc make pkg-config perl
libjansson-dev libsqlite3-dev libexpat1-dev libsodium-dev
libmicrohttpd-dev libcurl4-gnutls-dev
osinfo-db cpuid virt-what systemd hyperfine clang jq curl libxml2-utils sqlite3 iproute2
chromium nodejs wrk nginx-light"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
# Debian's nodejs comes without npm; other builds of it (the machine's own)
# ship it: install Debian's npm only when there is no npm command.
command -v npm >/dev/null 2>&1 || missing="$missing npm"

if [ -n "$missing" ]; then
	echo "setup: installing:$missing"
	SUDO=""
	if [ "$(id -u)" -ne 0 ]; then
		if command -v sudo >/dev/null 2>&1; then
			SUDO="sudo"
		else
			echo "setup: need root (or sudo) to install:$missing" >&2
			exit 1
		fi
	fi
	export DEBIAN_FRONTEND=noninteractive
	# Installing nginx must not start a system nginx on port 80: the
	# benchmark starts its own.  (invoke-rc.d asks policy-rc.d first.)
	policy=
	case $missing in *nginx*)
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
if [ ! -d "$browser/node_modules" ] || [ "$browser/package-lock.json" -nt "$browser/node_modules" ]; then
	echo "setup: npm ci in tests/browser"
	(cd "$browser" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
	touch "$browser/node_modules"
fi
