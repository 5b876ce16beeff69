#!/bin/sh
# t9003: webhooks on the real server (docs/webhooks.md).  A receiver written
# here in python3 (http.server) checks X-Covalid-Signature itself with
# python's hmac module, independent of covalid's code, and records what it
# got.  Case events reach a customer's webhooks signed; internal notes do
# not; a receiver that fails twice gets the event on the third attempt; an
# unreachable one is retried, then failed; customers never get each
# other's events; vendors may not add webhooks; hostile bodies are named.
# COVALID_WEBHOOK_BACKOFF_MS=1 makes the retries' waits short (docs/webhooks.md).
# The receiver is on loopback, so the server runs with --webhook-allow-private
# (the last part checks that without it such an address is refused).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/server.sh"
. "$(dirname "$0")/../lib/support.sh"
trap 'server_stop >/dev/null 2>&1; [ -n "$RX_PID" ] && kill "$RX_PID" 2>/dev/null; rm -rf "$TMP"' EXIT

export COVALID_WEBHOOK_BACKOFF_MS=1
support_begin --webhook-allow-private
ok "the support programme is set up ($URL)"

# ---- the receiver ----
# Each path has the secret it verifies with (rx-secrets.json); /flaky
# answers 500 twice, then 200.  Every request is one JSON line in rx.log:
# path, the X-Covalid-* headers, whether the signature verified, the body.
cat >"$TMP/rx.py" <<'PY'
import hashlib, hmac, json, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

secrets = json.load(open(sys.argv[2]))
log = open(sys.argv[3], "a", buffering=1)
lock = threading.Lock()
seen = {}

class H(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        key = secrets.get(self.path, "").encode()
        want = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
        got = self.headers.get("X-Covalid-Signature", "")
        with lock:
            n = seen[self.path] = seen.get(self.path, 0) + 1
            log.write(json.dumps({"path": self.path, "n": n, "valid": hmac.compare_digest(want, got),
                                  "signature": got, "event": self.headers.get("X-Covalid-Event"),
                                  "delivery": self.headers.get("X-Covalid-Delivery"),
                                  "ctype": self.headers.get("Content-Type"),
                                  "agent": self.headers.get("User-Agent"),
                                  "body": body.decode()}) + "\n")
        if self.path == "/hang":
            time.sleep(6)
        code = 500 if self.path == "/flaky" and n <= 2 else 200
        self.send_response(code)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *a):
        pass

srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(srv.server_address[1]))
srv.serve_forever()
PY
S_CONTOSO='contoso-webhook-secret-0123456789'
S_FAB='fabrikam-webhook-secret-9876543210'
S_OWNER='owner-webhook-secret-abcdefghijkl'
S_FLAKY='flaky-webhook-secret-zyxwvutsrqpo'
jq -n --arg c "$S_CONTOSO" --arg f "$S_FAB" --arg o "$S_OWNER" --arg k "$S_FLAKY" \
	'{"/contoso": $c, "/fabrikam": $f, "/owner": $o, "/flaky": $k, "/hang": $k, "/wrong": "not-the-secret-it-was-given"}' >"$TMP/rx-secrets.json"
python3 "$TMP/rx.py" "$TMP/rx.port" "$TMP/rx-secrets.json" "$TMP/rx.log" &
RX_PID=$!
i=0
while [ ! -s "$TMP/rx.port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
RX="http://127.0.0.1:$(cat "$TMP/rx.port")"
check "the receiver listens ($RX)" test -s "$TMP/rx.port"
: >>"$TMP/rx.log"

# rx FILTER: the receiver's records (one JSON array) that FILTER selects.
rx() { jq -s -c "[.[] | select($1)]" "$TMP/rx.log"; }
# wait_rx FILTER [N] [SECONDS]: until at least N (1) records match.
wait_rx() {
	i=0
	while [ $i -lt $((${3:-15} * 10)) ]; do
		[ "$(rx "$1" | jq length)" -ge "${2:-1}" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
jqf() { jq -e "$@" >/dev/null; }
body() { printf '%s' "$1" >"$TMP/req.json"; }

# ---- webhooks are added ----
printf '%s\n' "$S_CONTOSO" >"$TMP/contoso.secret" # one trailing newline: not part of the secret
expect_exit 0 "covalid webhook add (Contoso's administrator, the secret from a file)" \
	"$COVALID" webhook add "$RX/contoso" --secret-file "$TMP/contoso.secret" --server "$URL" --token-file "$TMP/tok/cust"
WH_C=$(awk '{ print $1 }' "$TMP/out")
check_eval "... prints its id, customer and url" "grep -q '^wh-[0-9a-f]\{16\} *contoso .*$RX/contoso' '$TMP/out'"
check "Fabrikam's administrator adds one: 201" test "$(as fab POST /api/v1/webhooks "$(jq -nc --arg u "$RX/fabrikam" --arg s "$S_FAB" '{url: $u, secret: $s}')")" = 201
check "... its customer is Fabrikam, every kind, no secret in the answer" j --arg s "$S_FAB" '.customer == "fabrikam" and .kinds == [] and (.id | test("^wh-[0-9a-f]{16}$")) and (tostring | contains($s) | not)'
WH_F=$(jq -r .id "$TMP/resp")
check "the owner adds one for case.opened only: 201" test "$(as owner POST /api/v1/webhooks "$(jq -nc --arg u "$RX/owner" --arg s "$S_OWNER" '{url: $u, secret: $s, kinds: ["case.opened"]}')")" = 201
check "... the owner's (customer null)" j '.customer == null and .kinds == ["case.opened"]'
WH_O=$(jq -r .id "$TMP/resp")
as cust POST /api/v1/webhooks "$(jq -nc --arg u "$RX/wrong" '{url: $u, secret: "a secret the receiver does not know", kinds: ["case.opened"]}')" >/dev/null
WH_W=$(jq -r .id "$TMP/resp")

# ---- a case opened: case.opened, signed ----
check "Contoso opens a case with Microsoft: 201" test "$(as cust POST /api/v1/cases "$(open_body microsoft 3 "$TMP/d-validated.json" "hook test")")" = 201
CASE=$(jq -r .id "$TMP/resp")
check "case.opened reaches Contoso's webhook" wait_rx '.path == "/contoso" and .event == "case.opened"'
rx '.path == "/contoso" and .event == "case.opened"' | jq '.[0]' >"$TMP/opened.json"
check "... with a signature the receiver verified with python's hmac (the secret less its newline)" jqf '.valid' "$TMP/opened.json"
check "... X-Covalid-Delivery a number, Content-Type application/json, User-Agent covalid/" jqf '(.delivery | test("^[0-9]+$")) and .ctype == "application/json" and (.agent | startswith("covalid/"))' "$TMP/opened.json"
check "... the event document: schema, id, seq, kind, customer, case, summary, details" \
	jqf --arg c "$CASE" '.body | fromjson | .schema == "covalid.event/1" and (.id | startswith("ev-")) and (.seq | type == "number") and .kind == "case.opened" and .customer == "contoso" and .case == $c and (.summary | length > 0) and .details.vendor == "microsoft" and .details.severity == 3' "$TMP/opened.json"
check "... compact JSON (the bytes signed are the bytes sent)" jqf '.body | test("\n|: ") | not' "$TMP/opened.json"
check "the owner's webhook gets it too (every customer's case.opened)" wait_rx '.path == "/owner" and .event == "case.opened" and .valid'
check "a webhook whose secret the receiver does not know: the receiver sees the signature is wrong" wait_rx '.path == "/wrong" and .event == "case.opened" and (.valid | not)'
# A tampered body fails the receiver's check: the same python check, one byte changed.
check "a tampered body does not verify against the signature sent" python3 -c '
import hashlib, hmac, json, sys
r = json.load(open(sys.argv[1]))
key = sys.argv[2].encode()
body = r["body"].encode()
ok = hmac.compare_digest("sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest(), r["signature"])
bad = body.replace(b"contoso", b"c0ntoso")
tampered = hmac.compare_digest("sha256=" + hmac.new(key, bad, hashlib.sha256).hexdigest(), r["signature"])
sys.exit(0 if ok and bad != body and not tampered else 1)' "$TMP/opened.json" "$S_CONTOSO"

# ---- notes: public reaches the customer, internal does not ----
as ms POST "/api/v1/cases/$CASE/state" '{"to": "in-progress"}' >/dev/null
check "Microsoft takes the case: case.state (new -> in-progress)" wait_rx '.path == "/contoso" and .event == "case.state" and (.body | fromjson | .details.from == "new" and .details.to == "in-progress")'
check "an internal note: 200" test "$(as ms POST "/api/v1/cases/$CASE/notes" '{"visibility": "internal", "body": "INTERNAL-NOTE-TEXT"}')" = 200
check "a public note: 200" test "$(as ms POST "/api/v1/cases/$CASE/notes" '{"visibility": "public", "body": "PUBLIC-NOTE-TEXT"}')" = 200
check "case.note reaches Contoso's webhook" wait_rx '.path == "/contoso" and .event == "case.note"'
check_eval "... one case.note only (the internal note made none), the first public note (not note_2: no count of the internal ones), from Microsoft" \
	"rx '.path == \"/contoso\" and .event == \"case.note\"' | jq -e 'length == 1 and (.[0].body | fromjson | .details.public_note == 1 and (.details | has(\"note\") | not) and .details.author == \"vendor:microsoft\") and .[0].valid' >/dev/null"
check_eval "... and no note's text is in any event" "! grep -q 'INTERNAL-NOTE-TEXT\|PUBLIC-NOTE-TEXT' '$TMP/rx.log'"
check_eval "Microsoft engages Red Hat: 200" "[ \"\$(as ms POST /api/v1/cases/$CASE/engage '{\"vendor\": \"red-hat\"}')\" = 200 ]"
check "... case.engaged, naming Red Hat" wait_rx '.path == "/contoso" and .event == "case.engaged" and (.body | fromjson | .details.vendor == "red-hat")'

# ---- a receiver that fails twice ----
check "Contoso adds a webhook for case.note at /flaky (500, 500, then 200)" test "$(as cust POST /api/v1/webhooks "$(jq -nc --arg u "$RX/flaky" --arg s "$S_FLAKY" '{url: $u, secret: $s, kinds: ["case.note"]}')")" = 201
WH_K=$(jq -r .id "$TMP/resp")
as ms POST "/api/v1/cases/$CASE/notes" '{"visibility": "public", "body": "second public note"}' >/dev/null
check "the event arrives three times, the third answered 200" wait_rx '.path == "/flaky"' 3 20
check_eval "... the same delivery each time, each signed" "rx '.path == \"/flaky\"' | jq -e 'length == 3 and ([.[].delivery] | unique | length == 1) and all(.[]; .valid)' >/dev/null"
sleep 1.2
check_eval "the delivery log: delivered on attempt 3, HTTP 200" "[ \"\$(as cust GET /api/v1/webhooks/$WH_K/deliveries)\" = 200 ] && jq -e '.total == 1 and .items[0].state == \"delivered\" and .items[0].attempts == 3 and .items[0].last_status == 200 and .items[0].event.kind == \"case.note\" and (.items[0].delivered_at | length > 0)' '$TMP/resp' >/dev/null"

# ---- a receiver that never answers ----
check "a webhook at a closed port for case.state: 201" test "$(as cust POST /api/v1/webhooks '{"url": "http://127.0.0.1:1/hook", "secret": "closed-port-secret-0123", "kinds": ["case.state"]}')" = 201
WH_X=$(jq -r .id "$TMP/resp")
as ms POST "/api/v1/cases/$CASE/state" '{"to": "waiting-on-customer"}' >/dev/null
fail_wait() {
	i=0
	while [ $i -lt 300 ]; do
		as cust GET "/api/v1/webhooks/$WH_X/deliveries" >/dev/null
		jq -e '.items[0].state == "failed"' "$TMP/resp" >/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
check "it is retried, then failed" fail_wait
check "... after 10 attempts, the error recorded, no HTTP status" j '.items[0].attempts == 10 and .items[0].last_status == null and (.items[0].last_error | length > 0)'
# The delivery gauges are counted at most once a second, and afresh once a
# delivery is given up (docs/monitor.md, "Metrics"): look for up to 3 s.
failed_counted() {
	i=0
	while [ $i -lt 15 ]; do
		curl -sf "$URL/metrics" >"$TMP/metrics" && grep -Eq '^covalid_webhook_deliveries_failed_total [1-9]' "$TMP/metrics" &&
			grep -Eq '^covalid_webhook_attempts_total\{outcome="delivered"\} [1-9]' "$TMP/metrics" && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}
check "/metrics counts the failed delivery" failed_counted

# ---- a receiver that hangs delays no one else ----
check "a webhook for case.note at /hang (answers after 6 s): 201" test "$(as cust POST /api/v1/webhooks "$(jq -nc --arg u "$RX/hang" --arg s "$S_FLAKY" '{url: $u, secret: $s, kinds: ["case.note"]}')")" = 201
WH_H=$(jq -r .id "$TMP/resp")
n_state=$(rx '.path == "/contoso" and .event == "case.state"' | jq length)
as ms POST "/api/v1/cases/$CASE/notes" '{"visibility": "public", "body": "a note /hang will sit on"}' >/dev/null
wait_rx '.path == "/hang"' 1 5 >/dev/null # its attempt is under way
as cust POST "/api/v1/cases/$CASE/state" '{"to": "in-progress"}' >/dev/null
check "while /hang holds its delivery, the next event reaches Contoso within 3 s" wait_rx '.path == "/contoso" and .event == "case.state"' $((n_state + 1)) 3
hang_done() {
	i=0
	while [ $i -lt 100 ]; do
		as cust GET "/api/v1/webhooks/$WH_H/deliveries" >/dev/null
		jq -e '.items[0].state == "delivered" and .items[0].attempts == 1' "$TMP/resp" >/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
check "... and /hang's delivery is recorded delivered once it answers" hang_done
as cust DELETE "/api/v1/webhooks/$WH_H" >/dev/null

# ---- isolation ----
check_eval "Fabrikam's webhook never got a Contoso event" "[ \"\$(rx '.path == \"/fabrikam\"' | jq length)\" = 0 ]"
check "a vendor may not add a webhook: 403" test "$(as ms POST /api/v1/webhooks "$(jq -nc --arg u "$RX/x" '{url: $u, secret: "vendor-secret-0123456789"}')")" = 403
check "... nor list them: 403" test "$(as rh GET /api/v1/webhooks)" = 403
check_eval "Fabrikam lists only its own" "[ \"\$(as fab GET /api/v1/webhooks)\" = 200 ] && jq -e --arg f '$WH_F' '[.items[].id] == [\$f]' '$TMP/resp' >/dev/null"
check "Fabrikam reading Contoso's delivery log: 404" test "$(as fab GET "/api/v1/webhooks/$WH_C/deliveries")" = 404
check "Fabrikam removing Contoso's webhook: 404" test "$(as fab DELETE "/api/v1/webhooks/$WH_C")" = 404
check_eval "the owner lists every webhook" "[ \"\$(as owner GET /api/v1/webhooks)\" = 200 ] && jq -e '[.items[].id] | index(\"$WH_C\") and index(\"$WH_F\") and index(\"$WH_O\")' '$TMP/resp' >/dev/null"
check_eval "... or one customer's" "[ \"\$(as owner GET '/api/v1/webhooks?customer=fabrikam')\" = 200 ] && jq -e '[.items[].id] == [\"$WH_F\"]' '$TMP/resp' >/dev/null"

# ---- hostile bodies: 400, the field named ----
bad() { # DESCRIPTION BODY PATTERN
	check_eval "$1: 400 naming it" "[ \"\$(as cust POST /api/v1/webhooks '$2')\" = 400 ] && jq -e --arg p '$3' '.error.message | test(\$p)' '$TMP/resp' >/dev/null"
}
bad "an ftp:// url" '{"url": "ftp://example.com/x", "secret": "0123456789abcdef"}' '^url: http:// or https://'
bad "a url without a host" '{"url": "http:///x", "secret": "0123456789abcdef"}' '^url: no host'
bad "a url with a password" '{"url": "https://u:p@example.com/x", "secret": "0123456789abcdef"}' '^url: no user or password'
bad "a url with a space" '{"url": "http://example.com/a b", "secret": "0123456789abcdef"}' '^url: no spaces'
bad "a url with port 0" '{"url": "http://example.com:0/", "secret": "0123456789abcdef"}' '^url: the port'
bad "a url of 2049 bytes" "$(jq -nc '{url: ("http://example.com/" + ("a" * 2030)), secret: "0123456789abcdef"}')" '^url: at most 2048'
bad "a secret of 15 bytes" '{"url": "http://example.com/", "secret": "0123456789abcde"}' '^secret: at least 16'
bad "a secret of 1025 bytes" "$(jq -nc '{url: "http://example.com/", secret: ("s" * 1025)}')" '^secret: at most 1024'
bad "no secret" '{"url": "http://example.com/"}' '^secret'
bad "an unknown kind" '{"url": "http://example.com/", "secret": "0123456789abcdef", "kinds": ["case.exploded"]}' "^kinds: unknown event kind .case.exploded."
bad "a kind twice" '{"url": "http://example.com/", "secret": "0123456789abcdef", "kinds": ["case.note", "case.note"]}' '^kinds: .case.note. twice'
bad "kinds not an array" '{"url": "http://example.com/", "secret": "0123456789abcdef", "kinds": "case.note"}' '^kinds: an array'
bad "an unknown field" '{"url": "http://example.com/", "secret": "0123456789abcdef", "colour": 1}' '^colour: unknown field'
bad "a customer naming another customer" '{"url": "http://example.com/", "secret": "0123456789abcdef", "customer": "fabrikam"}' '^customer: only the program.s owner'
check_eval "the owner naming an unknown customer: 400 naming it" "[ \"\$(as owner POST /api/v1/webhooks '{\"url\": \"http://example.com/\", \"secret\": \"0123456789abcdef\", \"customer\": \"nobody\"}')\" = 400 ] && jq -e '.error.message | test(\"^customer: no customer .nobody.\")' '$TMP/resp' >/dev/null"
check_eval "a body that is not JSON: 400 malformed_json" "[ \"\$(as cust POST /api/v1/webhooks '{\"url\": ')\" = 400 ] && [ \"\$(err_code)\" = malformed_json ]"

# ---- the CLI ----
expect_exit 0 "covalid webhook list (Contoso)" "$COVALID" webhook list --server "$URL" --token-file "$TMP/tok/cust"
check "... under a header" grep -Eq '^ID +CUSTOMER +KINDS +URL$' "$TMP/out"
check_eval "... its webhooks, with their urls and kinds" "grep -q '$WH_C .*every kind.*$RX/contoso' '$TMP/out' && grep -q '$WH_K .*case.note.*$RX/flaky' '$TMP/out' && ! grep -q '$WH_F' '$TMP/out'"
expect_exit 0 "covalid webhook deliveries (the flaky one)" "$COVALID" webhook deliveries "$WH_K" --server "$URL" --token-file "$TMP/tok/cust"
check "... a table: delivered, 3 attempts, HTTP 200, case.note" sh -c "grep -Eq '^ID +STATE +ATTEMPTS +HTTP +EVENT +KIND +LAST\$' '$TMP/out' && grep -Eq '^[0-9]+ +delivered +3 +200 +[0-9]+ +case.note ' '$TMP/out'"
expect_exit 0 "covalid webhook deliveries --json" "$COVALID" webhook deliveries "$WH_X" --json --server "$URL" --token-file "$TMP/tok/cust"
check "... the log as JSON" jqf '.items[0].state == "failed" and .items[0].attempts == 10' "$TMP/out"
printf '' >"$TMP/empty.secret"
printf 'short\n' >"$TMP/short.secret"
expect_exit 2 "a missing secret file: exit 2" "$COVALID" webhook add "$RX/x" --secret-file "$TMP/none.secret" --server "$URL" --token-file "$TMP/tok/cust"
check_eval "... one line naming the file" "[ \$(wc -l <'$TMP/err') = 1 ] && grep -q 'none.secret' '$TMP/err'"
expect_exit 2 "an empty secret file: exit 2" "$COVALID" webhook add "$RX/x" --secret-file "$TMP/empty.secret" --server "$URL" --token-file "$TMP/tok/cust"
check_eval "... one line naming the file" "[ \$(wc -l <'$TMP/err') = 1 ] && grep -q 'empty.secret.*empty' '$TMP/err'"
expect_exit 2 "a secret file of 5 bytes: exit 2" "$COVALID" webhook add "$RX/x" --secret-file "$TMP/short.secret" --server "$URL" --token-file "$TMP/tok/cust"
check_eval "... one line naming the file" "[ \$(wc -l <'$TMP/err') = 1 ] && grep -q 'short.secret.*shorter than 16' '$TMP/err'"
expect_exit 2 "covalid webhook add with a bad url: exit 2, the server's reason" "$COVALID" webhook add "ftp://x/" --secret-file "$TMP/contoso.secret" --server "$URL" --token-file "$TMP/tok/cust"
check "... naming url" grep -q 'url: http:// or https://' "$TMP/err"
expect_exit 2 "a vendor's covalid webhook add: exit 2 (403)" "$COVALID" webhook add "$RX/x" --secret-file "$TMP/contoso.secret" --server "$URL" --token-file "$TMP/tok/ms"
expect_exit 0 "covalid webhook rm (the owner's)" "$COVALID" webhook rm "$WH_O" --server "$URL" --token-file "$TMP/tok/owner"
check_eval "... gone from the list" "[ \"\$(as owner GET /api/v1/webhooks)\" = 200 ] && jq -e '[.items[].id] | index(\"$WH_O\") | not' '$TMP/resp' >/dev/null"
check "... removing it again: 404" test "$(as owner DELETE "/api/v1/webhooks/$WH_O")" = 404
n_owner=$(rx '.path == "/owner"' | jq length)
as cust POST /api/v1/cases "$(open_body microsoft 4 "$TMP/d-validated.json" "after removal")" >/dev/null
wait_rx '.path == "/contoso" and .event == "case.opened"' 2 >/dev/null
sleep 1.5
check "a removed webhook gets nothing more" test "$(rx '.path == "/owner"' | jq length)" = "$n_owner"

# ---- machine events reach webhooks the same way ----
KEY=$(printf 'contoso hook01 machine-id' | sha256sum | cut -c1-64)
check "Contoso enrolls a machine: 201" test "$(as cust POST /api/v1/agent/enroll "{\"machine_key\": \"$KEY\", \"name\": \"hook01\"}")" = 201
MID=$(jq -r .machine "$TMP/resp")
jq -r .credential "$TMP/resp" >"$TMP/tok/agent"
# report SEQ DESCRIPTOR-FILE: the agent's report, the descriptor's digest its sha256 here.
report() {
	jq -c -n --arg m "$MID" --argjson seq "$1" --arg at "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
		--arg dg "$(sha256sum "$2" | cut -c1-64)" --slurpfile d "$2" \
		'{schema: "covalid.report/1", machine: $m, seq: $seq, observed_at: $at, interval: 60, descriptor_digest: $dg, health: {}, descriptor: $d[0]}' >"$TMP/report.json"
	api POST /api/v1/agent/report "$TMP/report.json" "$TMP/tok/agent"
}
check "its first report, validated: 200" test "$(report 1 "$TMP/d-validated.json")" = 200
check "a second vCPU: 200, no longer validated" test "$(report 2 "$TMP/d-2vcpu.json")" = 200
check "... the verdict not validated" j '.verdict != "validated"'
check "... machine.drifted reaches Contoso's webhook, signed, naming the machine" \
	wait_rx ".path == \"/contoso\" and .event == \"machine.drifted\" and .valid and (.body | fromjson | .machine.id == \"$MID\" and .customer == \"contoso\")"
check "Fabrikam's webhook still got nothing" test "$(rx '.path == "/fabrikam"' | jq length)" = 0

# ---- the Atom feed ----
atom() { # USER [QUERY]: the feed in $TMP/feed.xml, the status echoed
	curl -s -o "$TMP/feed.xml" -D "$TMP/feed.h" -w '%{http_code}' -H "Authorization: Bearer $(cat "$TMP/tok/$1")" "$URL/api/v1/events.atom${2:-}"
}
# The feed, parsed by python's XML parser, as JSON: {id, title, updated, entries: [{id, title, updated, kind, content}]}.
feed() {
	python3 -c '
import json, sys, xml.etree.ElementTree as ET
A = "{http://www.w3.org/2005/Atom}"
f = ET.parse(sys.argv[1]).getroot()
assert f.tag == A + "feed"
out = {"id": f.findtext(A + "id"), "title": f.findtext(A + "title"), "updated": f.findtext(A + "updated"),
       "author": f.findtext(A + "author/" + A + "name"), "entries": []}
for e in f.findall(A + "entry"):
    c = e.find(A + "content")
    out["entries"].append({"id": e.findtext(A + "id"), "title": e.findtext(A + "title"), "updated": e.findtext(A + "updated"),
                           "kind": e.find(A + "category").get("term"), "type": c.get("type"), "content": json.loads(c.text)})
print(json.dumps(out))' "$TMP/feed.xml" >"$TMP/feed.json"
}
check "GET /api/v1/events.atom without a token: 401" test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/api/v1/events.atom")" = 401
as cust POST /api/v1/cases "$(open_body microsoft 4 "$TMP/d-validated.json" 'Tom & Jerry <script>alert("x")</script> ]]>')" >/dev/null
ESC_CASE=$(jq -r .id "$TMP/resp")
check "Contoso's feed: 200, application/atom+xml" test "$(atom cust)" = 200
check "... Content-Type application/atom+xml" grep -qi '^Content-Type: application/atom+xml' "$TMP/feed.h"
check "... well-formed Atom (python's XML parser reads it)" feed
check "... feed id, title, author and updated (the newest entry's)" jqf '(.id | startswith("urn:covalid:events:customer:contoso")) and (.title | length > 0) and .author and .updated == .entries[0].updated' "$TMP/feed.json"
check "... entries: id urn:covalid:event:<id>, title the summary, updated the event's time, content its JSON" \
	jqf 'all(.entries[]; (.id == ("urn:covalid:event:" + .content.id)) and .title == .content.summary and .updated == .content.at and .kind == .content.kind and .type == "text") and (.entries | length > 5)' "$TMP/feed.json"
check "... only Contoso's events, machine and case events both" jqf 'all(.entries[]; .content.customer == "contoso") and ([.entries[].kind] | index("machine.drifted") and index("case.opened"))' "$TMP/feed.json"
check "... a title with & < > \" and ]]> comes back exactly, escaped in the XML" \
	jqf --arg c "$ESC_CASE" '[.entries[] | select(.content.case == $c and .kind == "case.opened")][0].content.details.title == "Tom & Jerry <script>alert(\"x\")</script> ]]>"' "$TMP/feed.json"
check_eval "... and no raw <script> in the XML" "! grep -q '<script>' '$TMP/feed.xml'"
atom fab >/dev/null && feed
check "Fabrikam's feed has none of Contoso's events (none at all)" jqf '.entries == []' "$TMP/feed.json"
check "Red Hat's feed: the case events of the case it is engaged on, nothing else" test "$(atom rh)" = 200
feed
check "... case events of $CASE only" jqf --arg c "$CASE" '(.entries | length > 0) and all(.entries[]; .content.case == $c and (.kind | startswith("case.")))' "$TMP/feed.json"
check "the owner's feed: everyone's events" test "$(atom owner '?limit=500')" = 200
feed
check "... Contoso's machine and case events" jqf '[.entries[].kind] | index("machine.drifted") and index("case.opened")' "$TMP/feed.json"
atom cust '?limit=2' >/dev/null && feed
check "?limit=2: two entries" jqf '.entries | length == 2' "$TMP/feed.json"
check "a bad limit: 400" test "$(atom cust '?limit=0')" = 400

# ---- SLA breach: once per case and clock ----
"$COVALID" admin support-policy get $O >"$TMP/policy.json"
jq '.sla.standard["4"].first_response_s = 60 | .sla.premium["4"].first_response_s = 60' "$TMP/policy.json" >"$TMP/fast.json"
"$COVALID" admin support-policy set "$TMP/fast.json" $O >/dev/null
as cust POST /api/v1/cases "$(open_body microsoft 4 "$TMP/d-validated.json" "sla case")" >/dev/null
SLA_CASE=$(jq -r .id "$TMP/resp")
check "the server stops cleanly (SIGTERM: exit 0, the deliverer's thread joined)" server_stop
check "the server restarts an hour ahead (--support-clock-offset 3600)" server_start "$DB" --webhook-allow-private --support-clock-offset 3600
check "case.sla-breach reaches Contoso: the first response was due" wait_rx ".path == \"/contoso\" and .event == \"case.sla-breach\" and (.body | fromjson | .case == \"$SLA_CASE\" and .details.clock == \"first_response\")"
server_stop
server_start "$DB" --webhook-allow-private --support-clock-offset 3700 >/dev/null
sleep 2
check "... once: another sweep (a restart) tells it no more" test "$(rx ".path == \"/contoso\" and .event == \"case.sla-breach\" and (.body | fromjson | .case == \"$SLA_CASE\")" | jq length)" = 1

# ---- without --webhook-allow-private: the server's own network is out of reach ----
# Loopback, RFC 1918, link-local (169.254.169.254: cloud metadata) ... are
# refused at connect time, after name resolution (src/server/deliver.c).
server_stop
server_start "$DB" >/dev/null
: >"$TMP/rx.before"
cp "$TMP/rx.log" "$TMP/rx.before"
check "a webhook at the loopback receiver, for case.opened: 201 (an address is judged when delivering)" \
	test "$(as cust POST /api/v1/webhooks "$(jq -nc --arg u "http://localhost:$(cat "$TMP/rx.port")/contoso" --arg s "$S_CONTOSO" '{url: $u, secret: $s, kinds: ["case.opened"]}')")" = 201
WH_L=$(jq -r .id "$TMP/resp")
check "Contoso opens another case: 201" test "$(as cust POST /api/v1/cases "$(open_body microsoft 3 "$TMP/d-validated.json" "private address test")")" = 201
refused_wait() {
	i=0
	while [ $i -lt 100 ]; do
		as cust GET "/api/v1/webhooks/$WH_L/deliveries" >/dev/null
		jq -e '.items[0].attempts >= 1' "$TMP/resp" >/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
check "the delivery is attempted" refused_wait
check "... and refused: the error names the loopback address and the option" \
	j '.items[0].state != "delivered" and .items[0].last_status == null and (.items[0].last_error | test("refused to connect to (127\\.0\\.0\\.1|::1): a loopback address.*--webhook-allow-private"))'
sleep 1
check "... and the receiver got nothing from it" test "$(wc -l <"$TMP/rx.log")" = "$(wc -l <"$TMP/rx.before")"
done_testing
