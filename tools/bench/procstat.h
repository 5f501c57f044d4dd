/* procstat.h - what the benchmark reads about a recorder process in /proc. */
#ifndef BPFREC_BENCH_PROCSTAT_H
#define BPFREC_BENCH_PROCSTAT_H

#include <stdint.h>
#include <sys/types.h>

struct procstat {
	double cpu_s;           /* utime + stime of every thread, seconds */
	double writers_cpu_s;   /* of those, the writer threads' (named bpfrec-writer) */
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
/* Seconds since boot in which some runnable task waited for a CPU (PSI,
 * /proc/pressure/cpu "some"); negative when the kernel has no PSI.  Over a
 * measurement, its share of the wall time says how contended the CPUs were
 * (by our own processes or by others).  Not /proc/stat: on a tickless
 * kernel its busy times are sampled at ticks and miss the short runs of a
 * timer-driven recorder, and a VM's idle time lags. */
double procstat__cpu_pressure_s(void);
/* CPU seconds this process used (getrusage). */
double procstat__self_s(void);
/* CLOCK_MONOTONIC in ns. */
uint64_t procstat__now_ns(void);
/* Pins the calling thread to cpu; 0 or -errno. */
int procstat__pin(int cpu);

#endif
