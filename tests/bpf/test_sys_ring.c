/* test_sys_ring.c - what --syscalls puts in its ring (bpf/sys.bpf.c,
 * loaded by recorder/sysrec.c, read here with libbpf's ring reader, not the
 * drain): a record ends after its last string.  A getppid is the 128-byte
 * fixed part alone (it was 640 bytes at the default string size), an
 * openat the fixed part and its path up to the NUL, a rename the first slot
 * whole and the second path up to its NUL; a path longer than the slot
 * fills it.  Every byte sent past a string's NUL is zero, also after a
 * call whose strings were longer (the slots are cleared, not left stale),
 * so the drain's zero-fill (test_rec_drain) gives the same record the
 * program would have sent whole.  Under both hooks (raw where the kernel
 * has it, classic), at string sizes 256 and 16.  Values checked one by
 * one: the number, pid, tid, return value, arguments and strings. */
#include "faultutil.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/types.h>
#include <sys/syscall.h>

#include "bpfobj.h"
#include "sysfs.h"
#include "sysrec.h"
#include "sys.h"

#define NREC 64
static struct got {
	uint32_t len;
	_Alignas(8) uint8_t bytes[sizeof(struct sys_event) + 2 * 256];   /* read as sys_event */
} got[NREC];
static int ngot;

static int on_rec(void *ctx, void *data, size_t len)
{
	const struct sys_event *e = data;

	(void)ctx;
	CHECK(len >= sizeof(*e));
	if (e->pid != (uint32_t)getpid())
		return 0;
	CHECK(ngot < NREC && len <= sizeof(got[0].bytes));
	got[ngot].len = (uint32_t)len;
	memcpy(got[ngot].bytes, data, len);
	ngot++;
	return 0;
}

static int take(struct bpfobj *o, void *ctx)
{
	*(struct bpfobj **)ctx = o;
	return 0;
}

/* Record i: syscall nr, returned ret, its length len, its strings (NULL:
 * none) each ending at its NUL or at the slot's end, every other byte of
 * the slots sent zero. */
static void check_rec(int line, int i, uint32_t sz, long nr, long ret, const char *s0,
		      const char *s1)
{
	const struct sys_event *e = (const void *)got[i].bytes;
	const uint8_t *slots = got[i].bytes + sizeof(*e);
	uint32_t want = sizeof(*e), sent, k;
	/* the text a slot holds: the string, cut to sz - 1 bytes, then a NUL */
	size_t t0 = s0 ? strlen(s0) : 0, t1 = s1 ? strlen(s1) : 0;

	if (t0 > sz - 1)
		t0 = sz - 1;
	if (t1 > sz - 1)
		t1 = sz - 1;
	want += s1 ? sz + (uint32_t)t1 + 1 : s0 ? (uint32_t)t0 + 1 : 0;
	if (i >= ngot || e->nr != (uint32_t)nr || e->ret != ret || got[i].len != want ||
	    e->tid != (uint32_t)syscall(SYS_gettid) || !e->returned) {
		fprintf(stderr, "line %d: record %d of %d: nr %u ret %lld len %u tid %u "
			"returned %u, expected nr %ld ret %ld len %u\n", line, i, ngot, e->nr,
			(long long)e->ret, got[i].len, e->tid, e->returned, nr, ret, want);
		exit(1);
	}
	sent = got[i].len - (uint32_t)sizeof(*e);
	if (s0)
		CHECK(!memcmp(slots, s0, t0));
	if (s1)
		CHECK(!memcmp(slots + sz, s1, t1));
	/* every other byte sent: zero (a NUL, or what the slot was cleared to) */
	for (k = 0; k < sent; k++) {
		int in0 = s0 && k < t0;
		int in1 = s1 && k >= sz && k - sz < t1;

		if (!in0 && !in1 && slots[k]) {
			fprintf(stderr, "line %d: record %d: slot byte %u is 0x%02x, not 0\n", line,
				i, k, slots[k]);
			exit(1);
		}
	}
}
#define REC(i, nr, ret, s0, s1) check_rec(__LINE__, i, sz, nr, ret, s0, s1)

static void run(const char *tracing, enum sysrec_hook hook, uint32_t sz)
{
	static const char long_path[] = "/nonexistent/bpfrec-sys-ring/a-rather-long-path";
	static const char p_a[] = "/nonexistent/bpfrec-sys-ring-a";
	static const char p_b[] = "/nonexistent/b";
	struct bpfobj_opts oo = { .cgroup_fd = -1, .pid_map_fd = -1, .stack_map_fd = -1 };
	struct sysrec *s = sysrec__resolve("getppid,openat,rename", sz, hook, tracing);
	struct bpfobj *o = NULL;
	struct ring_buffer *rb;
	long ppid = getppid();
	int err;

	CHECK(s != NULL);
	err = sysrec__load(s, &oo, take, &o);
	if (err == -ENOTSUP && hook == SYSREC_HOOK_RAW) {
		printf("test_sys_ring: no raw syscall hooks here: the classic ones only\n");
		sysrec__free(s);
		bpfobj__close(o);
		return;
	}
	CHECK_EQ_INT(err, 0);
	rb = ring_buffer__new(bpf_object__find_map_fd_by_name(bpfobj__bpf_object(o), "sys_events"),
			      on_rec, NULL, NULL);
	CHECK(rb != NULL);
	CHECK(bpfobj__attach(o, 1) >= 1);
	ngot = 0;
	CHECK_EQ_INT((int)syscall(SYS_getppid), (int)ppid);                       /* 0 */
	CHECK((int)syscall(SYS_openat, AT_FDCWD, long_path, O_RDONLY) == -1);       /* 1 */
	CHECK((int)syscall(SYS_rename, p_a, p_b) == -1);                            /* 2 */
	CHECK_EQ_INT((int)syscall(SYS_getppid), (int)ppid);                       /* 3 */
	CHECK((int)syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY | O_DIRECTORY) >= 0); /* 4 */
	CHECK((int)syscall(SYS_rename, p_b, p_a) == -1);                            /* 5 */
	CHECK((int)syscall(SYS_openat, AT_FDCWD, p_b, O_RDONLY) == -1);             /* 6 */
	bpfobj__detach(o);
	CHECK(ring_buffer__consume(rb) >= 0);

	/* the calls attaching made (the classic hooks: libbpf opens a
	 * tracepoint's id file between them) come before the first getppid */
	while (ngot && ((struct sys_event *)got[0].bytes)->nr != SYS_getppid)
		memmove(got, got + 1, (size_t)--ngot * sizeof(got[0]));
	CHECK_EQ_INT(ngot, 7);
	REC(0, SYS_getppid, ppid, NULL, NULL);
	REC(1, SYS_openat, -ENOENT, long_path, NULL);
	REC(2, SYS_rename, -ENOENT, p_a, p_b);
	REC(3, SYS_getppid, ppid, NULL, NULL);
	{
		const struct sys_event *e = (const void *)got[4].bytes;

		CHECK(e->ret >= 0);
		close((int)e->ret);
		REC(4, SYS_openat, e->ret, "/", NULL);
	}
	REC(5, SYS_rename, -ENOENT, p_b, p_a);
	REC(6, SYS_openat, -ENOENT, p_b, NULL);
	printf("test_sys_ring: hook %s, string size %u: getppid %u bytes, openat of %zu "
	       "bytes %u, rename %u\n", hook == SYSREC_HOOK_RAW ? "raw" : "classic", sz,
	       got[0].len, sizeof(long_path), got[1].len, got[2].len);
	ring_buffer__free(rb);
	bpfobj__close(o);
	sysrec__free(s);
}

int main(void)
{
	const char *tracing = NULL;

	if (geteuid() != 0) {
		fprintf(stderr, "SKIPPED: needs root to load BPF programs\n");
		return 77;
	}
	CHECK_EQ_INT(sysfs__tracefs(&tracing), 0);
	bpfobj__setup_libbpf(0);
	for (int h = 0; h < 2; h++) {
		run(tracing, h ? SYSREC_HOOK_CLASSIC : SYSREC_HOOK_RAW, 256);
		run(tracing, h ? SYSREC_HOOK_CLASSIC : SYSREC_HOOK_RAW, 16);
	}
	puts("test_sys_ring: ok");
	return 0;
}
