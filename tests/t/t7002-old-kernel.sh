#!/bin/sh
# t7002: the guest binary on a kernel that answers like Linux 2.6.18 (RHEL 5).
#
# tests/oldkernel/run-as-2.6.18 (built by make all) runs a command under a
# seccomp filter: every x86_64 system call numbered 280 or above answers
# ENOSYS, socket types with SOCK_CLOEXEC or SOCK_NONBLOCK answer EINVAL
# (the rules and their sources are in its comment).  Under it:
#   - its own self-test: the new calls are refused, the old ones work, and
#     without the harness the same calls all work;
#   - test-compat: util/compat.h's fallbacks keep their contract;
#   - probe --json on every fixture prints exactly what it prints without
#     the harness;
#   - kit peer and net.peer_transfer, both under it, connect (a peer on
#     this host skips: no NIC is crossed), and loopback TCP moves data;
#   - kit run --quick has no error; a check may fail only if it fails
#     without the harness too (it is this machine's fail, not the old
#     kernel's); its skips are listed with their reasons.
#
# The binary under test is the static x86_64 guest binary
# ($COVALID_GUEST/covalid-linux-x86_64, build/guest by default): the
# Makefile has a guest target, make check builds it first, and this test
# fails without it.  (On a tree without the guest target it would run
# $COVALID, glibc and dynamic, whose own start-up probes prlimit64, rseq,
# getrandom and clone3 and copes with ENOSYS.)
#
# Depends on: an x86_64 kernel with seccomp filters (3.5+; no privilege
# needed: the harness sets no_new_privs).  A missing harness is a failure,
# not a skip: make all builds it, scripts/setup.sh installs libseccomp-dev.
# The kit's results are this machine's; what is compared is the same
# machine with and without the harness.  A check that fails only under the
# harness is run once more alone, under it, before it counts: timing checks
# on a busy host fail now and then on their own.
. "$(dirname "$0")/../lib/tap.sh"

BUILD=${COVALID_BUILD:-$SRC/build}
HARNESS=$BUILD/tests/run-as-2.6.18
SELFTEST=$BUILD/tests/oldkernel-selftest

if [ ! -x "$HARNESS" ] || [ ! -x "$SELFTEST" ]; then
	not_ok "the old-kernel harness is built ($HARNESS, $SELFTEST)"
	done_testing
	exit 1
fi
ok "the old-kernel harness is built"

if [ "$(uname -m)" != x86_64 ]; then
	# The harness's numbers are x86_64's; it refuses to run elsewhere.
	expect_exit 125 "the harness refuses a kernel that is not x86_64" "$HARNESS" true
	done_testing
	exit $?
fi

# ---- the harness itself ----
expect_exit 0 "without the harness, the new calls work" "$SELFTEST" new
expect_exit 0 "under the harness, the new calls answer ENOSYS/EINVAL and the old ones work" "$HARNESS" "$SELFTEST" old
check "... all $(grep -c '^ok' "$TMP/out") of its checks ran" test "$(grep -c '^ok' "$TMP/out")" -ge 12
expect_exit 1 "the self-test notices a kernel that refuses nothing (old expectations, no harness)" "$SELFTEST" old
expect_exit 2 "the harness without a command: usage, exit 2" "$HARNESS"
expect_exit 127 "the harness with a missing command: exit 127" "$HARNESS" "$TMP/no-such-command"
check "... naming it" grep -q "cannot run $TMP/no-such-command" "$TMP/err"
# AddressSanitizer's runtime starts with getrlimit(), which glibc makes
# prlimit64 (302): a sanitizer build cannot start under the harness, so
# the ASan run takes the normal build's test-compat (make check builds it
# first).
compat=$BUILD/tests/test-compat
if grep -q __asan_init "$compat" 2>/dev/null; then compat=$SRC/build/tests/test-compat; fi
if [ -x "$compat" ] && ! grep -q __asan_init "$compat"; then
	expect_exit 0 "util/compat.h's fallbacks under the harness (test-compat)" "$HARNESS" "$compat"
else
	skip "util/compat.h's fallbacks under the harness" "only a sanitizer build of test-compat here, and ASan cannot start without getrlimit"
fi

# ---- the binary under test ----
GUEST=${COVALID_GUEST:-$SRC/build/guest}/covalid-linux-x86_64
if grep -q '^guest:' "$SRC/Makefile"; then
	if [ -x "$GUEST" ]; then ok "the static guest binary is built ($GUEST)"
	else not_ok "the static guest binary is built ($GUEST): make guest"; done_testing; exit 1; fi
	BIN=$GUEST
	check "... and has no program interpreter (static)" sh -c "! LC_ALL=C readelf -l '$BIN' | grep -q 'Requesting program interpreter'"
else
	BIN=$COVALID
	diag "no guest target in the Makefile yet: testing $BIN (glibc), not the static guest binary"
fi

# ---- probe on the fixtures ----
n=0
diffs=""
for dir in "$SRC"/tests/fixtures/*/; do
	[ -d "$dir/root" ] || continue
	name=$(basename "$dir")
	n=$((n + 1))
	"$BIN" probe --json --root "$dir/root" >"$TMP/new.json" 2>"$TMP/new.err"
	rc_new=$?
	"$HARNESS" "$BIN" probe --json --root "$dir/root" >"$TMP/old.json" 2>"$TMP/old.err"
	rc_old=$?
	if [ "$rc_new" -ne "$rc_old" ] || ! cmp -s "$TMP/new.json" "$TMP/old.json" || ! cmp -s "$TMP/new.err" "$TMP/old.err"; then
		diffs="$diffs $name"
		diag "$name: exit $rc_new without the harness, $rc_old under it" "$(diff "$TMP/new.json" "$TMP/old.json" | head -20)" "$(head -c 500 "$TMP/old.err")"
	fi
done
check "probe --json gives the same output under the harness on all $n fixtures${diffs:+ (not:$diffs)}" test -z "$diffs" -a "$n" -gt 0

# ---- keys and signatures (libsodium's randomness without getrandom) ----
expect_exit 0 "key generate under the harness" "$HARNESS" "$BIN" key generate --out "$TMP/vendor.key"
check "... writes the key pair" test -s "$TMP/vendor.key" -a -s "$TMP/vendor.key.pub"

# ---- the kit ----
mkdir "$TMP/kit"
"$BIN" kit run --quick --dir "$TMP/kit" --out "$TMP/base.json" >"$TMP/base.out" 2>"$TMP/base.err"
rc=$?
check "kit run --quick without the harness exits 0 or 1" test "$rc" -le 1
"$HARNESS" "$BIN" kit run --quick --dir "$TMP/kit" --out "$TMP/old.json" --sign "$TMP/vendor.key" >"$TMP/old.out" 2>"$TMP/old.err"
rc=$?
check "kit run --quick under the harness exits 0 or 1" test "$rc" -le 1
if [ "$rc" -gt 1 ]; then diag "$(head -c 2000 "$TMP/old.err")"; fi
total=$(jq '.results | length' "$TMP/base.json" 2>/dev/null)
check "... and reports every check ($total)" test "$(jq '.results | length' "$TMP/old.json" 2>/dev/null)" = "${total:-none}"

errors=$(jq -r '.results[] | select(.status == "error") | "\(.id): \(.reason)"' "$TMP/old.json" 2>/dev/null)
check "... with no error" test -z "$errors"
[ -z "$errors" ] || diag "errors under the harness:" "$errors"

# A fail under the harness must be the machine's: failing without it too.
only_old=""
for id in $(jq -r '.results[] | select(.status == "fail") | .id' "$TMP/old.json" 2>/dev/null); do
	base=$(jq -r --arg id "$id" '.results[] | select(.id == $id) | .status' "$TMP/base.json")
	[ "$base" = fail ] && continue
	"$HARNESS" "$BIN" kit run --quick --only "$id" --dir "$TMP/kit" --out "$TMP/again.json" >/dev/null 2>&1
	again=$(jq -r '.results[0].status' "$TMP/again.json" 2>/dev/null)
	diag "$id: fail under the harness, $base without it; alone again under it: $again"
	[ "$again" = fail ] || [ "$again" = error ] && only_old="$only_old $id"
done
check "... and fails only what this machine fails without the harness too${only_old:+ (not:$only_old)}" test -z "$only_old"
diag "fails on this machine with and without the harness:" \
	"$(jq -r '.results[] | select(.status == "fail") | "  \(.id): \(.reason)"' "$TMP/old.json" 2>/dev/null)"
diag "skips under the harness:" \
	"$(jq -r '.results[] | select(.status == "skip") | "  \(.id): \(.reason)"' "$TMP/old.json" 2>/dev/null)"

# The peer transfer both ends under the harness: kit peer's non-blocking
# listening socket and accept, the kit's non-blocking connect.
"$HARNESS" "$BIN" kit peer --listen 127.0.0.1:0 >"$TMP/peer.out" 2>&1 &
peer=$!
trap 'kill "$peer" 2>/dev/null; rm -rf "$TMP"' EXIT
port=""
for _ in 1 2 3 4 5 6 7 8 9 10; do
	port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$TMP/peer.out")
	[ -n "$port" ] && break
	sleep 0.5
done
check "kit peer listens under the harness" test -n "$port"
"$HARNESS" "$BIN" kit run --quick --only net.peer_transfer --peer "127.0.0.1:${port:-1}" --dir "$TMP/kit" \
	--out "$TMP/peer.json" >/dev/null 2>&1
# A peer on this host carries no evidence (no NIC is crossed), so the
# check connects, sees that, and skips; that the connection was made both
# ends under the harness is what this shows.  Data through sockets under
# the harness: net.loopback_integrity in the run above (no error).
check "net.peer_transfer reaches it under the harness (skips: the peer is this host)" \
	sh -c "jq -e '.results[0] | .status == \"skip\" and (.reason | test(\"is this host\")) and .measured.interface == \"lo\"' '$TMP/peer.json' >/dev/null"
jq -e '.results[0].status == "skip"' "$TMP/peer.json" >/dev/null 2>&1 || diag "$(jq -c '.results[0]' "$TMP/peer.json" 2>/dev/null)" "$(cat "$TMP/peer.out")"
check "net.loopback_integrity moved its data under the harness" \
	test "$(jq -r '.results[] | select(.id == "net.loopback_integrity") | .status' "$TMP/old.json" 2>/dev/null)" = pass
kill "$peer" 2>/dev/null

expect_exit 0 "the log signed under the harness verifies under it" "$HARNESS" "$BIN" kit verify "$TMP/old.json" --pubkey "$TMP/vendor.key.pub"
check "the private directory is gone" test -z "$(ls -A "$TMP/kit")"
done_testing
