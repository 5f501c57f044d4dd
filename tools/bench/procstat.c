#include "procstat.h"

#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <sys/resource.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* utime + stime of a stat file (a process's or a thread's), and its comm
 * if comm is not NULL. */
static int read_stat_cpu(const char *path, double *cpu_s, char *comm, size_t comm_len)
{
	char buf[1024], *p, *open;
	unsigned long long ut, st;
	FILE *f;
	size_t n;

	f = fopen(path, "r");
	if (!f)
		return -errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	open = strchr(buf, '(');
	p = strrchr(buf, ')');   /* comm may hold spaces */
	if (!open || !p || p < open ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -EINVAL;
	if (comm)
		snprintf(comm, comm_len, "%.*s", (int)(p - open - 1), open + 1);
	*cpu_s = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
	return 0;
}

static int read_cpu(pid_t pid, double *cpu_s)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	return read_stat_cpu(path, cpu_s, NULL, 0);
}

/* The CPU time of pid's threads named WRITER_COMM (the recorder's writer
 * threads: encode, compress, write, index); a thread that has exited is
 * no longer counted. */
#define WRITER_COMM "bpfrec-writer"
static void read_writers(pid_t pid, double *cpu_s)
{
	char path[96], comm[32];
	struct dirent *de;
	DIR *dir;

	*cpu_s = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		double t;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.20s/stat", (int)pid, de->d_name);
		if (read_stat_cpu(path, &t, comm, sizeof(comm)) == 0 && !strcmp(comm, WRITER_COMM))
			*cpu_s += t;
	}
	closedir(dir);
}

static int read_status(pid_t pid, struct procstat *ps)
{
	char path[64], line[256];
	unsigned long long v;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "VmHWM: %llu", &v) == 1)
			ps->hwm_kib = v;
		else if (sscanf(line, "VmRSS: %llu", &v) == 1)
			ps->rss_kib = v;
	}
	fclose(f);
	return 0;
}

/* Sums Size and Rss of the mappings that are rings: a BPF map mmap
 * (anon_inode:bpf-map: ringbufs) or a perf event buffer. */
static int read_rings(pid_t pid, struct procstat *ps)
{
	char path[64], line[512];
	unsigned long long v;
	int ring = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi;

		if (sscanf(line, "%llx-%llx ", &lo, &hi) == 2 && strchr(line, ' ')) {
			ring = strstr(line, "bpf-map") || strstr(line, "perf_event") ||
			       strstr(line, "bpf_ringbuf");
			continue;
		}
		if (!ring)
			continue;
		if (sscanf(line, "Size: %llu", &v) == 1)
			ps->ring_size_kib += v;
		else if (sscanf(line, "Rss: %llu", &v) == 1)
			ps->ring_rss_kib += v;
	}
	fclose(f);
	return 0;
}

int procstat__read(pid_t pid, struct procstat *ps)
{
	int err;

	memset(ps, 0, sizeof(*ps));
	err = read_cpu(pid, &ps->cpu_s);
	if (!err)
		read_writers(pid, &ps->writers_cpu_s);
	if (!err)
		err = read_status(pid, ps);
	if (!err)
		err = read_rings(pid, ps);
	return err;
}

uint64_t procstat__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int procstat__pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

void procstat__wait_quiet(pid_t pid, struct procstat *ps)
{
	struct timespec d = { 0, 100 * 1000 * 1000 };
	double last = ps->cpu_s;
	int still = 0, i;

	for (i = 0; i < 100 && still < 3; i++) {
		nanosleep(&d, NULL);
		if (procstat__read(pid, ps))
			return;
		still = ps->cpu_s - last <= 0.0101 ? still + 1 : 0;   /* <= 1 tick: idle */
		last = ps->cpu_s;
	}
}

double procstat__cpu_pressure_s(void)
{
	unsigned long long total;
	FILE *f = fopen("/proc/pressure/cpu", "r");
	int n;

	if (!f)
		return -1;
	n = fscanf(f, "some avg10=%*f avg60=%*f avg300=%*f total=%llu", &total);
	fclose(f);
	return n == 1 ? (double)total / 1e6 : -1;
}

double procstat__self_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}
