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
#                      submits the next COUNT logs, RATE a second (curl
#                      --rate, one connection, one at a time), in the
#                      background (WRITER_PID), each answer a line in OUT.
#   writer_wait OUT    waits for it; sets WRITER_SECONDS (from the first
#                      submission's start to the last's) and WRITER_ACCEPTED
#                      (the accepted ones, less one: the rate is their
#                      quotient); fails, showing the answer, unless every
#                      submission was accepted.
#   writer_one         submits the next log and waits for its answer;
#                      fails unless it was accepted.
POOL=${POOL:-$BUILD/bench/writer-logs}

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
	{
		wk=0
		while [ $wk -lt "$1" ]; do
			[ -s "$POOL/$((WRITER_NEXT + wk)).json" ] || { echo "$0: writer: no log $((WRITER_NEXT + wk)) in $POOL" >&2; exit 1; }
			printf 'url = "%s/api/v1/submissions"\nheader = "Content-Type: application/json"\n' "$URL"
			printf 'header = "Authorization: Bearer %s"\ndata-binary = "@%s/%d.json"\n' "$(cat "$W/writer.token")" "$POOL" $((WRITER_NEXT + wk))
			printf 'write-out = " %%{http_code} %%{time_total}\\n"\nsilent\n'
			wk=$((wk + 1))
			if [ $wk -lt "$1" ]; then echo next; fi
		done
	} >"$3.curl"
	WRITER_NEXT=$((WRITER_NEXT + $1))
	WRITER_T0=$(date +%s.%N)
	curl --rate "$2/s" -K "$3.curl" >"$3" 2>"$3.err" &
	WRITER_PID=$!
}

writer_wait() {
	wait "$WRITER_PID" || true
	WRITER_PID=
	WRITER_ACCEPTED=$(grep -c '"status":"accepted"' "$1" || true)
	# From the first submission's start to the last's: the run less the
	# last one's time (curl's time_total), over which one fewer were sent.
	WRITER_SECONDS=$(awk -v a="$WRITER_T0" -v b="$(date +%s.%N)" -v last="$(tail -1 "$1" | awk '{ print $NF }')" \
		'BEGIN { printf "%.3f", b - a - last }')
	if [ "$(grep -c . "$1")" != "$WRITER_ACCEPTED" ] || [ "$WRITER_ACCEPTED" -lt 2 ]; then
		echo "$0: the writer's submissions were not all accepted ($WRITER_ACCEPTED of $(grep -c . "$1")); the first other answer:" >&2
		grep -v '"status":"accepted"' "$1" | head -1 >&2
		cat "$1.err" >&2
		exit 1
	fi
	WRITER_ACCEPTED=$((WRITER_ACCEPTED - 1))
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
