# wine.sh - running the Windows guest binary under wine (tests/t/t8*.sh).
# Source after tap.sh.  Then:
#
#   wine_need          skip the whole file (exit) when the x64 binary or
#                      wine64 is absent -- but fail when the set-up must
#                      have made them (COVALID_REQUIRE_WIN=1, set by
#                      `make test`): a test whose tool the set-up installs
#                      never quietly skips
#   wine_covalid ARGS  runs build/win64/covalid.exe ARGS under wine64
#   wine_path FILE     FILE as the Windows program sees it (Z:\...)
#
# What the tests depend on: Debian's wine64 (8.0), whose 64-bit loader is
# /usr/lib/wine/wine64; the binary from `make win` in $COVALID_WIN
# (default $COVALID_BUILD/win64/covalid.exe).  32-bit Windows programs
# cannot run here (this kernel may have no 32-bit support, and Debian's
# wine64 alone has no 32-bit half), so build/win32/covalid.exe is only
# built and linked; its code paths are shared with the x64 one.
#
# The wine prefix (a fake C: drive, ~9 s to make) is made once per build
# directory, under a lock so that two test files do not make it at once,
# and every test file stops its wineserver at exit.

: "${COVALID_BUILD:=$(dirname "$COVALID")}"
: "${COVALID_WIN:=$COVALID_BUILD/win64/covalid.exe}"
WINE64=${WINE64:-/usr/lib/wine/wine64}
WINESERVER=${WINESERVER:-/usr/lib/wine/wineserver}
export WINEPREFIX="$COVALID_BUILD/wineprefix"
export WINEDEBUG=-all
# No desktop integration, no Mono or Gecko installer prompts.
export WINEDLLOVERRIDES="winemenubuilder.exe=d;mscoree=d;mshtml=d"

wine_need() {
	missing=""
	[ -f "$COVALID_WIN" ] || missing="$COVALID_WIN (make win)"
	[ -x "$WINE64" ] || missing="${missing:+$missing, }$WINE64 (Debian wine64)"
	[ -z "$missing" ] && return 0
	if [ "${COVALID_REQUIRE_WIN:-0}" = 1 ]; then
		echo "1..1"
		echo "not ok 1 - the Windows build and wine are here (missing: $missing; the set-up installs them)"
		exit 1
	fi
	echo "1..0 # SKIP missing: $missing"
	exit 0
}

_wine_prefix() {
	[ -f "$WINEPREFIX/.covalid-ready" ] && return 0
	mkdir -p "$COVALID_BUILD"
	(
		flock 9
		if [ ! -f "$WINEPREFIX/.covalid-ready" ]; then
			"$WINE64" wineboot --init >/dev/null 2>&1
			"$WINESERVER" -w
			touch "$WINEPREFIX/.covalid-ready"
		fi
	) 9>"$COVALID_BUILD/.wineprefix.lock"
}

wine_covalid() {
	_wine_prefix
	"$WINE64" "$COVALID_WIN" "$@"
}

wine_path() {
	case $1 in
	/*) printf 'Z:%s' "$1" | tr / '\\' ;;
	*) printf 'Z:%s/%s' "$(pwd)" "$1" | tr / '\\' ;;
	esac
}

trap '"$WINESERVER" -k >/dev/null 2>&1; rm -rf "$TMP"' EXIT
