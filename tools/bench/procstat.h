/* procstat.h - what the benchmark reads about a recorder process in /proc. */
#ifndef BPFREC_BENCH_PROCSTAT_H
#define BPFREC_BENCH_PROCSTAT_H

#include <stdint.h>
#include <sys/types.h>

struct procstat {
	double cpu_s;           /* utime + stime of every thread, seconds */
	uint64_t hwm_kib;       /* VmHWM: peak RSS */
	uint64_t rss_kib;       /* VmRSS now */
	uint64_t ring_rss_kib;  /* RSS of the mapped rings now (bpf-map, perf_event mappings) */
	uint64_t ring_size_kib; /* their mapped size */
};

/* 0, or -errno when pid's /proc files cannot be read (it exited). */
int procstat__read(pid_t pid, struct procstat *ps);
/* Waits until pid is about idle (3 samples 100 ms apart with at most one
 * 10 ms clock tick between each: an idle recorder's timer costs a few %),
 * at most 10 s; ps holds the last sample. */
void procstat__wait_quiet(pid_t pid, struct procstat *ps);
/* CPU seconds the whole machine spent busy since boot (every CPU: total
 * minus idle and iowait, from /proc/stat); negative on error. */
double procstat__busy_s(void);
/* CPU seconds this process used (getrusage). */
double procstat__self_s(void);
/* CLOCK_MONOTONIC in ns. */
uint64_t procstat__now_ns(void);
/* Pins the calling thread to cpu; 0 or -errno. */
int procstat__pin(int cpu);

#endif
