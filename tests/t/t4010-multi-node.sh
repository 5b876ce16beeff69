#!/bin/sh
# t4010: several server nodes on one database (issue 15, docs/deploy.md):
# three `covalid serve` processes on loopback, sharing one database, with
# haproxy in front of them, all started and stopped by this test.
#
#   - a configuration revoked through node A is seen revoked through nodes
#     B and C within 1 s (the catalog generation that keys each node's
#     answer cache is read from the database at most every 50 ms);
#   - the same case changed through A and B at once from one version:
#     exactly one 200 and one 409, several times over;
#   - an agent re-enrolled through A: its old credential, which B has
#     seen and remembers, is refused through B; the new one works
#     through C;
#   - a node killed with SIGKILL during a stream of submissions and case
#     notes sent through haproxy: every acknowledged write is there
#     afterwards, read back through the others, each note once; the
#     stream went on through the other nodes, with at most the request
#     in flight on the killed node lost per stream.  haproxy retries a
#     refused connection on another node; a keep-alive request that
#     reached the node and got no answer it does not retry, but closes
#     the client's connection without an answer so that the client does
#     (its "abort_keep_alive"), and curl sends the POST again.  If the
#     node had committed it, that repeat would be a second note: each
#     request carries an Idempotency-Key, and the repeat is answered 409
#     (t4014; docs/server.md, "Retries") -- the one request lost;
#   - every event of the customer's is delivered to its webhook once,
#     though every node's deliverer looks for due deliveries (each is
#     claimed by one: store_delivery_claim);
#   - the monitoring sweep runs on one node at a time (store_try_lead):
#     after the node that led it was killed, a silent machine is still
#     marked late, and told once (machine.late), not once per node.
#
# The database: T4010_DB=postgresql (tests/lib/pg.sh starts a cluster of
# the test's own on a Unix socket) or sqlite (one file that every node
# opens: several processes on one SQLite file work on one machine).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/server.sh"
. "$(dirname "$0")/../lib/support.sh"

# The one line that picks the database the nodes share.
T4010_DB=${T4010_DB:-postgresql}

NODES="1 2 3"
PIDS=
HAPROXY_PID=
WPIDS=
RX_PID=
cleanup() {
	for p in $WPIDS; do kill "$p" 2>/dev/null; done
	[ -n "$RX_PID" ] && kill "$RX_PID" 2>/dev/null
	[ -n "$HAPROXY_PID" ] && kill "$HAPROXY_PID" 2>/dev/null && wait "$HAPROXY_PID" 2>/dev/null
	for p in $PIDS; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	if [ -n "${PGDIR:-}" ]; then
		pg_stop "$PGDIR" >/dev/null 2>&1
		rm -rf "$PGDIR"
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
fail_setup() {
	not_ok "$1"
	shift
	diag "$@"
	done_testing
	exit 1
}

# ---- the database ----
case $T4010_DB in
postgresql)
	. "$SRC/tests/lib/pg.sh"
	# Beside $TMP, not in it: $TMP is private to this user, and as root
	# the cluster runs as the postgres user (pg.sh), who must get in.
	PGDIR=$(mktemp -d "${TMPDIR:-/tmp}/covalid-pg.XXXXXX")
	pg_start "$PGDIR" 2>"$TMP/pg.err" || fail_setup "PostgreSQL starts (tests/lib/pg.sh)" "$(cat "$TMP/pg.err")"
	DBLOC=$PG_URI
	;;
sqlite) DBLOC=$TMP/nodes.db ;;
*) fail_setup "T4010_DB=$T4010_DB: expected postgresql or sqlite" ;;
esac
mkdir -p "$TMP/tok" "$TMP/w"
program_db "$DBLOC" "$TMP/tok/owner" 2>"$TMP/err" || fail_setup "the catalog and the owner's token in $T4010_DB" "$(cat "$TMP/err")"
ok "the catalog and the owner's token in one $T4010_DB database"

# ---- three nodes ----
# node_start N: node N on the shared database, on an ephemeral port:
# $NODE_N its URL, $PID_N its process.  A sweep every second, so that the
# late-mark check below takes seconds.
node_start() {
	: >"$TMP/serve.$1.out" # a restarted node's old line is not read (server_start)
	"$COVALID" serve --db "$DBLOC" --listen 127.0.0.1:0 --access-log "$TMP/access.$1.log" --sweep-interval 1 --webhook-allow-private \
		>"$TMP/serve.$1.out" 2>"$TMP/serve.$1.err" &
	_pid=$!
	PIDS="$PIDS $_pid"
	eval "PID_$1=$_pid"
	_i=0
	while [ $_i -lt 100 ]; do
		_u=$(sed -n 's|^covalid serve: listening on \(http://[^ ]*\)/$|\1|p' "$TMP/serve.$1.out")
		if [ -n "$_u" ]; then
			eval "NODE_$1=$_u"
			return 0
		fi
		kill -0 "$_pid" 2>/dev/null || return 1
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}
for n in $NODES; do
	node_start $n || fail_setup "node $n starts" "$(cat "$TMP/serve.$n.err")"
	# Started one after the other: node 1's sweeper takes the lead first.
	sleep 0.3
done
ok "three nodes on the database: $NODE_1 $NODE_2 $NODE_3"

# ---- haproxy in front ----
# Round robin per request; a connection refused (a node gone) is tried
# again on another node at once (retries, redispatch on every retry); a
# request that reached a node is never sent again (retry-on's default,
# conn-failure: a submission or a note is not idempotent).  Health checks
# take a dead node out within two seconds, and are patient with a slow
# answer (a loaded machine): a node marked down by mistake would serve
# nothing of the streams below.
free_port() {
	perl -MIO::Socket::INET -e 'my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1", LocalPort => 0) or die "$!\n"; print $s->sockport, "\n";'
}
LB_PORT=$(free_port)
{
	printf '%s\n' global "	maxconn 1024" "	nbthread 2" defaults "	mode http" "	timeout connect 2s" \
		"	timeout client 30s" "	timeout server 30s" "	timeout check 3s" "	retries 3" "	option redispatch 1" \
		frontend\ fe "	bind 127.0.0.1:$LB_PORT" "	default_backend nodes" backend\ nodes "	balance roundrobin" \
		"	option httpchk GET /healthz"
	for n in $NODES; do
		eval "u=\$NODE_$n"
		echo "	server n$n ${u#http://} check inter 500ms fall 3 rise 1"
	done
} >"$TMP/haproxy.cfg"
command -v haproxy >/dev/null 2>&1 || fail_setup "haproxy is installed" "scripts/setup.sh installs Debian's haproxy package"
haproxy -c -q -f "$TMP/haproxy.cfg" >"$TMP/haproxy.err" 2>&1 || fail_setup "haproxy's configuration" "$(cat "$TMP/haproxy.err")"
haproxy -db -f "$TMP/haproxy.cfg" >"$TMP/haproxy.log" 2>&1 &
HAPROXY_PID=$!
LB=http://127.0.0.1:$LB_PORT
i=0
while [ $i -lt 50 ] && [ "$(curl -s -o /dev/null -w '%{http_code}' "$LB/healthz")" != 200 ]; do
	sleep 0.1
	i=$((i + 1))
done
URL=$LB
check "haproxy in front of them answers /healthz ($LB)" test "$(api GET /healthz)" = 200

# at NODE-URL CMD...: CMD with $URL set to NODE-URL (then back to haproxy's)
at() {
	URL=$1
	shift
	"$@"
	_rc=$?
	URL=$LB
	return $_rc
}
# as_at NODE-URL N USER METHOD PATH BODY: as_n at that node (calls at once)
as_at() {
	_u=$1
	shift
	printf '%s' "$5" >"$TMP/as.$1.req"
	curl -s -o "$TMP/as.$1.resp" -w '%{http_code}' -X "$3" --max-time 20 -H 'Content-Type: application/json' \
		-H "Authorization: Bearer $(cat "$TMP/tok/$2")" --data-binary "@$TMP/as.$1.req" "$_u$4"
}
ms_now() { date +%s%3N; }

# ---- the programme, set up through node 1 ----
O="--server $NODE_1 --token-file $TMP/tok/owner"
if "$COVALID" admin vendor add Microsoft $O >/dev/null &&
	"$COVALID" admin vendor add "Red Hat" $O >/dev/null &&
	"$COVALID" admin vendor add "Example Linux" --id example $O >/dev/null &&
	"$COVALID" admin customer add Contoso --id contoso $O >/dev/null &&
	"$COVALID" admin user add "Carol (Contoso IT)" --role customer-admin --customer contoso --out "$TMP/tok/cust" $O >/dev/null &&
	"$COVALID" admin user add "Mike (Microsoft)" --role vendor-engineer --vendor microsoft --out "$TMP/tok/ms" $O >/dev/null &&
	"$COVALID" admin user add "Mona (Microsoft)" --role vendor-manager --vendor microsoft --out "$TMP/tok/msmgr" $O >/dev/null &&
	printf '%s\n' '{"id": "contoso-ms-percall", "customer": "contoso", "vendor": "microsoft", "kind": "per-call", "valid_from": "2009-01-01", "valid_to": "2030-12-31"}' >"$TMP/agr-ms.json" &&
	"$COVALID" admin agreement add "$TMP/agr-ms.json" $O >/dev/null &&
	"$COVALID" key generate --out "$TMP/vendor.key" >/dev/null &&
	"$COVALID" admin key add example "$TMP/vendor.key.pub" $O >/dev/null &&
	"$COVALID" admin token issue --vendor example --out "$TMP/tok/vendor" $O >/dev/null &&
	"$COVALID" probe --json --root "$SRC/tests/fixtures/hyperv2008-rhel53/root" >"$TMP/d-validated.json"; then
	ok "vendors, a customer, users, an agreement and a vendor's key, through node 1"
else
	fail_setup "vendors, a customer, users, an agreement and a vendor's key, through node 1" "$(cat "$TMP/serve.1.err")"
fi

# ---- a webhook receiver: every delivery it gets, one JSON line each ----
cat >"$TMP/rx.py" <<'PY'
import json, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

log = open(sys.argv[2], "a", buffering=1)
lock = threading.Lock()

class H(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        with lock:
            log.write(json.dumps({"delivery": self.headers.get("X-Covalid-Delivery"), "seq": body.get("seq"),
                                  "kind": body.get("kind")}) + "\n")
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *a):
        pass

srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(srv.server_address[1]))
srv.serve_forever()
PY
: >"$TMP/rx.log"
python3 "$TMP/rx.py" "$TMP/rx.port" "$TMP/rx.log" &
RX_PID=$!
i=0
while [ ! -s "$TMP/rx.port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check "Contoso's webhook, added through node 2: 201" test "$(at "$NODE_2" as cust POST /api/v1/webhooks "{\"url\": \"http://127.0.0.1:$(cat "$TMP/rx.port")/contoso\", \"secret\": \"t4010-webhook-secret-0123456789ab\"}")" = 201

# ---- a revocation through node 1, seen through nodes 2 and 3 within 1 s ----
# A configuration of the seed catalog (data/validated-configs.jsonl: it is
# validated there) that nothing else here uses; the owner may revoke any.
CFG=ms-hv2008-ws-rhel5.2-i686
for n in 2 3; do
	eval "u=\$NODE_$n"
	# Asked twice: the second answer comes from the node's answer cache.
	at "$u" api GET "/api/v1/configurations/$CFG" >/dev/null
	check "node $n: $CFG is validated (its cached answer)" sh -c "[ \"\$(curl -s -o '$TMP/resp' -w '%{http_code}' '$u/api/v1/configurations/$CFG')\" = 200 ] && jq -e '.configuration.status == \"validated\"' '$TMP/resp' >/dev/null"
done
check "the owner revokes it through node 1: 200" test "$(at "$NODE_1" api POST "/api/v1/configurations/$CFG/revoke" "" "$TMP/tok/owner")" = 200
t0=$(ms_now)
for n in 2 3; do
	eval "u=\$NODE_$n"
	seen=
	while [ $(($(ms_now) - t0)) -lt 3000 ]; do
		if [ "$(curl -s -o "$TMP/resp" -w '%{http_code}' "$u/api/v1/configurations/$CFG")" = 200 ] &&
			jq -e '.configuration.status == "revoked"' "$TMP/resp" >/dev/null; then
			seen=$(($(ms_now) - t0))
			break
		fi
		sleep 0.02
	done
	check "node $n answers it revoked within 1 s of node 1's 200 (after ${seen:-more than 3000} ms)" test -n "$seen" -a "${seen:-9999}" -le 1000
done

# ---- the same case changed through nodes 1 and 2 from one version ----
races=0
for k in 1 2 3 4 5; do
	at "$LB" as cust POST /api/v1/cases "$(open_body microsoft 2 "$TMP/d-validated.json" "multi-node race $k")" >/dev/null
	id=$(jq -r .id "$TMP/resp")
	as_at "$NODE_1" a$k ms POST "/api/v1/cases/$id/state" '{"to": "in-progress", "version": 1}' >"$TMP/race.a" &
	p1=$!
	as_at "$NODE_2" b$k msmgr POST "/api/v1/cases/$id/state" '{"to": "in-progress", "version": 1}' >"$TMP/race.b" &
	p2=$!
	wait $p1 $p2
	got=$(sort "$TMP/race.a" "$TMP/race.b" | tr '\n' ' ')
	if [ "$got" = "200 409 " ] && at "$NODE_3" as ms GET "/api/v1/cases/$id" >/dev/null &&
		j '.version == 2 and .state == "in-progress" and ([.events[] | select(.action == "state")] | length) == 1'; then
		races=$((races + 1))
	else
		diag "case $id: answers $got; through node 3: $(head -c 400 "$TMP/resp")"
	fi
done
check "the same case moved through nodes 1 and 2 at once from version 1, 5 times: each time one 200, one 409, version 2 with one change ($races of 5)" test $races = 5

# ---- an agent re-enrolled through node 1: its old credential refused through node 2 ----
KEY=$(printf 'contoso t4010 machine-id' | sha256sum | cut -c1-64)
report() {	# SEQ: a report body in $TMP/report.json
	jq -c -n --arg m "$M" --argjson seq "$1" --arg at "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
		'{schema: "covalid.report/1", machine: $m, seq: $seq, observed_at: $at, interval: 60,
		  descriptor_digest: "0000000000000000000000000000000000000000000000000000000000000000", health: {}}' >"$TMP/report.json"
}
check "enrolled through node 1: 201" test "$(at "$NODE_1" as cust POST /api/v1/agent/enroll "{\"machine_key\": \"$KEY\", \"name\": \"t4010\", \"interval\": 60}")" = 201
M=$(jq -r .machine "$TMP/resp")
jq -r .credential "$TMP/resp" >"$TMP/tok/agent-old"
report 1
check "its report through node 2: 200 (node 2 remembers the credential)" test "$(at "$NODE_2" api POST /api/v1/agent/report "$TMP/report.json" "$TMP/tok/agent-old")" = 200
printf '{"machine_key": "%s", "name": "t4010"}' "$KEY" >"$TMP/enroll.json"
st=$(at "$NODE_1" api POST /api/v1/agent/enroll "$TMP/enroll.json" "$TMP/tok/cust")
check "re-enrolled through node 1: 200, the same machine, a new credential" sh -c "[ '$st' = 200 ] && jq -e --arg m '$M' '.machine == \$m' '$TMP/resp' >/dev/null"
jq -r .credential "$TMP/resp" >"$TMP/tok/agent"
report 2
check "the old credential through node 2: 401" test "$(at "$NODE_2" api POST /api/v1/agent/report "$TMP/report.json" "$TMP/tok/agent-old")" = 401
report 1
check "the new one through node 3: 200" test "$(at "$NODE_3" api POST /api/v1/agent/report "$TMP/report.json" "$TMP/tok/agent")" = 200

# ---- each event delivered once, by one of the three deliverers ----
# Contoso's events so far (cases opened and moved, a machine enrolled
# and re-enrolled): each must reach the receiver, once.  Waited for until
# the receiver has every one (a delivery is due at once; each deliverer
# looks every second).
events_seqs() {
	at "$LB" as cust GET "/api/v1/events?limit=500" >/dev/null && jq -c '[.items[].seq] | sort' "$TMP/resp"
}
want=$(events_seqs)
t0=$(ms_now)
while [ $(($(ms_now) - t0)) -lt 15000 ]; do
	[ "$(jq -s -c '[.[].seq] | unique' "$TMP/rx.log")" = "$want" ] && break
	sleep 0.2
done
sleep 1.5 # a second delivery of any of them would come within a poll
check "every one of Contoso's $(echo "$want" | jq length) events reached its webhook" test "$(jq -s -c '[.[].seq] | unique' "$TMP/rx.log")" = "$want"
check_eval "... each once: no delivery, no event received twice ($(wc -l <"$TMP/rx.log") requests)" \
	"jq -s -e '([.[].delivery] | length) == ([.[].delivery] | unique | length) and ([.[].seq] | length) == ([.[].seq] | unique | length)' '$TMP/rx.log' >/dev/null"

# ---- node 1 killed during streams of submissions and notes through haproxy ----
# Submissions: the same signed log again and again under a policy that
# rejects it, each recorded (201, rejected, a submission id of its own:
# bench/lib/submissions.sh does the same).  Notes: each with its own body.
# Each stream is one curl process, one keep-alive connection to haproxy,
# which sends each request to the next node; each request with a key of
# its own.
printf '%s\n' '{"schema":"covalid.policy/1","modes":["quick","full"],"rules":[{"name":"t4010","guest":"*","hypervisor":"*","required":["t4010.never-run"]}]}' >"$TMP/policy.json"
"$COVALID" admin policy set "$TMP/policy.json" $O >/dev/null
"$COVALID" kit run --quick --only env,cpu --sign "$TMP/vendor.key" --out "$TMP/log.json" >/dev/null 2>&1
check_eval "a signed test log" "jq -e .signature.key_id '$TMP/log.json' >/dev/null"
at "$LB" as cust POST /api/v1/cases "$(open_body microsoft 3 "$TMP/d-validated.json" "notes while a node dies")" >/dev/null
CASE=$(jq -r .id "$TMP/resp")
SUBS=${T4010_SUBS:-150}
NOTES=${T4010_NOTES:-200}
stream_cfg() {	# KIND N PATH TOKEN
	_tok=$(cat "$TMP/tok/$4")
	_i=1
	while [ $_i -le "$2" ]; do
		if [ "$1" = sub ]; then
			_body=$TMP/log.json
		else
			_body=$TMP/w/note.$_i.req
			printf '{"visibility": "internal", "body": "t4010 n%s"}' $_i >"$_body"
		fi
		[ $_i -gt 1 ] && echo next
		printf '%s\n' "url = \"$LB$3\"" silent "max-time = 10" "output = \"$TMP/w/$1.$_i\"" \
			'header = "Content-Type: application/json"' "header = \"Authorization: Bearer $_tok\"" \
			"header = \"Idempotency-Key: t4010-$1-$_i\"" \
			"data-binary = \"@$_body\"" "write-out = \"$_i %{http_code} %{exitcode}\\n\""
		_i=$((_i + 1))
	done >"$TMP/w/$1.cfg"
}
stream_cfg sub "$SUBS" /api/v1/submissions vendor
stream_cfg note "$NOTES" "/api/v1/cases/$CASE/notes" ms
: >"$TMP/w/sub.out"
: >"$TMP/w/note.out"
curl -K "$TMP/w/sub.cfg" >>"$TMP/w/sub.out" 2>/dev/null &
S1=$!
curl -K "$TMP/w/note.cfg" >>"$TMP/w/note.out" 2>/dev/null &
S2=$!
WPIDS="$S1 $S2"
# The kill lands once a quarter of the submissions were answered (curl
# makes each answer's file as it arrives; its lines on stdout come at the
# end, buffered).
answered() { ls "$TMP/w" | grep -c "^$1\.[0-9]"; }
i=0
while [ $i -lt 500 ] && [ "$(answered sub)" -lt $((SUBS / 4)) ]; do
	sleep 0.01
	i=$((i + 1))
done
# What node 1 had answered of the streams, just before it goes: its
# /metrics (its access log is written out each second, and the kill
# loses the last).
curl -s --max-time 5 "$NODE_1/metrics" >"$TMP/metrics.1"
kill -KILL "$PID_1"
wait "$PID_1" 2>/dev/null
killed_after=$(answered sub)
wait $S1 $S2
WPIDS=
PIDS=" $PIDS "
PIDS=${PIDS% $PID_1 *}\ ${PIDS#* $PID_1 }
# collect KIND: $TMP/acked.KIND (submission ids, or note bodies), and the count of the rest
collect() {
	: >"$TMP/acked.$1"
	lost=0
	while read -r i code ec; do
		f=$TMP/w/$1.$i
		if [ "$ec" = 0 ] && [ "$1.$code" = sub.201 ] && jq -e '.status == "rejected"' "$f" >/dev/null 2>&1; then
			jq -r .id "$f" >>"$TMP/acked.$1"
		elif [ "$ec" = 0 ] && [ "$1.$code" = note.201 -o "$1.$code" = note.200 ] && grep -qF "\"t4010 n$i\"" "$f"; then
			echo "t4010 n$i" >>"$TMP/acked.$1"
		else
			lost=$((lost + 1))
			echo "$1 $i: $code (curl $ec) $(head -c 200 "$f" 2>/dev/null)" >>"$TMP/lost"
		fi
	done <"$TMP/w/$1.out"
	echo $lost
}
lost_sub=$(collect sub)
lost_note=$(collect note)
n_sub=$(wc -l <"$TMP/acked.sub")
n_note=$(wc -l <"$TMP/acked.note")
diag "killed node 1 after $killed_after submissions were answered; acknowledged: $n_sub of $SUBS submissions, $n_note of $NOTES notes"
[ -s "$TMP/lost" ] && diag "not acknowledged:" "$(cat "$TMP/lost")"
served() {	# ROUTE: node 1's 2xx answers on the POST route, from its /metrics
	awk -v r="route=\"$1\"" 'index($0, "covalid_http_requests_total{method=\"POST\"") == 1 && index($0, r) && index($0, "code=\"2xx\"") { n += $NF } END { print n + 0 }' "$TMP/metrics.1"
}
s1=$(served /api/v1/submissions)
n1=$(served "/api/v1/cases/{id}/notes")
check "node 1 had served part of both streams before it was killed ($s1 submissions, $n1 notes)" test "$s1" -gt 0 -a "$n1" -gt 0
check "the streams went on through nodes 2 and 3: at most the request in flight lost per stream ($lost_sub submissions, $lost_note notes)" \
	test "$lost_sub" -le 1 -a "$lost_note" -le 1 -a "$((n_sub + lost_sub))" = "$SUBS" -a "$((n_note + lost_note))" = "$NOTES"
check "nodes 2 and 3 answer directly" sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' '$NODE_2/healthz')\" = 200 ] && [ \"\$(curl -s -o /dev/null -w '%{http_code}' '$NODE_3/healthz')\" = 200 ]"
at "$LB" api GET "/api/v1/submissions?limit=500" "" "$TMP/tok/vendor" >/dev/null
check_eval "every acknowledged submission is there, read through haproxy ($n_sub)" \
	"jq -R -s 'split(\"\n\") | map(select(length > 0))' '$TMP/acked.sub' >'$TMP/acked.sub.json' && jq -e --slurpfile a '$TMP/acked.sub.json' '[.items[].id] as \$ids | all(\$a[0][]; . as \$x | \$ids | index(\$x))' '$TMP/resp' >/dev/null"
# The notes by their own paged list (the case's document holds a page);
# the audit events by the case's.
at "$LB" as ms GET "/api/v1/cases/$CASE/notes?limit=500" >/dev/null
cp "$TMP/resp" "$TMP/notes.json"
at "$LB" as ms GET "/api/v1/cases/$CASE" >/dev/null
cp "$TMP/resp" "$TMP/case.json"
check_eval "every acknowledged note is there once ($n_note)" \
	"jq -R -s 'split(\"\n\") | map(select(length > 0))' '$TMP/acked.note' >'$TMP/acked.note.json' && jq -e --slurpfile a '$TMP/acked.note.json' '[.items[].body] as \$b | all(\$a[0][]; . as \$x | (\$b | map(select(. == \$x)) | length) == 1)' '$TMP/notes.json' >/dev/null"
# What a failure of the check above needs to be understood: each
# acknowledged note that is missing or there more than once, with the
# notes' count, and node 1's answers at its death.
jq -r --slurpfile a "$TMP/acked.note.json" '[.items[].body] as $b | $a[0][] | . as $x | ($b | map(select(. == $x)) | length) as $n | select($n != 1) | "\($x): there \($n) times"' "$TMP/notes.json" >"$TMP/notes.odd" 2>&1
[ -s "$TMP/notes.odd" ] && diag "acknowledged notes not there once (of $(jq '.items | length' "$TMP/notes.json") listed, total $(jq .total "$TMP/notes.json")):" "$(cat "$TMP/notes.odd")"
notes_whole() {
	jq -e --slurpfile n "$TMP/notes.json" '
	[$n[0].items[].id] as $ids | ($ids | sort_by(ltrimstr("note_") | tonumber)) == [range(1; ($ids | length) + 1) | "note_\(.)"]
	and ([.events[] | select(.action == "note") | .detail.note] | sort) == ($ids | sort)
	and .version == (.events | length)' "$TMP/case.json" >/dev/null
}
check "the case's notes are numbered without gaps, each with its audit event; the version counts the events" notes_whole

# ---- the sweep, led by one node at a time: node 1 led it and is gone ----
check "heartbeat timeout 2 s, through haproxy: 200" test "$(at "$LB" as cust PUT /api/v1/monitor/settings '{"heartbeat_timeout_s": 2}')" = 200
late=
t0=$(ms_now)
while [ $(($(ms_now) - t0)) -lt 20000 ]; do
	at "$LB" as cust GET "/api/v1/machines/$M" >/dev/null
	if j .late; then
		late=$(($(ms_now) - t0))
		break
	fi
	sleep 0.2
done
check "the silent machine is marked late by a surviving node (after ${late:-more than 20000} ms)" test -n "$late"
# Three sweepers each reading it not yet late would each tell it: wait
# for a few more sweeps of every node.
sleep 3
at "$LB" as cust GET "/api/v1/machines/$M/events" >/dev/null
check "... told once: one machine.late event (one sweeper)" j '[.items[] | select(.kind == "machine.late")] | length == 1'

# ---- haproxy and the nodes stop cleanly ----
kill "$HAPROXY_PID"
wait "$HAPROXY_PID" 2>/dev/null
HAPROXY_PID=
rcs=
for n in 2 3; do
	eval "p=\$PID_$n"
	kill -TERM "$p"
	wait "$p"
	rcs="$rcs $?"
done
PIDS=
check "nodes 2 and 3 stop on SIGTERM with status 0 (got$rcs)" test "$rcs" = " 0 0"
[ "$rcs" = " 0 0" ] || diag "node 2: $(tail -5 "$TMP/serve.2.err")" "node 3: $(tail -5 "$TMP/serve.3.err")"
done_testing
