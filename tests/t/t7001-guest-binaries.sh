#!/bin/sh
# t7001: the static guest binaries of `make guest` (issue 12, part 1):
# build/guest/covalid-linux-x86_64 and -i686.
#
# What the issue asks of them, checked here: static executables (no
# program interpreter), each <= 4 MiB; they hold probe, kit and key and
# nothing of the store, catalog, check, program, support or server (nor
# SQLite or libmicrohttpd); the x86_64 one probes every fixture exactly as
# covalid does; the i686 one, run under qemu-i386-static (this machine's
# kernel may have no 32-bit support), probes the fixtures as the x86_64
# one does, makes keys, signs logs that covalid verifies and verifies logs
# covalid signed, and runs the time, memory, storage and kernel checks
# with no error.
#
# Depends on: make guest having built the binaries (make test and make
# check do), and qemu-user-static, which scripts/setup.sh installs: a
# missing binary or qemu is a failure, not a skip.  The kit's results are
# this machine's (and qemu-user's), so only "no error" is asserted of them;
# what skips and fails under qemu is printed as diagnostics.
. "$(dirname "$0")/../lib/tap.sh"

# make guest builds them in build/ whatever BUILD is (the Makefile says why).
GUEST=${COVALID_GUEST:-$SRC/build/guest}
X64="$GUEST/covalid-linux-x86_64"
I686="$GUEST/covalid-linux-i686"
QEMU=$(command -v qemu-i386-static)
MAX=$((4 * 1024 * 1024)) # the issue: "each binary <= 4 MiB"
# The modules a guest binary must not hold (docs/ARCHITECTURE.md, "Guest
# side"), and the libraries only they link.
HOST_MODULES="store catalog check program support server"

check "qemu-i386-static is installed (scripts/setup.sh: qemu-user-static)" test -n "$QEMU"

for arch in x86_64 i686; do
	bin="$GUEST/covalid-linux-$arch"
	if [ ! -x "$bin" ] || [ ! -f "$bin.debug" ]; then
		not_ok "$arch: $bin and its unstripped $bin.debug exist (make guest)"
		continue
	fi
	readelf -lh "$bin" >"$TMP/elf" 2>&1
	check "$arch: statically linked, no program interpreter (readelf -l: no INTERP)" \
		sh -c "grep -q 'Program Headers' '$TMP/elf' && ! grep -q 'INTERP' '$TMP/elf' && ! grep -q 'DYNAMIC' '$TMP/elf'"
	case $arch in
	x86_64) machine='Advanced Micro Devices X86-64' class=ELF64 ;;
	i686) machine='Intel 80386' class=ELF32 ;;
	esac
	check "$arch: an $class executable for $machine" \
		sh -c "grep -q 'Class: *$class' '$TMP/elf' && grep -q 'Machine: *$machine' '$TMP/elf'"
	size=$(stat -c %s "$bin")
	check "$arch: $size bytes <= 4 MiB" test "$size" -le "$MAX"
	diag "$arch: $size bytes"

	# Nothing of the host side: the symbols the host-only modules'
	# objects define (from covalid's own build tree), and the libraries
	# only they use, must all be absent from the unstripped binary.
	# (Global symbols only: a static helper of libc's that happens to be
	# called store_int is not the store.)
	nm --defined-only "$bin.debug" 2>/dev/null | awk 'NF == 3 && $2 ~ /[A-Z]/ { print $3 }' | sort -u >"$TMP/syms-$arch"
	: >"$TMP/host-defs"
	for m in $HOST_MODULES; do
		# Objects of today's sources only: one left in build/ by a file
		# that has since moved (version.c went from catalog to util) is
		# not the host side.
		for o in "${COVALID_BUILD:-$SRC/build}/obj/src/$m"/*.o; do
			[ -e "$SRC/src/$m/$(basename "$o" .o).c" ] && nm --defined-only "$o" 2>/dev/null
		done | awk -v m="$m" 'NF == 3 && $2 ~ /[TDBR]/ { print $3 "\t" m }'
	done | sort -u >"$TMP/host-defs"
	check "$arch: the symbol check sees the binary (probe_run) and the host side (store_open)" \
		sh -c "grep -qx probe_run '$TMP/syms-$arch' && grep -q '^store_open	' '$TMP/host-defs'"
	awk -F'\t' 'NR == FNR { have[$1] = 1; next } have[$1] { print $1 " (src/" $2 "/)" }' \
		"$TMP/syms-$arch" "$TMP/host-defs" >"$TMP/leak"
	grep -E '^(sqlite3_|MHD_|curl_|store_|XML_)' "$TMP/syms-$arch" >>"$TMP/leak"
	check "$arch: no symbol of $HOST_MODULES, SQLite, libmicrohttpd, curl or expat" test ! -s "$TMP/leak"
	[ -s "$TMP/leak" ] && diag "$(head -20 "$TMP/leak")"
done

# The dependencies are cached: make built them, so a second run of the
# script that builds them builds and downloads nothing (it only asks apt
# for the source versions, from the local package lists).
# (Only where make put them, beside the binaries: never a build started
# elsewhere.)
DEPS_BUILD=$(dirname "$GUEST")
if [ -f "$DEPS_BUILD/deps/i686/.stamp-libsodium" ]; then
	"$SRC/scripts/guest-deps.sh" "$DEPS_BUILD" >"$TMP/deps.out" 2>&1
	check "scripts/guest-deps.sh again: exit 0, nothing rebuilt or fetched" \
		sh -c "grep -q '^guest-deps: ready' '$TMP/deps.out' && ! grep -Eq ' for (x86_64|i686)\$|apt-get source|autoreconf' '$TMP/deps.out'"
	[ -s "$TMP/deps.out" ] && diag "$(cat "$TMP/deps.out")"
else
	not_ok "the dependencies make guest built are cached in $DEPS_BUILD/deps"
fi

# run ARCH ARGS...: the guest binary of ARCH, the i686 one under qemu.
run() {
	a=$1
	shift
	if [ "$a" = i686 ]; then "$QEMU" "$I686" "$@"; else "$X64" "$@"; fi
}

"$COVALID" --version >"$TMP/want-version"
for arch in x86_64 i686; do
	expect_exit 0 "$arch: --version runs" run "$arch" --version
	check "$arch: ... and prints covalid's version" cmp -s "$TMP/out" "$TMP/want-version"
	expect_exit 0 "$arch: --help runs" run "$arch" --help
	check "$arch: ... listing probe, kit and key and no host command" \
		sh -c "grep -q '^  probe ' '$TMP/out' && grep -q '^  kit ' '$TMP/out' && grep -q '^  key ' '$TMP/out' &&
		       ! grep -Eq '^  (catalog|check|serve|admin|submit|case) ' '$TMP/out'"
	expect_exit 2 "$arch: a host command is not a guest command (exit 2)" run "$arch" catalog list
done

# Probe on every fixture: the x86_64 binary answers as covalid does, byte
# for byte; the i686 one as the x86_64 one.  (cpuid.txt is read from the
# fixture, never executed, so the 32-bit build sees the same machine.)
n=0 x64_diff="" i686_diff=""
for dir in "$SRC"/tests/fixtures/*/root; do
	[ -d "$dir" ] || continue
	name=$(basename "$(dirname "$dir")")
	n=$((n + 1))
	"$COVALID" probe --json --root "$dir" >"$TMP/want.json" 2>&1
	run x86_64 probe --json --root "$dir" >"$TMP/x64.json" 2>&1
	cmp -s "$TMP/want.json" "$TMP/x64.json" || x64_diff="$x64_diff $name"
	run i686 probe --json --root "$dir" >"$TMP/i686.json" 2>&1
	cmp -s "$TMP/x64.json" "$TMP/i686.json" || i686_diff="$i686_diff $name"
done
check "there are fixtures to probe ($n)" test "$n" -ge 10
check "x86_64: probe --json on the $n fixtures gives covalid's JSON" test -z "$x64_diff"
[ -n "$x64_diff" ] && diag "differs on:$x64_diff"
check "i686 (qemu): probe --json on the $n fixtures gives the x86_64 binary's JSON" test -z "$i686_diff"
[ -n "$i686_diff" ] && diag "differs on:$i686_diff"
expect_exit 2 "i686 (qemu): probe --root on a missing directory: exit 2" run i686 probe --json --root "$TMP/no-such-root"

# Keys and signatures across the two builds (and the two word sizes).
cd "$TMP" || exit 1
expect_exit 0 "i686 (qemu): key generate" run i686 key generate --out "$TMP/guest.key"
check "... the secret key is mode 0600, the public key printed" \
	sh -c "test \"\$(stat -c %a '$TMP/guest.key')\" = 600 && grep -q '^ed25519:' '$TMP/out'"
"$COVALID" key generate --out "$TMP/host.key" >/dev/null 2>&1

# The time, memory, storage and kernel families under qemu-user, signed
# by the i686 binary.  qemu-user passes the guest's system calls to this
# machine's kernel, so threads, CPU pinning, clocks, /proc, /sys and
# O_DIRECT writes are this machine's, and the checks run as natively.
# Found by running it (qemu 7.2, Debian 12, on KVM): none skips for want
# of anything but a vDSO (mem.size would without --expect-memory, so it is
# given).  qemu 7.2 gives an i386 guest no vDSO (its AT_SYSINFO_EHDR is 0),
# so musl's clock_gettime is a system call: time.vdso skips where the kit
# looks for the vDSO first (the old-kernel work, src/kit/vdso.c), and
# otherwise fails on its measurement (~350-450 ns a call, no faster than
# the raw system call).  time.sync fails on a machine whose clock no NTP
# daemon disciplines (as it does natively).
# So "no error" is what is asserted; the results are printed below.
mem_mib=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)
mkdir "$TMP/kitdir"
run i686 kit run --quick --only time,mem,storage,kernel --expect-memory "$mem_mib" --dir "$TMP/kitdir" \
	--out "$TMP/i686-log.json" --sign "$TMP/guest.key" >"$TMP/run.out" 2>"$TMP/run.err"
rc=$?
check "i686 (qemu): kit run --only time,mem,storage,kernel exits 0 or 1 (ran, no usage or internal error)" test "$rc" -le 1
[ "$rc" -le 1 ] || diag "exit $rc: $(head -c 1000 "$TMP/run.err")"
families=$(jq -r '[.results[].id | split(".")[0]] | unique | join(",")' "$TMP/i686-log.json" 2>/dev/null)
check "... the log holds results of exactly those families ($families)" test "$families" = "kernel,mem,storage,time"
check "... no check ends in error" test "$(jq '[.results[] | select(.status == "error")] | length' "$TMP/i686-log.json" 2>/dev/null)" = 0
diag "i686 under qemu: $(jq -r '[.results[] | "\(.id)=\(.status)\(if .status != "pass" then " (" + (.reason // "") + ")" else "" end)"] | join("; ")' "$TMP/i686-log.json" 2>/dev/null)"
check "... the private directory is gone" test -z "$(ls -A "$TMP/kitdir")"

expect_exit 0 "a log the i686 binary signed verifies with covalid" \
	"$COVALID" kit verify "$TMP/i686-log.json" --pubkey "$TMP/guest.key.pub"
expect_exit 1 "... and not with another key" \
	"$COVALID" kit verify "$TMP/i686-log.json" --pubkey "$TMP/host.key.pub"
expect_exit 0 "covalid re-signs that log with its own key" \
	"$COVALID" kit sign "$TMP/i686-log.json" --key "$TMP/host.key" --out "$TMP/host-log.json"
expect_exit 0 "a log covalid signed verifies with the i686 binary" \
	run i686 kit verify "$TMP/host-log.json" --pubkey "$TMP/host.key.pub"
sed 's/"schema"/"schemA"/' "$TMP/host-log.json" >"$TMP/tampered.json"
expect_exit 1 "... and a changed copy of it does not (exit 1)" \
	run i686 kit verify "$TMP/tampered.json" --pubkey "$TMP/host.key.pub"
expect_exit 0 "the x86_64 binary verifies the i686 binary's signature too" \
	run x86_64 kit verify "$TMP/i686-log.json" --pubkey "$TMP/guest.key.pub"
done_testing
