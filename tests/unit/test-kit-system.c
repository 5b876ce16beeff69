/*
 * test-kit-system.c - the kit's kernel, memory, storage, network and
 * platform checks: each decision fed with recorded values (passing,
 * failing and at the boundaries), each check run live once in quick mode,
 * and `covalid kit peer` (kit_peer_serve) exercised over loopback.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>

#include "covalid/descriptor.h"
#include "kit/kit-internal.h"
#include "tap.h"
#include "util/cv.h"

static bool contains(const char *s, const char *needle)
{
	return s && strstr(s, needle);
}

#define CHECK_HAS(s, needle)                                                                 \
	do {                                                                                 \
		if (!contains((s), (needle)))                                                \
			tap_fail(__FILE__, __LINE__, "\"%s\" does not contain \"%s\"", (s), (needle)); \
	} while (0)

/* ---- kit_decide_health ---- */

TEST(health_passes_untainted_with_a_clean_log)
{
	struct kit_verdict v;

	kit_decide_health(0, 0, NULL, true, &v);
	CHECK_INT(v.status, KIT_PASS);
	CHECK_STR(v.reason, "");
}

TEST(health_passes_without_a_readable_log_and_says_so)
{
	struct kit_verdict v;

	kit_decide_health(0, 0, NULL, false, &v);
	CHECK_INT(v.status, KIT_PASS);
	CHECK_STR(v.reason, "the kernel log is not readable here; only the taint flags were checked");
}

TEST(health_fails_when_tainted_and_names_the_flags)
{
	struct kit_verdict v;

	kit_decide_health(1u << 9, 0, NULL, true, &v); /* W */
	CHECK_INT(v.status, KIT_FAIL);
	CHECK_HAS(v.reason, "tainted (0x200)");
	CHECK_HAS(v.reason, "W (a warning was issued)");
	/* A taint fails even where the log could not be read. */
	kit_decide_health((1u << 7) | (1u << 14), 0, NULL, false, &v); /* D, L */
	CHECK_INT(v.status, KIT_FAIL);
	CHECK_HAS(v.reason, "D (the kernel died (oops or BUG))");
	CHECK_HAS(v.reason, "L (soft lockup occurred)");
}

TEST(health_decodes_the_first_last_and_unknown_taint_bits)
{
	struct kit_verdict v;

	kit_decide_health(1, 0, NULL, true, &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK_HAS(v.reason, "P (proprietary module loaded)");
	kit_decide_health(1u << 19, 0, NULL, true, &v);
	CHECK_HAS(v.reason, "J (firmware control used)");
	kit_decide_health(UINT64_C(1) << 20, 0, NULL, true, &v);
	CHECK_HAS(v.reason, "bit 20 (unknown to covalid)");
	kit_decide_health(UINT64_C(1) << 63, 0, NULL, true, &v);
	CHECK_HAS(v.reason, "bit 63");
}

TEST(health_fails_on_a_signature_and_quotes_it_trimmed)
{
	struct kit_verdict v;

	kit_decide_health(0, 1, "  watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [kworker/1:2:83]  \n", true, &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK_STR(v.reason, "the kernel log shows 1 sign of trouble, the first: "
			    "\"watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [kworker/1:2:83]\"");
	kit_decide_health(0, 3, "rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:", false, &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK_HAS(v.reason, "3 signs of trouble");
}

TEST(health_reports_taint_and_signature_together)
{
	struct kit_verdict v;
	char long_line[2048];

	memset(long_line, 'x', sizeof(long_line) - 1);
	long_line[sizeof(long_line) - 1] = '\0';
	kit_decide_health(1u << 9, 2, long_line, true, &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK_HAS(v.reason, "W (a warning was issued); and the kernel log shows 2 signs");
	/* The quote is bounded: the reason stays a sentence. */
	CHECK(strlen(v.reason) < sizeof(v.reason) - 1);
}

/* ---- kit_decide_mismatches ---- */

TEST(mismatches_pass_at_zero)
{
	struct kit_verdict v;

	kit_decide_mismatches(0, 1, "storage blocks", &v);
	CHECK_INT(v.status, KIT_PASS);
	kit_decide_mismatches(0, UINT64_MAX, "memory bytes and words", &v);
	CHECK_INT(v.status, KIT_PASS);
}

TEST(mismatches_fail_from_one)
{
	struct kit_verdict v;

	kit_decide_mismatches(1, 1, "loopback TCP transfer", &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK_STR(v.reason, "1 mismatch in 1 checked (loopback TCP transfer)");
	kit_decide_mismatches(3, 16, "storage blocks", &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK_STR(v.reason, "3 mismatches in 16 checked (storage blocks)");
}

TEST(mismatches_error_when_nothing_was_checked)
{
	struct kit_verdict v;

	kit_decide_mismatches(0, 0, "storage blocks", &v);
	CHECK_INT(v.status, KIT_ERROR);
	CHECK_HAS(v.reason, "nothing was checked");
	kit_decide_mismatches(5, 0, "storage blocks", &v);
	CHECK_INT(v.status, KIT_ERROR);
}

/* ---- kit_decide_security ---- */

TEST(security_passes_mitigated_with_nx)
{
	struct kit_verdict v;

	kit_decide_security(0, NULL, true, true, &v);
	CHECK_INT(v.status, KIT_PASS);
	/* Off x86 NX is not known: it cannot fail the check. */
	kit_decide_security(0, NULL, false, false, &v);
	CHECK_INT(v.status, KIT_PASS);
}

TEST(security_fails_on_a_vulnerable_entry)
{
	struct kit_verdict v;

	kit_decide_security(1, "mds (Vulnerable: Clear CPU buffers attempted, no microcode)", true, true, &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK_STR(v.reason, "1 CPU vulnerability reported Vulnerable, the first: "
			    "mds (Vulnerable: Clear CPU buffers attempted, no microcode)");
	kit_decide_security(3, "l1tf (Vulnerable)", true, false, &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK_HAS(v.reason, "3 CPU vulnerabilities");
	CHECK_HAS(v.reason, "NX is off");
}

TEST(security_fails_without_nx)
{
	struct kit_verdict v;

	kit_decide_security(0, NULL, true, false, &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK_HAS(v.reason, "NX (no-execute) is off");
}

/* ---- kit_decide_smbios ---- */

TEST(smbios_skips_without_root)
{
	struct kit_verdict v;

	kit_decide_smbios(false, true, "4c4c4544-0042-3510-8052-b4c04f384d32", &v);
	CHECK_INT(v.status, KIT_SKIP);
	CHECK_STR(v.reason, "reading the SMBIOS UUID needs root");
}

TEST(smbios_fails_without_tables)
{
	struct kit_verdict v;

	kit_decide_smbios(true, false, NULL, &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK_STR(v.reason, "no SMBIOS tables (the hypervisor provides none)");
	kit_decide_smbios(true, true, NULL, &v);
	CHECK_INT(v.status, KIT_FAIL);
}

TEST(smbios_fails_on_malformed_uuids)
{
	static const char *const bad[] = {
		"",
		"not-a-uuid",
		"4c4c4544-0042-3510-8052-b4c04f384d3",   /* 35 characters */
		"4c4c4544-0042-3510-8052-b4c04f384d321", /* 37 */
		"4c4c4544-0042-3510-8052-b4c04f384d3g",  /* g */
		"4c4c45440-042-3510-8052-b4c04f384d32",  /* dash moved */
		"4c4c4544 0042 3510 8052 b4c04f384d32",
		"{4c4c4544-0042-3510-8052-b4c04f384d3}",
	};
	struct kit_verdict v;

	for (size_t i = 0; i < CV_ELEMENTSOF(bad); i++) {
		kit_decide_smbios(true, true, bad[i], &v);
		CHECK_INT(v.status, KIT_FAIL);
		CHECK_HAS(v.reason, "not 8-4-4-4-12");
	}
}

TEST(smbios_fails_on_unset_uuids)
{
	struct kit_verdict v;

	kit_decide_smbios(true, true, "00000000-0000-0000-0000-000000000000", &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK_HAS(v.reason, "all zeros");
	kit_decide_smbios(true, true, "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK_HAS(v.reason, "all ones");
	kit_decide_smbios(true, true, "ffffffff-ffff-ffff-ffff-ffffffffffff", &v);
	CHECK_INT(v.status, KIT_FAIL);
}

TEST(smbios_passes_a_well_formed_uuid)
{
	struct kit_verdict v;

	kit_decide_smbios(true, true, "4c4c4544-0042-3510-8052-b4c04f384d32", &v);
	CHECK_INT(v.status, KIT_PASS);
	kit_decide_smbios(true, true, "EC2A1B3C-94D1-4E6A-8B7C-0123456789AB", &v);
	CHECK_INT(v.status, KIT_PASS);
	/* One digit away from unset is set. */
	kit_decide_smbios(true, true, "00000000-0000-0000-0000-000000000001", &v);
	CHECK_INT(v.status, KIT_PASS);
	kit_decide_smbios(true, true, "ffffffff-ffff-ffff-ffff-fffffffffffe", &v);
	CHECK_INT(v.status, KIT_PASS);
}

/* ---- live: each check once, quick, on this machine ---- */

struct live {
	struct kit_options opt;
	struct descriptor *d;
	int cpu;
	struct kit_ctx ctx;
	struct kit_out out;
};

static const struct kit_faults local_peer_counts = { .local_peer_counts = true };

static void live_init(struct live *l, const char *container, const char *peer)
{
	memset(l, 0, sizeof(*l));
	l->opt.quick = true;
	l->opt.peer = peer;
	cv_strv_init(&l->opt.only);
	cv_strv_init(&l->opt.skip);
	l->d = descriptor_new();
	descriptor_set(&l->d->hypervisor.id, "kvm");
	descriptor_set(&l->d->container.id, container);
	/* The peers here are on loopback: tell the check a peer on this host
	 * counts (kit_peer_is_local; test-kit-peer.c tests the skip). */
	l->ctx = (struct kit_ctx){ .opt = &l->opt, .d = l->d, .tmpdir = tap_tmpdir(), .cpus = &l->cpu, .n_cpus = 1,
				   .root = geteuid() == 0, .faults = peer ? &local_peer_counts : NULL };
	l->out = (struct kit_out){ KIT_ERROR, "the check set no result", json_object(), json_object() };
}

static void live_release(struct live *l)
{
	json_decref(l->out.measured);
	json_decref(l->out.threshold);
	descriptor_free(l->d);
}

/* Runs fn, prints what it measured (a TAP comment), checks it is a real
 * result: not an error, and with something measured. */
static void live_run(kit_fn fn, const char *name, const char *container, const char *peer, enum kit_status expect)
{
	struct live l;
	char *m;
	double t0;

	live_init(&l, container, peer);
	t0 = kit_now();
	fn(&l.ctx, &l.out);
	m = json_dumps(l.out.measured, JSON_COMPACT);
	printf("%s: %s (%s) in %.3f s\nmeasured: %s\n", name, kit_status_name(l.out.status), l.out.reason,
	       kit_now() - t0, m ? m : "?");
	free(m);
	if (expect == KIT_STATUS__MAX)
		CHECK(l.out.status != KIT_ERROR);
	else
		CHECK_STR(kit_status_name(l.out.status), kit_status_name(expect));
	CHECK(json_object_size(l.out.measured) > 0);
	live_release(&l);
}

TEST(kernel_health_live)
{
	live_run(kit_check_kernel_health, "kernel.health", "none", NULL, KIT_STATUS__MAX);
}

TEST(mem_pattern_live)
{
	live_run(kit_check_mem_pattern, "mem.pattern", "none", NULL, KIT_PASS);
}

/* A machine whose only writable places are in memory (tmpfs /tmp, a
 * container's overlay on one) has no disk to prove: there the check must
 * skip and say so, never pass (test-kit-storage.c runs it on fixtures). */
static bool no_disk_here(const struct live *l)
{
	return l->out.status == KIT_SKIP && (strstr(l->out.reason, "no writable filesystem on a disk") ||
					     strstr(l->out.reason, "no filesystem on a disk is writable") ||
					     strstr(l->out.reason, "is in memory"));
}

TEST(storage_io_integrity_live)
{
	char *path = cv_xasprintf("%s/storage-io-integrity.bin", tap_tmpdir()), *m;
	struct live l;

	live_init(&l, "none", NULL);
	kit_check_storage_io_integrity(&l.ctx, &l.out);
	m = json_dumps(l.out.measured, JSON_COMPACT);
	printf("storage.io_integrity: %s (%s)\nmeasured: %s\n", kit_status_name(l.out.status), l.out.reason, m ? m : "?");
	free(m);
	if (!no_disk_here(&l)) {
		CHECK_STR(kit_status_name(l.out.status), "pass");
		CHECK(json_is_string(json_object_get(l.out.measured, "filesystem")));
	}
	CHECK(json_object_size(l.out.measured) > 0);
	/* The file is gone: the check leaves nothing behind. */
	CHECK(access(path, F_OK) < 0);
	live_release(&l);
	free(path);
}

TEST(storage_inventory_live)
{
	live_run(kit_check_storage_inventory, "storage.inventory", "none", NULL, KIT_STATUS__MAX);
}

TEST(net_inventory_live)
{
	live_run(kit_check_net_inventory, "net.inventory", "none", NULL, KIT_STATUS__MAX);
}

TEST(net_inventory_skips_in_a_container)
{
	struct live l;

	live_init(&l, "docker", NULL);
	kit_check_net_inventory(&l.ctx, &l.out);
	CHECK_INT(l.out.status, KIT_SKIP);
	CHECK_STR(l.out.reason, "inside a container (docker): the interfaces seen are the container's, not the VM's");
	live_release(&l);
}

TEST(net_loopback_integrity_live)
{
	live_run(kit_check_net_loopback_integrity, "net.loopback_integrity", "none", NULL, KIT_PASS);
}

TEST(net_peer_transfer_skips_without_peer)
{
	struct live l;

	live_init(&l, "none", NULL);
	kit_check_net_peer_transfer(&l.ctx, &l.out);
	CHECK_INT(l.out.status, KIT_SKIP);
	CHECK_STR(l.out.reason, "no --peer HOST:PORT given");
	CHECK(json_object_size(l.out.measured) > 0);
	live_release(&l);
}

TEST(platform_security_live)
{
	live_run(kit_check_platform_security, "platform.security", "none", NULL, KIT_STATUS__MAX);
}

TEST(firmware_smbios_live)
{
	live_run(kit_check_firmware_smbios, "firmware.smbios", "none", NULL, KIT_STATUS__MAX);
}

/* ---- the peer ---- */

struct server {
	char listen[64];
	volatile int stop;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool done; /* listening, or failed */
	int port;
	int ret;
};

static void on_ready(void *ud, int port)
{
	struct server *s = ud;

	pthread_mutex_lock(&s->mu);
	s->port = port;
	s->done = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->mu);
}

static void *server_main(void *p)
{
	struct server *s = p;
	int r = kit_peer_serve(s->listen, &s->stop, on_ready, s);

	pthread_mutex_lock(&s->mu);
	s->ret = r;
	s->done = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* Starts kit_peer_serve() in a thread; the port it listens on. */
static int server_start(struct server *s, const char *listen)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->listen, sizeof(s->listen), "%s", listen);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cond, NULL);
	if (pthread_create(&s->thread, NULL, server_main, s) != 0)
		abort();
	pthread_mutex_lock(&s->mu);
	while (!s->done)
		pthread_cond_wait(&s->cond, &s->mu);
	pthread_mutex_unlock(&s->mu);
	return s->port;
}

/* Stops it through the flag; what kit_peer_serve() returned. */
static int server_stop(struct server *s)
{
	s->stop = 1;
	pthread_join(s->thread, NULL);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cond);
	return s->ret;
}

/* Sends what (and then ends the stream if end), returns the peer's line. */
static char *exchange(int port, const char *what, size_t len, bool end)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { 10, 0 };
	char line[256];
	size_t n = 0;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	CHECK(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	CHECK_INT(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	CHECK_INT(send(fd, what, len, MSG_NOSIGNAL), (long long)len);
	if (end)
		shutdown(fd, SHUT_WR);
	while (n + 1 < sizeof(line) && recv(fd, line + n, 1, 0) == 1 && line[n] != '\n')
		n++;
	line[n] = '\0';
	close(fd);
	return cv_xstrdup(line);
}

TEST(peer_round_trip_with_peer_transfer)
{
	struct server s;
	int port = server_start(&s, "127.0.0.1:0");
	char peer[64];

	CHECK(port > 0);
	snprintf(peer, sizeof(peer), "127.0.0.1:%d", port);
	live_run(kit_check_net_peer_transfer, "net.peer_transfer", "none", peer, KIT_PASS);
	CHECK_INT(server_stop(&s), 0);
}

TEST(peer_over_ipv6_loopback)
{
	struct server s;
	int port = server_start(&s, "[::1]:0");
	char peer[64];

	if (s.ret < 0) {
		server_stop(&s);
		tap_skip("no IPv6 loopback here");
	}
	snprintf(peer, sizeof(peer), "[::1]:%d", port);
	live_run(kit_check_net_peer_transfer, "net.peer_transfer (IPv6)", "none", peer, KIT_PASS);
	CHECK_INT(server_stop(&s), 0);
}

TEST(peer_rejects_a_malformed_header_and_keeps_serving)
{
	/* 15 + 48 + 1: exactly 64 bytes with the newline; and one more. */
	static const char h64[] = "COVALID-PEER 1 000000000000000000000000000000000000000000000005\nhello";
	static const char h65[] = "COVALID-PEER 1 0000000000000000000000000000000000000000000000005\nhello";
	unsigned char d[crypto_generichash_BYTES];
	char hex[2 * crypto_generichash_BYTES + 1], *want, *got;
	struct server s;
	int port = server_start(&s, "127.0.0.1:0");

	CHECK(port > 0);
	got = exchange(port, "HELLO\n", 6, false);
	CHECK_HAS(got, "ERR not a covalid peer header");
	free(got);
	got = exchange(port, "COVALID-PEER 3 5\n", 17, false);
	CHECK_STR(got, "ERR unsupported protocol version (this peer speaks 1 and 2)");
	free(got);
	got = exchange(port, "COVALID-PEER 2 5\n", 17, false);
	CHECK_STR(got, "ERR unknown operation (this peer knows PUT, GET and TIME)");
	free(got);
	got = exchange(port, "COVALID-PEER 1 -5\n", 18, false);
	CHECK_STR(got, "ERR the length is not a decimal number");
	free(got);
	got = exchange(port, "COVALID-PEER 1 \n", 16, false);
	CHECK_STR(got, "ERR the length is not a decimal number");
	free(got);
	got = exchange(port, h65, sizeof(h65) - 1, false);
	CHECK_STR(got, "ERR the header is longer than 64 bytes");
	free(got);
	/* The boundary: 64 GiB is accepted (the transfer then ends early),
	 * one byte more is refused. */
	got = exchange(port, "COVALID-PEER 1 68719476736\nabc", 30, true);
	CHECK_STR(got, "ERR the transfer ended after 3 of 68719476736 bytes");
	free(got);
	got = exchange(port, "COVALID-PEER 1 68719476737\n", 27, false);
	CHECK_STR(got, "ERR the length is over 64 GiB");
	free(got);
	got = exchange(port, "COVALID-PEER 1 99999999999999999999999\n", 39, false);
	CHECK_STR(got, "ERR the length is over 64 GiB");
	free(got);
	/* The connection ends inside the header. */
	got = exchange(port, "COVALID-PE", 10, true);
	CHECK_STR(got, "ERR the connection ended inside the header");
	free(got);

	/* And it still serves a good transfer, with the right digest. */
	CHECK_INT(sodium_init() >= 0, 1);
	crypto_generichash(d, sizeof(d), (const unsigned char *)"hello", 5, NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), d, sizeof(d));
	want = cv_xasprintf("OK %s", hex);
	got = exchange(port, "COVALID-PEER 1 5\nhello", 22, false);
	CHECK_STR(got, want);
	free(got);
	CHECK_INT(strchr(h64, '\n') - h64 + 1, 64);
	got = exchange(port, h64, sizeof(h64) - 1, false);
	CHECK_STR(got, want);
	free(got);
	free(want);
	/* Zero bytes is a transfer too: the digest of nothing. */
	crypto_generichash(d, sizeof(d), NULL, 0, NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), d, sizeof(d));
	want = cv_xasprintf("OK %s", hex);
	got = exchange(port, "COVALID-PEER 1 0\n", 17, false);
	CHECK_STR(got, want);
	free(got);
	free(want);
	CHECK_INT(server_stop(&s), 0);
}

TEST(peer_refuses_a_bad_listen_address)
{
	static const char *const bad[] = { "nonsense", "127.0.0.1", "127.0.0.1:", "127.0.0.1:http", "[::1]0",
					   "127.0.0.1:123456", "127.0.0.1:65536" };
	volatile int stop = 0;
	int port = -1;

	for (size_t i = 0; i < CV_ELEMENTSOF(bad); i++) {
		int r = kit_peer_serve(bad[i], &stop, NULL, &port);

		if (r >= 0)
			tap_fail(__FILE__, __LINE__, "%s: accepted", bad[i]);
	}
	CHECK_INT(kit_peer_serve("127.0.0.1:0", NULL, NULL, NULL), -EINVAL);
}

TEST(peer_transfer_to_nobody_is_an_error)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	char peer[64];
	struct live l;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	/* A port that was free a moment ago and is closed now. */
	CHECK_INT(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	CHECK_INT(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	snprintf(peer, sizeof(peer), "127.0.0.1:%d", ntohs(a.sin_port));
	live_init(&l, "none", peer);
	kit_check_net_peer_transfer(&l.ctx, &l.out);
	CHECK_INT(l.out.status, KIT_ERROR);
	CHECK_HAS(l.out.reason, "cannot reach the peer");
	live_release(&l);

	live_init(&l, "none", "no-port-here");
	kit_check_net_peer_transfer(&l.ctx, &l.out);
	CHECK_INT(l.out.status, KIT_ERROR);
	CHECK_HAS(l.out.reason, "is not HOST:PORT");
	live_release(&l);
}

/* ---- injected faults (struct kit_faults): each check must fail and say why ---- */

/* Runs fn with the faults; prints the result.  The caller checks it and
 * releases l. */
static void fault_run(struct live *l, kit_fn fn, const char *peer, const struct kit_faults *f)
{
	char *m;

	live_init(l, "none", peer);
	l->ctx.faults = f;
	fn(&l->ctx, &l->out);
	m = json_dumps(l->out.measured, JSON_COMPACT);
	printf("%s: %s\nmeasured: %s\n", kit_status_name(l->out.status), l->out.reason, m ? m : "?");
	free(m);
}

/* A block corrupted between write and read-back: one byte of block 3
 * flipped on disk. */
static int corrupt_block_3(const char *path, void *userdata)
{
	off_t at = 3 * 1024 * 1024 + 100;
	unsigned char c;
	int fd = open(path, O_RDWR | O_CLOEXEC), r = 0;

	(void)userdata;
	if (fd < 0)
		return -errno;
	if (pread(fd, &c, 1, at) != 1)
		r = -EIO;
	c ^= 0xff;
	if (!r && (pwrite(fd, &c, 1, at) != 1 || fsync(fd) < 0))
		r = -EIO;
	close(fd);
	return r;
}

TEST(fault_storage_block_corrupted_between_write_and_read_back)
{
	struct kit_faults f = { .after_write = corrupt_block_3 };
	char *path = cv_xasprintf("%s/storage-io-integrity.bin", tap_tmpdir());
	struct live l;

	fault_run(&l, kit_check_storage_io_integrity, NULL, &f);
	if (no_disk_here(&l)) {
		tap_skip("no disk-backed place to write on this machine (test-kit-storage.c injects the fault on a fixture)");
		goto out;
	}
	CHECK_STR(kit_status_name(l.out.status), "fail");
	CHECK_HAS(l.out.reason, "1 mismatch in 16 checked (storage blocks): block 3 read back differs from what was written");
	CHECK_INT(json_integer_value(json_object_get(l.out.measured, "mismatching_blocks")), 1);
	CHECK_INT(json_integer_value(json_object_get(l.out.measured, "first_mismatching_block")), 3);
	CHECK(access(path, F_OK) < 0);
out:
	live_release(&l);
	free(path);
}

/* A transfer truncated: send() passes the first `limit` bytes, then
 * swallows the rest, the sender none the wiser; with `end`, the stream
 * is ended there, as a connection cut on the way is. */
struct cut {
	uint64_t limit, sent;
	bool end, ended;
};

static ssize_t cut_send(int fd, const void *buf, size_t n, int flags, void *userdata)
{
	struct cut *c = userdata;
	ssize_t w;

	if (c->sent >= c->limit) {
		if (c->end && !c->ended)
			c->ended = shutdown(fd, SHUT_WR) == 0;
		return (ssize_t)n;
	}
	w = send(fd, buf, n < c->limit - c->sent ? n : (size_t)(c->limit - c->sent), flags);
	if (w > 0)
		c->sent += (uint64_t)w;
	return w;
}

TEST(fault_loopback_transfer_truncated)
{
	struct cut c = { .limit = 1024 * 1024 };
	struct kit_faults f = { .send = cut_send, .userdata = &c };
	struct live l;

	fault_run(&l, kit_check_net_loopback_integrity, NULL, &f);
	CHECK_STR(kit_status_name(l.out.status), "fail");
	CHECK_HAS(l.out.reason, "1 mismatch in 1 checked (loopback TCP transfer): the transfer was truncated, "
				"1048576 of 33554432 bytes arrived");
	CHECK(json_is_false(json_object_get(l.out.measured, "digests_match")));
	live_release(&l);
}

/* The peer sees the stream end after 1 MiB of the 16 the kit sent:
 * it answers "ERR the transfer ended after ...", and the check fails. */
TEST(fault_peer_transfer_truncated)
{
	struct cut c = { .limit = 1024 * 1024, .end = true };
	struct kit_faults f = { .send = cut_send, .local_peer_counts = true, .userdata = &c };
	struct server s;
	int port = server_start(&s, "127.0.0.1:0");
	char peer[64], want[192];
	struct live l;

	CHECK(port > 0);
	snprintf(peer, sizeof(peer), "127.0.0.1:%d", port);
	fault_run(&l, kit_check_net_peer_transfer, peer, &f);
	CHECK_STR(kit_status_name(l.out.status), "fail");
	/* 1 MiB less the 28-byte header "COVALID-PEER 2 PUT 16777216\n" (peer.c). */
	snprintf(want, sizeof(want),
		 "the upload (guest to peer) lost data: 1048548 of 16777216 bytes arrived (peer %s, through lo, driver", peer);
	CHECK_HAS(l.out.reason, want);
	CHECK_INT(json_integer_value(json_object_get(l.out.measured, "upload_received_bytes")), 1048548);
	CHECK(json_is_false(json_object_get(l.out.measured, "digests_match")));
	live_release(&l);
	CHECK_INT(server_stop(&s), 0);
}

/* The checks together, quick, as `covalid kit run --quick` runs them
 * (minus the runner's forks): well under 3 s on a 2-vCPU guest. */
TEST(quick_checks_are_quick)
{
	static const kit_fn fns[] = { kit_check_kernel_health,	 kit_check_mem_pattern,
				      kit_check_storage_io_integrity, kit_check_storage_inventory,
				      kit_check_net_inventory,	 kit_check_net_loopback_integrity,
				      kit_check_platform_security,	 kit_check_firmware_smbios };
	double t0 = kit_now(), elapsed;

	for (size_t i = 0; i < CV_ELEMENTSOF(fns); i++) {
		struct live l;

		live_init(&l, "none", NULL);
		fns[i](&l.ctx, &l.out);
		live_release(&l);
	}
	elapsed = kit_now() - t0;
	printf("all quick checks: %.3f s\n", elapsed);
	CHECK(elapsed < 3.0);
}

TAP_MAIN(health_passes_untainted_with_a_clean_log, health_passes_without_a_readable_log_and_says_so,
	 health_fails_when_tainted_and_names_the_flags, health_decodes_the_first_last_and_unknown_taint_bits,
	 health_fails_on_a_signature_and_quotes_it_trimmed, health_reports_taint_and_signature_together,
	 mismatches_pass_at_zero, mismatches_fail_from_one, mismatches_error_when_nothing_was_checked,
	 security_passes_mitigated_with_nx, security_fails_on_a_vulnerable_entry, security_fails_without_nx,
	 smbios_skips_without_root, smbios_fails_without_tables, smbios_fails_on_malformed_uuids,
	 smbios_fails_on_unset_uuids, smbios_passes_a_well_formed_uuid, kernel_health_live, mem_pattern_live,
	 storage_io_integrity_live, storage_inventory_live, net_inventory_live, net_inventory_skips_in_a_container,
	 net_loopback_integrity_live, net_peer_transfer_skips_without_peer, platform_security_live,
	 firmware_smbios_live, peer_round_trip_with_peer_transfer, peer_over_ipv6_loopback,
	 peer_rejects_a_malformed_header_and_keeps_serving, peer_refuses_a_bad_listen_address,
	 peer_transfer_to_nobody_is_an_error, quick_checks_are_quick,
	 fault_storage_block_corrupted_between_write_and_read_back, fault_loopback_transfer_truncated,
	 fault_peer_transfer_truncated)
