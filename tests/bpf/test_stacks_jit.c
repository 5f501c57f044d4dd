/* test_stacks_jit.c - JIT code named from /tmp/perf-PID.map: the recorded
 * command (this program, "child DIR WAIT") copies a stub that calls getppid
 * into an anonymous executable mapping, as a JIT runtime would, says so in
 * /tmp/perf-PID.map ("START SIZE NAME"), and calls it three times.
 * Recorded with --syscalls getppid --stacks user, each getppid row's first
 * frame lies in that mapping and must be named from the perf map, with its
 * offset in the stub: show prints bpfrec_jit_stub+0x7 (the instruction
 * after the syscall), and the frames table has the name.  Three times: the
 * child exits at once (its frames are in no mapping the recorder read); it
 * stays through the recorder's stack sync (an [anon] mapping of
 * /proc/PID/maps: those frames were left unnamed); and it stays, then
 * deletes its perf map before it exits, as some runtimes do (the map was
 * read at the end only: the names were lost); and it stays, its perf map
 * naming other code only, and writes the stub's entry after the sync read
 * the map (as a runtime writes its entries when it likes: the address,
 * looked up once, was never looked up again).  x86-64 (the stub's machine
 * code). */
#include "capload.h"
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* mov eax, 110 (getppid); syscall; ret */
static const unsigned char stub[] = { 0xb8, 0x6e, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xc3 };

static int child_main(const char *dir, int wait)
{
	char path[64], pidfile[4096];
	long (*fn)(void);
	void *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	FILE *f;

	if (code == MAP_FAILED)
		return 10;
	memcpy(code, stub, sizeof(stub));
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
	f = fopen(path, "w");
	if (!f)
		return 11;
	if (wait == 3)   /* other code for now: the stub's entry comes later */
		fprintf(f, "%lx %x bpfrec_jit_other\n", (unsigned long)code + 2048, 16);
	else
		fprintf(f, "%lx %zx bpfrec_jit_stub\n", (unsigned long)code, sizeof(stub));
	fclose(f);
	snprintf(pidfile, sizeof(pidfile), "%s/pid", dir);
	f = fopen(pidfile, "w");
	if (!f)
		return 12;
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
	fn = (long (*)(void))code;
	for (int i = 0; i < 3; i++)
		if (fn() != (long)getppid())
			return 13;
	/* alive, its code mapped, through the recorder's stack sync (every
	 * 2 s): its frames are then found in an [anon] mapping, not in none */
	if (wait)
		usleep(2500 * 1000);
	if (wait == 2)
		unlink(path);
	if (wait == 3) {
		f = fopen(path, "a");
		if (!f)
			return 14;
		fprintf(f, "%lx %zx bpfrec_jit_stub\n", (unsigned long)code, sizeof(stub));
		fclose(f);
	}
	return 0;
}

static void run(const char *dir, const char *wait)
{
	static char out[1 << 20];
	char cap[4096], self[4096], err[16384], bin[4096], pidfile[4096], mapfile[64], q[256];
	int rc, pid = 0;
	FILE *f;

	snprintf(cap, sizeof(cap), "%s/cap%s", dir, wait);
	CHECK(readlink("/proc/self/exe", self, sizeof(self) - 1) > 0);
	rc = run_bpfrec(err, sizeof(err), (char *[]){ "record", "-q", "-o", cap, "--probe", "none",
		"--syscalls", "getppid", "--stacks", "user", "--", self, "child", (char *)dir,
		(char *)wait, NULL });
	snprintf(pidfile, sizeof(pidfile), "%s/pid", dir);
	f = fopen(pidfile, "r");
	CHECK(f && fscanf(f, "%d", &pid) == 1 && pid > 0);
	fclose(f);
	snprintf(mapfile, sizeof(mapfile), "/tmp/perf-%d.map", pid);
	unlink(mapfile);
	if (rc)
		fprintf(stderr, "%s\n", err);
	CHECK_EQ_INT(rc, 0);

	snprintf(bin, sizeof(bin), "%s/replay/bpfreplay", getenv("BPFREC_BUILD"));
	CHECK_EQ_INT(run_cmd_out((char *[]){ bin, "show", cap, NULL }, out, sizeof(out)), 0);
	/* the three calls of the stub, each row followed by its frames */
	{
		int n = 0;

		for (const char *p = out; (p = strstr(p, " bpfrec_jit_stub+0x7 ")); p++)
			n++;
		if (n != 3)
			fprintf(stderr, "%d frames in bpfrec_jit_stub+0x7, expected 3:\n%s\n", n, out);
		CHECK_EQ_INT(n, 3);
	}
	snprintf(q, sizeof(q), "SELECT count(*) FROM syscalls s JOIN frames f ON f.stack_id = "
		 "s.ustack_id AND f.pid = s.pid WHERE s.pid = %d AND f.depth = 0 AND f.symbol = "
		 "'bpfrec_jit_stub'", pid);
	CHECK_EQ_INT(run_cmd_out((char *[]){ bin, "sql", "-o", "csv", cap, q, NULL }, out,
				 sizeof(out)), 0);
	if (!strstr(out, "\n3\n"))
		fprintf(stderr, "%s\n", out);
	CHECK(strstr(out, "\n3\n"));
	printf("ok: JIT frames named from /tmp/perf-%d.map (%s)\n", pid,
	       *wait == '3' ? "an [anon] mapping, its entry written after a sync read the map" :
	       *wait == '2' ? "an [anon] mapping, the map deleted at exit" :
	       *wait == '1' ? "an [anon] mapping" : "no mapping");
}

int main(int argc, char **argv)
{
	const char *dir;

	if (argc == 4 && !strcmp(argv[1], "child"))
		return child_main(argv[2], atoi(argv[3]));
#if !defined(__x86_64__)
	fprintf(stderr, "SKIPPED: the JIT stub is x86-64 machine code\n");
	return 77;
#endif
	if (geteuid() != 0) {
		fprintf(stderr, "SKIPPED: needs root to load BPF programs\n");
		return 77;
	}
	dir = test_tmpdir("stacks_jit");
	run(dir, "0");
	run(dir, "1");
	run(dir, "2");
	run(dir, "3");
	return 0;
}
