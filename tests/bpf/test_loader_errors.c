/* test_loader_errors.c - load failures explained in words.  Each broken
 * object in bad/ must make `bpfrec record --bpf` fail (no capture left)
 * with the program, its section, the useful verifier line and the hint:
 *   ctx_access      cgroup/sock_create reads bpf_sock.src_port
 *   core_renamed    a preserve_access_index struct the kernel lacks
 *   max_entries_0   a hash map of 0 entries
 *   no_license      a GPL-only helper without a GPL license
 *   (kernel BTF hidden) btf: not found -> --kernel-btf, which then works
 *   ringbuf_1000    a 1000-byte ringbuf: rounded up, said, and recorded;
 *                   --ringbuf-size MAP=1000 is a usage error with the rule
 *                   and the nearest valid size. */
#include "testutil.h"
#include "usertest.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

static struct ut u;

/* Records OBJ with /bin/true; expects exit 1, no capture, and needles. */
static void load_fails(const char *obj, const char *const needles[])
{
	const char *cap = ut_path(&u, obj);
	int rc = ut_bpfrec(&u, (char *[]){ "record", "-q", "-o", (char *)cap, "--probe", "none",
					   "--bpf", (char *)ut_obj(&u, obj), "--", "/bin/true",
					   NULL });

	if (rc != 1) {
		fprintf(stderr, "FAIL: %s: bpfrec exited %d, expected 1:\n%s\n", obj, rc, u.err);
		exit(1);
	}
	ut_err_has(&u, needles);
	CHECK(access(cap, F_OK) != 0);
}

static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
	size_t n;
	int err = !in || !out;

	while (!err && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		err = fwrite(buf, 1, n, out) != n;
	if (in)
		fclose(in);
	if (out && fclose(out))
		err = 1;
	return err ? -1 : 0;
}

/* In a private mount namespace with /sys/kernel/btf hidden under a tmpfs:
 * CO-RE fails with the --kernel-btf hint; --kernel-btf COPY records. */
static int without_kernel_btf(const char *copy)
{
	const char *cap = ut_path(&u, "nobtf"), *kv = ut_path(&u, "nobtf.kv");
	struct evlist l;
	const struct ev *e;
	int rc;

	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("none", "/sys/kernel/btf", "tmpfs", 0, NULL)) {
		printf("SKIPPED: cannot hide /sys/kernel/btf in a mount namespace: %s\n",
		       strerror(errno));
		return 77;
	}
	CHECK(access("/sys/kernel/btf/vmlinux", F_OK) != 0);
	/* No COMMAND: the object is the first (and only) thing to load. */
	rc = ut_bpfrec(&u, (char *[]){ "record", "-q", "-o", (char *)cap, "--probe", "none",
				       "--bpf", (char *)ut_obj(&u, "uperf"), "-d", "300ms", NULL });
	if (rc != 1) {
		fprintf(stderr, "FAIL: no kernel BTF: bpfrec exited %d, expected 1:\n%s\n", rc, u.err);
		return 1;
	}
	ut_err_has(&u, (const char *[]){ "uperf.bpf.o", "btf: not found", "--kernel-btf", NULL });
	CHECK(access(cap, F_OK) != 0);

	ut_bpfrec_ok(&u, (char *[]){ "record", "-q", "-o", (char *)cap, "--kernel-btf",
				     (char *)copy, "--probe", "none", "--bpf",
				     (char *)ut_obj(&u, "uperf"), "--", u.actor, (char *)kv, NULL });
	CHECK_EQ_INT(capload(cap, &l), 0);
	ut_want(&l, "exits", NULL, NULL, 2);
	e = ut_one(&l, "exits", "pid", ut_num(kv_get(kv, "pid")));
	CHECK_EQ_INT(ev_int(e, "exit_code"), 7);   /* a CO-RE read, relocated with the copy */
	e = ut_one(&l, "exits", "pid", ut_num(kv_get(kv, "child_pid")));
	CHECK_EQ_INT(ev_int(e, "ppid"), kv_get(kv, "pid"));
	capload_free(&l);
	return 0;
}

int main(void)
{
	const char *cap, *kv, *copy;
	long page = sysconf(_SC_PAGESIZE);
	char rule[128], rounded[256], nearest[64];
	struct evlist l;
	pid_t pid;
	int status, rc, btf_skipped = 0;

	ut_init(&u, "loader_errors");

	load_fails("bad_ctx_access", (const char *[]){
		"create_port", "SEC cgroup/sock_create", "invalid bpf_context access off=44 size=4",
		"bpf_sock.src_port", "hint:", "src_port only at post_bind4/6", NULL });
	load_fails("bad_core_renamed", (const char *[]){
		"exit_tgid", "SEC tp/sched/sched_process_exit",
		"failed to resolve CO-RE relocation", "struct my_task_struct.tgid",
		"hint: a CO-RE relocation names a type or field this kernel's BTF does not have",
		NULL });
	load_fails("bad_max_entries_0", (const char *[]){
		"bad_max_entries_0.bpf.o: loading into the kernel failed", "map 'zero_counts'",
		"failed to create", "hint: map zero_counts has max_entries 0", NULL });
	load_fails("bad_no_license", (const char *[]){
		"exit_comm", "SEC tp/sched/sched_process_exit",
		"cannot call GPL-restricted function from non-GPL compatible program",
		"calls bpf_get_current_task, a GPL-only helper",
		"hint:", "SEC(\"license\") = \"GPL\"", NULL });

	/* A 1000-byte ringbuf in the object: libbpf rounds it up; bpfrec says
	 * so, and records. */
	cap = ut_path(&u, "rb1000");
	kv = ut_path(&u, "rb1000.kv");
	ut_bpfrec_ok(&u, (char *[]){ "record", "-q", "-o", (char *)cap, "--probe", "none", "--bpf",
				     (char *)ut_obj(&u, "bad_ringbuf_1000"), "--", u.actor, (char *)kv,
				     NULL });
	snprintf(rounded, sizeof(rounded), "ringbuf small: max_entries 1000 is not a power of 2 "
		 "multiple of the page size (%ld): libbpf rounded it up to %ld", page, page);
	ut_err_has(&u, (const char *[]){ rounded, NULL });
	CHECK_EQ_INT(capload(cap, &l), 0);
	ut_want(&l, "small", NULL, NULL, 2);
	ut_want(&l, "small", "magic", "23130", 2);
	ut_one(&l, "small", "pid", ut_num(kv_get(kv, "child_pid")));
	capload_free(&l);
	/* ... and on the command line it is a usage error with the rule. */
	snprintf(rule, sizeof(rule), "power of 2 and a multiple of the page size (%ld)", page);
	snprintf(nearest, sizeof(nearest), "nearest valid size is %ld", page);
	rc = ut_bpfrec(&u, (char *[]){ "record", "-q", "-o", (char *)ut_path(&u, "never"),
				       "--probe", "none", "--bpf",
				       (char *)ut_obj(&u, "bad_ringbuf_1000"), "--ringbuf-size",
				       "small=1000", "--", "/bin/true", NULL });
	CHECK_EQ_INT(rc, 2);
	ut_err_has(&u, (const char *[]){ "--ringbuf-size small=1000", rule, nearest, NULL });
	snprintf(nearest, sizeof(nearest), "nearest valid size is %ld", 4 * page);
	rc = ut_bpfrec(&u, (char *[]){ "record", "-q", "-o", (char *)ut_path(&u, "never"),
				       "--probe", "none", "--bpf",
				       (char *)ut_obj(&u, "bad_ringbuf_1000"), "--ringbuf-size",
				       "small=15000", "--", "/bin/true", NULL });
	CHECK_EQ_INT(rc, 2);
	ut_err_has(&u, (const char *[]){ "--ringbuf-size small=15000", rule, nearest, NULL });
	CHECK(access(ut_path(&u, "never"), F_OK) != 0);

	/* btf: not found, in a child with its own mount namespace. */
	copy = ut_path(&u, "vmlinux.btf");
	if (copy_file("/sys/kernel/btf/vmlinux", copy)) {
		printf("SKIPPED: no /sys/kernel/btf/vmlinux to copy: %s\n", strerror(errno));
		return 77;
	}
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		exit(without_kernel_btf(copy));
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		btf_skipped = 1;
	else
		CHECK_EQ_INT(WEXITSTATUS(status), 0);
	CHECK(access("/sys/kernel/btf/vmlinux", F_OK) == 0);   /* still there out here */

	if (btf_skipped)
		return 77;
	printf("ok: loader errors: ctx access, CO-RE, max_entries 0, license, ringbuf size, "
	       "btf: not found and --kernel-btf\n");
	return 0;
}
