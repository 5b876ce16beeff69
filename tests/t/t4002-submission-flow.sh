#!/bin/sh
# t4002: the whole submission flow through the CLI, against the real
# server: the owner admits a vendor and registers its key, the vendor runs
# the kit in this guest, signs, submits; the configuration appears in the
# catalog, in the vendor's feed and in covalid check.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/server.sh"
trap 'server_stop >/dev/null 2>&1; rm -rf "$TMP"' EXIT

DB="$TMP/program.db"
"$COVALID" catalog import --db "$DB" "$SRC/data/products.jsonl" "$SRC/data/validated-configs.jsonl" >/dev/null
"$COVALID" admin bootstrap --db "$DB" --token-file "$TMP/owner.token" >/dev/null
if ! server_start "$DB"; then
	not_ok "covalid serve starts"
	diag "$(cat "$TMP/serve.err")"
	done_testing
	exit 1
fi
ok "covalid serve starts ($URL)"
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

hv=$(jq -r .claim.hypervisor.id "$TMP/log1.json")
fp=$(jq -r '.results[] | select(.id == "env.fingerprint") | .status' "$TMP/log1.json")
if [ "$hv" = none ] || [ "$hv" = unknown ] || [ "$fp" != pass ]; then
	for t in "accepted" "catalog" "feed" "atom" "extended" "evidence" "check"; do
		skip "submission $t" "this machine cannot make an acceptable log (hypervisor $hv, env.fingerprint $fp)"
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
