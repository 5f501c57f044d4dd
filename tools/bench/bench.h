/* bench.h - the event structs of the benchmark probes (tools/bench), shared
 * by the BPF side and the user-space drivers.  Both are exactly 64 bytes:
 * the record size (issue 5). */
#ifndef BPFREC_BENCH_H
#define BPFREC_BENCH_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* The BPF side includes bpfrec.h first: the timestamp field is then typed
 * bpfrec_ts_ns, which tells bpfrec to use it as the record's time. */
#ifdef BPFREC_H
#define BENCH_TS_NS bpfrec_ts_ns
#else
#define BENCH_TS_NS __u64
#endif

/* One getppid() call, from any of getppid.bpf.c's hooks. */
struct getppid_event {
	BENCH_TS_NS ts_ns;  /* bpf_ktime_get_boot_ns() */
	__u32 pid, tid;     /* tgid and thread id of the caller */
	__u64 seq;          /* per-CPU count of events produced, from 1 */
	char comm[16];
	__u64 syscall_nr;   /* args->id */
	__u64 cgroup_id;    /* bpf_get_current_cgroup_id() */
	__u32 uid;          /* low half of bpf_get_current_uid_gid() */
	__u32 cpu;          /* bpf_get_smp_processor_id() */
};

/* One synthetic file-system call from the in-kernel generator (gen.bpf.c):
 * varied like a real syscall trace, not random noise and not constant. */
struct gen_event {
	BENCH_TS_NS ts_ns;  /* bpf_ktime_get_boot_ns() */
	__u32 pid, tid;     /* ~2000 tasks, a few threads each; bursts per task */
	__u64 seq;          /* events produced by this run, from 1 */
	char comm[16];      /* a few hundred names, a function of the pid */
	__u64 path_hash;    /* hash of a file name: each task touches a few of 4096 */
	__u32 op;           /* enum gen_op */
	__s32 ret;          /* bytes for reads and writes, fd for open, -errno */
	__u64 latency_ns;   /* log-uniform, 300 ns .. ~1 ms */
};

enum gen_op { GEN_OPEN = 1, GEN_READ, GEN_WRITE, GEN_CLOSE, GEN_STAT, GEN_FSYNC };

/* The argument of the generator program (bpf_prog_test_run ctx_in). */
struct gen_args {
	__u32 count;        /* events to emit in this run (<= GEN_MAX_PER_RUN) */
	__u32 seed;         /* PRNG seed of this run */
	__u64 seq0;         /* seq of the run's first event, minus 1 */
};

#define GEN_MAX_PER_RUN (1u << 16)

#ifndef __bpf__
_Static_assert(sizeof(struct getppid_event) == 64, "getppid_event layout");
_Static_assert(sizeof(struct gen_event) == 64, "gen_event layout");
#endif

#endif
