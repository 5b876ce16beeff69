# bench/lib/serve.sh - sourced by the benches that start `covalid serve`:
# serve_start [ARGS...] starts it on $W/db (durable: the default), on a
# free loopback port, with an access log and ARGS, and sets SERVER_PID
# (for the bench's cleanup), URL and O (the owner's options, with the
# token in $W/owner.token).  Exits naming the bench if it does not start.
# SERVE_DB: another database location (a postgresql:// URI: bench/scale.sh);
# SERVE_TAG: names the node's files ($W/serve$SERVE_TAG.out ...), for
# several servers in one $W.
serve_start() {
	: >"$W/serve${SERVE_TAG:-}.out" # a restart's old line is not read (tests/lib/server.sh)
	"$COVALID" serve --db "${SERVE_DB:-$W/db}" --listen 127.0.0.1:0 --access-log "$W/access${SERVE_TAG:-}.log" "$@" \
		>"$W/serve${SERVE_TAG:-}.out" 2>"$W/serve${SERVE_TAG:-}.err" &
	SERVER_PID=$!
	i=0
	while ! grep -q listening "$W/serve${SERVE_TAG:-}.out" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	URL=$(sed -n 's|^covalid serve: listening on \(http://[^ ]*\)/$|\1|p' "$W/serve${SERVE_TAG:-}.out")
	[ -n "$URL" ] || { echo "$0: the server did not start: $(cat "$W/serve${SERVE_TAG:-}.err")" >&2; exit 1; }
	O="--server $URL --token-file $W/owner.token"
}
