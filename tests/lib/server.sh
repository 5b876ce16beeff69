# server.sh - start the real `covalid serve` on an ephemeral loopback port
# for a test, and talk to it.  Source after tap.sh.
#
#   program_db DB [TOKEN-FILE]  the seed catalog imported into a new DB, and
#                               the owner's token (default $TMP/owner.token)
#   server_start DB [ARGS...]   sets $URL (https:// with --tls-cert), $HOSTPORT
#                               and $SERVER_PID
#   server_begin DB [ARGS...]   program_db DB, then server_start: the test
#                               "covalid serve starts", or a failed one and
#                               the end of the script
#   api METHOD PATH [BODY-FILE|-] [TOKEN-FILE]
#                               body in $TMP/resp, status echoed
#   raw_http 'BYTES'            sends bytes as they are, prints the status line

program_db() {
	"$COVALID" catalog import --db "$1" "$SRC/data/products.jsonl" "$SRC/data/validated-configs.jsonl" >/dev/null &&
		"$COVALID" admin bootstrap --db "$1" --token-file "${2:-$TMP/owner.token}" >/dev/null
}

server_start() {
	db=$1
	shift
	# Emptied here, not only by the redirection below: that one is the
	# background child's, and a restart's loop could otherwise read the
	# killed server's "listening" line (its old port) before the child
	# truncates the file (t4007 on PostgreSQL, whose server starts slower).
	: >"$TMP/serve.out"
	"$COVALID" serve --db "$db" --listen 127.0.0.1:0 --access-log "$TMP/access.log" "$@" \
		>"$TMP/serve.out" 2>"$TMP/serve.err" &
	SERVER_PID=$!
	i=0
	URL=
	while [ $i -lt 100 ]; do
		URL=$(sed -n 's|^covalid serve: listening on \(https\{0,1\}://[^ ]*\)/$|\1|p' "$TMP/serve.out")
		[ -n "$URL" ] && break
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	HOSTPORT=${URL#*://}
	export URL HOSTPORT SERVER_PID
	[ -n "$URL" ]
}

server_begin() {
	db=$1
	shift
	if program_db "$db" && server_start "$db" "$@"; then
		ok "covalid serve starts ($URL)"
		return 0
	fi
	not_ok "covalid serve starts"
	diag "$(cat "$TMP/serve.err" 2>/dev/null)"
	done_testing
	exit 1
}

server_stop() {
	[ -n "$SERVER_PID" ] || return 0
	kill -TERM "$SERVER_PID" 2>/dev/null
	wait "$SERVER_PID"
	rc=$?
	SERVER_PID=
	return $rc
}

api() {
	method=$1
	path=$2
	body=${3:-}
	token=${4:-}
	set -- -s -o "$TMP/resp" -w '%{http_code}' -X "$method" --max-time 20
	if [ -n "$body" ]; then
		set -- "$@" -H 'Content-Type: application/json' --data-binary "@$body"
	fi
	if [ -n "$token" ]; then
		set -- "$@" -H "Authorization: Bearer $(cat "$token")"
	fi
	curl "$@" "$URL$path"
}

# The error code of the last answer ({"error": {"code"}}).
err_code() { jq -r '.error.code // "none"' "$TMP/resp" 2>/dev/null; }

raw_http() {
	perl -e '
		use IO::Socket::INET;
		my ($hp, $req) = @ARGV;
		$req =~ s/\\r\\n/\r\n/g;
		my $s = IO::Socket::INET->new(PeerAddr => $hp, Timeout => 10) or die "connect: $!";
		# A server that refuses a request before reading it all closes
		# on us mid-write: read its answer (or the close) all the same.
		$SIG{PIPE} = "IGNORE";
		print $s $req;
		$s->shutdown(1);
		local $SIG{ALRM} = sub { print "TIMEOUT\n"; exit 0 };
		alarm 10;
		my $line = <$s>;
		$line =~ s/\r?\n$//;
		print(($line // "CLOSED"), "\n");
	' "$HOSTPORT" "$1"
}
