# browser.sh - what the headless-Chromium tests (t5xxx) share: whether the
# browser can run here, and turning a tests/browser/*.mjs run (one JSON
# result a line) into TAP.  Source after tap.sh.
#
#   $BROWSER_DIR $CHROMIUM $SHOTS      where the scripts, the browser and the screenshots are
#   browser_missing                    why the browser cannot run here (empty if it can)
#   browser_fail_all PREFIX WHY STEP...   every step failed, with the reason
#   browser_results RESULTS.jsonl RC NODE.err   one TAP line a result, and that the run ended
#   browser_screenshots NAME...        that NAME.png were saved in $SHOTS

BROWSER_DIR="$SRC/tests/browser"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
SHOTS="${COVALID_BUILD:-$SRC/build}/screenshots"

browser_missing() {
	node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)
	if ! command -v node >/dev/null 2>&1; then
		echo "node is not installed (scripts/setup.sh)"
	elif [ "${node_major:-0}" -lt 20 ]; then
		echo "node $(node --version) is older than playwright-core needs (20)"
	elif [ ! -x "$CHROMIUM" ]; then
		echo "$CHROMIUM is not installed (scripts/setup.sh)"
	elif [ ! -f "$BROWSER_DIR/node_modules/playwright-core/package.json" ]; then
		echo "tests/browser/node_modules is missing (scripts/setup.sh runs npm ci there)"
	fi
}

# The set-up that make check runs installs node, chromium and the npm
# package (scripts/setup.sh): a machine where one is missing did not set up,
# and its run must not look green with every step skipped.
browser_fail_all() {
	prefix=$1
	why=$2
	shift 2
	for s in "$@"; do
		not_ok "$prefix: $s"
		diag "the browser cannot run: $why"
	done
}

# A result is {"name", "ok"} or {"name", "skip": why} or {"name", "todo": bug,
# "ok"} (a known bug: TAP's TODO, shown and not counted); {"done": true} ends
# the run.
browser_results() {
	jq -r 'select(.name) | [(if .skip then "skip" elif .todo then (if .ok then "todo_ok" else "todo" end)
			elif .ok then "ok" else "not_ok" end), .name,
		((.skip // .todo // .diag // "") | tostring | gsub("[\t\n]"; " ")),
		((.diag // "") | tostring | gsub("[\t\n]"; " "))] | @tsv' "$1" >"$1.tsv" 2>"$1.jq-err"
	while IFS="$(printf '\t')" read -r kind name detail extra; do
		case $kind in
		ok) ok "$name" ;;
		skip) skip "$name" "$detail" ;;
		todo)
			_tap_n=$((_tap_n + 1))
			echo "not ok $_tap_n - $name # TODO $detail"
			[ -n "$extra" ] && diag "$extra"
			;;
		todo_ok)
			_tap_n=$((_tap_n + 1))
			echo "ok $_tap_n - $name # TODO $detail"
			;;
		*)
			not_ok "$name"
			diag "$detail"
			;;
		esac
	done <"$1.tsv"
	check "the browser test ran to its end (exit $2)" sh -c "[ $2 -eq 0 ] && tail -n 1 '$1' | jq -e '.done == true' >/dev/null"
	[ "$2" -eq 0 ] || diag "$(tail -c 3000 "$3")"
}

browser_screenshots() {
	missing=
	for f in "$@"; do
		[ -s "$SHOTS/$f.png" ] || missing="$missing $f.png"
	done
	check "screenshots saved in $SHOTS${missing:+ (missing:$missing)}" test -z "$missing"
}
