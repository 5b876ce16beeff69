#!/bin/sh
# t1001: `covalid probe --root` on every machine under tests/fixtures:
# each fixture's expect file lists jq filters and the JSON they must give.
. "$(dirname "$0")/../lib/tap.sh"

for dir in "$SRC"/tests/fixtures/*/; do
	name=$(basename "$dir")
	[ -f "$dir/expect" ] || continue
	out="$TMP/$name.json"
	if ! "$COVALID" probe --json --root "$dir/root" >"$out" 2>"$TMP/err"; then
		not_ok "$name: probe exits 0"
		diag "$(cat "$TMP/err")"
		continue
	fi
	fails=""
	while IFS= read -r line; do
		case "$line" in '#'* | '') continue ;; esac
		filter=${line%% = *}
		want=$(printf '%s' "${line#* = }" | jq -c .)
		got=$(jq -c "$filter" "$out" 2>&1)
		if [ "$got" != "$want" ]; then
			fails="$fails
$filter: got $got, expected $want"
		fi
	done <"$dir/expect"
	if [ -z "$fails" ]; then
		ok "$name: $(sed -n '1s/^# //p' "$dir/expect")"
	else
		not_ok "$name"
		diag "$fails"
	fi
	# The human report must not crash and must name the verdict.
	id=$(jq -r .hypervisor.id "$out")
	if "$COVALID" probe --root "$dir/root" >"$TMP/human" 2>&1 && grep -q "^hypervisor *$id" "$TMP/human"; then
		ok "$name: human report names $id"
	else
		not_ok "$name: human report names $id"
		diag "$(head -5 "$TMP/human")"
	fi
done
done_testing
