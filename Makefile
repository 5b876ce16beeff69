# covalid - build, test and run.
#
# Why GNU make and not Meson: make is on every Debian machine already, so
# the two commands below need nothing installed before the project's own
# set-up script runs; one Makefile builds the normal and the sanitizer
# trees side by side (BUILD=build-asan SAN=1), and the test runner is
# `prove`, whose "Result: PASS" line CI reads.
#
#   make run      set up, build, run the main job
#   make check    set up, build, run every test, then again under ASan+UBSan
#   make guest    the static guest binaries, build/guest/covalid-linux-ARCH
#   make win      the Windows guest binaries, build/win64/covalid.exe, build/win32/covalid.exe
#   make fuzz     bounded libFuzzer runs of the parsers (clang)
#   make bench    the benchmarks under bench/

BUILD   ?= build
SAN     ?=
CC      ?= gcc
ifeq ($(origin CC),default)
CC      = gcc
endif

PKGS      = jansson sqlite3 expat libsodium libpq
# gnutls: the server's TLS (src/server/tls.c hands libmicrohttpd's GnuTLS
# the certificate; libgnutls28-dev in scripts/setup.sh).
SERVER_PKGS = libmicrohttpd libcurl gnutls
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) $(SERVER_PKGS) 2>/dev/null)
SERVER_LIBS := $(shell pkg-config --libs $(SERVER_PKGS) 2>/dev/null || echo -lmicrohttpd -lcurl -lgnutls)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -ljansson -lsqlite3 -lexpat -lsodium -lpq) -lpthread

WARN = -Wall -Wextra -Wpedantic -Werror -Wshadow -Wformat=2 -Wformat-truncation=2 \
       -Wstrict-prototypes -Wmissing-prototypes -Wold-style-definition -Wvla \
       -Wimplicit-fallthrough -Wundef -Wwrite-strings -Wpointer-arith -Wcast-align \
       -Wno-format-nonliteral
OPT  ?= -O2 -g
ifeq ($(SAN),1)
OPT  = -O1 -g -fno-omit-frame-pointer
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all
endif

CPPFLAGS_ALL = -D_GNU_SOURCE -Iinclude -Isrc $(PKG_CFLAGS)
CFLAGS_ALL   = -std=c17 $(WARN) $(OPT) $(SANFLAGS) -MMD -MP $(CFLAGS)
LDFLAGS_ALL  = $(SANFLAGS) $(LDFLAGS)
LIBS         = $(PKG_LIBS)

LIB_SRCS = $(wildcard src/util/*.c src/descriptor/*.c src/probe/*.c src/store/*.c src/catalog/*.c \
             src/check/*.c src/sign/*.c src/testlog/*.c src/kit/*.c src/agent/*.c src/program/*.c src/support/*.c src/monitor/*.c \
             src/server/*.c)
CLI_SRCS = $(wildcard src/cli/*.c)
SERVER_CLI_SRCS = $(wildcard src/cli-program/*.c) src/cli/cli.c src/cli/cli-store.c src/cli/cli-config.c src/cli/table.c
LIB_OBJS = $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
CLI_OBJS = $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
SERVER_CLI_OBJS = $(SERVER_CLI_SRCS:%.c=$(BUILD)/obj/%.o)

UNIT_SRCS  = $(wildcard tests/unit/test-*.c)
UNIT_BINS  = $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
TAP_OBJ    = $(BUILD)/obj/tests/unit/tap.o
# The tests that start a real PostgreSQL (tests/unit/pg-harness.h) link its harness too;
# the store's conformance suite, one binary per table group, its runner (store-suite.h).
PGH_OBJ    = $(BUILD)/obj/tests/unit/pg-harness.o
SUITE_OBJ  = $(BUILD)/obj/tests/unit/store-suite.o
SUITE_TESTS = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test-store-*.c))
PGH_TESTS  = $(SUITE_TESTS) $(BUILD)/tests/test-nodes
SCRIPT_TESTS = $(sort $(wildcard tests/t/t*.sh))
OLDK_BINS  = $(BUILD)/tests/run-as-2.6.18 $(BUILD)/tests/oldkernel-selftest

.SECONDARY:
.PHONY: all run check test test-asan setup fuzz bench bench-run clean guest guest-deps win
all: $(BUILD)/covalid $(BUILD)/covalid-server $(UNIT_BINS) $(OLDK_BINS)

Q = @
ifeq ($(V),1)
Q =
endif

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -c -o $@ $<

$(BUILD)/obj/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS_ALL) -Itests/unit -DTEST_SRCDIR='"$(CURDIR)"' $(CFLAGS_ALL) -c -o $@ $<

$(BUILD)/libcovalid.a: $(LIB_OBJS)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/covalid: $(CLI_OBJS) $(BUILD)/libcovalid.a
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $(CLI_OBJS) $(BUILD)/libcovalid.a $(LIBS)

$(BUILD)/covalid-server: $(SERVER_CLI_OBJS) $(BUILD)/libcovalid.a
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $(SERVER_CLI_OBJS) $(BUILD)/libcovalid.a $(SERVER_LIBS) $(LIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(TAP_OBJ) $(BUILD)/libcovalid.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $< $(TAP_OBJ) $(filter $(PGH_OBJ) $(SUITE_OBJ),$^) $(BUILD)/libcovalid.a $(SERVER_LIBS) $(LIBS)

$(PGH_TESTS): $(PGH_OBJ)
$(SUITE_TESTS): $(SUITE_OBJ)

# The old-kernel harness (tests/oldkernel/, run by t7002): a seccomp
# filter that makes this kernel answer like Linux 2.6.18.  Never sanitized:
# it only loads the filter and execs the command under test.
$(BUILD)/tests/run-as-2.6.18: LDLIBS_OLDK = -lseccomp
$(OLDK_BINS): $(BUILD)/tests/%: tests/oldkernel/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) -D_GNU_SOURCE -std=c17 $(WARN) -O2 -g -o $@ $< $(LDLIBS_OLDK)

# The Debian packages a use needs (scripts/setup.sh's profiles): run,
# check, bench, fuzz, deb.  `make setup` is check's: everything a
# developer runs.  PROFILE=run make setup for less.
PROFILE ?= check
setup:
	@scripts/setup.sh $(PROFILE)

# The guest binaries: what runs inside a guest (probe, kit, key; the
# modules of docs/ARCHITECTURE.md's "Guest side") as one static
# executable per architecture, built against musl, which runs on Linux
# 2.6.18 and needs nothing of the guest.  Their compilers and libraries
# (musl for i686, jansson, libsodium) are built from Debian's source
# packages into build/deps by scripts/guest-deps.sh, cached.  Always in
# build/, whatever BUILD is: a sanitizer build does not apply to them, and
# the ASan test run uses the same binaries.  GUEST_ARCHES=x86_64 builds one.
GUEST_BUILD  = build
GUEST_ARCHES ?= x86_64 i686
GUEST_SRCS = $(wildcard src/util/*.c src/descriptor/*.c src/probe/*.c src/sign/*.c src/testlog/*.c src/kit/*.c \
	       src/agent/*.c) \
	     src/cli/cli.c src/cli/dispatch.c src/cli/commands-guest.c \
	     src/cli/cmd-probe.c src/cli/cmd-kit.c src/cli/cmd-key.c src/cli/cmd-agent.c src/cli-guest/main.c
GUEST_CFLAGS = -std=c17 $(WARN) -Os -g -ffunction-sections -fdata-sections -MMD -MP
GUEST_BINS = $(GUEST_ARCHES:%=$(GUEST_BUILD)/guest/covalid-linux-%)

guest: guest-deps
	@$(MAKE) --no-print-directory $(GUEST_BINS)

guest-deps:
	@scripts/guest-deps.sh $(GUEST_BUILD)

# Per architecture: objects, the unstripped binary (.debug, what t7001
# reads symbols from) and the stripped one that ships.
define GUEST_ARCH
$(GUEST_BUILD)/guest/obj/$(1)/%.o: %.c
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  CC      $$< ($(1))")
	$$(Q)$(GUEST_BUILD)/deps/$(1)/bin/musl-gcc -D_GNU_SOURCE -Iinclude -Isrc \
	  -isystem $(GUEST_BUILD)/deps/$(1)/include -isystem $(GUEST_BUILD)/deps/kinclude \
	  $$(GUEST_CFLAGS) -c -o $$@ $$<

$(GUEST_BUILD)/guest/covalid-linux-$(1).debug: $(GUEST_SRCS:%.c=$(GUEST_BUILD)/guest/obj/$(1)/%.o) \
	  $(GUEST_BUILD)/deps/$(1)/lib/libjansson.a $(GUEST_BUILD)/deps/$(1)/lib/libsodium.a
	@$$(if $$(Q),echo "  LINK    $$@")
	$$(Q)$(GUEST_BUILD)/deps/$(1)/bin/musl-gcc -static -Wl,--gc-sections -o $$@ $$(filter %.o,$$^) \
	  -L$(GUEST_BUILD)/deps/$(1)/lib -ljansson -lsodium

$(GUEST_BUILD)/guest/covalid-linux-$(1): $(GUEST_BUILD)/guest/covalid-linux-$(1).debug
	$$(Q)strip -o $$@ $$<

-include $(GUEST_SRCS:%.c=$(GUEST_BUILD)/guest/obj/$(1)/%.d)
endef
$(foreach a,$(GUEST_ARCHES),$(eval $(call GUEST_ARCH,$(a))))

# The Windows guest binaries: the same guest program (probe, kit, key) for
# Windows Server 2003 SP2 and later, x64 and x86, cross-built with Debian's
# mingw-w64; jansson and libsodium come from scripts/guest-deps.sh like the
# Linux guests'.  The sources are the guest's, less the files that are
# Linux's own (WIN_UNIX_ONLY), plus every src/*/win/ folder: the Windows
# parts of a module live there, as libuv keeps src/unix and src/win apart.
# 0x0502 is Windows Server 2003 SP1+: a newer API is looked up at run time
# (GetProcAddress), never linked.  Static libgcc and winpthread: nothing
# but the system's own DLLs is needed beside covalid.exe.
WIN_ARCHES ?= win64 win32
WIN_TRIPLET_win64 = x86_64-w64-mingw32
WIN_TRIPLET_win32 = i686-w64-mingw32
WIN_UNIX_ONLY = src/util/compat.c src/util/file.c src/util/root.c src/util/root-capture.c \
	$(filter-out $(KIT_PORTABLE),$(wildcard src/kit/*.c)) \
	src/agent/net-unix.c src/agent/sys-unix.c src/agent/health-linux.c
# The kit's files that every system builds (the rest of src/kit is Linux's;
# Windows's own are src/kit/win/).
KIT_PORTABLE = src/kit/checks.c src/kit/check-common.c src/kit/check-mem.c src/kit/check-reference.c \
	src/kit/check-warp.c \
	src/kit/decide.c src/kit/junit.c src/kit/peer-client.c src/kit/run-testlog.c src/kit/runner.c src/kit/util.c
WIN_SRCS = $(filter-out $(WIN_UNIX_ONLY),$(GUEST_SRCS)) $(wildcard src/*/win/*.c)
WIN_CFLAGS = -std=c17 $(WARN) -Os -g -ffunction-sections -fdata-sections -MMD -MP \
	-D_WIN32_WINNT=0x0502 -DWINVER=0x0502 -D__USE_MINGW_ANSI_STDIO=1 \
	-D_POSIX_THREAD_SAFE_FUNCTIONS=200112L
WIN_LIBS = -ljansson -lsodium -lsetupapi -lversion -lwintrust -lcrypt32 -liphlpapi -lws2_32 -ladvapi32
WIN_BINS = $(WIN_ARCHES:%=$(GUEST_BUILD)/%/covalid.exe)

win: guest-deps
	@$(MAKE) --no-print-directory $(WIN_BINS)

define WIN_ARCH
$(GUEST_BUILD)/$(1)/obj/%.o: %.c
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  CC      $$< ($(1))")
	$$(Q)$(WIN_TRIPLET_$(1))-gcc -D_GNU_SOURCE -Iinclude -Isrc -isystem $(GUEST_BUILD)/deps/$(1)/include \
	  $$(WIN_CFLAGS) -c -o $$@ $$<

$(GUEST_BUILD)/$(1)/covalid.exe: $(WIN_SRCS:%.c=$(GUEST_BUILD)/$(1)/obj/%.o) \
	  $(GUEST_BUILD)/deps/$(1)/lib/libjansson.a $(GUEST_BUILD)/deps/$(1)/lib/libsodium.a
	@$$(if $$(Q),echo "  LINK    $$@")
	$$(Q)$(WIN_TRIPLET_$(1))-gcc -static -static-libgcc -Wl,--gc-sections -o $$@.debug $$(filter %.o,$$^) \
	  -L$(GUEST_BUILD)/deps/$(1)/lib $$(WIN_LIBS)
	$$(Q)$(WIN_TRIPLET_$(1))-strip -o $$@ $$@.debug

-include $(WIN_SRCS:%.c=$(GUEST_BUILD)/$(1)/obj/%.d)
endef
$(foreach a,$(WIN_ARCHES),$(eval $(call WIN_ARCH,$(a))))

# The main job: the program server on the seed catalog at
# http://127.0.0.1:8080/, with the demo's vendors, customer and case to
# try (covalid admin demo), and whether this machine is in a validated
# configuration.  Its database is the one every covalid command finds
# (docs/covalid.md, "Files": --db, $COVALID_DB, the config files, then
# ~/.local/share/covalid/covalid.db); COVALID_DB=PATH to use another,
# LISTEN=HOST:PORT to move the server.  Installs only what running needs,
# builds only the two programs, on every core.
NPROC := $(shell nproc 2>/dev/null || echo 2)
run:
	@scripts/setup.sh run
	@$(MAKE) --no-print-directory -j$(NPROC) $(BUILD)/covalid $(BUILD)/covalid-server
	@scripts/run.sh $(BUILD)

# Every test, in the normal build and again under AddressSanitizer + UBSan
# (the guest binaries are built once, and tested in both runs).
check:
	@scripts/setup.sh check
	@$(MAKE) --no-print-directory test
	@$(MAKE) --no-print-directory test BUILD=build-asan SAN=1

test: all guest win
	@echo "== tests ($(BUILD))"
	COVALID=$(CURDIR)/$(BUILD)/covalid COVALID_BUILD=$(CURDIR)/$(BUILD) COVALID_SRCDIR=$(CURDIR) \
	  COVALID_GUEST=$(CURDIR)/$(GUEST_BUILD)/guest COVALID_WIN=$(CURDIR)/$(GUEST_BUILD)/win64/covalid.exe \
	  COVALID_REQUIRE_WIN=1 \
	  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
	  prove --exec '' $(UNIT_BINS) $(SCRIPT_TESTS)

FUZZ_TARGETS = $(patsubst fuzz/fuzz-%.c,%,$(wildcard fuzz/fuzz-*.c))
FUZZ_SECONDS ?= 30
# Undefined behaviour is a crash, like a memory error: no sanitizer
# recovers.  The library is built once (build-fuzz/obj) with coverage
# instrumentation and linked into every target.  The HTTP targets
# (fuzz/harness-http.h) bring their own libmicrohttpd, in-process, and do
# not link the real one: a libmicrohttpd call src/server/ makes that the
# harness does not provide is a link error, not a call into the real
# library with a fake connection.  See docs/fuzz.md.
FUZZ_SAN    = -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS = -std=c17 -D_GNU_SOURCE -Iinclude -Isrc $(PKG_CFLAGS) -g -O1 -fno-omit-frame-pointer $(FUZZ_SAN)
FUZZ_FAKE_MHD = http support-body
FUZZ_LIB_OBJS = $(LIB_SRCS:%.c=build-fuzz/obj/%.o)
FUZZ_BINS = $(FUZZ_TARGETS:%=build-fuzz/fuzz-%)
FUZZ_LINK = $(SERVER_LIBS) $(LIBS)
# Everything but libmicrohttpd: GnuTLS (src/server/tls.c) and libcurl (the
# webhook deliverer, src/server/deliver.c) are real libraries there too.
$(FUZZ_FAKE_MHD:%=build-fuzz/fuzz-%): FUZZ_LINK = $(LIBS) $(shell pkg-config --libs gnutls libcurl 2>/dev/null || echo -lgnutls -lcurl)

build-fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $< (fuzz)")
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

build-fuzz/libcovalid.a: $(FUZZ_LIB_OBJS)
	@rm -f $@
	$(Q)ar rcs $@ $^

build-fuzz/fuzz-%: fuzz/fuzz-%.c build-fuzz/libcovalid.a $(wildcard fuzz/*.h)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< build-fuzz/libcovalid.a $(FUZZ_LINK)

fuzz:
	@scripts/setup.sh fuzz
	@$(MAKE) --no-print-directory $(FUZZ_BINS)
	@for t in $(FUZZ_TARGETS); do \
	  echo "== fuzz $$t ($(FUZZ_SECONDS) s)"; \
	  mkdir -p build-fuzz/corpus-$$t; \
	  build-fuzz/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	    build-fuzz/corpus-$$t fuzz/seeds/$$t $$(ls -d fuzz/regressions/$$t 2>/dev/null) || exit 1; \
	done

BENCH_BINS = $(BUILD)/bench/fleetgen $(BUILD)/bench/fleet-sql $(BUILD)/bench/sqlite-insert $(BUILD)/bench/descriptor-parse $(BUILD)/bench/agentsim \
	$(BUILD)/bench/report-parse $(BUILD)/bench/submit-cost $(BUILD)/bench/check-answer

$(BUILD)/bench/fleetgen: bench/fleetgen.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=c17 -O2 -Wall -Wextra -Werror -o $@ $<

$(BUILD)/bench/fleet-sql: bench/fleet-sql.c $(BUILD)/libcovalid.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -o $@ $< $(BUILD)/libcovalid.a $(LIBS)

$(BUILD)/bench/descriptor-parse: bench/descriptor-parse.c $(BUILD)/libcovalid.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -o $@ $< $(BUILD)/libcovalid.a $(LIBS)

# Against the tree reader it replaced, kept in fuzz/report-reference.h.
$(BUILD)/bench/report-parse: bench/report-parse.c fuzz/report-reference.h $(BUILD)/libcovalid.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -o $@ $< $(BUILD)/libcovalid.a $(LIBS)

$(BUILD)/bench/submit-cost: bench/submit-cost.c $(BUILD)/libcovalid.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -o $@ $< $(BUILD)/libcovalid.a $(LIBS)

$(BUILD)/bench/check-answer: bench/check-answer.c $(BUILD)/libcovalid.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -o $@ $< $(BUILD)/libcovalid.a $(LIBS)

# The agents' simulator links no covalid code: it speaks the protocol as
# an outsider would (jansson for answers and descriptors, libsodium for
# BLAKE2b).
$(BUILD)/bench/agentsim: bench/agentsim.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -o $@ $< $(shell pkg-config --libs jansson libsodium) -lm

$(BUILD)/bench/sqlite-insert: bench/sqlite-insert.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=c17 -O2 -Wall -Wextra -Werror -o $@ $< $(shell pkg-config --libs sqlite3)

bench:
	@scripts/setup.sh bench
	@$(MAKE) --no-print-directory bench-run

bench-run: all guest win $(BENCH_BINS)
	@# Every bench runs even when one misses its bars (each says which);
	@# the target fails at the end, naming them.
	@failed=; for b in bench/*.sh; do echo "== $$b"; COVALID_BUILD=$(CURDIR)/$(BUILD) $$b || failed="$$failed $$b"; done; \
	  if [ -n "$$failed" ]; then echo "bench: missed bars or failed:$$failed"; exit 1; fi

clean:
	rm -rf build build-asan build-fuzz

-include $(LIB_OBJS:.o=.d) $(wildcard build-fuzz/obj/src/*/*.d) $(CLI_OBJS:.o=.d) $(SERVER_CLI_OBJS:.o=.d) $(UNIT_BINS:$(BUILD)/tests/%=$(BUILD)/obj/tests/unit/%.d)

# ---------------------------------------------------------------------------
# Installing (docs/deploy.md, "Installing").  GNU conventions: PREFIX
# (default /usr/local) and DESTDIR (a staging root, as a package build
# uses); every directory below can be set on the command line.  The
# configuration goes to PREFIX/etc, except for PREFIX=/usr, whose is /etc
# (as autoconf's --prefix=/usr --sysconfdir=/etc).  Only the two programs
# and the man pages are built for it: never the unit tests.  The units
# under contrib/systemd name /usr/local/bin and /usr/local/share/covalid,
# the default PREFIX's, and are installed with the actual directories put
# in.  covalid-server goes beside covalid in BINDIR: covalid runs it from
# its own directory (src/cli/cmd-exec.c), then from PATH.  The guest
# binaries are not installed: they are built from Debian's source packages
# (make guest, make win), and are copied into guests, not run here.
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
DATADIR     ?= $(PREFIX)/share
PKGDATADIR  ?= $(DATADIR)/covalid
MANDIR      ?= $(DATADIR)/man
ifeq ($(PREFIX),/usr)
SYSCONFDIR  ?= /etc
else
SYSCONFDIR  ?= $(PREFIX)/etc
endif
# systemd reads units, sysusers.d and tmpfiles.d from /usr/local/lib and
# /usr/lib alike (systemd.unit(5)); Debian 12's packages ship units in
# /lib/systemd/system (debian/rules says so).
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
INSTALL     ?= install

# The man pages: markdown in docs/man/, made roff by go-md2man (Debian's
# go-md2man, 2 MB: pandoc would bring a Haskell runtime for the same job).
VERSION  := $(shell sed -n 's/^\#define COVALID_VERSION "\(.*\)"/\1/p' include/covalid/covalid.h)
MAN1_SRCS = $(wildcard docs/man/*.1.md)
MAN5_SRCS = $(wildcard docs/man/*.5.md)
MAN_PAGES = $(MAN1_SRCS:docs/man/%.md=$(BUILD)/man/%) $(MAN5_SRCS:docs/man/%.md=$(BUILD)/man/%)
UNITS     = covalid-server.service covalid-agent.service covalid-agent-once.service covalid-agent.timer
WEB_FILES = $(wildcard web/*.html web/*.js web/*.css web/*.json)
DATA_FILES = $(wildcard data/*.jsonl data/*.json)
# What the units name, put in (the sources name the default PREFIX's).
UNIT_SED  = -e 's|/usr/local/bin/|$(BINDIR)/|g' -e 's|/usr/local/share/covalid|$(PKGDATADIR)|g'

.PHONY: man install uninstall deb
man: $(MAN_PAGES)

$(BUILD)/man/%: docs/man/%.md include/covalid/covalid.h
	@mkdir -p $(dir $@)
	@command -v go-md2man >/dev/null || { echo "make: go-md2man is needed for the man pages (Debian: go-md2man; make setup installs it)" >&2; exit 2; }
	@$(if $(Q),echo "  MAN     $@")
	@# .ad l and .nh after .TH (which resets them): ragged right, no hyphens
	@# (an option such as --token-file must not be split across lines).
	$(Q)sed 's/@VERSION@/$(VERSION)/' $< | go-md2man | sed '/^\.TH /{p;s/.*/.ad l/p;s/.*/.nh/;}' >$@.tmp && mv $@.tmp $@

install: $(BUILD)/covalid $(BUILD)/covalid-server $(MAN_PAGES)
	$(INSTALL) -D -m 755 $(BUILD)/covalid $(DESTDIR)$(BINDIR)/covalid
	$(INSTALL) -D -m 755 $(BUILD)/covalid-server $(DESTDIR)$(BINDIR)/covalid-server
	$(INSTALL) -d -m 755 $(DESTDIR)$(PKGDATADIR)/web $(DESTDIR)$(PKGDATADIR)/data
	$(INSTALL) -m 644 $(WEB_FILES) $(DESTDIR)$(PKGDATADIR)/web/
	$(INSTALL) -m 644 $(DATA_FILES) $(DESTDIR)$(PKGDATADIR)/data/
	$(INSTALL) -d -m 755 $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	$(INSTALL) -m 644 $(filter %.1,$(MAN_PAGES)) $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL) -m 644 $(filter %.5,$(MAN_PAGES)) $(DESTDIR)$(MANDIR)/man5/
	$(INSTALL) -D -m 644 contrib/bash-completion/covalid $(DESTDIR)$(BASHCOMPDIR)/covalid
	$(INSTALL) -d -m 755 $(DESTDIR)$(UNITDIR)
	@for u in $(UNITS); do \
	  echo "sed ... contrib/systemd/$$u > $(DESTDIR)$(UNITDIR)/$$u"; \
	  sed $(UNIT_SED) contrib/systemd/$$u >$(DESTDIR)$(UNITDIR)/$$u.tmp && \
	  chmod 644 $(DESTDIR)$(UNITDIR)/$$u.tmp && mv $(DESTDIR)$(UNITDIR)/$$u.tmp $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	$(INSTALL) -D -m 644 contrib/sysusers.d/covalid.conf $(DESTDIR)$(SYSUSERSDIR)/covalid.conf
	$(INSTALL) -D -m 644 contrib/tmpfiles.d/covalid.conf $(DESTDIR)$(TMPFILESDIR)/covalid.conf
	@# The configuration is the administrator's once installed: an existing
	@# one is left as it is (the shipped default is every key commented out).
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/covalid/covalid.conf ]; then \
	  echo "install: keeping $(DESTDIR)$(SYSCONFDIR)/covalid/covalid.conf (contrib/covalid.conf is the default)"; \
	else \
	  echo "$(INSTALL) -D -m 644 contrib/covalid.conf $(DESTDIR)$(SYSCONFDIR)/covalid/covalid.conf"; \
	  $(INSTALL) -D -m 644 contrib/covalid.conf $(DESTDIR)$(SYSCONFDIR)/covalid/covalid.conf; \
	fi

# Removes what install put there, and the directories that are covalid's
# own.  The configuration goes only if it is still the shipped default.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/covalid $(DESTDIR)$(BINDIR)/covalid-server
	rm -rf $(DESTDIR)$(PKGDATADIR)
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN1_SRCS:.md=))) \
	      $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(MAN5_SRCS:.md=)))
	rm -f $(DESTDIR)$(BASHCOMPDIR)/covalid
	rm -f $(addprefix $(DESTDIR)$(UNITDIR)/,$(UNITS))
	rm -f $(DESTDIR)$(SYSUSERSDIR)/covalid.conf $(DESTDIR)$(TMPFILESDIR)/covalid.conf
	@if cmp -s contrib/covalid.conf $(DESTDIR)$(SYSCONFDIR)/covalid/covalid.conf; then \
	  echo "rm -f $(DESTDIR)$(SYSCONFDIR)/covalid/covalid.conf"; rm -f $(DESTDIR)$(SYSCONFDIR)/covalid/covalid.conf; \
	  rmdir $(DESTDIR)$(SYSCONFDIR)/covalid 2>/dev/null || true; \
	elif [ -e $(DESTDIR)$(SYSCONFDIR)/covalid/covalid.conf ]; then \
	  echo "uninstall: keeping $(DESTDIR)$(SYSCONFDIR)/covalid/covalid.conf (changed from the default)"; \
	fi

# The Debian package (debian/): built from a copy of the tree in
# $(BUILD)/deb/src, since dpkg-buildpackage writes its .deb, .buildinfo and
# .changes into the parent directory, here $(BUILD)/deb; then lintian,
# whose errors and warnings fail the target.  The copy is what git tracks
# plus what is not yet committed (not ignored), so build trees never go in.
DEB_JOBS ?= 2
deb:
	@git rev-parse --git-dir >/dev/null 2>&1 || { echo "make deb: needs a git work tree (it packages what git tracks)" >&2; exit 2; }
	rm -rf $(BUILD)/deb
	mkdir -p $(BUILD)/deb/src
	git ls-files -z --cached --others --exclude-standard | \
	  tar --null -T - --ignore-failed-read -cf - | tar -xf - -C $(BUILD)/deb/src
	@# The package's make must not inherit this one's command line (BUILD=..., which make also exports).
	cd $(BUILD)/deb/src && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES -u BUILD -u SAN dpkg-buildpackage -us -uc -b -j$(DEB_JOBS)
	lintian --fail-on error,warning $(BUILD)/deb/*.changes
	@ls $(BUILD)/deb/*.deb
