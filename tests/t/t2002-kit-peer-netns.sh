#!/bin/sh
# t2002: net.peer_transfer, time.reference and time.sync against
# `covalid kit peer` in another network namespace, through a veth pair:
# the kit's data crosses a real interface with a real driver (veth), both
# ways, and the faults a NIC path can have are made and caught.
#
# The test makes its own namespaces, loopback-only (10.213.0.0/24 on the
# veth pair, nothing routed out), in a fresh PID namespace too, so that
# when the test's shell there ends, every process it started (peers,
# proxies) dies with it and the namespaces and the veth pair are gone:
# nothing to clean up, nothing left behind.  Everything runs under
# `timeout` (180 s).
#
# Depends on the machine: root makes the namespaces with `unshare -n -p -f`;
# anyone else with `unshare -r -n -p -f` (a user namespace), which some
# kernels refuse (kernel.unprivileged_userns_clone = 0 on Debian,
# user.max_user_namespaces = 0, AppArmor's
# kernel.apparmor_restrict_unprivileged_userns on Ubuntu) and containers
# without CAP_SYS_ADMIN refuse to root too.  Then every row is skipped,
# each with the exact reason the machine gave.  ip (iproute2, installed by
# scripts/setup.sh), unshare and timeout (util-linux, coreutils: essential
# in Debian) and perl (prove's) are needed; a missing one is a failure.
#
# The faults come from tests/lib/fault-proxy.pl, a relay in the peer's
# namespace between the veth and a second peer: a byte flipped in each
# direction (TCP's checksum does not see it, as with a broken checksum
# offload), and the stream from the peer cut after 1 MiB.  A slowed clock
# is in the unit tests (tests/unit/test-kit-peer.c): a clock cannot be
# slowed for one namespace.
. "$(dirname "$0")/../lib/tap.sh"

for tool in ip unshare timeout perl; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		not_ok "$tool is installed (scripts/setup.sh)"
		done_testing
		exit 1
	fi
done

if [ "$(id -u)" = 0 ]; then
	NS="unshare -n -p -f"
	how="as root: unshare -n -p -f"
else
	NS="unshare -r -n -p -f"
	how="as uid $(id -u): unshare -r -n -p -f (a user namespace)"
fi
facts=""
for f in /proc/sys/kernel/unprivileged_userns_clone /proc/sys/user/max_user_namespaces \
	/proc/sys/kernel/apparmor_restrict_unprivileged_userns; do
	[ -r "$f" ] && facts="$facts ${f#/proc/sys/}=$(cat "$f")"
done
diag "namespaces $how;${facts:- no userns sysctls}"

# Can this machine make them?  The same steps as below, on their own.
if ! err=$(timeout 20 $NS sh -c 'ip link add cvt0 type veth peer name cvt1' 2>&1); then
	reason="this machine cannot make a network namespace with a veth pair ($how;$facts): $(echo "$err" | head -n 1)"
	diag "$reason"
	for t in "the kit and the peer in two namespaces" "net.peer_transfer passes through the veth" \
		"time.reference" "a flipped byte downstream fails" "a cut stream fails" "a flipped byte upstream fails"; do
		skip "$t" "$reason"
	done
	done_testing
	exit 0
fi

PEER_IP=10.213.0.2
KIT_IP=10.213.0.1

# The peer's namespace: a child of the kit's, waiting for its end of the
# veth; then a clean peer on the veth, and a second one on loopback behind
# three fault proxies.
cat >"$TMP/peer-ns.sh" <<EOF
ip link set lo up
i=0
while ! ip link show cvk1 >/dev/null 2>&1; do
	i=\$((i + 1)); [ \$i -gt 200 ] && { echo "no veth end in 10 s"; exit 1; }
	sleep 0.05
done
ip addr add $PEER_IP/24 dev cvk1 && ip link set cvk1 up || exit 1
"$COVALID" kit peer --listen $PEER_IP:7537 >"$TMP/peer.out" 2>&1 &
"$COVALID" kit peer --listen 127.0.0.1:7600 >"$TMP/peer-behind.out" 2>&1 &
perl "$SRC/tests/lib/fault-proxy.pl" $PEER_IP 7538 7600 flip-down:100000 >"$TMP/proxy1.out" 2>&1 &
perl "$SRC/tests/lib/fault-proxy.pl" $PEER_IP 7539 7600 cut-down:1048576 >"$TMP/proxy2.out" 2>&1 &
perl "$SRC/tests/lib/fault-proxy.pl" $PEER_IP 7540 7600 flip-up:100000 >"$TMP/proxy3.out" 2>&1 &
i=0
until grep -q listening "$TMP/peer.out" 2>/dev/null && grep -q listening "$TMP/peer-behind.out" 2>/dev/null &&
	grep -q ready "$TMP/proxy1.out" 2>/dev/null && grep -q ready "$TMP/proxy2.out" 2>/dev/null &&
	grep -q ready "$TMP/proxy3.out" 2>/dev/null; do
	i=\$((i + 1)); [ \$i -gt 200 ] && { echo "the peers did not start in 10 s"; exit 1; }
	sleep 0.05
done
touch "$TMP/peer-ready"
wait
EOF

# The kit's namespace (and PID namespace: its end ends everything).
cat >"$TMP/kit-ns.sh" <<EOF
ip link set lo up
unshare -n sh "$TMP/peer-ns.sh" >"$TMP/peer-ns.out" 2>&1 &
ip link add cvk0 type veth peer name cvk1 || exit 10
ip link set cvk1 netns \$! || exit 11
ip addr add $KIT_IP/24 dev cvk0 && ip link set cvk0 up || exit 12
i=0
while [ ! -e "$TMP/peer-ready" ]; do
	i=\$((i + 1)); [ \$i -gt 300 ] && exit 13
	sleep 0.05
done
run() { # run NAME PORT CHECKS
	"$COVALID" kit run --quick --only "\$3" --peer $PEER_IP:\$2 --out "$TMP/\$1.json" >"$TMP/\$1.out" 2>&1
	echo \$? >"$TMP/\$1.rc"
}
run clean 7537 net.peer_transfer,time.reference,time.sync
run flip-down 7538 net.peer_transfer
run cut-down 7539 net.peer_transfer
run flip-up 7540 net.peer_transfer
exit 0
EOF

timeout 180 $NS sh "$TMP/kit-ns.sh" >"$TMP/kit-ns.out" 2>&1
rc=$?
if [ "$rc" -eq 0 ]; then
	ok "the kit and the peer in two namespaces joined by a veth pair"
else
	not_ok "the kit and the peer in two namespaces joined by a veth pair"
	diag "exit $rc (124: timed out)" "$(cat "$TMP/kit-ns.out" "$TMP/peer-ns.out" 2>/dev/null | head -n 20)"
fi

result() {	# result NAME ID FIELD
	jq -r --arg id "$2" ".results[] | select(.id == \$id) | $3" "$TMP/$1.json" 2>/dev/null
}
diag "clean: $(result clean net.peer_transfer .reason)" "clean: $(result clean time.reference .reason)"

check "net.peer_transfer passes through the veth, both ways" test "$(result clean net.peer_transfer .status)" = pass
check "... naming the interface cvk0 and the driver veth (ETHTOOL_GDRVINFO)" \
	test "$(result clean net.peer_transfer '[.measured.interface, .measured.driver, .measured.driver_source] | join(" ")')" = "cvk0 veth ethtool"
check "... which is not a paravirtual NIC" test "$(result clean net.peer_transfer .measured.paravirtual_nic)" = null
check "... the log's reason names them" sh -c "jq -r '.results[] | select(.id == \"net.peer_transfer\") | .reason' '$TMP/clean.json' | grep -q 'through cvk0 (driver veth)'"
check "... 16 MiB arrived each way, digests equal" \
	test "$(result clean net.peer_transfer '[.measured.upload_received_bytes, .measured.download_received_bytes, .measured.upload_digests_match, .measured.download_digests_match] | map(tostring) | join(" ")')" = "16777216 16777216 true true"
check "... from $KIT_IP, the veth's address" test "$(result clean net.peer_transfer .measured.local_address)" = "$KIT_IP"
check "... throughput and retransmits recorded each way" \
	test "$(result clean net.peer_transfer '[.measured.upload_mb_per_s, .measured.download_mb_per_s, .measured.upload_retransmits, .measured.download_retransmits] | map(type) | join(" ")')" = "number number number number"
# The peer reads this machine's clock: no drift but the measurement's own.
check "time.reference passes against the peer (the same clock)" test "$(result clean time.reference .status)" = pass
check "... with its offset, delay and drift" \
	test "$(result clean time.reference '[.measured.offset_ns, .measured.min_delay_ns, .measured.drift_ppm, .measured.points] | map(type) | join(" ")')" = "number number number number"
check "time.sync records the offset to the peer" test "$(result clean time.sync '.measured.peer_offset_ns | type')" = number

# The program judges a log by its measurements (src/testlog/derive.c):
# the clean log's statuses are what its measurements derive, and a pass
# written over the corrupted download's fail is refused.
"$COVALID" key generate --out "$TMP/k.key" >/dev/null 2>&1
"$COVALID" kit sign "$TMP/clean.json" --key "$TMP/k.key" --out "$TMP/clean-signed.json" >/dev/null 2>&1
expect_exit 0 "kit verify: the clean log's statuses are what its measurements derive" \
	"$COVALID" kit verify "$TMP/clean-signed.json" --pubkey "$TMP/k.key.pub"
jq -c '.results[0].status = "pass" | del(.signature)' "$TMP/flip-down.json" >"$TMP/forged.json" 2>/dev/null
"$COVALID" kit sign "$TMP/forged.json" --key "$TMP/k.key" --out "$TMP/forged-signed.json" >/dev/null 2>&1
expect_exit 1 "kit verify: a pass written over the corrupted download is refused" \
	"$COVALID" kit verify "$TMP/forged-signed.json" --pubkey "$TMP/k.key.pub"
check "... naming the check and the direction" grep -q "net.peer_transfer: status pass but download_digests_match false" "$TMP/out" "$TMP/err"

check "a byte flipped on the way to the guest: net.peer_transfer fails" test "$(result flip-down net.peer_transfer .status)" = fail
check "... the download corrupted" sh -c "jq -r '.results[0].reason' '$TMP/flip-down.json' | grep -q 'the download (peer to guest) corrupted data'"
check "... and the kit exits 1" test "$(cat "$TMP/flip-down.rc" 2>/dev/null)" = 1
check "the stream to the guest cut after 1 MiB: fails" test "$(result cut-down net.peer_transfer .status)" = fail
check "... the download lost data (1 MiB less the 14-byte \"DATA 16777216\" line)" \
	sh -c "jq -r '.results[0].reason' '$TMP/cut-down.json' | grep -q 'the download (peer to guest) lost data: 1048562 of 16777216 bytes arrived'"
check "a byte flipped on the way from the guest: fails" test "$(result flip-up net.peer_transfer .status)" = fail
check "... the upload corrupted" sh -c "jq -r '.results[0].reason' '$TMP/flip-up.json' | grep -q 'the upload (guest to peer) corrupted data'"
done_testing
