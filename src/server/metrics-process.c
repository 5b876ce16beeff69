/*
 * metrics-process.c - the process's own figures on /metrics, named and
 * meant as the Prometheus client libraries' process collector writes
 * them (client_golang prometheus/process_collector.go, whose HELP texts
 * these are), so that dashboards and alerts written for any exporter
 * read them unchanged:
 *
 *   process_cpu_seconds_total      counter  user and system CPU time, seconds
 *   process_resident_memory_bytes  gauge    resident set size
 *   process_virtual_memory_bytes   gauge    virtual memory size
 *   process_open_fds               gauge    open file descriptors
 *   process_max_fds                gauge    the soft RLIMIT_NOFILE
 *   process_start_time_seconds     gauge    start, seconds since the epoch
 *
 * and covalid_build_info{version, backend} 1, the usual "info" metric
 * (a constant 1 whose labels say what runs).
 *
 * Read from /proc as the collector does on Linux: statm (pages), stat's
 * starttime (clock ticks after boot) with /proc/stat's btime, the entries
 * of /proc/self/fd.  A source that cannot be read leaves its metric out
 * rather than writing a wrong 0 (a missing /proc is absent, not an error).
 */
#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include "covalid/covalid.h"
#include "covalid/server.h"
#include "covalid/store.h"
#include "server/http-internal.h"
#include "util/cv.h"

#define M(...) (void)!cv_buf_printf(b, __VA_ARGS__)

static int read_small(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	return n ? 0 : -ENODATA;
}

/* Field 22 of /proc/self/stat: after the ")" that ends comm (which may hold
 * spaces and parentheses), starttime is the 20th field. */
static int start_ticks(unsigned long long *ret)
{
	char buf[1024], *p;
	unsigned long long v = 0;

	if (read_small("/proc/self/stat", buf, sizeof(buf)) < 0 || !(p = strrchr(buf, ')')))
		return -ENOENT;
	p++;
	for (int field = 3; field <= 22; field++) {
		char *end;

		while (*p == ' ')
			p++;
		if (field == 22) {
			errno = 0;
			v = strtoull(p, &end, 10);
			if (errno || end == p)
				return -EINVAL;
			*ret = v;
			return 0;
		}
		p += strcspn(p, " ");
		if (!*p)
			return -EINVAL;
	}
	return -EINVAL;
}

static int boot_time(unsigned long long *ret)
{
	char buf[16384], *p;

	if (read_small("/proc/stat", buf, sizeof(buf)) < 0 || !(p = strstr(buf, "\nbtime ")))
		return -ENOENT;
	return sscanf(p + 7, "%llu", ret) == 1 ? 0 : -EINVAL;
}

static long open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	long n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	/* Less the descriptor that read the directory: it is ours, not the server's. */
	return n > 0 ? n - 1 : 0;
}

void metrics_process(struct server *srv, struct cv_buf *b)
{
	struct rusage ru;
	struct rlimit rl;
	unsigned long long vm_pages, rss_pages, st, bt;
	long page = sysconf(_SC_PAGESIZE), hz = sysconf(_SC_CLK_TCK), fds;
	char statm[256];

	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		M("# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
		  "# TYPE process_cpu_seconds_total counter\n");
		M("process_cpu_seconds_total %.6f\n", (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
							      (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
	}
	if (page > 0 && read_small("/proc/self/statm", statm, sizeof(statm)) == 0 &&
	    sscanf(statm, "%llu %llu", &vm_pages, &rss_pages) == 2) {
		M("# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n"
		  "# TYPE process_virtual_memory_bytes gauge\n");
		M("process_virtual_memory_bytes %llu\n", vm_pages * (unsigned long long)page);
		M("# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
		  "# TYPE process_resident_memory_bytes gauge\n");
		M("process_resident_memory_bytes %llu\n", rss_pages * (unsigned long long)page);
	}
	fds = open_fds();
	if (fds >= 0) {
		M("# HELP process_open_fds Number of open file descriptors.\n# TYPE process_open_fds gauge\n");
		M("process_open_fds %ld\n", fds);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		M("# HELP process_max_fds Maximum number of open file descriptors.\n# TYPE process_max_fds gauge\n");
		if (rl.rlim_cur == RLIM_INFINITY)
			M("process_max_fds +Inf\n");
		else
			M("process_max_fds %llu\n", (unsigned long long)rl.rlim_cur);
	}
	if (hz > 0 && start_ticks(&st) == 0 && boot_time(&bt) == 0) {
		M("# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n"
		  "# TYPE process_start_time_seconds gauge\n");
		M("process_start_time_seconds %.2f\n", (double)bt + (double)st / (double)hz);
	}
	M("# HELP covalid_build_info The covalid release this server runs and its database backend; always 1.\n"
	  "# TYPE covalid_build_info gauge\n");
	M("covalid_build_info{version=\"%s\",backend=\"%s\"} 1\n", COVALID_VERSION,
	  store_backend_of(srv->opt->db ? srv->opt->db : ""));
}
