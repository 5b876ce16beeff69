#!/bin/sh
# t8002: the validation kit of the Windows guest binary (make win) under
# wine64: the check list, a quick signed run whose log the Linux
# `covalid kit verify` accepts, keys made on either side signing on the
# other, a check that crashes or hangs recorded as "error", and
# net.peer_transfer against the Linux `covalid kit peer`: on this very
# host (127.0.0.1, which must skip: no NIC is crossed) and, where this
# machine can make network namespaces, in another namespace behind a veth
# pair, clean (pass) and through a relay that flips a byte (fail).
#
# Depends on: Debian's wine64 8.0 and build/win64/covalid.exe
# (tests/lib/wine.sh; skipped only where they are absent and `make test`
# did not require them).  What wine lacks, the run must skip with the
# reason, never pass: wine's event log is a stub that holds no record
# (windows.event_log); wine has no ACPI tables, so no MADT to count the
# firmware's processors in (cpu.topology); wine's Windows has no
# integration services (windows.services skips when the descriptor
# expects none).  Each skip and its reason is listed in the diagnostics.
#
# The processors the Windows kit finds are compared with the host's online
# ones (getconf _NPROCESSORS_ONLN), capped at 64: the kit pins its workers
# through affinity masks, one processor group of at most 64
# (src/kit/win/util.c).  That holds only where this process is not
# narrowed to fewer by a cpuset or taskset (nproc smaller): wine may count
# either, so those three comparisons skip then, saying so.
#
# The test has its own wine prefix ($COVALID_BUILD/wineprefix-kit, made
# once): the namespace part starts the prefix's wineserver inside the
# kit's network namespace (wine makes sockets in the wineserver), which
# must not be a server another test file is using.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/wine.sh"
export WINEPREFIX="$COVALID_BUILD/wineprefix-kit"
wine_need

cd "$TMP" || exit 1
jqr() { jq -r "$@" 2>/dev/null; }
NCPUS=$(getconf _NPROCESSORS_ONLN)
narrowed=""
[ "$(nproc)" = "$NCPUS" ] || narrowed="this process may run on $(nproc) of the $NCPUS online processors (a cpuset or taskset)"
[ "$NCPUS" -gt 64 ] && NCPUS=64
# check_cpus DESCRIPTION COMMAND...: a check of processor counts, skipped when narrowed.
check_cpus() { if [ -n "$narrowed" ]; then skip "$1" "$narrowed"; else check "$@"; fi; }

# ---- kit list ----
expect_exit 0 "kit list under wine" wine_covalid kit list --json
check "kit list: the Windows checks, each with its criterion" \
	test "$(jq '[.[] | select(.id and .criterion)] | length' "$TMP/out")" -ge 18
for id in env.fingerprint cpu.all_vcpus_execute time.monotonic time.cross_cpu_warp time.timer_latency \
	kernel.pv_drivers windows.event_log windows.services storage.io_integrity net.peer_transfer; do
	check_eval "kit list has $id" 'jq -e --arg id "$id" "any(.[]; .id == \$id)" "$TMP/out" >/dev/null'
done
check "the self-tests are hidden without COVALID_KIT_SELFTEST=1" \
	test "$(jq '[.[] | select(.id | startswith("selftest."))] | length' "$TMP/out")" = 0

# ---- a quick run, signed with a key made on Linux ----
"$COVALID" key generate --out "$TMP/linux.key" >/dev/null
wine_covalid kit run --quick --sign "$(wine_path "$TMP/linux.key")" --out "$(wine_path "$TMP/log.json")" \
	>"$TMP/run.out" 2>"$TMP/run.err"
rc=$?
check "kit run --quick --sign exits 0 or 1" test "$rc" -le 1
[ "$rc" -le 1 ] || diag "exit $rc" "$(head -c 2000 "$TMP/run.err")"
n=$(jq '.results | length' "$TMP/log.json" 2>/dev/null || echo 0)
check "the log is a covalid.testlog/1 document" test "$(jqr .schema "$TMP/log.json")" = covalid.testlog/1
check "at least 10 results ($n)" test "$n" -ge 10
errors=$(jqr '[.results[] | select(.status == "error") | "\(.id): \(.reason)"] | .[]' "$TMP/log.json")
if [ -z "$errors" ] && [ "$n" -ge 10 ]; then ok "no check ends in error"; else not_ok "no check ends in error"; diag "$errors"; fi
jqr '.results[] | select(.status == "skip") | "skip \(.id): \(.reason)"' "$TMP/log.json" | while read -r line; do diag "$line"; done
jqr '.results[] | select(.status == "fail") | "fail \(.id): \(.reason)"' "$TMP/log.json" | while read -r line; do diag "$line"; done
check "every skip says why" test "$(jq '[.results[] | select(.status == "skip" and ((.reason // "") == ""))] | length' "$TMP/log.json")" = 0
check "the summary counts the results" test "$(jq '.summary.pass + .summary.fail + .summary.skip + .summary.error' "$TMP/log.json")" = "$n"
check "the private directory under %TEMP% is gone" sh -c "! ls -d '$WINEPREFIX'/drive_c/users/*/Temp/covalid-kit.* 2>/dev/null | grep -q ."
# What wine cannot show must not pass.
check "windows.event_log skips: wine's System log holds no record" \
	test "$(jqr '.results[] | select(.id == "windows.event_log") | .status + " " + (.measured.unreadable // "")' "$TMP/log.json" | cut -c1-40)" = "skip the System event log reports no rec"
check_cpus "cpu.topology skips: wine has no ACPI MADT to count the firmware's processors in" \
	test "$(jqr '.results[] | select(.id == "cpu.topology") | "\(.status) \(.measured.present) \(.measured.online)"' "$TMP/log.json")" = "skip null $NCPUS"
# Measured where wine can: QueryPerformanceCounter on each processor, pinned workers.
check_cpus "time.monotonic read QueryPerformanceCounter on every processor ($NCPUS)" \
	test "$(jqr '.results[] | select(.id == "time.monotonic") | "\(.status) \(.measured.clock) \(.measured.cpus)"' "$TMP/log.json")" = "pass QueryPerformanceCounter $NCPUS"
check_cpus "cpu.all_vcpus_execute has a rate per processor" \
	test "$(jq '.results[] | select(.id == "cpu.all_vcpus_execute") | .measured.rates | length' "$TMP/log.json")" = "$NCPUS"
check "storage.io_integrity wrote unbuffered, write-through blocks and read them back" \
	test "$(jqr '.results[] | select(.id == "storage.io_integrity") | "\(.status) \(.measured.mismatching_blocks) \(.measured.blocks > 0)"' "$TMP/log.json")" = "pass 0 true"

# --dir with a space and a trailing backslash: the children's command
# lines are quoted by the C runtime's rules (src/kit/win/runner.c).
mkdir "$TMP/a dir"
wine_covalid kit run --quick --only storage.io_integrity,time.monotonic --dir "$(wine_path "$TMP/a dir")\\" \
	--out "$(wine_path "$TMP/dir.json")" >"$TMP/dir.out" 2>&1
check_eval "--dir 'a dir\\': the children start and storage.io_integrity writes there" \
	'[ "$(jqr ".results | map(.status) | join(\" \")" "$TMP/dir.json")" = "pass pass" ] &&
	 jqr ".results[] | select(.id == \"storage.io_integrity\") | .measured.directory" "$TMP/dir.json" | grep -q "a dir.*covalid-kit\."'
check "... and its private directory is gone" test -z "$(ls -A "$TMP/a dir")"

# Names beyond ASCII (src/kit/win/runner.c): the program in a folder whose
# name has a character outside the ANSI code page (Greek Delta: not in
# code page 1252, wine's here) starts its children through the UTF-16
# calls; a --dir with one inside it (e-acute, 0xE9 there) is recorded in
# measured.directory as UTF-8, not dropped.
mkdir "$TMP/bin Δ" "$TMP/dir é"
cp "$COVALID_WIN" "$TMP/bin Δ/covalid.exe"
_wine_prefix
"$WINE64" "$TMP/bin Δ/covalid.exe" kit run --quick --only storage.io_integrity,time.monotonic \
	--dir "$(wine_path "$TMP/dir é")" --out "$(wine_path "$TMP/utf.json")" >"$TMP/utf.out" 2>&1
check_eval "a program under 'bin Δ' starts its children" \
	'[ "$(jqr ".results | map(.status) | join(\" \")" "$TMP/utf.json")" = "pass pass" ]'
check_eval "--dir 'dir é' is in measured.directory, in UTF-8" \
	'jqr ".results[] | select(.id == \"storage.io_integrity\") | .measured.directory" "$TMP/utf.json" | grep -q "dir é.covalid-kit\."'

# ---- the Linux side accepts it ----
expect_exit 0 "the Linux covalid kit verify accepts the Windows log" \
	"$COVALID" kit verify "$TMP/log.json" --pubkey "$TMP/linux.key.pub"
check "... signed by the Linux key" grep -q "good signature by key" "$TMP/out"
sed 's/"status":"pass"/"status":"fail"/' "$TMP/log.json" >"$TMP/tampered.json"
expect_exit 1 "a changed Windows log is refused on Linux" "$COVALID" kit verify "$TMP/tampered.json" --pubkey "$TMP/linux.key.pub"

# ---- the reverse: a key made on Windows signs on Linux ----
expect_exit 0 "key generate under wine" wine_covalid key generate --out "$(wine_path "$TMP/win.key")"
"$COVALID" kit run --quick --only time.monotonic --out "$TMP/linux-log.json" >/dev/null 2>&1
expect_exit 0 "the Linux covalid kit sign uses the Windows key" \
	"$COVALID" kit sign "$TMP/linux-log.json" --key "$TMP/win.key" --out "$TMP/linux-signed.json"
expect_exit 0 "the Windows kit verify accepts the Linux log signed with the Windows key" \
	wine_covalid kit verify "$(wine_path "$TMP/linux-signed.json")" --pubkey "$(wine_path "$TMP/win.key.pub")"
expect_exit 0 "... and the Linux one does too" "$COVALID" kit verify "$TMP/linux-signed.json" --pubkey "$TMP/win.key.pub"
expect_exit 1 "the Windows kit verify refuses the Linux key for it" \
	wine_covalid kit verify "$(wine_path "$TMP/linux-signed.json")" --pubkey "$(wine_path "$TMP/linux.key.pub")"

# ---- isolation: a crash and a hang are errors, and the run goes on ----
COVALID_KIT_SELFTEST=1 wine_covalid kit run --quick --only selftest,time.monotonic --out "$(wine_path "$TMP/self.json")" \
	>"$TMP/self.out" 2>&1
st() { jqr --arg id "$1" '.results[] | select(.id == $id) | "\(.status): \(.reason)"' "$TMP/self.json"; }
diag "selftest.crash $(st selftest.crash)" "selftest.hang $(st selftest.hang)"
check_eval "a check that crashes is an error naming the exception (access violation)" \
	'[ "$(st selftest.crash)" = "error: crashed: exception 0xC0000005 (access violation)" ]'
check_eval "a check that hangs is terminated at its limit: error" \
	'[ "$(st selftest.hang)" = "error: timed out after 2 s: terminated" ]'
check_eval "the run goes on after them" 'st time.monotonic | grep -q "^pass"'

# ---- net.peer_transfer against a Linux peer on this very host ----
"$COVALID" kit peer --listen 127.0.0.1:0 >"$TMP/peer.out" 2>&1 &
peer_pid=$!
i=0
until grep -q listening "$TMP/peer.out" 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 100 ] && break
	sleep 0.05
done
port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$TMP/peer.out")
wine_covalid kit run --quick --only net.peer_transfer,time.reference,time.sync --peer "127.0.0.1:$port" \
	--out "$(wine_path "$TMP/local.json")" >"$TMP/local.out" 2>&1
kill "$peer_pid" 2>/dev/null
wait "$peer_pid" 2>/dev/null
lr() { jqr --arg id "$1" '.results[] | select(.id == $id) | "\(.status): \(.reason)"' "$TMP/local.json"; }
diag "a peer on this host: net.peer_transfer $(lr net.peer_transfer)" "time.reference $(lr time.reference)" "time.sync $(lr time.sync)"
check_eval "net.peer_transfer to a peer on this host skips: no NIC is crossed" \
	'lr net.peer_transfer | grep -q "^skip: the peer at 127.0.0.1:$port is this host"'
check_eval "time.reference with a peer on this host skips" 'lr time.reference | grep -q "^skip: the peer at 127.0.0.1:$port is this host"'
check "time.sync records that the peer is this host" \
	test "$(jqr '.results[] | select(.id == "time.sync") | "\(.status) \(.measured.peer_is_this_host)"' "$TMP/local.json")" = "skip true"

# ---- net.peer_transfer through a veth pair to a peer in another namespace ----
# The peer (Linux) and a relay that flips byte 100000 of the download in
# a namespace of their own; the Windows kit in a second one, with the
# prefix's wineserver started there.  No PID namespace: wine's server
# knows its clients by PID.
NSNAMES="net.peer_transfer passes through the veth, both ways|a flipped byte in the download fails net.peer_transfer"
if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null 2>&1 || ! command -v ip >/dev/null 2>&1 ||
	! err=$(timeout 20 unshare -n sh -c 'ip link add cvt0 type veth peer name cvt1' 2>&1); then
	reason="this machine cannot make a network namespace with a veth pair here (uid $(id -u)): $(echo "${err:-no unshare or ip}" | head -n 1)"
	echo "$NSNAMES" | tr '|' '\n' | while read -r t; do echo "$t"; done >"$TMP/nsnames"
	while read -r t; do skip "$t" "$reason"; done <"$TMP/nsnames"
	done_testing
	exit $?
fi
PEER_IP=10.214.0.2
KIT_IP=10.214.0.1
cat >"$TMP/peer-ns.sh" <<EOF
ip link set lo up
i=0
while ! ip link show cwk1 >/dev/null 2>&1; do
	i=\$((i + 1)); [ \$i -gt 200 ] && { echo "no veth end in 10 s"; exit 1; }
	sleep 0.05
done
ip addr add $PEER_IP/24 dev cwk1 && ip link set cwk1 up || exit 1
"$COVALID" kit peer --listen $PEER_IP:7637 >"$TMP/nspeer.out" 2>&1 &
echo \$! >>"$TMP/ns.pids"
"$COVALID" kit peer --listen 127.0.0.1:7700 >"$TMP/nspeer-behind.out" 2>&1 &
echo \$! >>"$TMP/ns.pids"
perl "$SRC/tests/lib/fault-proxy.pl" $PEER_IP 7638 7700 flip-down:100000 >"$TMP/nsproxy.out" 2>&1 &
echo \$! >>"$TMP/ns.pids"
i=0
until grep -q listening "$TMP/nspeer.out" 2>/dev/null && grep -q listening "$TMP/nspeer-behind.out" 2>/dev/null &&
	grep -q ready "$TMP/nsproxy.out" 2>/dev/null; do
	i=\$((i + 1)); [ \$i -gt 400 ] && { echo "the peers did not start in 20 s"; exit 1; }
	sleep 0.05
done
touch "$TMP/peer-ready"
wait
EOF
cat >"$TMP/kit-ns.sh" <<EOF
ip link set lo up
unshare -n sh "$TMP/peer-ns.sh" >"$TMP/peer-ns.out" 2>&1 &
echo \$! >>"$TMP/ns.pids"
peer_ns=\$!
# unshare(2) runs in the background: move the veth end only once the
# peer's shell is in its own namespace (/proc/PID/ns/net differs), lest it
# land in this one.
i=0
while [ "\$(readlink /proc/\$peer_ns/ns/net 2>/dev/null)" = "\$(readlink /proc/self/ns/net)" ] ||
	[ -z "\$(readlink /proc/\$peer_ns/ns/net 2>/dev/null)" ]; do
	i=\$((i + 1)); [ \$i -gt 200 ] && exit 14
	sleep 0.05
done
ip link add cwk0 type veth peer name cwk1 || exit 10
ip link set cwk1 netns \$peer_ns || exit 11
ip addr add $KIT_IP/24 dev cwk0 && ip link set cwk0 up || exit 12
i=0
while [ ! -e "$TMP/peer-ready" ]; do
	i=\$((i + 1)); [ \$i -gt 600 ] && exit 13
	sleep 0.05
done
. "$SRC/tests/lib/wine.sh"
export WINEPREFIX="$WINEPREFIX"
"\$WINE64" "$COVALID_WIN" kit run --quick --only net.peer_transfer --peer $PEER_IP:7637 --out 'Z:$TMP/ns-clean.json' >"$TMP/ns-clean.out" 2>&1
"\$WINE64" "$COVALID_WIN" kit run --quick --only net.peer_transfer --peer $PEER_IP:7638 --out 'Z:$TMP/ns-flip.json' >"$TMP/ns-flip.out" 2>&1
"\$WINESERVER" -k >/dev/null 2>&1
exit 0
EOF
# The prefix's server must start inside the kit's namespace.
"$WINESERVER" -k >/dev/null 2>&1
"$WINESERVER" -w >/dev/null 2>&1
timeout 240 unshare -n sh "$TMP/kit-ns.sh" >"$TMP/kit-ns.out" 2>&1
rc=$?
for p in $(cat "$TMP/ns.pids" 2>/dev/null); do kill "$p" 2>/dev/null; done
[ "$rc" = 0 ] || diag "the namespaces: exit $rc (13: the peers were not ready in 30 s; 14: the peer's namespace was not made in 10 s)" \
	"$(cat "$TMP/kit-ns.out" "$TMP/peer-ns.out" "$TMP/nspeer.out" "$TMP/nspeer-behind.out" "$TMP/nsproxy.out" 2>/dev/null | head -n 20)"
nr() { jqr '.results[] | select(.id == "net.peer_transfer") | "\(.status): \(.reason)"' "$TMP/$1"; }
diag "clean: $(nr ns-clean.json)" "flipped: $(nr ns-flip.json)"
check "net.peer_transfer passes through the veth, both ways" \
	test "$(jqr '.results[0] | "\(.status) \(.measured.upload_digests_match) \(.measured.download_digests_match) \(.measured.local_address)"' "$TMP/ns-clean.json")" = "pass true true $KIT_IP"
check_eval "a flipped byte in the download fails net.peer_transfer" \
	'nr ns-flip.json | grep -q "^fail: the download (peer to guest) corrupted data"'
done_testing
