#!/bin/sh
# t3001: `covalid catalog`: the seed imports, lists, filters, shows and
# exports; bad files abort with FILE:LINE and leave the database as it was.
. "$(dirname "$0")/../lib/tap.sh"

DB="$TMP/c.db"
export COVALID_DB="$DB"
seed_products="$SRC/data/products.jsonl"
seed_configs="$SRC/data/validated-configs.jsonl"

expect_exit 0 "import the seed" "$COVALID" catalog import "$seed_products" "$seed_configs"
check "import reports what it did" grep -q "validated-configs.jsonl: configurations: 137 added, 0 updated, 0 kept as the program decided them" "$TMP/out"
expect_exit 0 "importing again replaces, adds nothing" "$COVALID" catalog import "$seed_configs"
check "re-import says replaced" grep -q "configurations: 0 added, 137 updated, 0 kept" "$TMP/out"
check "no progress when stderr is not a terminal: stderr empty" test ! -s "$TMP/err"
# On a terminal (script(1), util-linux, runs it on a pseudo-terminal): the
# progress line, then the report; the file has 137 lines (the seed's count above).
script -qec "COVALID_DB='$TMP/tty.db' '$COVALID' catalog import '$seed_configs'" /dev/null </dev/null >"$TMP/tty" 2>&1
tr '\r' '\n' <"$TMP/tty" >"$TMP/tty.lines"
check "import on a terminal shows its progress" grep -q '^137 rows read; writing' "$TMP/tty.lines"
ESC=$(printf '\033')
check "and erases it before the report" grep -q "^$ESC\\[K$seed_configs: configurations: 137 added" "$TMP/tty.lines"

expect_exit 0 "list --json" "$COVALID" catalog list --json
check "list --json holds every configuration" test "$(jq length "$TMP/out")" = 137
expect_exit 0 "list --guest rhel --hypervisor microsoft --status validated" "$COVALID" catalog list --guest rhel --hypervisor microsoft --status validated --json
check "the 2009 RHEL on Hyper-V rows are there" test "$(jq '[.[] | select(.id | test("^ms-hv2008-(ws|hvs)-rhel5\\.[23]-"))] | length' "$TMP/out")" = 8
check "every listed row is a validated RHEL guest on Hyper-V" test "$(jq '[.[] | select(.status != "validated" or .guest.os_id != "rhel" or .hypervisor.ids != ["microsoft"])] | length' "$TMP/out")" = 0
expect_exit 0 "list --vendor Red Hat" "$COVALID" catalog list --vendor "Red Hat" --hypervisor kvm --json
check "Windows guests on Red Hat's hypervisor are listed" test "$(jq '[.[] | select(.guest.os_id == "windows")] | length > 0' "$TMP/out")" = true
expect_exit 0 "the human table" "$COVALID" catalog list --guest rhel --limit 3
check "the table has a header and 3 rows" test "$(grep -c . "$TMP/out")" = 5
expect_exit 0 "search a source" "$COVALID" catalog search "Linux Integration Components v2.0" --json
check "search finds the 2009 rows by their driver statement" test "$(jq 'length > 0' "$TMP/out")" = true
expect_exit 1 "a search that finds nothing exits 1" "$COVALID" catalog search "no such text anywhere"
expect_exit 0 "list products" "$COVALID" catalog list products --kind hypervisor --json
check "hypervisor products listed" test "$(jq '[.[] | select(.kind != "hypervisor")] | length' "$TMP/out")" = 0

expect_exit 0 "show a configuration" "$COVALID" catalog show ms-hv2008-ws-rhel5.3-x86_64
check "show names the uni-processor limit and the source" sh -c "grep -q '^allowed vCPUs *1$' '$TMP/out' && grep -q '^source' '$TMP/out'"
expect_exit 0 "show --json keeps the seed's source" "$COVALID" catalog show ms-hv2008-ws-rhel5.3-x86_64 --json
check "source kept from the seed" sh -c "jq -r .source '$TMP/out' | grep -q virtualization.info"
expect_exit 1 "show an unknown id exits 1" "$COVALID" catalog show no-such-thing

# Export, then import into a fresh database: the same catalog.
"$COVALID" catalog export >"$TMP/export.jsonl"
check "export has every record" test "$(wc -l <"$TMP/export.jsonl")" = 186
COVALID_DB="$TMP/copy.db" "$COVALID" catalog import "$TMP/export.jsonl" >/dev/null
COVALID_DB="$TMP/copy.db" "$COVALID" catalog export >"$TMP/export2.jsonl"
check "export, import, export: identical" cmp -s "$TMP/export.jsonl" "$TMP/export2.jsonl"

# Bad files: FILE:LINE: why, exit 2, database unchanged.
before=$("$COVALID" catalog export | sha256sum)
bad() {	# bad NAME WANT: import $TMP/NAME.jsonl, expect exit 2 and WANT in the error
	expect_exit 2 "$1: exit 2" "$COVALID" catalog import "$TMP/$1.jsonl"
	check "$1: the error names FILE:LINE" grep -q "^covalid: $TMP/$1.jsonl:$2" "$TMP/err"
	check "$1: database unchanged" test "$("$COVALID" catalog export | sha256sum)" = "$before"
}
{ head -3 "$seed_configs" | sed 's/"ms-hv2008/"new-ms-hv2008/'; echo '{"type": "configuration",'; } >"$TMP/badjson.jsonl"
bad badjson "4: invalid JSON"
head -1 "$seed_configs" | jq -c '. + {"colour": "red"}' >"$TMP/unknown.jsonl"
bad unknown "1: colour: unknown field"
head -1 "$seed_configs" | jq -c 'del(.guest.os_id)' >"$TMP/missing.jsonl"
bad missing "1: guest.os_id: missing required field"
{ head -1 "$seed_configs" | jq -c '.id = "x1"'; head -1 "$seed_configs" | jq -c '.id = "x2" | .guest.version = "5.9-5.2"'; } >"$TMP/range.jsonl"
bad range "2: guest.version: bad version '5.9-5.2'"
{ head -1 "$seed_configs" | jq -c '.id = "x1"'; head -1 "$seed_configs" | jq -c '.id = "x1"'; } >"$TMP/dup.jsonl"
bad dup "2: duplicate id 'x1' (first on line 1)"
printf '\x00\xff\xfe' >"$TMP/binary.jsonl"
expect_exit 2 "binary file: exit 2" "$COVALID" catalog import "$TMP/binary.jsonl"
expect_exit 2 "missing file: exit 2" "$COVALID" catalog import "$TMP/nonexistent.jsonl"
check "missing file: one line naming it" sh -c "[ \$(wc -l <'$TMP/err') -eq 1 ] && grep -q nonexistent.jsonl '$TMP/err'"
printf 'not a database, not at all, just some text that goes on for a while\n' >"$TMP/notdb"
expect_exit 2 "--db that is not a database: exit 2" "$COVALID" catalog list --db "$TMP/notdb"
check "--db that is not a database: says so" grep -q "not a database" "$TMP/err"
expect_exit 2 "unknown --status: usage error" "$COVALID" catalog list --status approved
expect_exit 2 "unknown subcommand: usage error" "$COVALID" catalog frobnicate

# ---- products' life cycles (issue 10): the vendors' dates, with sources ----
LC="$TMP/lc.db"
COVALID_DB="$LC" "$COVALID" catalog import "$seed_products" "$seed_configs" >/dev/null
COVALID_DB="$LC" "$COVALID" catalog list products --json --limit 500 >"$TMP/products.json"
COVALID_DB="$LC" "$COVALID" catalog list --json --limit 500 >"$TMP/configs.json"
check "every product of the seed is imported ($(jq length "$TMP/products.json"))" \
	test "$(jq length "$TMP/products.json")" = "$(grep -c . "$seed_products")"
jqe() { jq -e "$@" >/dev/null; }
lc_is() {	# lc_is ID JQ-TEST: the imported product ID passes the test
	jqe --arg id "$1" ".[] | select(.id == \$id) | $2" "$TMP/products.json" >/dev/null
}
check "Windows Server 2008 R2: Microsoft's extended end 2020-01-14, not osinfo-db's 2013-01-14" \
	lc_is win-2008r2 '.eol_date == "2020-01-14" and .lifecycle.mainstream_end == "2015-01-13" and .lifecycle.extended_end == "2020-01-14"'
check "Windows Server 2003: support ended 2015-07-14 (mainstream 2010-07-13)" \
	lc_is win-2003 '.eol_date == "2015-07-14" and .lifecycle.mainstream_end == "2010-07-13"'
check "Windows Server 2016: extended end 2027-01-12" lc_is win-2016 '.eol_date == "2027-01-12" and .lifecycle.extended_end == "2027-01-12"'
check "RHEL 5.3: RHEL 5's end of maintenance 2017-03-31, its ELS 2020-11-30" \
	lc_is rhel-5.3 '.eol_date == "2017-03-31" and .lifecycle.els_end == "2020-11-30" and .lifecycle.applies_to == "Red Hat Enterprise Linux 5"'
check "Hyper-V of Windows Server 2008: Windows Server 2008's life cycle" \
	lc_is hv-ws2008 '.eol_date == "2020-01-14" and .lifecycle.applies_to == "Windows Server 2008"'
check "every product has a life cycle and its sources" \
	jqe 'all(.[]; (.lifecycle | type == "object") and (.lifecycle_sources | type == "array"))' "$TMP/products.json"
check "every milestone is a date or null" \
	jqe 'all(.[]; all(.lifecycle | to_entries[] | select(.key != "applies_to") | .value; . == null or test("^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$")))' "$TMP/products.json"
check "every known end of support cites a vendor page (a URL)" \
	jqe 'all(.[] | select(.eol_date != null); any(.lifecycle_sources[]; test("https?://")))' "$TMP/products.json"
check "eol_date is the vendor's end of standard support (Microsoft extended, Red Hat maintenance, SUSE general)" \
	jqe 'all(.[] | select(.eol_date != null); .eol_date == (if .vendor == "Microsoft" then .lifecycle.extended_end
		elif .vendor == "Red Hat" then .lifecycle.maintenance_end elif .vendor == "SUSE" then .lifecycle.general_end else null end))' \
	"$TMP/products.json"
check "a product without an end of support says why in its notes" \
	jqe 'all(.[] | select(.eol_date == null); .notes | test("Unconfirmed|Not applicable"))' "$TMP/products.json"
check "every configuration's product_id names an imported product" \
	jqe --slurpfile p "$TMP/products.json" '[$p[0][].id] as $ids | all(.[]; [.guest.product_id, .hypervisor.product_id][] | . == null or (. as $i | $ids | index($i)))' \
	"$TMP/configs.json"
check "the Windows guests on RHEL 5.4 KVM link Windows and RHEL 5.4 KVM" \
	jqe '[.[] | select(.id | startswith("rh-kvm5.4-")) | [.guest.product_id, .hypervisor.product_id]] | unique == [["win-2003", "hv-rhel5.4-kvm"], ["win-2008", "hv-rhel5.4-kvm"], ["win-2008r2", "hv-rhel5.4-kvm"]]' \
	"$TMP/configs.json"
expect_exit 0 "catalog show: a product's life cycle, a milestone a line" env COVALID_DB="$LC" "$COVALID" catalog show win-2003
check "... extended_end shown" grep -q '^  extended_end *2015-07-14$' "$TMP/out"
if [ -f "$SHARED/data/products.jsonl" ]; then
	jq -c --slurpfile lifecycle "$SRC/data/product-lifecycle.jsonl" --slurpfile products "$SHARED/data/products.jsonl" \
		-f "$SRC/data/convert-seed.jq" "$SHARED/data/products.jsonl" "$SHARED/data/validated-configs.jsonl" >"$TMP/regen.jsonl"
	check "data/ is what convert-seed.jq makes of the seed and data/product-lifecycle.jsonl" \
		sh -c "cat '$seed_products' '$seed_configs' | cmp -s - '$TMP/regen.jsonl'"
else
	skip "data/ is what convert-seed.jq makes" "the seed's facts ($SHARED/data) are not here"
fi
head -1 "$seed_products" | jq -c '.lifecycle.extended_end = "soon"' >"$TMP/badlc.jsonl"
bad badlc "1: lifecycle.extended_end: expected a date"

if [ -d /usr/share/osinfo/os ]; then
	expect_exit 0 "import --osinfo" "$COVALID" catalog import --osinfo
	check "osinfo-db entries were read" grep -Eq "^osinfo-db: [1-9][0-9]* OS entries read" "$TMP/out"
	check "... and the vendors' end dates stand (2008 R2: 2020-01-14)" \
		test "$("$COVALID" catalog show win-2008r2 --json | jq -r .eol_date)" = 2020-01-14
	expect_exit 0 "import --osinfo --all" "$COVALID" catalog import --osinfo --all
	check "with --all, products carry osinfo's short-ids" test "$("$COVALID" catalog list products --json | jq '[.[] | select(.osinfo_short_id == "debian11")] | length')" -ge 1
else
	skip "import --osinfo" "osinfo-db is not installed"
fi
expect_exit 2 "import --osinfo from a directory that is not osinfo-db" "$COVALID" catalog import --osinfo "$TMP/nonexistent"

# Paths that are not an osinfo-db tree, or files in one that are not XML
# files: exit 2 with one line naming the path (issue 9, D15), never an
# internal error, never a read without end.
osinfo_bad() {	# osinfo_bad DESCRIPTION DIR NAME: exit 2, one line, naming NAME
	expect_exit 2 "import --osinfo $1: exit 2" timeout 20 "$COVALID" catalog import --osinfo "$2"
	check "... one line naming $3" sh -c "[ \$(wc -l <'$TMP/err') -eq 1 ] && grep -qF -- '$3' '$TMP/err'"
}
osinfo_bad "/dev/zero (a device)" /dev/zero /dev/zero
osinfo_bad "a regular file" "$SRC/Makefile" "$SRC/Makefile"
mkdir -p "$TMP/odb-empty"
osinfo_bad "a directory with no os/ tree" "$TMP/odb-empty" "$TMP/odb-empty"
mkdir -p "$TMP/odb-none/os/vendor"
osinfo_bad "an os/ tree with no OS entries" "$TMP/odb-none" "$TMP/odb-none"
mkdir -p "$TMP/odb-zero/os/vendor"
ln -s /dev/zero "$TMP/odb-zero/os/vendor/zero.xml"
osinfo_bad "an .xml that is /dev/zero" "$TMP/odb-zero" "zero.xml"
mkdir -p "$TMP/odb-dir/os/vendor/dir.xml"
osinfo_bad "an .xml that is a directory" "$TMP/odb-dir" "dir.xml"
mkdir -p "$TMP/odb-big/os/vendor"
head -c 5000000 /dev/zero | tr '\0' ' ' >"$TMP/odb-big/os/vendor/big.xml"
osinfo_bad "an .xml larger than any osinfo-db file" "$TMP/odb-big" "big.xml"
mkdir -p "$TMP/odb-fifo/os/vendor"
mkfifo "$TMP/odb-fifo/os/vendor/fifo.xml"
osinfo_bad "an .xml that is a FIFO (no writer: must not block)" "$TMP/odb-fifo" "fifo.xml"
mkdir -p "$TMP/odb-ver/os/vendor"
mkfifo "$TMP/odb-ver/VERSION"
osinfo_bad "a VERSION that is a FIFO and no OS entries" "$TMP/odb-ver" "$TMP/odb-ver"
done_testing
