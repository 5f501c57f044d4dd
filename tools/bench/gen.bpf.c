// SPDX-License-Identifier: GPL-2.0
/* gen.bpf.c - the benchmark's in-kernel event generator.
 *
 * bench_gen is a SEC("syscall") program: gen.c runs it with
 * bpf_prog_test_run_opts(), and each run emits args->count 64-byte events
 * (struct gen_event) into the ringbuf `events` with bpf_loop, without
 * wakeups.  It returns how many it submitted; the others failed to reserve
 * (ring full) and are counted in bpfrec_lost, so produced == recorded + lost.
 *
 * The events look like a busy machine's file-system calls, so that bytes per
 * event on disk mean something: ~2000 tasks (half the events from 64 hot
 * ones) in bursts of 1-32 calls, a few threads per task, 320 comms (a
 * function of the pid), file-name hashes (each task uses 8 of 4096 files),
 * six operations with their usual results, log-uniform latencies (noisy low
 * bits) and real timestamps.  Roughly 25-30 bits of entropy per event.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "bpfrec.h"
#include "bench.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 32 << 20);
} events SEC(".maps");
BPFREC_EVENT(events, gen_event);
BPFREC_LOST_COUNTER;

static const char names[32][16] = {
	"nginx", "postgres", "python3", "java", "node", "bash", "sshd", "systemd",
	"containerd", "dockerd", "kworker/u8:", "rsyslogd", "cron", "redis-server",
	"php-fpm", "gunicorn", "ruby", "git", "make", "cc1", "ld", "sh", "sleep",
	"journald", "dbus-daemon", "polkitd", "chronyd", "kubelet", "etcd", "envoy",
	"grafana", "prometheus",
};
/* In .rodata by name: clang would put 32 bytes in .rodata.cst32, which
 * libbpf does not map. */
static const __u8 name_len[32] __attribute__((section(".rodata"))) = {
	5, 8, 7, 4, 4, 4, 4, 7, 10, 7, 11, 8, 4, 12, 7, 8, 4, 3, 4, 3, 2, 2, 5,
	8, 11, 7, 7, 7, 4, 5, 7, 10,
};

struct gen_state {
	__u64 rng;          /* xorshift64* state */
	__u64 seq;
	__u32 pid, tid0;
	__u32 burst_left;   /* events left in the current task's burst */
	__u32 comm_idx;     /* 0..319 */
	__u32 file_base;    /* 0..4095 */
	__u32 nthreads;
	__u32 ok;           /* events submitted */
};

static __always_inline __u64 rnd(struct gen_state *s)
{
	__u64 x = s->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	s->rng = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* x mod n for a uniform 16-bit x, without a division (the JIT's div is
 * ~30 cycles): floor(x * n / 2^16). */
static __always_inline __u32 below(__u64 x, __u32 n)
{
	return (__u32)(((x & 0xffff) * n) >> 16);
}

static __always_inline __u64 mix64(__u64 z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static __always_inline void new_task(struct gen_state *s)
{
	__u64 r = rnd(s), h;

	if (r & 1)
		s->pid = 1000 + ((r >> 8) & 63);          /* hot tasks */
	else
		s->pid = 1000 + below(r >> 8, 2000);
	h = mix64(s->pid);
	s->tid0 = s->pid;
	s->nthreads = (h & 3) == 0 ? 8 : 1;              /* a quarter are threaded */
	s->comm_idx = below(h >> 8, 320);
	s->file_base = (h >> 20) & 4095;
	s->burst_left = 1 + ((r >> 32) & 31);
}

static long emit(__u64 i, void *ctx)
{
	struct gen_state *s = ctx;
	struct gen_event *e;
	__u64 r, r2;
	__u32 b, v, len, op, shift;

	if (!s->burst_left)
		new_task(s);
	s->burst_left--;
	s->seq++;
	r = rnd(s);
	r2 = rnd(s);

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		bpfrec_count_lost();
		return 0;
	}
	e->ts_ns = bpf_ktime_get_boot_ns();
	e->pid = s->pid;
	e->tid = s->nthreads > 1 ? s->tid0 + (r & 7) : s->tid0;
	e->seq = s->seq;

	b = s->comm_idx & 31;
	v = s->comm_idx >> 5;
	__builtin_memcpy(e->comm, names[b], 16);
	if (v) {
		len = name_len[b];
		e->comm[len & 15] = '0' + v;   /* len <= 12: stays NUL-terminated */
	}

	e->path_hash = mix64(0x5eed0000ull + ((s->file_base + ((r >> 4) & 7)) & 4095));

	v = below(r >> 8, 100);              /* op mix */
	op = v < 40 ? GEN_READ : v < 60 ? GEN_WRITE : v < 75 ? GEN_STAT :
	     v < 85 ? GEN_OPEN : v < 95 ? GEN_CLOSE : GEN_FSYNC;
	e->op = op;
	v = below(r >> 24, 100);
	switch (op) {
	case GEN_READ:
	case GEN_WRITE:
		e->ret = v < 50 ? 4096 : v < 65 ? 65536 : v < 75 ? 0 :
			 v < 78 ? -11 /* EAGAIN */ : (__s32)((r2 >> 40) & 4095);
		break;
	case GEN_OPEN:
		e->ret = v < 12 ? -2 /* ENOENT */ : 3 + (__s32)((r2 >> 40) & 31);
		break;
	case GEN_STAT:
		e->ret = v < 20 ? -2 : 0;
		break;
	default:
		e->ret = 0;
	}
	shift = 8 + below(r2 >> 20, 12);              /* 256 ns .. 1 ms */
	e->latency_ns = (1ull << shift) + (r2 & ((1ull << shift) - 1));
	bpf_ringbuf_submit(e, BPFREC_RB_FLAGS);
	s->ok++;
	return 0;
}

SEC("syscall")
int bench_gen(struct gen_args *args)
{
	struct gen_state s = {};
	__u32 n = args->count;

	s.rng = mix64(args->seed | 1ull << 40) | 1;
	s.seq = args->seq0;
	if (n > GEN_MAX_PER_RUN)
		n = GEN_MAX_PER_RUN;
	bpf_loop(n, emit, &s, 0);
	return s.ok;
}

/* bpfrec attaches every program by its SEC() name and refuses an object of
 * which none attached; a SEC("syscall") program has no attach point (it only
 * runs by BPF_PROG_TEST_RUN).  This one attaches to a syscall nobody makes
 * (acct(2)) and does nothing, so that bpfrec records the object. */
SEC("tp/syscalls/sys_enter_acct")
int bench_gen_anchor(void *ctx)
{
	return 0;
}
