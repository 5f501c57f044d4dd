/* actor.c - the process the end-to-end tests record.  It does a known set of
 * things and writes what it did (pids, fds, ports) to OUTFILE as key=value
 * lines, so the test can look for exactly those events:
 *   - forks a child that execs /bin/true (exactly one execve in the child)
 *   - listens on 127.0.0.1, connects to it (ret 0)
 *   - connects to a port nobody listens on (ret -111, ECONNREFUSED)
 *   - binds a UDP socket on 127.0.0.1
 *   - exits with status 7
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int bound_socket(int type, int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, type, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(fd, (struct sockaddr *)&a, &len)) {
		perror("actor: socket/bind");
		exit(1);
	}
	*port = ntohs(a.sin_port);
	return fd;
}

static int connect_to(int port, int *ret, int *err)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				 .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0) {
		perror("actor: socket");
		exit(1);
	}
	*ret = connect(fd, (struct sockaddr *)&a, sizeof(a));
	*err = *ret ? errno : 0;
	return fd;
}

int main(int argc, char **argv)
{
	int lport, cport, uport, ok_ret, ok_err, bad_ret, bad_err, status;
	int listen_fd, closed_fd, udp_fd, ok_fd, bad_fd;
	FILE *out;
	pid_t child;

	if (argc != 2) {
		fprintf(stderr, "usage: actor OUTFILE\n");
		return 2;
	}
	child = fork();
	if (child == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	waitpid(child, &status, 0);

	listen_fd = bound_socket(SOCK_STREAM, &lport);
	if (listen(listen_fd, 8)) {
		perror("actor: listen");
		return 1;
	}
	/* A port that was free a moment ago and that nobody listens on. */
	closed_fd = bound_socket(SOCK_STREAM, &cport);
	close(closed_fd);
	ok_fd = connect_to(lport, &ok_ret, &ok_err);
	bad_fd = connect_to(cport, &bad_ret, &bad_err);
	udp_fd = bound_socket(SOCK_DGRAM, &uport);

	out = fopen(argv[1], "w");
	if (!out) {
		perror(argv[1]);
		return 1;
	}
	fprintf(out, "pid=%d\nchild_pid=%d\nchild_status=%d\n", getpid(), child,
		WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	fprintf(out, "listen_port=%d\nclosed_port=%d\nudp_port=%d\n", lport, cport, uport);
	fprintf(out, "ok_fd=%d\nok_ret=%d\nbad_fd=%d\nbad_ret=%d\nbad_errno=%d\n", ok_fd,
		ok_ret ? -ok_err : 0, bad_fd, bad_ret ? -bad_err : 0, bad_err);
	fclose(out);
	(void)udp_fd;
	return 7;
}
