# support.sh - a support programme on a real server for the t6xxx tests:
# the seed catalog, Microsoft and Red Hat, customers Contoso (a Red Hat
# subscription for RHEL 5.2/5.3 guests, willing to buy per-call support
# from Microsoft) and Fabrikam (no agreements), and a user of every role.
# Source after tap.sh and server.sh; then support_begin (support_setup,
# or a failed test and the end of the script when it cannot be set up).
#
#   $TMP/tok/{owner,cust,fab,ms,msmgr,rh,rhmgr}   the users' token files
#   $TMP/d-validated.json   RHEL 5.3 x64, 1 vCPU, Windows Server 2008 Hyper-V
#   $TMP/d-2vcpu.json       the same with 2 vCPUs (not validated)
#   as USER METHOD PATH [BODY-JSON]   one API call as that user: status echoed, body in $TMP/resp
#   j JQ-ARGS...   jq -e on that body: true when the filter holds

j() { jq -e "$@" "$TMP/resp" >/dev/null; }

support_begin() {
	support_setup "$@" && return 0
	not_ok "the support programme is set up (server, vendors, customers, users, agreements)"
	diag "$(cat "$TMP/serve.err" 2>/dev/null)"
	done_testing
	exit 1
}

support_setup() {
	DB="$TMP/support.db"
	mkdir -p "$TMP/tok"
	program_db "$DB" "$TMP/tok/owner" || return 1
	server_start "$DB" "$@" || return 1
	O="--server $URL --token-file $TMP/tok/owner"
	"$COVALID" admin vendor add Microsoft $O >/dev/null &&
		"$COVALID" admin vendor add "Red Hat" $O >/dev/null &&
		"$COVALID" admin customer add Contoso --id contoso $O >/dev/null &&
		"$COVALID" admin customer add Fabrikam --id fabrikam $O >/dev/null &&
		"$COVALID" admin user add "Carol (Contoso IT)" --role customer-admin --customer contoso --out "$TMP/tok/cust" $O >/dev/null &&
		"$COVALID" admin user add "Fay (Fabrikam IT)" --role customer-admin --customer fabrikam --out "$TMP/tok/fab" $O >/dev/null &&
		"$COVALID" admin user add "Mike (Microsoft)" --role vendor-engineer --vendor microsoft --out "$TMP/tok/ms" $O >/dev/null &&
		"$COVALID" admin user add "Mona (Microsoft)" --role vendor-manager --vendor microsoft --out "$TMP/tok/msmgr" $O >/dev/null &&
		"$COVALID" admin user add "Rita (Red Hat)" --role vendor-engineer --vendor red-hat --out "$TMP/tok/rh" $O >/dev/null &&
		"$COVALID" admin user add "Ron (Red Hat)" --role vendor-manager --vendor red-hat --out "$TMP/tok/rhmgr" $O >/dev/null ||
		return 1
	cat >"$TMP/agr-rh.json" <<'EOF'
{"id": "contoso-rhel-sub", "customer": "contoso", "vendor": "red-hat", "kind": "subscription", "level": "premium",
 "valid_from": "2009-01-01", "valid_to": "2030-12-31", "covers": [{"guest": "rhel", "versions": ["5.2", "5.3"]}]}
EOF
	cat >"$TMP/agr-ms.json" <<'EOF'
{"id": "contoso-ms-percall", "customer": "contoso", "vendor": "microsoft", "kind": "per-call",
 "valid_from": "2009-01-01", "valid_to": "2030-12-31"}
EOF
	"$COVALID" admin agreement add "$TMP/agr-rh.json" $O >/dev/null &&
		"$COVALID" admin agreement add "$TMP/agr-ms.json" $O >/dev/null || return 1
	"$COVALID" probe --json --root "$SRC/tests/fixtures/hyperv2008-rhel53/root" >"$TMP/d-validated.json" &&
		"$COVALID" probe --json --root "$SRC/tests/fixtures/hyperv2008-rhel53-2vcpu/root" >"$TMP/d-2vcpu.json"
}

as() {
	user=$1
	method=$2
	path=$3
	body=${4:-}
	if [ -n "$body" ]; then
		printf '%s' "$body" >"$TMP/req.json"
		api "$method" "$path" "$TMP/req.json" "$TMP/tok/$user"
	else
		api "$method" "$path" "" "$TMP/tok/$user"
	fi
}

# as_n N USER METHOD PATH BODY: as `as`, with its own files ($TMP/as.N.*), for calls at once.
as_n() {
	printf '%s' "$5" >"$TMP/as.$1.req"
	curl -s -o "$TMP/as.$1.resp" -w '%{http_code}' -X "$3" --max-time 20 -H 'Content-Type: application/json' \
		-H "Authorization: Bearer $(cat "$TMP/tok/$2")" --data-binary "@$TMP/as.$1.req" "$URL$4"
}

# A case-opening body: open_body VENDOR SEVERITY DESCRIPTOR-FILE TITLE
open_body() {
	jq -c -n --arg v "$1" --argjson s "$2" --slurpfile d "$3" --arg t "$4" \
		'{vendor: $v, severity: $s, title: $t, description: ("the guest hangs at boot: " + $t), descriptor: $d[0]}'
}
