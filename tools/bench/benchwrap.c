/* benchwrap - runs a command and reports what it and its descendants used.
 *
 *   benchwrap OUTFILE COMMAND [ARGS...]
 *
 * Writes "wrap wall_s=... cpu_s=... maxrss_kib=... status=..." to OUTFILE
 * (from wait4(): user + system time of the command and every descendant it
 * waited for; maxrss is the largest single process).  SIGINT and SIGTERM
 * are passed on to the command.  Exits with the command's status.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile pid_t child = -1;

static void forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = forward };
	struct timespec a, b;
	struct rusage ru;
	int status = 0;
	pid_t r;
	FILE *f;

	if (argc < 3) {
		fprintf(stderr, "usage: benchwrap OUTFILE COMMAND [ARGS...]\n");
		return 2;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	clock_gettime(CLOCK_MONOTONIC, &a);
	child = fork();
	if (child < 0) {
		perror("benchwrap: fork");
		return 1;
	}
	if (child == 0) {
		execvp(argv[2], argv + 2);
		fprintf(stderr, "benchwrap: %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	do
		r = wait4(child, &status, 0, &ru);
	while (r < 0 && errno == EINTR);
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (r < 0) {
		perror("benchwrap: wait4");
		return 1;
	}
	f = fopen(argv[1], "w");
	if (!f) {
		fprintf(stderr, "benchwrap: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	fprintf(f, "wrap wall_s=%.3f cpu_s=%.3f maxrss_kib=%ld status=%d\n",
		(double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9,
		(double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		(double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6,
		ru.ru_maxrss, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	fclose(f);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
