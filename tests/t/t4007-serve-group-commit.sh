#!/bin/sh
# t4007: group commit (src/server/writer.c) through the real server.
# Many writes sent at once -- signed submissions and notes on a support
# case -- are all answered, and share transactions: the writer's counters
# on /metrics (covalid_write_jobs_total, covalid_write_batches_total) count
# more writes than transactions.  Every acknowledged write survives a
# SIGKILL and a restart.  Writes that fail in a batch (409: the case's
# version they expected is stale) take back only their own work: the
# others of the burst are all there, the failed ones are not, and the
# case's notes, audit events and version agree.
#
# That a failing write shares a transaction with writes that succeed, and
# that a batch which cannot commit keeps nothing and answers every write
# 503, is shown deterministically by tests/unit/test-writer.c; here the
# batches are whatever the server made of the burst.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/server.sh"
. "$(dirname "$0")/../lib/support.sh"
trap 'server_stop >/dev/null 2>&1; rm -rf "$TMP"' EXIT

NOTES=32
SUBS=32
support_begin
O="--server $URL --token-file $TMP/tok/owner"

# ---- a vendor that submits; a policy that rejects every log, so the same
# signed log is recorded anew each time (as bench/api.sh does) ----
echo '{"schema":"covalid.policy/1","modes":["quick","full"],"rules":[{"name":"t4007","guest":"*","hypervisor":"*","required":["t4007.never-run"]}]}' >"$TMP/policy.json"
if "$COVALID" key generate --out "$TMP/v.key" >/dev/null &&
	"$COVALID" admin vendor add "Example Linux" --id example $O >/dev/null &&
	"$COVALID" admin key add example "$TMP/v.key.pub" $O >/dev/null &&
	"$COVALID" admin token issue --vendor example --out "$TMP/tok/vendor" $O >/dev/null &&
	"$COVALID" admin policy set "$TMP/policy.json" $O >/dev/null &&
	{ "$COVALID" kit run --quick --only env --sign "$TMP/v.key" --out "$TMP/log.json" >/dev/null 2>&1 || [ -s "$TMP/log.json" ]; } &&
	[ "$(as cust POST /api/v1/cases "$(open_body microsoft 3 "$TMP/d-validated.json" "group commit")")" = 201 ]; then
	CASE=$(jq -r .id "$TMP/resp")
	ok "a vendor that submits, a signed log, and a case ($CASE)"
else
	not_ok "a vendor that submits, a signed log, and a case"
	diag "$(head -c 300 "$TMP/resp")"
	done_testing
	exit 1
fi

metric() { curl -s "$URL/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }

# burst NAME: sends $TMP/NAME.cfg's transfers all at once (curl --parallel);
# "$TMP/NAME.out" gets a line per transfer: its tag, status and curl's exit status.
# transfer TAG PATH TOKEN BODY-FILE [IF-MATCH]: one transfer's lines for a burst's config.
transfer() {
	printf '%s\n' "url = \"$URL$2\"" "output = \"$TMP/b/$1\"" 'header = "Content-Type: application/json"' \
		"header = \"Authorization: Bearer $(cat "$TMP/tok/$3")\"" "data-binary = \"@$4\"" \
		"write-out = \"$1 %{http_code} %{exitcode}\\n\"" "max-time = 30"
	[ -z "${5:-}" ] || printf '%s\n' "header = \"If-Match: \\\"$5\\\"\""
	echo next
}
burst() {
	sed '$d' "$TMP/$1.cfg" >"$TMP/$1.K" # no "next" after the last
	curl -s --parallel --parallel-immediate --parallel-max 64 -K "$TMP/$1.K" >"$TMP/$1.out" 2>/dev/null
}
mkdir -p "$TMP/b"

# ---- a burst: NOTES notes and SUBS submissions at once ----
i=1
while [ $i -le $NOTES ]; do
	printf '{"visibility": "internal", "body": "burst n%s"}' $i >"$TMP/b/note.$i.req"
	i=$((i + 1))
done
{
	i=1
	while [ $i -le $NOTES ]; do
		transfer "note.$i" "/api/v1/cases/$CASE/notes" ms "$TMP/b/note.$i.req"
		transfer "sub.$i" /api/v1/submissions vendor "$TMP/log.json"
		i=$((i + 1))
	done
} >"$TMP/burst.cfg"
# Batching depends on the writes meeting in the writer's queue, which a
# burst of this size makes all but certain; a burst that happened to be
# written one by one is sent again (at most three in all).
jobs0=$(metric covalid_write_jobs_total)
batches0=$(metric covalid_write_batches_total)
: >"$TMP/acked.notes"
: >"$TMP/acked.subs"
: >"$TMP/other"
tries=0
while :; do
	tries=$((tries + 1))
	burst burst
	while read -r tag code ec; do
		case $tag.$code.$ec in
		note.*.200.0) jq -r .note.body "$TMP/b/$tag" >>"$TMP/acked.notes" ;;
		sub.*.201.0) jq -r 'select(.status == "rejected") | .id' "$TMP/b/$tag" >>"$TMP/acked.subs" ;;
		*) echo "$tag $code $ec $(head -c 200 "$TMP/b/$tag" 2>/dev/null)" >>"$TMP/other" ;;
		esac
	done <"$TMP/burst.out"
	jobs=$(($(metric covalid_write_jobs_total) - jobs0))
	batches=$(($(metric covalid_write_batches_total) - batches0))
	[ "$batches" -lt "$jobs" ] || [ $tries -ge 3 ] && break
done
diag "$tries burst(s) of $NOTES notes and $SUBS submissions: $jobs writes in $batches transactions"
check_eval "every write of the burst answered: notes 200, submissions 201" \
	"[ ! -s '$TMP/other' ] && [ \$(wc -l <'$TMP/acked.notes') -eq $((tries * NOTES)) ] && [ \$(wc -l <'$TMP/acked.subs') -eq $((tries * SUBS)) ]"
[ -s "$TMP/other" ] && diag "other answers: $(head -3 "$TMP/other")"
check "the writes were counted: covalid_write_jobs_total grew by every write ($jobs)" \
	test "$jobs" -ge $((tries * (NOTES + SUBS)))
check "... and they shared transactions: fewer transactions ($batches) than writes ($jobs)" test "$batches" -lt "$jobs"
check "... none lost" test "$(metric covalid_write_batches_lost_total)" = 0

# ---- SIGKILL: every acknowledged write is there after the restart ----
kill -KILL "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null
SERVER_PID=
if server_start "$DB"; then
	ok "the server, killed with SIGKILL, restarts on the same database"
else
	not_ok "the server, killed with SIGKILL, restarts on the same database"
	diag "$(cat "$TMP/serve.err")"
	done_testing
	exit 1
fi
api GET "/api/v1/cases/$CASE/notes?limit=500" "" "$TMP/tok/ms" >/dev/null
jq -r '.items[].body' "$TMP/resp" | sort >"$TMP/there.notes"
sort "$TMP/acked.notes" >"$TMP/acked.notes.sorted"
check "every acknowledged note ($(wc -l <"$TMP/acked.notes")) is there after the kill, once" \
	cmp -s "$TMP/acked.notes.sorted" "$TMP/there.notes"
api GET "/api/v1/submissions?limit=500" "" "$TMP/tok/vendor" >/dev/null
jq -r '.items[].id' "$TMP/resp" | sort >"$TMP/there.subs"
sort "$TMP/acked.subs" >"$TMP/acked.subs.sorted"
check "every acknowledged submission ($(wc -l <"$TMP/acked.subs")) is there after the kill" \
	sh -c "comm -23 '$TMP/acked.subs.sorted' '$TMP/there.subs' | grep -q . && exit 1; exit 0"

# ---- failures in a burst: notes expecting a stale version (409) among
# notes that expect none; only the failed ones are missing ----
as ms GET "/api/v1/cases/$CASE" >/dev/null
V=$(jq -r .version "$TMP/resp")
i=1
while [ $i -le $NOTES ]; do
	printf '{"visibility": "internal", "body": "free n%s"}' $i >"$TMP/b/free.$i.req"
	printf '{"visibility": "internal", "body": "versioned n%s"}' $i >"$TMP/b/versioned.$i.req"
	i=$((i + 1))
done
{
	i=1
	while [ $i -le $NOTES ]; do
		transfer "free.$i" "/api/v1/cases/$CASE/notes" ms "$TMP/b/free.$i.req"
		# Each expects the version read above: the first of them to be
		# written moves it on, so at most one can succeed.
		transfer "versioned.$i" "/api/v1/cases/$CASE/notes" ms "$TMP/b/versioned.$i.req" "$V"
		i=$((i + 1))
	done
} >"$TMP/stale.cfg"
jobs0=$(metric covalid_write_jobs_total)
batches0=$(metric covalid_write_batches_total)
burst stale
jobs=$(($(metric covalid_write_jobs_total) - jobs0))
batches=$(($(metric covalid_write_batches_total) - batches0))
diag "a burst of $NOTES notes and $NOTES expecting version $V: $jobs writes in $batches transactions"
: >"$TMP/acked.stale"
: >"$TMP/refused.stale"
: >"$TMP/other.stale"
while read -r tag code ec; do
	case $tag.$code.$ec in
	*.200.0) jq -r .note.body "$TMP/b/$tag" >>"$TMP/acked.stale" ;;
	versioned.*.409.0) [ "$(jq -r .error.code "$TMP/b/$tag")" = conflict ] && echo "versioned n${tag#versioned.}" >>"$TMP/refused.stale" ;;
	*) echo "$tag $code $ec" >>"$TMP/other.stale" ;;
	esac
done <"$TMP/stale.out"
nfree=$(grep -c '^free ' "$TMP/acked.stale")
nver=$(grep -c '^versioned ' "$TMP/acked.stale")
check_eval "every note that expected no version was written ($nfree of $NOTES)" "[ $nfree -eq $NOTES ]"
check_eval "of those expecting version $V, at most one was written ($nver); the others are 409 conflict ($(wc -l <"$TMP/refused.stale"))" \
	"[ $nver -le 1 ] && [ \$((nver + \$(wc -l <'$TMP/refused.stale'))) -eq $NOTES ] && [ ! -s '$TMP/other.stale' ]"
api GET "/api/v1/cases/$CASE/notes?limit=500" "" "$TMP/tok/ms" >/dev/null
jq -r '.items[].body' "$TMP/resp" | grep -E '^(free|versioned) ' | sort >"$TMP/there.stale"
sort "$TMP/acked.stale" >"$TMP/acked.stale.sorted"
check "the notes there are exactly those written: none of the refused" cmp -s "$TMP/acked.stale.sorted" "$TMP/there.stale"
as ms GET "/api/v1/cases/$CASE" >/dev/null
check_eval "the case's version, audit events and notes agree" \
	"jq -e '.version == (.events | length) and ([.events[] | select(.action == \"note\")] | length) == .notes_total' '$TMP/resp' >/dev/null"
check "a clean stop: exit 0" server_stop
done_testing
