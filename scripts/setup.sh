#!/bin/sh
# setup.sh - installs the Debian packages covalid needs to build, test and
# benchmark, and nothing else.  Idempotent: installs only what is missing.
set -eu

# Build: compiler, make, pkg-config and the libraries' -dev packages.
# Test: prove (perl), jq (shell tests read JSON), osinfo-db (OS short-ids),
# systemd-detect-virt and virt-what (peers compared live), cpuid (capture
# format), clang (fuzzing), xmllint (JUnit output).  Bench: hyperfine.
PACKAGES="gcc make pkg-config perl
libjansson-dev libsqlite3-dev libexpat1-dev libsodium-dev
libmicrohttpd-dev libcurl4-gnutls-dev
osinfo-db cpuid virt-what systemd hyperfine clang jq libxml2-utils"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

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
# shellcheck disable=SC2086
if ! $SUDO apt-get install -y -q --no-install-recommends $missing; then
	$SUDO apt-get update -q
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -q --no-install-recommends $missing
fi
