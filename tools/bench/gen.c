/* gen - drives the in-kernel generator (gen.bpf.c) that bpfrec has loaded.
 *
 *   gen [--cpu C] [--rate EV_PER_S] [--seconds T] [--batch K] [--watch PID]
 *
 * Finds the newest loaded BPF_PROG_TYPE_SYSCALL program named bench_gen (needs
 * root), then runs it with bpf_prog_test_run_opts() on CPU C (default 0) so
 * that RATE events per second (default 1M) come out for T seconds (default
 * 10), in runs of at most K events (default 8192) paced on a 1 ms grid.  When
 * the program cannot keep up it runs flat out: the rate it reports is the
 * rate it produced.  PID (default: the parent, i.e. bpfrec running us as its
 * COMMAND) is the recorder whose CPU time and RSS it reports, like sysloop.
 * Prints one line of key=value pairs on stdout:
 *   produced   events the program tried to emit
 *   failed     of those, reserves that failed (ring full: bpfrec counts them
 *              as losses through BPFREC_LOST_COUNTER)
 */
#include "bench.h"
#include "procstat.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define PROG_NAME "bench_gen"

/* The fd of the newest loaded syscall program named PROG_NAME, or -errno. */
static int find_prog(void)
{
	__u32 id = 0, best = 0;
	int fd;

	while (bpf_prog_get_next_id(id, &id) == 0) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);

		fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0)
			continue;   /* unloaded meanwhile */
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
		    info.type == BPF_PROG_TYPE_SYSCALL && !strcmp(info.name, PROG_NAME))
			best = id;
		close(fd);
	}
	if (!best)
		return -ENOENT;
	fd = bpf_prog_get_fd_by_id(best);
	return fd < 0 ? -errno : fd;
}

static pid_t parent_pid(void)
{
	return getppid();
}

static void usage(FILE *f)
{
	fprintf(f, "usage: gen [--cpu C] [--rate EV_PER_S] [--seconds T] [--batch K] "
		   "[--watch PID]\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "cpu", required_argument, NULL, 'c' },
		{ "rate", required_argument, NULL, 'r' },
		{ "seconds", required_argument, NULL, 's' },
		{ "batch", required_argument, NULL, 'b' },
		{ "watch", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct procstat before = { 0 }, after = { 0 }, tail = { 0 };
	double rate = 1e6, seconds = 10;
	unsigned long long produced = 0, failed = 0, runs = 0, errors = 0;
	unsigned long batch = 8192;
	int cpu = 0, opt, fd = -ENOENT, i, have_rec;
	pid_t watch = -1;
	uint64_t t0, t1, dur_ns, tick;
	double psi0, psi1;
	struct rusage ru;

	while ((opt = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (opt) {
		case 'c': cpu = atoi(optarg); break;
		case 'r': rate = strtod(optarg, NULL); break;
		case 's': seconds = strtod(optarg, NULL); break;
		case 'b': batch = strtoul(optarg, NULL, 0); break;
		case 'w': watch = atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || rate <= 0 || seconds <= 0 || seconds > 3600 || !batch ||
	    batch > GEN_MAX_PER_RUN) {
		usage(stderr);
		fprintf(stderr, "gen: rate > 0, 0 < seconds <= 3600, 1 <= batch <= %u\n",
			GEN_MAX_PER_RUN);
		return 2;
	}
	if (procstat__pin(cpu))
		fprintf(stderr, "gen: cannot pin to CPU %d: %s\n", cpu, strerror(errno));
	for (i = 0; i < 100 && fd < 0; i++) {   /* bpfrec loads before it runs us */
		fd = find_prog();
		if (fd < 0)
			usleep(50 * 1000);
	}
	if (fd < 0) {
		fprintf(stderr, "gen: no loaded syscall program named %s (%s): run me "
			"under bpfrec record --bpf bench_gen.bpf.o\n", PROG_NAME, strerror(-fd));
		return 1;
	}
	if (watch < 0)
		watch = parent_pid();
	have_rec = watch > 1 && procstat__read(watch, &before) == 0;

	dur_ns = (uint64_t)(seconds * 1e9);
	psi0 = procstat__cpu_pressure_s();
	t0 = procstat__now_ns();
	for (tick = 1;; tick++) {
		uint64_t due = t0 + tick * 1000000ull, now;
		unsigned long long want;
		struct timespec ts;

		if (due > t0 + dur_ns)
			due = t0 + dur_ns;
		want = (unsigned long long)(rate * (double)(due - t0) / 1e9);
		while (produced < want) {
			struct gen_args args = {
				.count = (__u32)(want - produced < batch ? want - produced : batch),
				.seed = (__u32)runs,
				.seq0 = produced,
			};
			LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = &args,
				    .ctx_size_in = sizeof(args));

			if (bpf_prog_test_run_opts(fd, &o)) {
				if (++errors == 1)
					fprintf(stderr, "gen: test run: %s\n", strerror(errno));
				if (errors > 100)
					goto done;
				continue;
			}
			runs++;
			produced += args.count;
			failed += args.count - (o.retval < args.count ? o.retval : args.count);
			if (procstat__now_ns() >= t0 + dur_ns)
				break;   /* behind: stop at T even so */
		}
		now = procstat__now_ns();
		if (now >= t0 + dur_ns)
			break;
		if (now < due) {
			ts.tv_sec = (time_t)(due / 1000000000ull);
			ts.tv_nsec = (long)(due % 1000000000ull);
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		}
	}
done:
	t1 = procstat__now_ns();
	psi1 = procstat__cpu_pressure_s();
	close(fd);
	if (have_rec && procstat__read(watch, &after) == 0) {
		tail = after;
		procstat__wait_quiet(watch, &tail);
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("gen target_rate=%.0f produced=%llu failed=%llu runs=%llu errors=%llu "
	       "wall_s=%.6f rate=%.0f self_cpu_s=%.3f",
	       rate, produced, failed, runs, errors, (double)(t1 - t0) / 1e9,
	       (double)produced * 1e9 / (double)(t1 - t0),
	       (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	if (have_rec)
		printf(" rec_pid=%d rec_cpu_window_s=%.2f rec_cpu_s=%.2f rec_writers_cpu_s=%.2f "
		       "rec_hwm_kib=%llu rec_rss_kib=%llu rec_ring_rss_kib=%llu "
		       "rec_ring_size_kib=%llu",
		       (int)watch, after.cpu_s - before.cpu_s, tail.cpu_s - before.cpu_s,
		       tail.writers_cpu_s - before.writers_cpu_s,
		       (unsigned long long)tail.hwm_kib, (unsigned long long)tail.rss_kib,
		       (unsigned long long)tail.ring_rss_kib,
		       (unsigned long long)tail.ring_size_kib);
	/* How contended the CPUs were meanwhile: the measurement is only as
	 * good as this is small, unless it is our own recorder's doing. */
	if (psi0 >= 0 && psi1 >= 0)
		printf(" cpu_pressure=%.2f", (psi1 - psi0) / ((double)(t1 - t0) / 1e9));
	printf("\n");
	return errors > 100 ? 1 : 0;
}
