#!/bin/sh
# t4003: crash safety of the server's writes.  Two writers stream durable
# writes at the real server - signed test-log submissions (each log
# distinct, each accepted, each creating or extending its round's
# configuration) and notes on a support case - while the server is killed
# with SIGKILL at a random point, then restarted on the same database.
# After every round's restart, and again at the end for every round:
#
#   - every write the server acknowledged (a 201 or 200 answer received in
#     full: curl's transfer ended with exit status 0) is there, read back
#     through the API;
#   - a write that was not acknowledged may be there or not, but never in
#     part: a submission is there with its configuration and as that
#     configuration's evidence, or not at all; a configuration's limits
#     and evidence list are those of exactly the submissions that are
#     there; a case's notes, audit events and version agree;
#   - PRAGMA integrity_check of the database as the kill left it says ok,
#     and PRAGMA foreign_key_check finds nothing.
#
# What this proves, and what it does not: SIGKILL ends the process, not
# the machine, so whatever the server wrote() is in the kernel's page cache
# and survives, fsync'd or not.  This test therefore cannot tell
# synchronous=FULL from OFF (only a power cut could; see the comment at
# the top of src/store/store-sqlite.c).  It proves that the server answers
# only after its transaction committed, that each write is one
# transaction, and that a killed server restarts on its database.  When
# it was written, two breakages put in on purpose were caught in every
# run: commits deferred behind the answer (every fourth committing the
# three before it) lost acknowledged submissions and notes; the store's
# begin and commit made no-ops (each statement on its own) left
# configurations naming evidence that was not there.
#
# Each writer is one curl process sending its requests back to back on
# one connection, so that the server is inside a write most of the time.
# Round 0 is a rehearsal without a kill that measures how long a round's
# submissions take here; each later round's kill lands at a random point
# in that time after the first submission was answered.  Randomness is
# only in when the kill lands; the seed is printed (diag) and
# CRASH_SEED=N repeats a run's delays.  CRASH_ROUNDS and CRASH_SUBS
# (signed logs per round) scale it; the sanitizer build (COVALID_BUILD
# ending in build-asan) sends fewer per round.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/server.sh"
. "$(dirname "$0")/../lib/support.sh"

WPIDS=
cleanup() {
	for p in $WPIDS; do kill "$p" 2>/dev/null; done
	server_stop >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT

# Round 0 is a rehearsal without a kill: it measures how long a round's
# submissions take on this machine (and build), and the kill of every
# later round lands at a random point within that time.
ROUNDS=${CRASH_ROUNDS:-5}
case "${COVALID_BUILD:-$COVALID}" in
*asan*) SUBS=${CRASH_SUBS:-16} ;;
*) SUBS=${CRASH_SUBS:-24} ;;
esac
# The logs' markers (host, started_at) have room for 9 rounds of 30; a
# configuration's document names its latest 32 logs, which the check of its
# evidence below relies on.
[ "$ROUNDS" -le 9 ] || ROUNDS=9
[ "$SUBS" -le 30 ] || SUBS=30
NOTES=$((3 * SUBS)) # notes are quicker: they outlast the submissions
SEED=${CRASH_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
diag "seed $SEED (CRASH_SEED=$SEED repeats these kill delays), $ROUNDS rounds of $SUBS submissions and $NOTES notes"
mkdir -p "$TMP/w" "$TMP/logs"

# ---- the programme: support_setup's, and a vendor that submits ----
support_begin
O="--server $URL --token-file $TMP/tok/owner"
cat >"$TMP/policy.json" <<'EOF'
{"schema": "covalid.policy/1", "modes": ["quick", "full"],
 "rules": [{"name": "crash", "guest": "*", "hypervisor": "*", "required": ["env.fingerprint"], "may_skip": []}]}
EOF
if "$COVALID" key generate --out "$TMP/vendor.key" >/dev/null &&
	"$COVALID" admin vendor add "Example Linux" --id example $O >/dev/null &&
	"$COVALID" admin key add example "$TMP/vendor.key.pub" $O >/dev/null &&
	"$COVALID" admin token issue --vendor example --out "$TMP/tok/vendor" $O >/dev/null &&
	"$COVALID" admin policy set "$TMP/policy.json" $O >/dev/null; then
	ok "the programme is set up, with a vendor that submits ($URL)"
else
	not_ok "the programme is set up, with a vendor that submits"
	done_testing
	exit 1
fi

# ---- the logs: one kit run, then a distinct signed log per submission ----
# The claim is fixed here, not this machine's (which may be bare metal), and
# the log's descriptor made to agree with it, so that every log is accepted: the rounds' configurations are
# example:kvm-1.R-rhel5.3-x86_64.  Each log has its own host and started_at
# (no two are the same log) and a vCPU count of 1 to 4 (the configuration's
# limits follow the logs it holds).
"$COVALID" kit run --quick --only env --out "$TMP/kit.json" >/dev/null 2>&1
if [ -s "$TMP/kit.json" ] &&
	jq -c --argjson rounds "$ROUNDS" --argjson subs "$SUBS" '
		def two: if . < 10 then "0\(.)" else "\(.)" end;
		del(.signature) as $t
		| range(0; $rounds + 1) as $r | range(1; $subs + 1) as $i
		| $t
		| .host = "crash-r\($r)-s\($i)"
		| .started_at = "2026-01-\($r + 1 | two)T12:00:\($i | two)Z"
		| .claim = {guest: {os_id: "rhel", version: "5.3", osinfo: "rhel5.3", arch: "x86_64"},
			    hypervisor: {id: "kvm", product: "Crash Test KVM", version: "1.\($r)", build: null},
			    vm: {vcpus: ($i % 4 + 1), memory_mib: (1024 * ($i % 3 + 1))}}
		# The program checks a claim against the log'"'"'s own descriptor:
		# make them agree.
		| .descriptor.guest.os += {id: "rhel", version: "5.3", osinfo: "rhel5.3"}
		| .descriptor.guest.arch = "x86_64"
		| .descriptor.hypervisor += {id: "kvm", product: "Crash Test KVM", version: "1.\($r)", build: null}
		| .descriptor.vm += {vcpus: .claim.vm.vcpus, memory_mib: .claim.vm.memory_mib}
		# env.fingerprint passed, as the kit finds it when the hypervisor
		# it probes is the one claimed (a status its measurements
		# contradict is refused, docs/testlog.md).
		| .results |= map(if .id == "env.fingerprint" then .status = "pass" | .reason = null
			| .measured.hypervisor = "kvm" | .measured.product = "Crash Test KVM" else . end)
	' "$TMP/kit.json" >"$TMP/logs/all.jsonl"; then
	r=0
	i=1
	while IFS= read -r line; do
		printf '%s\n' "$line" >"$TMP/logs/u.$r.$i.json"
		i=$((i + 1))
		if [ $i -gt "$SUBS" ]; then
			i=1
			r=$((r + 1))
		fi
	done <"$TMP/logs/all.jsonl"
fi
# Signing is a process per log: two at a time.
sign_half() {
	for u in "$TMP"/logs/u.*.json; do
		n=${u##*/u.}
		n=${n%.json}
		i=${n#*.}
		[ $((i % 2)) -eq "$1" ] || continue
		"$COVALID" kit sign "$u" --key "$TMP/vendor.key" --out "$TMP/logs/s.$n.json" >/dev/null 2>&1 || return 1
	done
}
sign_half 0 &
sp=$!
sign_half 1
s1=$?
wait $sp
s0=$?
nlogs=$(ls "$TMP"/logs/s.*.json 2>/dev/null | wc -l)
if [ "$s0" -eq 0 ] && [ "$s1" -eq 0 ] && [ "$nlogs" -eq $(((ROUNDS + 1) * SUBS)) ]; then
	ok "$nlogs distinct test logs, signed by the vendor's key"
else
	not_ok "$(((ROUNDS + 1) * SUBS)) distinct test logs, signed by the vendor's key (got $nlogs)"
	done_testing
	exit 1
fi

# ---- the writers ----
# A writer is one curl process sending its round's requests one after
# another on one keep-alive connection, so that the server is inside a
# write most of the time and a kill lands inside one more often than not.
# When the server is gone, the rest fail at once (connection refused).
# curl writes a line per request: its number, the status, and curl's exit
# status for that transfer; after curl has exited, a request counts as
# acknowledged when its transfer ended with exit status 0 (the whole
# answer received), the expected status, and an answer naming the write.
burst_cfg() {	# KIND ROUND PATH TOKEN FROM TO: $TMP/w/KIND.ROUND.FROM.cfg
	tok=$(cat "$TMP/tok/$4")
	i=$5
	while [ $i -le "$6" ]; do
		if [ "$1" = sub ]; then body=$TMP/logs/s.$2.$i.json; else body=$TMP/w/note.$2.$i.req; fi
		[ $i -gt "$5" ] && echo next
		printf '%s\n' "url = \"$URL$3\"" silent "max-time = 10" "output = \"$TMP/w/$1.$2.$i\"" \
			'header = "Content-Type: application/json"' "header = \"Authorization: Bearer $tok\"" \
			"data-binary = \"@$body\"" "write-out = \"$i %{http_code} %{exitcode}\\n\""
		i=$((i + 1))
	done >"$TMP/w/$1.$2.$5.cfg"
}
burst() {	# KIND ROUND FROM: runs the requests; $TMP/w/KIND.ROUND.{out,I}, the time taken in .FROM.time
	t=$(now)
	curl -K "$TMP/w/$1.$2.$3.cfg" >>"$TMP/w/$1.$2.out" 2>/dev/null
	echo "$t $(now)" >"$TMP/w/$1.$2.$3.time"
}
# After a burst: the acknowledged writes ($TMP/acked.KIND.ROUND), and how
# the burst ended ($TMP/how.KIND.ROUND).
collect() {	# KIND ROUND
	: >"$TMP/acked.$1.$2"
	answered=0
	first_fail=
	while read -r i code ec; do
		f=$TMP/w/$1.$2.$i
		if [ "$ec" != 0 ]; then
			[ -n "$first_fail" ] || first_fail=$ec
			continue
		fi
		answered=$((answered + 1))
		case $1.$code in
		sub.201)
			id=$(jq -r 'select(.status == "accepted") | .id' "$f" 2>/dev/null)
			[ -n "$id" ] && echo "$id crash-r$2-s$i" >>"$TMP/acked.$1.$2"
			;;
		note.200 | note.201)
			grep -qF "\"crash r$2 n$i\"" "$f" && echo "crash r$2 n$i" >>"$TMP/acked.$1.$2"
			;;
		*) echo "$1 $i: $code $(head -c 300 "$f")" >>"$TMP/unexpected.$2" ;;
		esac
	done <"$TMP/w/$1.$2.out"
	case $first_fail in
	'') how="none cut" ;;
	7) how="then refused (the server was gone)" ;;
	52 | 56) how="then one cut in flight (curl exit $first_fail), the rest refused" ;;
	*) how="then failures (curl exit $first_fail)" ;;
	esac
	echo "$(wc -l <"$TMP/acked.$1.$2") acknowledged, $answered answered, $how" >"$TMP/how.$1.$2"
}
# A round: the notes start; the first submission is sent and answered;
# then the other submissions start and, in a round with a kill, the kill
# is set off DELAY seconds later.  Then everything is collected.
round_writes() {	# ROUND DELAY|none
	i=1
	while [ $i -le "$NOTES" ]; do
		printf '{"visibility": "internal", "body": "crash r%s n%s"}' "$1" $i >"$TMP/w/note.$1.$i.req"
		i=$((i + 1))
	done
	burst_cfg note "$1" "/api/v1/cases/$(cat "$TMP/case.$1")/notes" ms 1 "$NOTES"
	burst_cfg sub "$1" /api/v1/submissions vendor 1 1
	burst_cfg sub "$1" /api/v1/submissions vendor 2 "$SUBS"
	: >"$TMP/w/sub.$1.out"
	: >"$TMP/w/note.$1.out"
	burst note "$1" 1 &
	W2=$!
	WPIDS=$W2
	burst sub "$1" 1
	KILLER=
	if [ "$2" != none ]; then
		(sleep "$2" && kill -KILL "$SERVER_PID") &
		KILLER=$!
	fi
	burst sub "$1" 2 &
	W1=$!
	WPIDS="$W1 $W2 $KILLER"
	if [ -n "$KILLER" ]; then
		wait $KILLER
		wait "$SERVER_PID" 2>/dev/null
		SERVER_PID=
	fi
	wait $W1 $W2
	WPIDS=
	collect sub "$1"
	collect note "$1"
}
now() { date +%s.%N; }

CFG_PREFIX=example:kvm-1.
CFG_SUFFIX=-rhel5.3-x86_64

# ---- checks after a restart, of round R (reads $TMP/subs.json) ----
# Every acknowledged submission of the round is there, accepted, and is a
# test log of the round's configuration with the host it was sent with.
acked_subs_there() {	# ROUND
	jq -e --slurpfile s "$TMP/subs.json" --slurpfile a "$TMP/ack.$1.json" --arg cfg "$CFG_PREFIX$1$CFG_SUFFIX" '
		[.test_logs[]? | {id: .submission, host}] as $logs
		| all($a[0][]; . as $x | ($logs | index([$x])) != null
			and ([$s[0].items[] | select(.id == $x.id and .status == "accepted" and .configuration == $cfg)] | length) == 1)
	' "$TMP/cfg.$1.json" >/dev/null && return 0
	diag "missing: $(jq -c --slurpfile c "$TMP/cfg.$1.json" '[.[] | select(.id as $i | [$c[0].test_logs[]?.submission] | index($i) | not)]' "$TMP/ack.$1.json")"
	return 1
}
# The configuration and the submissions there agree: its evidence is
# exactly the round's submissions there, its limits are their claims'.
config_whole() {	# ROUND
	jq -e --slurpfile s "$TMP/subs.json" --arg cfg "$CFG_PREFIX$1$CFG_SUFFIX" --argjson R "$1" --argjson subs "$SUBS" '
		.configuration as $c | [.test_logs[]] as $t
		| [$s[0].items[] | select(.configuration == $cfg) | .id] as $there
		| ($t | length) > 0
		and ($c.evidence | sort) == ([$t[].submission] | sort)
		and ($there | sort) == ([$t[].submission] | sort)
		and ([$t[].host] | unique | length) == ($t | length)
		and all($t[]; .host | test("^crash-r\($R)-s[0-9]+$"))
		and all($t[]; .host | ltrimstr("crash-r\($R)-s") | tonumber | . >= 1 and . <= $subs)
		and ($c.limits.allowed_vcpus | sort) == ([$t[].claim.vm.vcpus] | unique)
		and $c.limits.max_vcpus == ([$t[].claim.vm.vcpus] | max)
		and $c.limits.max_memory_mib == ([$t[].claim.vm.memory_mib] | max)
		and $c.validated_by == ["Example Linux"] and $c.status == "validated"
	' "$TMP/cfg.$1.json" >/dev/null && return 0
	diag "the configuration's evidence: $(jq -c '.configuration.evidence | sort' "$TMP/cfg.$1.json" 2>/dev/null)" \
		"its test logs: $(jq -c '[.test_logs[]?.submission] | sort' "$TMP/cfg.$1.json" 2>/dev/null)"
	return 1
}
# No configuration of the round: then nothing of it was acknowledged and
# no submission of it is there.
config_none() {	# ROUND
	jq -e -n --slurpfile s "$TMP/subs.json" --slurpfile a "$TMP/ack.$1.json" --arg cfg "$CFG_PREFIX$1$CFG_SUFFIX" \
		'($a[0] | length) == 0 and ([$s[0].items[] | select(.configuration == $cfg)] | length) == 0' >/dev/null
}
acked_notes_there() {	# ROUND
	jq -e --slurpfile a "$TMP/acknote.$1.json" '
		[.notes[].body] as $b | all($a[0][]; . as $x | ($b | map(select(. == $x)) | length) == 1)
	' "$TMP/case.$1.json" >/dev/null && return 0
	diag "missing: $(jq -c --slurpfile c "$TMP/case.$1.json" '[.[] | select(. as $x | [$c[0].notes[]?.body] | index($x) | not)]' "$TMP/acknote.$1.json")"
	return 1
}
# The case's notes are the round's, each once, numbered without gaps, each
# with its audit event; the version counts the events.
case_whole() {	# ROUND
	jq -e --argjson R "$1" --argjson max "$NOTES" '
		[.notes[]] as $n
		| ([$n[].body] | unique | length) == ($n | length)
		and all($n[]; .body | test("^crash r\($R) n[0-9]+$"))
		and all($n[]; .body | ltrimstr("crash r\($R) n") | tonumber | . >= 1 and . <= $max)
		and [$n[].id] == [range(1; ($n | length) + 1) | "note_\(.)"]
		and [.events[] | select(.action == "note") | .detail.note] == [$n[].id]
		and [.events[].seq] == [range(1; (.events | length) + 1)]
		and .version == (.events | length)
	' "$TMP/case.$1.json" >/dev/null
}

subs_all_ours() {
	jq -e '.items | length > 0 and all(.[]; .status == "accepted" and .vendor == "example"
		and (.configuration | test("^example:kvm-1\\.[0-9]-rhel5\\.3-x86_64$")))' "$TMP/subs.json" >/dev/null
}
vendor_configs_match() {
	jq -e -n --slurpfile v "$TMP/vendor-configs.json" --slurpfile s "$TMP/subs.json" \
		'([$v[0].items[].id] | sort) == ([$s[0].items[].configuration] | unique)' >/dev/null
}

verify_round() {	# ROUND LABEL
	R=$1
	touch "$TMP/acked.sub.$R" "$TMP/acked.note.$R"
	jq -R -s 'split("\n") | map(select(length > 0) | split(" ") | {id: .[0], host: .[1]})' "$TMP/acked.sub.$R" >"$TMP/ack.$R.json"
	jq -R -s 'split("\n") | map(select(length > 0))' "$TMP/acked.note.$R" >"$TMP/acknote.$R.json"
	nsub=$(jq length "$TMP/ack.$R.json")
	nnote=$(jq length "$TMP/acknote.$R.json")
	code=$(api GET "/api/v1/configurations/$CFG_PREFIX$R$CFG_SUFFIX" "" "$TMP/tok/vendor")
	cp "$TMP/resp" "$TMP/cfg.$R.json"
	if [ "$code" = 200 ]; then
		check "$2: every acknowledged submission ($nsub) is there, as evidence of the round's configuration" acked_subs_there "$R"
		check "$2: nothing half-written: the configuration's evidence and limits are those of the submissions there" config_whole "$R"
	else
		check "$2: no configuration: no submission of the round is there, and none was acknowledged" config_none "$R"
	fi
	code=$(api GET "/api/v1/cases/$(cat "$TMP/case.$R")" "" "$TMP/tok/ms")
	cp "$TMP/resp" "$TMP/case.$R.json"
	check "$2: the case is there (200)" test "$code" = 200
	# A case's view holds its first notes; all of them (NOTES <= 500) come
	# from its notes, one page.
	api GET "/api/v1/cases/$(cat "$TMP/case.$R")/notes?limit=500" "" "$TMP/tok/ms" >/dev/null
	jq --slurpfile p "$TMP/resp" '.notes = $p[0].items' "$TMP/case.$R.json" >"$TMP/case.$R.all" &&
		mv "$TMP/case.$R.all" "$TMP/case.$R.json"
	check "$2: every acknowledged note ($nnote) is there, once" acked_notes_there "$R"
	check "$2: nothing half-written: the case's notes, audit events and version agree" case_whole "$R"
}

# Integrity of the database files as the kill left them: a copy (without
# the -shm index, which SQLite rebuilds), so that the server restarts on
# exactly what the crash left.
integrity() {	# LABEL
	rm -rf "$TMP/snap"
	mkdir "$TMP/snap"
	cp "$DB" "$TMP/snap/db"
	[ -e "$DB-wal" ] && cp "$DB-wal" "$TMP/snap/db-wal"
	if ! command -v sqlite3 >/dev/null 2>&1; then
		skip "$1: PRAGMA integrity_check" "no sqlite3 command (scripts/setup.sh installs it)"
		return
	fi
	ic=$(sqlite3 "$TMP/snap/db" 'PRAGMA integrity_check; PRAGMA foreign_key_check;' 2>&1)
	if [ "$ic" = ok ]; then
		ok "$1: PRAGMA integrity_check: ok, foreign_key_check: nothing"
	else
		not_ok "$1: PRAGMA integrity_check: ok, foreign_key_check: nothing"
		diag "$ic"
	fi
}

# ---- the rounds ----
open_case() {	# ROUND
	[ "$(as cust POST /api/v1/cases "$(open_body microsoft 3 "$TMP/d-validated.json" "crash round $1")")" = 201 ] &&
		jq -r .id "$TMP/resp" >"$TMP/case.$1"
}
list_subs() {
	if [ "$(api GET "/api/v1/submissions?limit=500" "" "$TMP/tok/vendor")" = 200 ]; then
		cp "$TMP/resp" "$TMP/subs.json"
	else
		echo '{"items": []}' >"$TMP/subs.json"
	fi
}

# Round 0: the rehearsal.
if ! open_case 0; then
	not_ok "round 0: a case is opened"
	diag "$(head -c 500 "$TMP/resp")"
	done_testing
	exit 1
fi
round_writes 0 none
diag "round 0 (no kill): submissions: $(cat "$TMP/how.sub.0"); notes: $(cat "$TMP/how.note.0")"
check "round 0, without a kill: every write acknowledged" \
	test "$(wc -l <"$TMP/acked.sub.0") $(wc -l <"$TMP/acked.note.0")" = "$SUBS $NOTES"
# The kill lands within the time a round's submissions (after the first)
# take, less a margin for starting sleep.
took=$(awk '{ printf "%.3f", $2 - $1 }' "$TMP/w/sub.0.2.time")
KILL_MAX=$(awk -v d="$took" 'BEGIN { d = d * 0.8; printf "%.3f", d < 0.05 ? 0.05 : d }')
diag "round 0: the submissions took $took s: the kills land within $KILL_MAX s"
# The delays, one a round, from the seed.
awk -v s="$SEED" -v n="$ROUNDS" -v m="$KILL_MAX" 'BEGIN { srand(s); for (i = 1; i <= n; i++) printf "%.3f\n", rand() * m }' >"$TMP/delays"
list_subs
verify_round 0 "round 0"

r=1
while [ $r -le "$ROUNDS" ]; do
	if ! open_case $r; then
		not_ok "round $r: a case is opened"
		diag "$(head -c 500 "$TMP/resp")"
		break
	fi
	delay=$(sed -n "${r}p" "$TMP/delays")
	round_writes $r "$delay"
	diag "round $r: killed $delay s after the first submission's answer;" \
		"  submissions: $(cat "$TMP/how.sub.$r")" "  notes: $(cat "$TMP/how.note.$r")"
	[ -s "$TMP/unexpected.$r" ] && diag "round $r: other answers:" "$(head -5 "$TMP/unexpected.$r")"
	check "round $r: the first submission was acknowledged before the kill" grep -q " crash-r$r-s1\$" "$TMP/acked.sub.$r"
	integrity "round $r: the killed server's database"
	if server_start "$DB"; then
		ok "round $r: the server restarts on the same database"
	else
		not_ok "round $r: the server restarts on the same database"
		diag "$(cat "$TMP/serve.err")"
		break
	fi
	list_subs
	verify_round "$r" "round $r"
	r=$((r + 1))
done

# ---- at the end: a clean stop, and everything of every round still there ----
last=$((r - 1))
check "a clean stop (SIGTERM) after the last restart: exit 0" server_stop
integrity "after the clean stop"
if server_start "$DB"; then
	ok "the server starts again"
	list_subs
	check "every submission there is one of this test's, accepted, with its round's configuration" subs_all_ours
	api GET /api/v1/vendors/example/configurations >/dev/null
	cp "$TMP/resp" "$TMP/vendor-configs.json"
	check "the vendor's configurations are those of the submissions there" vendor_configs_match
	k=0
	while [ $k -le "$last" ]; do
		verify_round "$k" "at the end, round $k"
		k=$((k + 1))
	done
else
	not_ok "the server starts again"
	diag "$(cat "$TMP/serve.err")"
fi
done_testing
