/* pingpong.c - a context-switch and syscall heavy load for the tracepoint
 * benchmark (tracepoints.sh): N rounds of one byte back and forth over two
 * pipes between two processes pinned to CPU 0, so that every round is two
 * context switches and four syscalls.  Prints "NS ns ROUNDS rounds". */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 100000, i;
	int ping[2], pong[2], status;
	struct timespec t0, t1;
	cpu_set_t set;
	char c = 'x';
	pid_t child;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set) || pipe(ping) || pipe(pong)) {
		perror("pingpong");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	child = fork();
	if (child == 0) {
		for (i = 0; i < rounds; i++)
			if (read(ping[0], &c, 1) != 1 || write(pong[1], &c, 1) != 1)
				_exit(1);
		_exit(0);
	}
	for (i = 0; i < rounds; i++)
		if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
			return 1;
	waitpid(child, &status, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%lld ns %ld rounds\n",
	       (long long)(t1.tv_sec - t0.tv_sec) * 1000000000ll + (t1.tv_nsec - t0.tv_nsec), rounds);
	return 0;
}
