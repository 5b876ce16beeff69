#!/bin/sh
# bench/api.sh - the program server under load, against peers measured in
# the same run on this machine (issue 5):
#
#   GET  /api/v1/configurations?guest=rhel   covalid serve vs nginx serving
#   POST /api/v1/check                       a static copy of the same JSON
#        wrk -t2 -c64, ROUNDS rounds of SECONDS each, interleaved; medians.
#        Bars: req/s >= 0.5 x nginx's, p99 latency < 5 ms.
#   POST /api/v1/submissions (durable)       vs raw SQLite inserts of rows of
#        the log's size, one durable transaction each (bench/sqlite-insert.c).
#
# Both servers write an access log to a file, as they would in production.
#
#   bench/api.sh [SECONDS [ROUNDS]]     (after `make`; default 10 s, 3 rounds)
set -eu
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-10}
ROUNDS=${2:-3}
BUILD=${COVALID_BUILD:-build}
COVALID=$BUILD/covalid
for tool in wrk nginx jq curl perl; do
	command -v "$tool" >/dev/null || { echo "bench/api.sh: $tool is not installed (make setup)" >&2; exit 2; }
done
[ -x "$COVALID" ] && [ -x "$BUILD/bench/sqlite-insert" ] || { echo "bench/api.sh: build first (make all $BUILD/bench/sqlite-insert)" >&2; exit 2; }

W=$(mktemp -d "${TMPDIR:-/tmp}/covalid-bench-api.XXXXXX")
SERVER_PID=
NGINX_PID=
cleanup() {
	[ -n "$SERVER_PID" ] && kill -TERM "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
	[ -n "$NGINX_PID" ] && kill -QUIT "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT INT TERM

free_port() { perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1:0")->sockport'; }

# ---- the program server, seeded, with a vendor that can submit ----
"$COVALID" catalog import --db "$W/db" data/products.jsonl data/validated-configs.jsonl >/dev/null
"$COVALID" admin bootstrap --db "$W/db" --token-file "$W/owner.token" >/dev/null
. bench/lib/serve.sh
serve_start

# ---- nginx serving static copies of the same answers ----
mkdir -p "$W/www" "$W/nginx-tmp"
chmod 755 "$W" "$W/www" # nginx's workers drop root to nobody and must read these
curl -sf "$URL/api/v1/configurations?guest=rhel" >"$W/www/configurations.json"
"$COVALID" probe --json --root tests/fixtures/hyperv2008-rhel53/root >"$W/descriptor.json"
curl -sf -H 'Content-Type: application/json' --data-binary "@$W/descriptor.json" "$URL/api/v1/check" >"$W/www/check.json"
NGINX_PORT=$(free_port)
cat >"$W/nginx.conf" <<EOF
worker_processes auto;
daemon off;
pid $W/nginx.pid;
error_log $W/nginx-error.log;
events { worker_connections 1024; }
http {
	access_log $W/nginx-access.log combined buffer=64k;
	client_body_temp_path $W/nginx-tmp/body;
	proxy_temp_path $W/nginx-tmp/proxy;
	fastcgi_temp_path $W/nginx-tmp/fastcgi;
	uwsgi_temp_path $W/nginx-tmp/uwsgi;
	scgi_temp_path $W/nginx-tmp/scgi;
	keepalive_requests 100000;
	server {
		listen 127.0.0.1:$NGINX_PORT;
		location = /api/v1/configurations { default_type application/json; alias $W/www/configurations.json; }
		location = /api/v1/check { default_type application/json; alias $W/www/check.json; }
	}
}
EOF
nginx -p "$W" -e "$W/nginx-error.log" -c "$W/nginx.conf" &
NGINX_PID=$!
i=0
while ! curl -sf -o /dev/null "http://127.0.0.1:$NGINX_PORT/api/v1/check" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
cmp -s "$W/www/check.json" "$(curl -sf "http://127.0.0.1:$NGINX_PORT/api/v1/check" >"$W/n.json"; echo "$W/n.json")" ||
	{ echo "bench/api.sh: nginx does not serve the copy: $(tail -1 "$W/nginx-error.log")" >&2; exit 1; }

. bench/lib/wrk.sh
wrk_post_script "$W/post.lua"

grep -Eq '"notes": *\[ *\]' "$W/descriptor.json" || { echo "bench/api.sh: the descriptor has notes: cannot vary it" >&2; exit 1; }
# Every request a descriptor the server has not seen (a different note):
# the cost of a check the cache cannot answer.
cat >"$W/unique.lua" <<'EOF'
local f = io.open(os.getenv("BODY"), "rb")
local body = f:read("*a")
f:close()
local threads = 0
function setup(thread)
	thread:set("tid", threads)
	threads = threads + 1
end
local n = 0
function request()
	n = n + 1
	local b = body:gsub('"notes":%s*%[%s*%]', '"notes":["bench ' .. tid .. '-' .. n .. '"]', 1)
	return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, b)
end
EOF

# wrk_run NAME CONNECTIONS URL [BODY [TOKEN [SCRIPT]]]: appends "NAME rps p99_ms non2xx" to $W/results
wrk_run() {
	name=$1 conns=$2 url=$3 body=${4:-} token=${5:-} script=${6:-$W/post.lua}
	if [ -n "$body" ]; then
		BODY=$body TOKEN=$token wrk -t2 -c"$conns" -d"${SECONDS_EACH}s" --latency -s "$script" "$url" >"$W/wrk.out"
	else
		wrk -t2 -c"$conns" -d"${SECONDS_EACH}s" --latency "$url" >"$W/wrk.out"
	fi
	awk -v name="$name" '
		/Requests\/sec:/ { rps = $2 }
		/^ +99%/ { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
			   p99 = (u == "us") ? v / 1000 : (u == "s") ? v * 1000 : (u == "m") ? v * 60000 : v }
		/Non-2xx or 3xx responses:/ { bad = $NF }
		/Socket errors:/ { bad = bad + 0 + 1 }
		END { printf "%s %s %s %d\n", name, rps, p99, bad }' "$W/wrk.out" >>"$W/results"
}

: >"$W/results"
r=1
while [ $r -le "$ROUNDS" ]; do
	wrk_run covalid-get 64 "$URL/api/v1/configurations?guest=rhel"
	wrk_run nginx-get 64 "http://127.0.0.1:$NGINX_PORT/api/v1/configurations"
	wrk_run covalid-check 64 "$URL/api/v1/check" "$W/descriptor.json"
	wrk_run nginx-check 64 "http://127.0.0.1:$NGINX_PORT/api/v1/check"
	wrk_run covalid-check-new 64 "$URL/api/v1/check" "$W/descriptor.json" "" "$W/unique.lua"
	r=$((r + 1))
done

# ---- durable submissions vs raw SQLite ----
. bench/lib/submissions.sh
submissions_setup
r=1
while [ $r -le "$ROUNDS" ]; do
	wrk_run covalid-submit 4 "$URL/api/v1/submissions" "$W/log.json" "$(cat "$W/v.token")"
	"$BUILD/bench/sqlite-insert" "$W/raw-$r.db" "$SECONDS_EACH" "$LOG_BYTES" | awk '{ print "sqlite-insert", $2, 0, 0 }' >>"$W/results"
	r=$((r + 1))
done

# ---- report: medians ----
median() { grep "^$1 " "$W/results" | awk -v col="$2" '{ print $col }' | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
bad=$(awk '$1 != "sqlite-insert" { s += $4 } END { print s + 0 }' "$W/results")
cg=$(median covalid-get 2) ng=$(median nginx-get 2) cc=$(median covalid-check 2) nc=$(median nginx-check 2)
cgp=$(median covalid-get 3) ngp=$(median nginx-get 3) ccp=$(median covalid-check 3) ncp=$(median nginx-check 3)
cn=$(median covalid-check-new 2) cnp=$(median covalid-check-new 3)
cs=$(median covalid-submit 2) csp=$(median covalid-submit 3) raw=$(median sqlite-insert 2)
echo "bench/api.sh: wrk -t2 -c64, $ROUNDS rounds x ${SECONDS_EACH} s, medians ($(nproc) CPUs)"
printf '  %-44s %10s req/s  p99 %6s ms\n' "GET /api/v1/configurations?guest=rhel" "$cg" "$cgp" \
	"  nginx, static copy ($(wc -c <"$W/www/configurations.json") bytes)" "$ng" "$ngp" \
	"POST /api/v1/check (the same descriptor)" "$cc" "$ccp" \
	"  nginx, static copy ($(wc -c <"$W/www/check.json") bytes)" "$nc" "$ncp" \
	"POST /api/v1/check (a new descriptor each)" "$cn" "$cnp"
awk -v a="$cg" -v b="$ng" -v c="$cc" -v d="$nc" -v e="$cn" -v n="$(wc -c <"$W/descriptor.json")" 'BEGIN {
	printf "  ratio GET   covalid / nginx: %.3f  (bar: >= 0.5)\n", a / b
	printf "  ratio check covalid / nginx: %.3f  (bar: >= 0.5; the same descriptor again: from the cache)\n", c / d
	printf "  ratio check, new descriptors / nginx: %.3f  (every answer computed: parse %d bytes, match, explain)\n", e / d, n }'
echo "durable submissions (wrk -t2 -c4, a ${LOG_BYTES}-byte signed log, first answer: $status):"
printf '  %-44s %10s /s     p99 %6s ms\n' "POST /api/v1/submissions" "$cs" "$csp"
printf '  %-44s %10s /s\n' "raw SQLite, one durable insert a row" "$raw"
awk -v a="$cs" -v b="$raw" 'BEGIN { printf "  ratio submissions / raw inserts: %.3f\n", a / b }'
echo "  (non-2xx answers or socket errors during the runs: $bad)"

echo "bars:"
BAD=
bar() { if [ "$2" = 1 ]; then echo "  [met]    $1"; else echo "  [MISSED] $1"; BAD=1; fi; }
t() { awk "BEGIN { print ($1) ? 1 : 0 }"; }
bar "GET covalid >= 0.5 x nginx: $(awk -v a="$cg" -v b="$ng" 'BEGIN { printf "%.3f", a / b }')" "$(t "$cg >= 0.5 * $ng")"
bar "check covalid >= 0.5 x nginx: $(awk -v a="$cc" -v b="$nc" 'BEGIN { printf "%.3f", a / b }')" "$(t "$cc >= 0.5 * $nc")"
bar "p99 < 5 ms at 64 connections: GET $cgp ms, check $ccp ms (nginx: $ngp, $ncp)" "$(t "$cgp < 5 && $ccp < 5")"
# The log is rejected by the policy on purpose (above): every submission
# is then a durable write; an error instead would measure nothing.
bar "the submissions were written (first answer \"$status\", the policy's rejection)" "$(t "\"$status\" == \"rejected\"")"
bar "durable submissions >= 0.5 x raw durable inserts (issue 14): $(awk -v a="$cs" -v b="$raw" 'BEGIN { printf "%.3f", a / b }')" \
	"$(t "$cs >= 0.5 * $raw")"
bar "no non-2xx answers or socket errors: $bad" "$(t "$bad == 0")"
[ -z "$BAD" ] || { echo "bench/api.sh: bar missed"; exit 1; }
