/* sysloop - the benchmark's syscall-driven load: N getppid() calls in a tight
 * loop on one CPU, then what it cost and what a recorder spent meanwhile.
 *
 *   sysloop [--cpu C] [--watch PID] [--no-tail] [--bpf-stats PREFIX] [--open] N
 *
 * --open: openat() of a path that does not exist (40 bytes, the same each
 * call) instead of getppid(): a call whose probe copies a string
 * (`--syscalls openat`).
 * Pinned to CPU C (default 0) so that a recorder mostly runs on the other.
 * PID (default: the parent, i.e. the recorder that started us) is the
 * recorder: its CPU time (every thread, /proc/PID/stat) is read before and
 * after the loop, then again once it has gone quiet (the tail: draining and
 * writing what the loop produced; at most 10 s), with its peak RSS and the
 * RSS of its mapped rings.  With --bpf-stats, the kernel times every BPF
 * program during the loop (BPF_ENABLE_STATS; each run then costs ~20 ns
 * more) and the line has prog_ns, the run time per run of the programs
 * whose name starts with PREFIX, and prog_ns_per_call, their run time per
 * call of the loop (a hook on every syscall also runs, briefly, for the
 * other processes' calls): the probe's own cost, which other work on the
 * machine inflates far less than the loop's wall time.  Prints
 * one line of key=value pairs on stdout.
 * The process's name must stay "sysloop": the probes filter on it.
 */
#include "procstat.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

static pid_t parent_pid(void)
{
	char line[256];
	int ppid = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "PPid: %d", &ppid) == 1)
			break;
	fclose(f);
	return ppid;   /* not getppid(): that call is the traced one */
}

/* Run time and runs so far of each program whose name starts with prefix. */
#define MAX_PROGS 256
struct prog_stat {
	uint32_t id;
	uint64_t ns, runs;
};

static size_t prog_stats(const char *prefix, struct prog_stat *v)
{
	uint32_t id = 0;
	size_t n = 0;

	while (n < MAX_PROGS && bpf_prog_get_next_id(id, &id) == 0) {
		struct bpf_prog_info info;
		uint32_t len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
		    !strncmp(info.name, prefix, strlen(prefix)))
			v[n++] = (struct prog_stat){ id, info.run_time_ns, info.run_cnt };
		close(fd);
	}
	return n;
}

/* What the programs of `after` did since `before`, matched by id: a program
 * unloaded meanwhile (an earlier run's, still going away) adds nothing; one
 * loaded meanwhile adds all it did.  Sums of the two scans instead went
 * negative (printed as ~1.8e19 / runs) when a program left between them. */
static void prog_delta(const struct prog_stat *before, size_t nb,
		       const struct prog_stat *after, size_t na, uint64_t *ns, uint64_t *runs)
{
	*ns = *runs = 0;
	for (size_t i = 0; i < na; i++) {
		uint64_t ns0 = 0, runs0 = 0;

		for (size_t j = 0; j < nb; j++)
			if (before[j].id == after[i].id) {
				ns0 = before[j].ns;
				runs0 = before[j].runs;
			}
		if (after[i].ns >= ns0 && after[i].runs >= runs0) {
			*ns += after[i].ns - ns0;
			*runs += after[i].runs - runs0;
		}
	}
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "cpu", required_argument, NULL, 'c' },
		{ "watch", required_argument, NULL, 'w' },
		{ "no-tail", no_argument, NULL, 'n' },
		{ "bpf-stats", required_argument, NULL, 's' },
		{ "open", no_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct procstat before = { 0 }, after = { 0 }, tail = { 0 };
	int cpu = 0, opt, have_rec, tail_on = 1, open_calls = 0;
	pid_t watch = -1;
	const char *stats_prefix = NULL;
	static struct prog_stat progs0[MAX_PROGS], progs1[MAX_PROGS];
	size_t nprogs0 = 0, nprogs1 = 0;
	uint64_t prog_ns = 0, prog_runs = 0;
	int stats_fd = -1;
	unsigned long long n, i;
	uint64_t t0, t1;
	double psi0, psi1;
	struct rusage ru;
	char *end;

	while ((opt = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			cpu = atoi(optarg);
			break;
		case 'w':
			watch = atoi(optarg);
			break;
		case 'n':
			tail_on = 0;
			break;
		case 's':
			stats_prefix = optarg;
			break;
		case 'o':
			open_calls = 1;
			break;
		default:
			fprintf(stderr, "usage: sysloop [--cpu C] [--watch PID] [--no-tail] [--bpf-stats PREFIX] [--open] N\n");
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: sysloop [--cpu C] [--watch PID] [--no-tail] [--bpf-stats PREFIX] [--open] N\n");
		return 2;
	}
	errno = 0;
	n = strtoull(argv[optind], &end, 0);
	if (errno || *end || !n) {
		fprintf(stderr, "sysloop: N %s: expected a positive count\n", argv[optind]);
		return 2;
	}
	if (procstat__pin(cpu))
		fprintf(stderr, "sysloop: cannot pin to CPU %d: %s\n", cpu, strerror(errno));
	if (watch < 0)
		watch = parent_pid();
	have_rec = watch > 1 && procstat__read(watch, &before) == 0;

	if (stats_prefix) {
		stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (stats_fd < 0)
			fprintf(stderr, "sysloop: --bpf-stats: BPF_ENABLE_STATS: %s\n", strerror(errno));
		nprogs0 = prog_stats(stats_prefix, progs0);
	}
	psi0 = procstat__cpu_pressure_s();
	t0 = procstat__now_ns();
	if (open_calls)
		for (i = 0; i < n; i++)
			syscall(SYS_openat, AT_FDCWD, "/nonexistent/bpfrec-sysloop/open-target", O_RDONLY);
	else
		for (i = 0; i < n; i++)
			syscall(SYS_getppid);
	t1 = procstat__now_ns();
	psi1 = procstat__cpu_pressure_s();
	if (stats_fd >= 0) {
		nprogs1 = prog_stats(stats_prefix, progs1);
		close(stats_fd);
		prog_delta(progs0, nprogs0, progs1, nprogs1, &prog_ns, &prog_runs);
	}

	if (have_rec && procstat__read(watch, &after) == 0) {
		tail = after;
		if (tail_on)
			procstat__wait_quiet(watch, &tail);
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("sysloop calls=%llu wall_s=%.6f ns_per_call=%.1f self_cpu_s=%.3f",
	       n, (double)(t1 - t0) / 1e9, (double)(t1 - t0) / (double)n,
	       (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	if (have_rec)
		printf(" rec_pid=%d rec_cpu_window_s=%.2f rec_cpu_s=%.2f rec_hwm_kib=%llu "
		       "rec_rss_kib=%llu rec_ring_rss_kib=%llu rec_ring_size_kib=%llu",
		       (int)watch, after.cpu_s - before.cpu_s, tail.cpu_s - before.cpu_s,
		       (unsigned long long)tail.hwm_kib, (unsigned long long)tail.rss_kib,
		       (unsigned long long)tail.ring_rss_kib,
		       (unsigned long long)tail.ring_size_kib);
	if (stats_fd >= 0 && prog_runs)
		printf(" prog_ns=%.1f prog_runs=%llu prog_ns_per_call=%.1f",
		       (double)prog_ns / (double)prog_runs, (unsigned long long)prog_runs,
		       (double)prog_ns / (double)n);
	/* How contended the CPUs were meanwhile: the measurement is only as
	 * good as this is small, unless it is our own recorder's doing. */
	if (psi0 >= 0 && psi1 >= 0)
		printf(" cpu_pressure=%.2f", (psi1 - psi0) / ((double)(t1 - t0) / 1e9));
	printf("\n");
	return 0;
}
