#!/bin/sh
# t4002: the whole submission flow through the CLI, against the real
# server: the owner admits a vendor and registers its key, the vendor runs
# the kit in this guest, signs, submits; the configuration appears in the
# catalog, in the vendor's feed and in covalid check.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/server.sh"
trap 'server_stop >/dev/null 2>&1; rm -rf "$TMP"' EXIT

DB="$TMP/program.db"
server_begin "$DB"
O="--server $URL --token-file $TMP/owner.token"
V="--server $URL --token-file $TMP/vendor.token"

expect_exit 0 "the vendor generates a key" "$COVALID" key generate --out "$TMP/vendor.key"
expect_exit 0 "the owner admits the vendor" "$COVALID" admin vendor add "Example Linux" --id example $O
expect_exit 0 "... registers its public key" "$COVALID" admin key add example "$TMP/vendor.key.pub" $O
expect_exit 0 "... and issues it a token" "$COVALID" admin token issue --vendor example --out "$TMP/vendor.token" $O

"$COVALID" kit run --quick --sign "$TMP/vendor.key" --out "$TMP/log1.json" >"$TMP/kit.out" 2>&1
check "the vendor runs the kit --quick and signs the log" "$COVALID" kit verify "$TMP/log1.json" --pubkey "$TMP/vendor.key.pub"
expect_exit 1 "covalid submit: rejected by the default policy (exit 1)" "$COVALID" submit "$TMP/log1.json" $V
check "... with every reason, the kit mode first" sh -c "grep -q ': rejected' '$TMP/out' && grep -q 'kit mode quick is not accepted' '$TMP/out'"
expect_exit 1 "covalid submit --json" "$COVALID" submit "$TMP/log1.json" $V --json
check "... the same, as JSON" test "$(jq -r '.status' "$TMP/out")" = rejected

# The owner accepts quick runs for this smoke programme.
cat >"$TMP/policy.json" <<'EOF'
{"schema": "covalid.policy/1", "modes": ["quick", "full"],
 "rules": [{"name": "smoke", "guest": "*", "hypervisor": "*",
            "required": ["env.fingerprint", "cpu.topology", "time.monotonic"], "may_skip": []}]}
EOF
expect_exit 0 "the owner sets a policy" "$COVALID" admin policy set "$TMP/policy.json" $O

# ---- Issue 9: what a vendor may not do with a log it signs itself ----
# Logs are edited with jq (the claim derived from the descriptor, as the
# kit writes it; the three checks the smoke policy requires, passed with
# measured values that pass: a status its measurements contradict is
# refused, issue 12) and signed again with covalid kit sign, so these rows
# do not depend on what this machine is.
CLAIM_FROM_DESCRIPTOR='.claim = {guest: {os_id: .descriptor.guest.os.id, version: .descriptor.guest.os.version,
  osinfo: .descriptor.guest.os.osinfo, arch: .descriptor.guest.arch},
  hypervisor: {id: .descriptor.hypervisor.id, product: .descriptor.hypervisor.product,
  version: .descriptor.hypervisor.version, build: .descriptor.hypervisor.build},
  vm: {vcpus: .descriptor.vm.vcpus, memory_mib: .descriptor.vm.memory_mib}}'
# What passes under threshold version 1 (src/testlog/derive.c): the
# hypervisor and product the claim names; online = present; no inversion.
PASSING='. as $log | .results |= map(select(.id | IN("env.fingerprint", "cpu.topology", "time.monotonic"))
  | .status = "pass" | .reason = null
  | if .id == "env.fingerprint" then .measured.hypervisor = $log.claim.hypervisor.id | .measured.product = $log.claim.hypervisor.product
    elif .id == "cpu.topology" then .measured.online = 2 | .measured.present = 2
    else .measured.samples = 1000 | .measured.inversions = 0 end)'
forge() {	# forge OUT KEY JQ-FILTER: log1 edited by the filter, the smoke policy's checks passed, signed by KEY
	jq -c "$3 | $PASSING" "$TMP/log1.json" >"$1" &&
		"$COVALID" kit sign "$1" --key "$2" >/dev/null
}
admit() {	# admit ID NAME: a vendor with a key ($TMP/ID.key) and a token ($TMP/ID.token)
	"$COVALID" key generate --out "$TMP/$1.key" >/dev/null &&
		"$COVALID" admin vendor add "$2" --id "$1" $O >/dev/null &&
		"$COVALID" admin key add "$1" "$TMP/$1.key.pub" $O >/dev/null &&
		"$COVALID" admin token issue --vendor "$1" --out "$TMP/$1.token" $O >/dev/null
}
seed=ms-hv2008-ws-rhel5.3-x86_64
seed_view() { curl -sf "$URL/api/v1/configurations/$seed" | jq -c '.configuration | {status, limits, validated_by, evidence, owner}'; }
seed_before=$(seed_view)
check "the seed row $seed is there" test -n "$seed_before"
if admit ms "MS Attacker" && admit red "Red" && admit red-hat "Red Hat"; then
	ok "vendors ms, red and red-hat are admitted, with keys and tokens"
else
	not_ok "vendors ms, red and red-hat are admitted, with keys and tokens"
fi
echo '{}' >"$TMP/empty.json"

# D1: the issue's attack, exactly: hypervisor hv2008 build ws, rhel 5.3 x86_64, 64 vCPUs, 1 TiB.
attack='.descriptor.hypervisor.id = "hv2008" | .descriptor.hypervisor.product = null | .descriptor.hypervisor.version = null
  | .descriptor.hypervisor.build = "ws" | .descriptor.guest.os.id = "rhel" | .descriptor.guest.os.version = "5.3"
  | .descriptor.guest.os.osinfo = "rhel5.3" | .descriptor.guest.arch = "x86_64" | .descriptor.vm.vcpus = 64
  | .descriptor.vm.memory_mib = 1048576 | '"$CLAIM_FROM_DESCRIPTOR"
forge "$TMP/attack.json" "$TMP/ms.key" "$attack"
status=$(api POST /api/v1/submissions "$TMP/attack.json" "$TMP/ms.token")
check "D1: ms's log claiming the seed's old id does not extend it ($status $(err_code))" \
	sh -c "[ '$status' != 201 ] || ! jq -e '.configuration == \"$seed\"' '$TMP/resp' >/dev/null"
check "... the seed row is unchanged (limits, validated_by, status, evidence)" test "$(seed_view)" = "$seed_before"
# The same with a hypervisor the catalog can hold: ms gets its own.
forge "$TMP/attack2.json" "$TMP/ms.key" "$(echo "$attack" | sed 's/"hv2008"/"microsoft"/; s/"ws"/"6002"/; s/product = null/product = "Windows Server 2008 Hyper-V"/')"
status=$(api POST /api/v1/submissions "$TMP/attack2.json" "$TMP/ms.token")
ms_config=$(jq -r '.configuration // empty' "$TMP/resp")
check "... a valid claim of the same guest makes ms's own configuration ($status $ms_config)" \
	sh -c "[ '$status' = 201 ] && [ '$ms_config' = 'ms:microsoft-6002-rhel5.3-x86_64' ]"
check "... and the seed row is still unchanged" test "$(seed_view)" = "$seed_before"
status=$(api POST "/api/v1/configurations/$seed/revoke" "$TMP/empty.json" "$TMP/ms.token")
check "D1: ms may not revoke the seed row (403)" test "$status" = 403
check "... which is still validated, unchanged" test "$(seed_view)" = "$seed_before"
check "ms's configuration is served by its id, ':' as it is" sh -c "curl -sf '$URL/api/v1/configurations/$ms_config' | jq -e '.configuration.owner == \"ms\"' >/dev/null"
check "... and percent-encoded (%3A)" sh -c "curl -sf '$URL/api/v1/configurations/$(echo "$ms_config" | sed 's/:/%3A/')' | jq -e '.configuration.id == \"$ms_config\"' >/dev/null"
check "... and in ms's feed" sh -c "curl -sf '$URL/api/v1/vendors/ms/configurations' | jq -e '[.items[].id] == [\"$ms_config\"]' >/dev/null"

# D1: vendors red and red-hat: red claiming hypervisor "hat-kvm" made red-hat's old id.
kvm='.descriptor.hypervisor.id = "kvm" | .descriptor.hypervisor.product = "KVM" | .descriptor.hypervisor.version = null
  | .descriptor.hypervisor.build = null | .descriptor.guest.os.id = "rhel" | .descriptor.guest.os.version = "9.4"
  | .descriptor.guest.os.osinfo = null | .descriptor.guest.arch = "x86_64" | .descriptor.vm.vcpus = 2
  | .descriptor.vm.memory_mib = 4096 | '"$CLAIM_FROM_DESCRIPTOR"
forge "$TMP/rh.json" "$TMP/red-hat.key" "$kvm"
status=$(api POST /api/v1/submissions "$TMP/rh.json" "$TMP/red-hat.token")
rh_config=$(jq -r '.configuration // empty' "$TMP/resp")
check "red-hat's kvm log is accepted ($status $rh_config)" sh -c "[ '$status' = 201 ] && [ -n '$rh_config' ]"
forge "$TMP/red.json" "$TMP/red.key" "$(echo "$kvm" | sed 's/id = "kvm"/id = "hat-kvm"/; s/vcpus = 2/vcpus = 64/')"
status=$(api POST /api/v1/submissions "$TMP/red.json" "$TMP/red.token")
check "red's log with hypervisor hat-kvm does not extend red-hat's ($status $(jq -r '.configuration // .error.code' "$TMP/resp"))" \
	sh -c "! jq -e '.configuration == \"$rh_config\"' '$TMP/resp' >/dev/null"
check "... red-hat's configuration: validated by Red Hat alone, one log, 2 vCPUs" sh -c "curl -sf '$URL/api/v1/configurations/$rh_config' | jq -e '.configuration | .validated_by == [\"Red Hat\"] and (.evidence | length) == 1 and .limits.max_vcpus == 2 and .owner == \"red-hat\"' >/dev/null"
status=$(api POST "/api/v1/configurations/$rh_config/revoke" "$TMP/empty.json" "$TMP/red.token")
check "... red may not revoke it (403)" test "$status" = 403

# D11: the same log again is a replay: 409 naming the first; the evidence holds it once.
first=$(curl -sf -H "Authorization: Bearer $(cat "$TMP/red-hat.token")" "$URL/api/v1/submissions?limit=1" | jq -r '.items[0].id')
status=$(api POST /api/v1/submissions "$TMP/rh.json" "$TMP/red-hat.token")
check "D11: red-hat's accepted log submitted again: 409 duplicate_submission ($status $(err_code))" \
	sh -c "[ '$status' = 409 ] && [ \"\$(jq -r .error.code '$TMP/resp')\" = duplicate_submission ]"
check "... naming the first submission ($first)" grep -q "$first" "$TMP/resp"
expect_exit 2 "... covalid submit says so (exit 2)" "$COVALID" submit "$TMP/rh.json" --server "$URL" --token-file "$TMP/red-hat.token"
check "... its evidence holds the log once" sh -c "curl -sf '$URL/api/v1/configurations/$rh_config' | jq -e '(.configuration.evidence | length) == 1 and (.test_logs | length) == 1' >/dev/null"

# D9: a claim of the wrong type is 400 naming the field; one its descriptor contradicts is rejected.
forge "$TMP/str.json" "$TMP/red-hat.key" "$kvm"' | .claim.vm.vcpus = "8" | .started_at = "2026-11-20T10:00:01Z"'
status=$(api POST /api/v1/submissions "$TMP/str.json" "$TMP/red-hat.token")
check "D9: claim.vm.vcpus \"8\" (a string): 400 invalid_log naming the field ($status)" \
	sh -c "[ '$status' = 400 ] && jq -e '.error.code == \"invalid_log\" and (.error.message | contains(\"claim.vm.vcpus\"))' '$TMP/resp' >/dev/null"
forge "$TMP/nov.json" "$TMP/red-hat.key" "$kvm"' | del(.claim.vm.vcpus)'
status=$(api POST /api/v1/submissions "$TMP/nov.json" "$TMP/red-hat.token")
check "D9: claim.vm.vcpus missing: 400 'claim.vm.vcpus: missing' ($status)" \
	sh -c "[ '$status' = 400 ] && jq -e '.error.message | contains(\"claim.vm.vcpus: missing\")' '$TMP/resp' >/dev/null"
forge "$TMP/feb30.json" "$TMP/red-hat.key" "$kvm"' | .started_at = "2026-02-30T10:00:00Z" | .finished_at = "2026-02-30T10:01:00Z"'
status=$(api POST /api/v1/submissions "$TMP/feb30.json" "$TMP/red-hat.token")
check "D9: started_at on 30 February: 400 naming started_at ($status)" \
	sh -c "[ '$status' = 400 ] && jq -e '.error.message | startswith(\"started_at\")' '$TMP/resp' >/dev/null"
forge "$TMP/lie.json" "$TMP/red-hat.key" "$kvm"' | .claim.vm.vcpus = 8 | .started_at = "2026-11-20T10:00:02Z"'
status=$(api POST /api/v1/submissions "$TMP/lie.json" "$TMP/red-hat.token")
check "D9: 8 vCPUs claimed, 2 in the descriptor: recorded, rejected, the reason names both ($status)" \
	sh -c "[ '$status' = 201 ] && jq -e '.status == \"rejected\" and .configuration == null and (.reasons[0] | contains(\"claim.vm.vcpus 8\") and contains(\"vm.vcpus 2\"))' '$TMP/resp' >/dev/null"
check "... and red-hat's configuration still allows 2 vCPUs" sh -c "curl -sf '$URL/api/v1/configurations/$rh_config' | jq -e '.configuration.limits.max_vcpus == 2' >/dev/null"

# ---- Issue 12: the server derives each status from the measured values ----
# A time.rate_skew result of 812 ppm (the kit's bound is 500 ppm,
# threshold version 1) in red-hat's kvm log, signed with covalid kit sign.
skew() {	# skew OUT STATUS EXTRA-JQ: red-hat's log with that result
	forge "$1" "$TMP/red-hat.key" "$kvm"' | .started_at = "2026-11-20T10:00:03Z"' &&
		jq -c '.results += [{id: "time.rate_skew", status: "'"$2"'", reason: null, measured: {ppm: 812.0},
		  threshold: {max_abs_ppm: 500.0}, duration_s: 0.5}] | .kit.thresholds = 1 | '"$3" "$1" >"$1.tmp" &&
		mv "$1.tmp" "$1" && "$COVALID" kit sign "$1" --key "$TMP/red-hat.key" >/dev/null
}
skew "$TMP/skew-fail.json" fail '.'
status=$(api POST /api/v1/submissions "$TMP/skew-fail.json" "$TMP/red-hat.token")
check "I12: the kit's own status beside 812 ppm (fail) is recorded ($status)" \
	sh -c "[ '$status' = 201 ] && jq -e '.status == \"accepted\"' '$TMP/resp' >/dev/null"
subs_before=$(curl -sf -H "Authorization: Bearer $(cat "$TMP/red-hat.token")" "$URL/api/v1/submissions" | jq '.items | length')
# The attack: the status edited to pass, the log signed again.
skew "$TMP/skew-pass.json" pass '.'
expect_exit 1 "... its signature is good, but covalid kit verify says no too (exit 1)" "$COVALID" kit verify "$TMP/skew-pass.json" --pubkey "$TMP/red-hat.key.pub"
check "... for the contradiction, not the signature" sh -c "grep -q 'good signature' '$TMP/out' && grep -q 'time.rate_skew: status pass but' '$TMP/err'"
status=$(api POST /api/v1/submissions "$TMP/skew-pass.json" "$TMP/red-hat.token")
check "I12: status edited to pass beside 812 ppm, signed again: 422 status_contradicts_measurement ($status $(err_code))" \
	sh -c "[ '$status' = 422 ] && [ \"\$(jq -r .error.code '$TMP/resp')\" = status_contradicts_measurement ]"
check "... naming the check and the measurement" \
	sh -c "jq -e '(.error.message | startswith(\"time.rate_skew: status pass but |ppm| 812 > 500\")) and (.error.reasons | length) == 1' '$TMP/resp' >/dev/null"
expect_exit 2 "... covalid submit refuses it too (exit 2)" "$COVALID" submit "$TMP/skew-pass.json" --server "$URL" --token-file "$TMP/red-hat.token"
check "... saying why" grep -q 'time.rate_skew: status pass but' "$TMP/err"
skew "$TMP/skew-bare.json" pass 'del(.results[-1].measured.ppm)'
status=$(api POST /api/v1/submissions "$TMP/skew-bare.json" "$TMP/red-hat.token")
check "I12: a pass without its measurement: 422 naming the field ($status)" \
	sh -c "[ '$status' = 422 ] && jq -e '.error.message | contains(\"time.rate_skew: status pass but measured.ppm is missing\")' '$TMP/resp' >/dev/null"
skew "$TMP/skew-old.json" pass 'del(.kit.thresholds)'
status=$(api POST /api/v1/submissions "$TMP/skew-old.json" "$TMP/red-hat.token")
check "I12: a log from before kit.thresholds is judged by version 1: 422 ($status)" \
	sh -c "[ '$status' = 422 ] && jq -e '.error.message | contains(\"(threshold version 1)\")' '$TMP/resp' >/dev/null"
skew "$TMP/skew-v9.json" pass '.kit.thresholds = 9'
status=$(api POST /api/v1/submissions "$TMP/skew-v9.json" "$TMP/red-hat.token")
check "I12: a threshold version the policy does not hold: 422 unknown_threshold_version ($status)" \
	sh -c "[ '$status' = 422 ] && [ \"\$(jq -r .error.code '$TMP/resp')\" = unknown_threshold_version ]"
check "... none of the refused logs was recorded" test "$(curl -sf -H "Authorization: Bearer $(cat "$TMP/red-hat.token")" "$URL/api/v1/submissions" | jq '.items | length')" = "$subs_before"

# Whether this machine's own log can be accepted depends on the machine:
# the smoke policy wants a guest OS and a hypervisor claimed and its three
# checks passed (a bare-metal host, or CPUs taken offline, cannot).
hv=$(jq -r '.claim.hypervisor.id // "none"' "$TMP/log1.json")
os=$(jq -r '.claim.guest.os_id // "none"' "$TMP/log1.json")
required=$(jq -r '[.results[] | select(.id | IN("env.fingerprint", "cpu.topology", "time.monotonic")) | .id + " " + .status] | join(", ")' "$TMP/log1.json")
if [ "$hv" = none ] || [ "$hv" = unknown ] || [ "$os" = none ] ||
	[ "$(jq '[.results[] | select(.id | IN("env.fingerprint", "cpu.topology", "time.monotonic")) | select(.status == "pass")] | length' "$TMP/log1.json")" != 3 ]; then
	for t in "accepted" "catalog" "feed" "atom" "extended" "evidence" "check"; do
		skip "submission $t" "this machine cannot make an acceptable log (hypervisor $hv, guest $os; $required)"
	done
	server_stop
	done_testing
	exit
fi

expect_exit 0 "covalid submit: accepted (exit 0)" "$COVALID" submit "$TMP/log1.json" $V
config=$(sed -n 's/^configuration \([^ ]*\) (new)$/\1/p' "$TMP/out")
check "... naming the new configuration ($config)" test -n "$config"
check "it is in the catalog, validated, with the log as evidence" sh -c "curl -sf '$URL/api/v1/configurations/$config' >'$TMP/c.json' && jq -e '.configuration.status == \"validated\" and (.configuration.validated_by == [\"Example Linux\"]) and (.test_logs | length) == 1 and (.test_logs[0].results | length) > 3' '$TMP/c.json' >/dev/null"
check "its guest and hypervisor are the log's claim" sh -c "jq -e --slurpfile log '$TMP/log1.json' '.configuration.guest.os_id == \$log[0].claim.guest.os_id and (.configuration.hypervisor.ids | index(\$log[0].claim.hypervisor.id))' '$TMP/c.json' >/dev/null"
check "it is in the vendor's feed" sh -c "curl -sf '$URL/api/v1/vendors/example/configurations' | jq -e '[.items[].id] == [\"$config\"]' >/dev/null"
check "... and in its Atom feed" sh -c "curl -sf '$URL/api/v1/vendors/example/configurations.atom' >'$TMP/feed.xml' && xmllint --noout '$TMP/feed.xml' && grep -q 'urn:covalid:configuration:$config' '$TMP/feed.xml'"
check "a catalog search finds it" sh -c "curl -sf '$URL/api/v1/configurations?vendor=example' | jq -e '.total == 1' >/dev/null"

"$COVALID" kit run --quick --only env,cpu,time --sign "$TMP/vendor.key" --out "$TMP/log2.json" >/dev/null 2>&1
expect_exit 0 "a second log of the same guest: accepted" "$COVALID" submit "$TMP/log2.json" $V
check "... extending the configuration" grep -q "^configuration $config (extended)" "$TMP/out"
check "two test logs of evidence now" sh -c "curl -sf '$URL/api/v1/configurations/$config' | jq -e '(.configuration.evidence | length) == 2 and (.test_logs | length) == 2' >/dev/null"
check "the vendor lists its four submissions" sh -c "curl -sf -H \"Authorization: Bearer \$(cat '$TMP/vendor.token')\" '$URL/api/v1/submissions' | jq -e '[.items[].status] | sort == [\"accepted\", \"accepted\", \"rejected\", \"rejected\"]' >/dev/null"

# covalid check of this machine against the server's database now finds it.
server_stop
"$COVALID" check --db "$DB" --json >"$TMP/check.json"
check "covalid check on this guest: validated by the new configuration" sh -c "jq -e '.verdict == \"validated\" and ([.matches[].id] | index(\"$config\"))' '$TMP/check.json' >/dev/null"
done_testing
