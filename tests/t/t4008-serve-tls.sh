#!/bin/sh
# t4008: HTTPS on the real server (docs/server.md, "TLS"): certificates
# made here with openssl, curl --cacert and the CLI's --cacert against it,
# TLS 1.2 and 1.3 only, HTTP/1.1 keep-alive, a reload on SIGHUP (the new
# certificate is served, connections already open keep working, a bad file
# keeps the old one), bad files at start (one line naming the file, exit
# 2), and plain HTTP sent to the TLS port (refused at once, the server
# unharmed).
#
# Depends on: openssl (scripts/setup.sh, TEST_PACKAGES), curl, python3.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/server.sh"
trap 'server_stop >/dev/null 2>&1; rm -rf "$TMP"' EXIT

if ! command -v openssl >/dev/null 2>&1; then
	# The set-up installs it: its absence is a broken machine, not a skip.
	not_ok "openssl is installed (scripts/setup.sh)"
	done_testing
	exit 1
fi

# cert NAME CN: a self-signed P-256 certificate for 127.0.0.1, its own CA.
cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-keyout "$TMP/$1.key" -out "$TMP/$1.pem" -subj "/CN=$2" -addext "subjectAltName=IP:127.0.0.1" \
		2>"$TMP/openssl.err"
}
if cert one covalid-test-one && cert two covalid-test-two; then
	ok "openssl makes two certificates"
else
	not_ok "openssl makes two certificates"
	diag "$(cat "$TMP/openssl.err")"
fi
cp "$TMP/one.pem" "$TMP/cert.pem"
cp "$TMP/one.key" "$TMP/key.pem"

DB="$TMP/program.db"
program_db "$DB"

# ---- bad files at start: one line naming the file, exit 2 ----
serve_bad() {	# serve_bad DESCRIPTION NAMED-FILE MESSAGE-PART ARGS...
	desc=$1 named=$2 part=$3
	shift 3
	"$COVALID" serve --db "$DB" --listen 127.0.0.1:0 "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ "$rc" -eq 2 ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q -F -- "$named" "$TMP/err" &&
		grep -q -F -- "$part" "$TMP/err"; then
		ok "$desc"
	else
		not_ok "$desc"
		diag "exit $rc" "$(cat "$TMP/err")"
	fi
}
printf 'not a certificate\n' >"$TMP/junk.pem"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -aes256 -pass pass:secret -out "$TMP/locked.key" 2>/dev/null
serve_bad "a missing certificate file" "$TMP/none.pem" "No such file" --tls-cert "$TMP/none.pem" --tls-key "$TMP/one.key"
serve_bad "a missing key file" "$TMP/none.key" "No such file" --tls-cert "$TMP/one.pem" --tls-key "$TMP/none.key"
serve_bad "a certificate file that is not one" "$TMP/junk.pem" "not a PEM certificate" --tls-cert "$TMP/junk.pem" --tls-key "$TMP/one.key"
serve_bad "a key file that is not one (a certificate)" "$TMP/one.pem" "not an unencrypted PEM private key" --tls-cert "$TMP/one.pem" --tls-key "$TMP/one.pem"
serve_bad "a key encrypted with a passphrase" "$TMP/locked.key" "not an unencrypted PEM private key" --tls-cert "$TMP/one.pem" --tls-key "$TMP/locked.key"
serve_bad "another certificate's key" "$TMP/two.key" "not the private key of the certificate in $TMP/one.pem" --tls-cert "$TMP/one.pem" --tls-key "$TMP/two.key"
serve_bad "--tls-cert without --tls-key" "--tls-key" "go together" --tls-cert "$TMP/one.pem"
check "... and none of them left a server listening" sh -c "! grep -q listening '$TMP/out'"

# An expired certificate is served (clients refuse it; the operator may be
# renewing it now), but said.  openssl ca is the one way openssl 3.0 writes
# dates in the past.
mkdir "$TMP/ca" && : >"$TMP/ca/index.txt" && echo 01 >"$TMP/ca/serial"
cat >"$TMP/ca/ca.cnf" <<EOF
[ ca ]
default_ca = c
[ c ]
database = $TMP/ca/index.txt
serial = $TMP/ca/serial
new_certs_dir = $TMP/ca
default_md = sha256
policy = p
unique_subject = no
[ p ]
commonName = supplied
EOF
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$TMP/old.key" -out "$TMP/old.csr" \
	-subj /CN=expired 2>/dev/null &&
	openssl ca -batch -config "$TMP/ca/ca.cnf" -selfsign -keyfile "$TMP/old.key" -in "$TMP/old.csr" -out "$TMP/old.pem" \
		-startdate 20200101000000Z -enddate 20200102000000Z -notext >/dev/null 2>&1
if server_start "$DB" --tls-cert "$TMP/old.pem" --tls-key "$TMP/old.key"; then
	check "an expired certificate: served, with a warning naming it and its expiry" \
		grep -q -F "covalid serve: warning: the certificate in $TMP/old.pem expired at 2020-01-02T00:00:00Z" "$TMP/serve.err"
	server_stop
else
	not_ok "an expired certificate: the server starts all the same"
	diag "$(cat "$TMP/serve.err")"
fi

# ---- serving ----
if ! server_start "$DB" --tls-cert "$TMP/cert.pem" --tls-key "$TMP/key.pem"; then
	not_ok "the server starts with --tls-cert and --tls-key"
	diag "$(cat "$TMP/serve.err")"
	done_testing
	exit 1
fi
case $URL in https://127.0.0.1:*) ok "it says it listens on https://" ;; *) not_ok "it says it listens on https:// ($URL)" ;; esac
PID=$SERVER_PID

# get CA PATH: the status of a GET with curl trusting CA only (000: none).
get() { curl -s -o "$TMP/resp" -w '%{http_code}' --max-time 10 --cacert "$1" "$URL$2"; }
check "curl --cacert: GET /healthz 200" test "$(get "$TMP/one.pem" /healthz)" = 200
curl -s -o /dev/null --max-time 10 "$URL/healthz"
rc=$?
check "curl trusting only the system's CAs refuses the certificate (exit 60)" test "$rc" -eq 60
curl -s -o /dev/null --max-time 10 --cacert "$TMP/two.pem" "$URL/healthz"
rc=$?
check "curl trusting another certificate refuses it (exit 60)" test "$rc" -eq 60

# TLS 1.2 and 1.3, never 1.0 or 1.1 (RFC 8996).  The client is the same
# openssl each time, told to allow the old version: the refusal is the server's.
tls_hello() { echo | timeout 10 openssl s_client -connect "$HOSTPORT" -CAfile "$TMP/one.pem" "$@" 2>&1; }
check_eval "TLS 1.3 is spoken" "tls_hello -tls1_3 | grep -q 'Protocol *: TLSv1.3\\|New, TLSv1.3'"
check_eval "TLS 1.2 is spoken" "tls_hello -tls1_2 | grep -q 'Protocol *: TLSv1.2\\|New, TLSv1.2'"
check_eval "TLS 1.1 is refused" "tls_hello -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' | grep -q 'Cipher is (NONE)'"

# Keep-alive: curl reuses one connection for two URLs when the server keeps
# it: one handshake ("SSL connection using" once), two answers.
curl -sv --max-time 10 --cacert "$TMP/one.pem" -o /dev/null -o /dev/null "$URL/healthz" "$URL/api/v1/vendors" 2>"$TMP/v"
check_eval "HTTP/1.1 keep-alive over TLS: the second request re-uses the connection" \
	"grep -q 'Re-using existing connection' '$TMP/v' && [ \"\$(grep -c '^< HTTP/1.1 200' '$TMP/v')\" -eq 2 ] && [ \"\$(grep -c 'SSL connection using' '$TMP/v')\" -eq 1 ]"

# ---- the CLI's client ----
O="--server $URL --token-file $TMP/owner.token"
expect_exit 0 "covalid admin vendor list --cacert" "$COVALID" admin vendor list $O --cacert "$TMP/one.pem"
check_eval "... with the vendors" "jq -e '.items | length > 0' '$TMP/out' >/dev/null"
expect_exit 0 "\$COVALID_CACERT does the same" env COVALID_CACERT="$TMP/one.pem" "$COVALID" admin vendor list $O
expect_exit 3 "without --cacert: the certificate is refused (exit 3)" "$COVALID" admin vendor list $O
check "... saying the certificate did not verify" grep -qi "certificate" "$TMP/err"
expect_exit 2 "--cacert FILE that does not exist: exit 2 naming it" "$COVALID" admin vendor list $O --cacert "$TMP/nothing.pem"
check "... in one line" sh -c "[ \"\$(wc -l <'$TMP/err')\" -eq 1 ] && grep -q -F '$TMP/nothing.pem' '$TMP/err'"
cat >"$TMP/log.json" <<'EOF'
{}
EOF
expect_exit 2 "covalid submit --cacert reaches the server (which refuses a non-log: 400)" \
	"$COVALID" submit "$TMP/log.json" $O --cacert "$TMP/one.pem"
check "... the server's answer, not a transport error" grep -q "HTTP 4" "$TMP/err"

# ---- SIGHUP: the certificate in the files now, the socket kept ----
# A client with a connection open across the reload (python's ssl module,
# a client apart from curl and GnuTLS): its second request on the same
# connection must be answered too.
python3 - "$HOSTPORT" "$TMP/one.pem" "$PID" "$TMP" >"$TMP/py.out" 2>&1 <<'EOF' &
import os, signal, socket, ssl, sys, time
hostport, ca, pid, tmp = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
host, port = hostport.rsplit(":", 1)
ctx = ssl.create_default_context(cafile=ca)
s = ctx.wrap_socket(socket.create_connection((host, int(port)), timeout=10), server_hostname=host)
f = s.makefile("rb")
def get():
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    status = f.readline().decode().strip()
    length = 0
    while True:
        line = f.readline().decode().strip()
        if not line:
            break
        if line.lower().startswith("content-length:"):
            length = int(line.split(":")[1])
    f.read(length)
    return status
print("before:", get(), flush=True)
open(tmp + "/py.ready", "w").close()
while not os.path.exists(tmp + "/py.go"):
    time.sleep(0.05)
print("after:", get(), flush=True)
EOF
PY=$!
i=0
while [ ! -e "$TMP/py.ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
cp "$TMP/two.pem" "$TMP/cert.pem"
cp "$TMP/two.key" "$TMP/key.pem"
kill -HUP "$PID"
# wait_log TEXT: until stderr has TEXT (the reload is done on the main loop, within a second).
wait_log() {
	i=0
	while ! grep -q -F -- "$1" "$TMP/serve.err" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	grep -q -F -- "$1" "$TMP/serve.err"
}
check "SIGHUP: stderr says the new certificate is served, with its expiry" \
	wait_log "covalid serve: SIGHUP: serving the certificate in $TMP/cert.pem now (valid until 20"
touch "$TMP/py.go"
wait $PY
check_eval "a connection opened before the reload is answered after it, on the same connection" \
	"grep -q '^before: HTTP/1.1 200' '$TMP/py.out' && grep -q '^after: HTTP/1.1 200' '$TMP/py.out'"
[ -s "$TMP/py.out" ] && grep -qv '^before\|^after' "$TMP/py.out" && diag "$(cat "$TMP/py.out")"
check "the server is the same process (the socket was not reopened)" kill -0 "$PID"
check "the new certificate is served: curl --cacert two.pem 200" test "$(get "$TMP/two.pem" /healthz)" = 200
check_eval "... and its subject is the new one" "tls_hello -CAfile '$TMP/two.pem' | grep -q 'subject=CN *= *covalid-test-two'"
curl -s -o /dev/null --max-time 10 --cacert "$TMP/one.pem" "$URL/healthz"
rc=$?
check "the old certificate is no longer served (curl --cacert one.pem: exit 60)" test "$rc" -eq 60

printf 'garbage\n' >"$TMP/cert.pem"
kill -HUP "$PID"
check "SIGHUP with a bad certificate file: stderr names it, keeping the one in service" \
	wait_log "covalid serve: SIGHUP: keeping the certificate in service: $TMP/cert.pem: not a PEM certificate"
check "... which is still served" test "$(get "$TMP/two.pem" /healthz)" = 200
cp "$TMP/one.pem" "$TMP/cert.pem" # key.pem is still two's
kill -HUP "$PID"
check "SIGHUP with a certificate and another's key: refused, naming the key file" \
	wait_log "keeping the certificate in service: $TMP/key.pem: not the private key of the certificate in $TMP/cert.pem"
check "... the one in service still served" test "$(get "$TMP/two.pem" /healthz)" = 200
# Reloads while requests run: SIGHUP lands on the main thread only, so no
# worker's system call is cut short; every request is answered.
cp "$TMP/two.pem" "$TMP/cert.pem"
( for i in $(seq 1 30); do kill -HUP "$PID"; sleep 0.02; done ) &
HUPS=$!
: >"$TMP/codes"
for i in $(seq 1 20); do
	printf '{"name": "Vendor %s"}' "$i" >"$TMP/v.json"
	curl -s -o /dev/null -w '%{http_code}\n' --max-time 10 --cacert "$TMP/two.pem" -H "Authorization: Bearer $(cat "$TMP/owner.token")" \
		-H 'Content-Type: application/json' --data-binary @"$TMP/v.json" "$URL/api/v1/admin/vendors" >>"$TMP/codes"
	get "$TMP/two.pem" /api/v1/vendors >>"$TMP/codes"
	echo >>"$TMP/codes"
done
wait $HUPS
check_eval "30 SIGHUPs during 40 requests (20 writes): every one answered 2xx" \
	"[ \"\$(grep -c '^20[01]\$' '$TMP/codes')\" -eq 40 ]"
[ "$(grep -c '^20[01]$' "$TMP/codes")" -eq 40 ] || diag "$(sort "$TMP/codes" | uniq -c)"
wait_log "SIGHUP: serving the certificate in $TMP/cert.pem" # the last reload is done
cp "$TMP/one.pem" "$TMP/cert.pem" # back to the mismatched pair: the counts below

# The expiry gauge is the notAfter openssl wrote, read back by openssl and
# converted by GNU date: independent of the server's reading.
end=$(date -u -d "$(openssl x509 -in "$TMP/two.pem" -noout -enddate | cut -d= -f2)" +%s)
curl -s --cacert "$TMP/two.pem" "$URL/metrics" >"$TMP/metrics"
check "/metrics: covalid_tls_certificate_expiry_seconds is the served certificate's notAfter ($end)" \
	grep -qx "covalid_tls_certificate_expiry_seconds $end" "$TMP/metrics"
check_eval "/metrics: reloads counted: one, then the storm's (close signals coalesce: 1 to 30), and two failed" \
	"grep -Eqx 'covalid_tls_reloads_total\{result=\"ok\"\} ([2-9]|[12][0-9]|3[01])' '$TMP/metrics' && grep -qx 'covalid_tls_reloads_total{result=\"failed\"} 2' '$TMP/metrics'"

# ---- plain HTTP to the TLS port: refused at once, no harm done ----
start=$(date +%s)
curl -s -o "$TMP/plain" --max-time 10 "http://$HOSTPORT/healthz"
rc=$?
took=$(($(date +%s) - start))
check "plain HTTP to the TLS port: curl fails (exit $rc), not with a timeout" sh -c "[ $rc -ne 0 ] && [ $rc -ne 28 ]"
check "... at once (${took} s)" test "$took" -le 2
check "... and gets no answer in the clear" test ! -s "$TMP/plain"
check "... the server still answers over TLS" test "$(get "$TMP/two.pem" /healthz)" = 200
check "... and lives" kill -0 "$PID"

# A request line too long is answered past MHD (guard.c): over TLS it must
# go through the session, an HTTP answer the client can read, not bytes in the clear.
long=$(head -c 9000 /dev/zero | tr '\0' a)
check "a request target over 8192 bytes: 414 over TLS, readable" \
	test "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 --cacert "$TMP/two.pem" "$URL/$long")" = 414

# ---- stop ----
server_stop
rc=$?
check "SIGTERM: the TLS server exits 0" test "$rc" -eq 0

# ---- a handshake that never finishes is cut like a slow head ----
# --header-timeout counts from the connection's start, the handshake
# included: a client that opens a TLS record and stalls is closed.
if server_start "$DB" --tls-cert "$TMP/two.pem" --tls-key "$TMP/two.key" --header-timeout 1; then
	python3 - "$HOSTPORT" >"$TMP/stall.out" 2>&1 <<'EOF'
import socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((host, int(port)), timeout=10)
s.sendall(b"\x16\x03\x01\x02\x00")  # a handshake record's header, then nothing
t = time.time()
try:
    data = s.recv(100)
    print("closed after %.1f s" % (time.time() - t) if not data else "data")
except (ConnectionResetError, socket.timeout) as e:
    print("closed after %.1f s" % (time.time() - t) if isinstance(e, ConnectionResetError) else "timeout")
EOF
	check_eval "a stalled handshake: closed by the head deadline (1 s), not held ($(cat "$TMP/stall.out"))" \
		"grep -Eq '^closed after [0-3]\.' '$TMP/stall.out'"
	check "... and the server serves the next client" test "$(get "$TMP/two.pem" /healthz)" = 200
	server_stop
else
	not_ok "the server starts with --header-timeout 1"
fi

# ---- plain HTTP mode is unchanged (as behind a TLS-terminating proxy) ----
if server_start "$DB"; then
	case $URL in http://*) ok "without --tls-cert: plain http://" ;; *) not_ok "without --tls-cert: plain http:// ($URL)" ;; esac
	check "... GET /healthz 200" test "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$URL/healthz")" = 200
	kill -HUP "$SERVER_PID"
	check "... SIGHUP there: nothing to reload, said, and the server goes on" wait_log "SIGHUP: nothing to reload"
	check "... still serving" test "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$URL/healthz")" = 200
	server_stop
else
	not_ok "the plain server starts"
fi
done_testing
