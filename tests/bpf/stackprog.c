/* stackprog.c - a program with known, non-inlined functions for the stack
 * tests (test_stacks.c): main -> f1 -> f2 -> f3, where f3 either connects
 * to 127.0.0.1:9 (refused) with the syscall instruction in f3 itself, or
 * spins.  Built with frame pointers (the kernel walks user stacks by them).
 *
 *   stackprog connect     f3 connects once, then the program lives 300 ms
 *                         (the recorder reads its mappings meanwhile)
 *   stackprog spin MS     f3 spins for MS milliseconds of CPU time
 *   stackprog mix MS      heavy() and light() spin 2:1 for MS ms of CPU time
 *   stackprog connect-exec PROG ARGS...   connects as above, then execs PROG
 *   stackprog quick       f3 connects once and the program exits at once (a
 *                         process gone before the recorder reads its maps)
 *   stackprog loop N      (tools/bench) f3 connects N times; prints CPU and wall
 *                         ns per call
 *   stackprog work N      (tools/bench) f3 does N fixed units of work; prints
 *                         wall and CPU ms
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

/* The same code under other names, for a second program at the same
 * addresses (non-PIE builds): an exec must not lend one program's names to
 * the other's frames. */
#ifdef STACKPROG_OTHER
#define f1 g1
#define f2 g2
#define f3 g3
#endif

static double now_ms(void)
{
	struct timespec ts;

	/* The thread's own CPU time, not the wall clock: a cpu-clock profile
	 * then sees the same number of samples however loaded the machine is. */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Spins for ms of CPU time (not wall time: on a busy machine the samples
 * still come) in the function that calls it (inlined). */
static inline __attribute__((always_inline)) void spin(double ms)
{
	volatile unsigned long x = 0;
	double end = cpu_ms() + ms;

	while (cpu_ms() < end)
		for (int i = 0; i < 20000; i++)
			x += i;
}

NOINLINE void f3(int connect_once, double ms)
{
	if (connect_once) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(9) };
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		long ret;

		sa.sin_addr.s_addr = htonl(0x7f000001);
		/* the syscall here, not in libc: the stack's first frame is f3 */
		__asm__ volatile("syscall" : "=a"(ret)
				 : "0"((long)SYS_connect), "D"((long)fd), "S"(&sa),
				   "d"((long)sizeof(sa))
				 : "rcx", "r11", "memory");
		close(fd);
	} else {
		spin(ms);
	}
	__asm__ volatile("");
}

NOINLINE void f2(int connect_once, double ms)
{
	f3(connect_once, ms);
	__asm__ volatile("");
}

NOINLINE void f1(int connect_once, double ms)
{
	f2(connect_once, ms);
	__asm__ volatile("");
}

NOINLINE void heavy(double ms)
{
	spin(ms);
	__asm__ volatile("");
}

NOINLINE void light(double ms)
{
	spin(ms);
	__asm__ volatile("");
}

NOINLINE void work(long units)
{
	volatile unsigned long x = 0;

	for (long u = 0; u < units; u++)
		for (int i = 0; i < 20000; i++)
			x += i;
}

int main(int argc, char **argv)
{
	double ms = argc > 2 ? atof(argv[2]) : 300;

	if (argc > 1 && !strcmp(argv[1], "connect")) {
		f1(1, 0);
		usleep(300000);
	} else if (argc > 1 && !strcmp(argv[1], "quick")) {
		f1(1, 0);
	} else if (argc > 2 && !strcmp(argv[1], "connect-exec")) {
		f1(1, 0);
		usleep(300000);
		execv(argv[2], argv + 2);
		return 3;
	} else if (argc > 1 && !strcmp(argv[1], "spin")) {
		f1(0, ms);
	} else if (argc > 1 && !strcmp(argv[1], "mix")) {
		for (double end = cpu_ms() + ms; cpu_ms() < end;) {
			heavy(20);
			light(10);
		}
	} else if (argc > 2 && !strcmp(argv[1], "loop")) {
		long n = atol(argv[2]);
		double t0 = now_ms(), c0 = cpu_ms();

		for (long i = 0; i < n; i++)
			f1(1, 0);
		printf("%.1f ns/call cpu %.1f ns/call wall\n", (cpu_ms() - c0) * 1e6 / n,
		       (now_ms() - t0) * 1e6 / n);
		usleep(100000);
	} else if (argc > 2 && !strcmp(argv[1], "work")) {
		double t0 = now_ms(), c0 = cpu_ms();

		work(atol(argv[2]));
		printf("%.1f ms wall %.1f ms cpu\n", now_ms() - t0, cpu_ms() - c0);
	} else {
		return 2;
	}
	return 0;
}
