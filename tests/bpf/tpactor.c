/* tpactor.c - the workload of the tracepoint tests (test_tracepoints,
 * test_tp_perf).  It does a known set of things and writes what it did to
 * OUTFILE as key=value lines:
 *   - forks a child that execs /bin/true (exec_pid)
 *   - forks a child named tpactor-sig that waits for SIGUSR1, and sends it
 *     (sig_pid)
 *   - forks a child named tpactor-pong and plays ROUNDS rounds of pipe
 *     ping-pong with it, both on CPU 0, so that every round switches
 *     between them (pong_pid, rounds)
 *   - with SYSCALLS set in the environment: rename() between two paths
 *     that do not exist (ENOENT), then openat() of a shorter one (ENOENT),
 *     a connect() to a closed 127.0.0.1 port (ECONNREFUSED), a read() of 5
 *     bytes from a pipe: each call's strings its own, none left over from
 *     the thread's call before; then getppid() with six argument registers
 *     set to 11, 22, ... 66 (getppid reads none; the probe reads them all);
 *     last an openat() of the empty path (ENOENT)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define ROUNDS 200

static void on_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void syscalls(FILE *out)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd, s, ret, p[2];
	char buf[16], path[64], from[64], to[64];

	/* From the stack: a page that is there (BPF cannot fault one in). */
	snprintf(from, sizeof(from), "/nonexistent/bpfrec-tpactor-renamed-from");
	snprintf(to, sizeof(to), "/nonexistent/bpfrec-tpactor-renamed-to");
	ret = rename(from, to);
	fprintf(out, "rename_ret=%d\n", ret);
	snprintf(path, sizeof(path), "/nonexistent/bpfrec-tpactor");
	fd = openat(AT_FDCWD, path, O_RDONLY);
	fprintf(out, "open_ret=%d\nopen_errno=%d\n", fd, fd < 0 ? errno : 0);
	/* A port that was free a moment ago and that nobody listens on. */
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(s, (struct sockaddr *)&a, &len)) {
		perror("tpactor: socket");
		exit(1);
	}
	close(s);
	s = socket(AF_INET, SOCK_STREAM, 0);
	ret = connect(s, (struct sockaddr *)&a, sizeof(a));
	fprintf(out, "connect_fd=%d\nconnect_port=%d\nconnect_ret=%d\nconnect_errno=%d\n", s,
		ntohs(a.sin_port), ret, ret ? errno : 0);
	close(s);
	if (pipe(p) || write(p[1], "hello", 5) != 5) {
		perror("tpactor: pipe");
		exit(1);
	}
	ret = (int)read(p[0], buf, sizeof(buf));
	fprintf(out, "read_fd=%d\nread_ret=%d\n", p[0], ret);
	close(p[0]);
	close(p[1]);
	fprintf(out, "ppid=%ld\n", syscall(SYS_getppid, 11L, 22L, 33L, 44L, 55L, 66L));
	fd = openat(AT_FDCWD, "", O_RDONLY);
	fprintf(out, "empty_open_ret=%d\n", fd);
}

int main(int argc, char **argv)
{
	int ping[2], pong[2], i, status;
	pid_t exec_pid, sig_pid, pong_pid;
	sigset_t usr1;
	FILE *out;
	char c = 'x';

	if (argc != 2) {
		fprintf(stderr, "usage: tpactor OUTFILE\n");
		return 2;
	}
	out = fopen(argv[1], "w");
	if (!out) {
		perror(argv[1]);
		return 1;
	}
	setvbuf(out, NULL, _IOLBF, 0);
	fprintf(out, "pid=%d\n", getpid());

	exec_pid = fork();
	if (exec_pid == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	waitpid(exec_pid, &status, 0);
	fprintf(out, "exec_pid=%d\n", exec_pid);

	/* Blocked before the fork: the child waits for it, whenever it comes. */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	if (pipe(ping)) {
		perror("tpactor: pipe");
		return 1;
	}
	sig_pid = fork();
	if (sig_pid == 0) {
		prctl(PR_SET_NAME, "tpactor-sig");
		if (write(ping[1], &c, 1) != 1)   /* named: the signal may come */
			_exit(1);
		sigwaitinfo(&usr1, NULL);
		_exit(0);
	}
	if (read(ping[0], &c, 1) != 1)
		return 1;
	close(ping[0]);
	close(ping[1]);
	kill(sig_pid, SIGUSR1);
	waitpid(sig_pid, &status, 0);
	fprintf(out, "sig_pid=%d\n", sig_pid);

	if (pipe(ping) || pipe(pong)) {
		perror("tpactor: pipe");
		return 1;
	}
	on_cpu0();
	pong_pid = fork();
	if (pong_pid == 0) {
		prctl(PR_SET_NAME, "tpactor-pong");
		for (i = 0; i < ROUNDS; i++)
			if (read(ping[0], &c, 1) != 1 || write(pong[1], &c, 1) != 1)
				_exit(1);
		_exit(0);
	}
	for (i = 0; i < ROUNDS; i++)
		if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
			return 1;
	waitpid(pong_pid, &status, 0);
	fprintf(out, "pong_pid=%d\nrounds=%d\n", pong_pid, ROUNDS);
	if (getenv("SYSCALLS"))
		syscalls(out);
	fclose(out);
	return 0;
}
