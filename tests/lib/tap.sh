# tap.sh - TAP helpers for the command-level tests (tests/t/*.sh).
# Source it; then call plan N (or no_plan + done_testing), ok/not_ok, skip.
# $COVALID is the binary under test (set by `make test`).

: "${COVALID:=$(cd "$(dirname "$0")/../.." && pwd)/build/covalid}"
: "${COVALID_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
SRC=$COVALID_SRCDIR
SHARED=${COVALID_SHARED:-$SRC/../shared}
export COVALID SRC

_tap_n=0
_tap_fail=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/covalid-t.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
# The machine's configuration files (/etc/covalid/covalid.conf, the
# user's ~/.config/covalid/covalid.conf: docs/covalid.md, "Files") are not
# the test's: none is read unless a test writes its own here.
export COVALID_CONFIG_SYSTEM="$TMP/etc-covalid.conf" XDG_CONFIG_HOME="$TMP/config"

plan() { echo "1..$1"; }
done_testing() { echo "1..$_tap_n"; [ "$_tap_fail" -eq 0 ]; }
diag() { printf '%s\n' "$@" | sed 's/^/# /' >&2; }

ok() {	# ok DESCRIPTION (after a successful command)
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - $1"
}
not_ok() {
	_tap_n=$((_tap_n + 1))
	_tap_fail=$((_tap_fail + 1))
	echo "not ok $_tap_n - $1"
}
skip() {	# skip DESCRIPTION REASON
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - $1 # SKIP $2"
}
check() {	# check DESCRIPTION COMMAND...: ok if the command succeeds
	desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}
# expect_exit CODE DESCRIPTION COMMAND...: ok if the command exits with CODE
expect_exit() {
	want=$1
	desc=$2
	shift 2
	"$@" >"$TMP/out" 2>"$TMP/err"
	got=$?
	if [ "$got" -eq "$want" ]; then
		ok "$desc"
	else
		not_ok "$desc"
		diag "exit $got, expected $want" "stderr: $(head -c 2000 "$TMP/err")"
	fi
}
# check_eval DESCRIPTION 'SHELL CODE': ok if the code, evaluated in this
# shell (so it can use the helpers of tests/lib), succeeds.
check_eval() {
	desc=$1
	if eval "$2"; then ok "$desc"; else not_ok "$desc"; fi
}
