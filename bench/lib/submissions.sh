# bench/lib/submissions.sh - sourced by bench/api.sh and bench/submit.sh:
# a vendor with a key and a token on the server at $URL ($O: the owner's
# options), a policy that rejects the bench's log, and the log itself.
#
# The same log is sent again and again, and an accepted log is evidence
# once (a replay is 409, with nothing written: issue 9, D11).  A rejected
# log is recorded every time, durably, so the policy rejects them all.
#
# Sets status (the first submission's answer: "rejected" when all is
# well) and LOG_BYTES.
submissions_setup() {
	"$COVALID" key generate --out "$W/v.key" >/dev/null
	"$COVALID" admin vendor add "Bench Vendor" --id bench $O >/dev/null
	"$COVALID" admin key add bench "$W/v.key.pub" $O >/dev/null
	"$COVALID" admin token issue --vendor bench --out "$W/v.token" $O >/dev/null
	echo '{"schema":"covalid.policy/1","modes":["quick","full"],"rules":[{"name":"bench","guest":"*","hypervisor":"*","required":["bench.never-run"]}]}' >"$W/policy.json"
	"$COVALID" admin policy set "$W/policy.json" $O >/dev/null
	"$COVALID" kit run --quick --only env,cpu --sign "$W/v.key" --out "$W/log.json" >/dev/null 2>&1 || true
	status=$(curl -s -H 'Content-Type: application/json' -H "Authorization: Bearer $(cat "$W/v.token")" \
		--data-binary "@$W/log.json" "$URL/api/v1/submissions" | jq -r '.status // .error.code')
	LOG_BYTES=$(wc -c <"$W/log.json")
}
