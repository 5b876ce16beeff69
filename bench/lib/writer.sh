# bench/lib/writer.sh - sourced by bench/api.sh: a vendor whose submissions
# the server accepts, every one a write to the catalog, at a steady rate.
#
# An accepted test log is evidence once (a replay is 409), so every
# submission is another log: the kit's log of this machine (kit run --quick
# --only env,cpu), with claim.vm.memory_mib stepped through what the claim
# may say of the descriptor's memory (90 to 100 %, claim.c) and duration_s
# stepped by a microsecond, each signed again.  Each is accepted as the
# same configuration extended (submit.c: evidence added, limits raised):
# a catalog write that bumps the generation every time.  The kit's claim
# must name a hypervisor (on bare metal the program rejects every log).
#
#   writer_pool N      makes sure $POOL (default $BUILD/bench/writer-logs)
#                      holds the signed logs 1.json .. N.json and the key
#                      that signed them (writer.key); made once, grown when
#                      more are asked for.  Remove the directory after a
#                      change to the log's format.
#   writer_setup       on the server at $URL ($O: the owner's options): the
#                      vendor "writer" with the pool's key and a token, and
#                      a policy that accepts the pool's logs (quick mode,
#                      env.fingerprint passed).  The next log is 1.
#   writer_start COUNT RATE OUT
#                      submits the next COUNT logs (rounded up to a
#                      multiple of WRITER_STREAMS), RATE a second, in the
#                      background: WRITER_STREAMS (default 8) curl processes,
#                      each one connection at RATE / WRITER_STREAMS a second
#                      (curl --rate), their starts spaced 1 / RATE apart.  A
#                      stream sends its next log when its last was answered
#                      and its interval is up, so the rate holds while an
#                      answer takes up to WRITER_STREAMS / RATE s; a slower
#                      server gets fewer (which the rate achieved says).
#                      RATE x 60 must be a multiple of WRITER_STREAMS.
#   writer_wait OUT    waits for it; the answers, a line each, in OUT; sets
#                      WRITER_ACCEPTED, WRITER_LOST (submissions that got
#                      no answer: the connection refused or cut) and
#                      WRITER_RATE (the sum of the streams' rates, each its
#                      accepted submissions less one over the time from its
#                      first's start to its last's); fails, showing the
#                      answer, when one was answered but not accepted.
#   writer_stop        stops a writer that runs (for a bench's cleanup).
#   writer_one         submits the next log and waits for its answer;
#                      fails unless it was accepted.
POOL=${POOL:-$BUILD/bench/writer-logs}
WRITER_STREAMS=${WRITER_STREAMS:-8}
WRITER_PIDS=
WRITER_OUT=

writer_pool() {
	mkdir -p "$POOL"
	[ -s "$POOL/writer.key" ] || "$COVALID" key generate --out "$POOL/writer.key" >/dev/null
	if [ ! -s "$POOL/base.json" ]; then
		"$COVALID" kit run --quick --only env,cpu --out "$POOL/base.json.tmp" >/dev/null 2>&1 || true
		jq -e '.claim.hypervisor.id | . != null and . != "none" and . != "unknown"' "$POOL/base.json.tmp" >/dev/null ||
			{ echo "$0: the kit names no hypervisor here: the program accepts no log of this machine" >&2; exit 2; }
		mv "$POOL/base.json.tmp" "$POOL/base.json"
	fi
	have=0
	while [ -s "$POOL/$((have + 1)).json" ]; do have=$((have + 1)); done
	[ "$have" -lt "$1" ] || return 0
	echo "$0: signing test logs $((have + 1))..$1 for the writer (kept in $POOL)" >&2
	jq -r --argjson from "$((have + 1))" --argjson to "$1" '
		. as $log | ($log.descriptor.vm.memory_mib // 0) as $mem | ([($mem / 9 | floor), 1] | max) as $span |
		range($from; $to + 1) as $n |
		$log | .duration_s = 0.5 + $n / 1000000 |
		if ($mem > 0) then .claim.vm.memory_mib = $mem + ($n % $span) else . end |
		"\($n)\t\(tojson)"' "$POOL/base.json" |
		awk -F '\t' -v dir="$POOL" '{ f = dir "/" $1 ".json.tmp"; print $2 >f; close(f) }'
	seq "$((have + 1))" "$1" | xargs -P "$(nproc)" -I @ sh -c \
		'"$0" kit sign "$1/@.json.tmp" --key "$1/writer.key" >/dev/null && mv "$1/@.json.tmp" "$1/@.json"' \
		"$COVALID" "$POOL"
	[ -s "$POOL/$1.json" ] || { echo "$0: signing the writer's logs failed" >&2; exit 1; }
}

writer_setup() {
	"$COVALID" admin vendor add "Bench Writer" --id writer $O >/dev/null
	"$COVALID" admin key add writer "$POOL/writer.key.pub" $O >/dev/null
	"$COVALID" admin token issue --vendor writer --out "$W/writer.token" $O >/dev/null
	echo '{"schema":"covalid.policy/1","modes":["quick","full"],"rules":[{"name":"bench-writer","guest":"*","hypervisor":"*","required":["env.fingerprint"]}]}' \
		>"$W/writer-policy.json"
	"$COVALID" admin policy set "$W/writer-policy.json" $O >/dev/null
	WRITER_NEXT=1
}

writer_start() {
	WRITER_PIDS=
	WRITER_OUT=$3
	rm -f "$3".*
	per=$((($1 + WRITER_STREAMS - 1) / WRITER_STREAMS))
	ws=0
	while [ $ws -lt "$WRITER_STREAMS" ]; do
		{
			wk=0
			while [ $wk -lt $per ]; do
				[ -s "$POOL/$((WRITER_NEXT + wk)).json" ] || { echo "$0: writer: no log $((WRITER_NEXT + wk)) in $POOL" >&2; exit 1; }
				printf 'url = "%s/api/v1/submissions"\nheader = "Content-Type: application/json"\n' "$URL"
				printf 'header = "Authorization: Bearer %s"\ndata-binary = "@%s/%d.json"\n' "$(cat "$W/writer.token")" "$POOL" $((WRITER_NEXT + wk))
				printf 'write-out = " %%{http_code} %%{time_total}\\n"\nsilent\nshow-error\n'
				wk=$((wk + 1))
				if [ $wk -lt $per ]; then echo next; fi
			done
		} >"$3.$ws.curl"
		WRITER_NEXT=$((WRITER_NEXT + per))
		# Stream ws starts ws / RATE s after the first: the streams' starts
		# interleave, evenly spaced.
		(
			# Not the bench's traps nor its set -e: a stream that ends is
			# not the bench ending (its EXIT trap would clean up under it).
			trap - EXIT INT TERM HUP PIPE
			set +e
			sleep "$(awk -v k=$ws -v r="$2" 'BEGIN { print k / r }')"
			date +%s.%N >"$3.$ws.start"
			curl --rate "$(($2 * 60 / WRITER_STREAMS))/m" -K "$3.$ws.curl" >"$3.$ws" 2>"$3.$ws.err" &
			echo $! >"$3.$ws.pid"
			wait $!
			date +%s.%N >"$3.$ws.end"
		) &
		WRITER_PIDS="$WRITER_PIDS $!"
		ws=$((ws + 1))
	done
}

writer_stop() {
	[ -n "$WRITER_PIDS" ] || return 0
	for p in $WRITER_PIDS; do kill -TERM "$p" 2>/dev/null || true; done
	for f in "$WRITER_OUT".*.pid; do if [ -s "$f" ]; then kill -TERM "$(cat "$f")" 2>/dev/null || true; fi; done
	for p in $WRITER_PIDS; do wait "$p" 2>/dev/null || true; done
	WRITER_PIDS=
}

writer_wait() {
	for p in $WRITER_PIDS; do wait "$p" || true; done
	WRITER_PIDS=
	ws=0
	while [ $ws -lt "$WRITER_STREAMS" ]; do cat "$1.$ws"; ws=$((ws + 1)); done >"$1"
	# A line " 000 TIME" is a submission that got no answer (the connection
	# refused or cut: an overloaded server); any other is an answer.
	WRITER_LOST=$(awk '$(NF - 1) == "000"' "$1" | grep -c . || true)
	all=$(grep -c . "$1" || true)
	WRITER_ACCEPTED=$(grep -c '"status":"accepted"' "$1" || true)
	if [ "$((all - WRITER_LOST))" != "$WRITER_ACCEPTED" ]; then
		echo "$0: the writer's submissions were not all accepted ($WRITER_ACCEPTED of $all, $WRITER_LOST unanswered); the first other answer:" >&2
		awk '$(NF - 1) != "000"' "$1" | grep -v '"status":"accepted"' | head -1 >&2
		cat "$1".*.err >&2
		exit 1
	fi
	# Each stream's rate: its accepted submissions less one over the time
	# from its first's start to its last's (its run less the last one's
	# time_total).
	WRITER_RATE=$(ws=0; while [ $ws -lt "$WRITER_STREAMS" ]; do
		awk -v a="$(cat "$1.$ws.start")" -v b="$(cat "$1.$ws.end")" \
			'/"status":"accepted"/ { n++ } { last = $NF } END { print (n > 1) ? (n - 1) / (b - a - last) : 0 }' "$1.$ws"
		ws=$((ws + 1))
	done | awk '{ s += $1 } END { printf "%.2f", s }')
}

writer_one() {
	a=$(curl -s -H 'Content-Type: application/json' -H "Authorization: Bearer $(cat "$W/writer.token")" \
		--data-binary "@$POOL/$WRITER_NEXT.json" "$URL/api/v1/submissions")
	WRITER_NEXT=$((WRITER_NEXT + 1))
	case $a in
	*'"status":"accepted"'*) ;;
	*) echo "$0: a submission was not accepted: $a" >&2; exit 1 ;;
	esac
}
