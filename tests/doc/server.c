/* server.c - the README's local server (./server, and what answers
 * `curl http://127.0.0.1:8080/`): answers every connection on
 * 127.0.0.1:8080 with a short HTTP response, busy between connections (so
 * a profile of it has samples), for SERVER_SECONDS seconds (default 1).
 * SO_REUSEPORT lets a second instance (and a second test run) share the port. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(void)
{
	static const char resp[] = "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n";
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(8080) };
	const char *secs = getenv("SERVER_SECONDS");
	double end = now() + (secs ? atof(secs) : 1.0);
	volatile unsigned long spin = 0;
	int one = 1, fd;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 64)) {
		perror("server: 127.0.0.1:8080");
		return 1;
	}
	while (now() < end) {
		char buf[512];
		int c = accept(fd, NULL, NULL);

		if (c < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return 1;
			for (int i = 0; i < 100000; i++)
				spin++;
			usleep(1000);
			continue;
		}
		fcntl(c, F_SETFL, 0);
		if (read(c, buf, sizeof(buf)) >= 0 && write(c, resp, strlen(resp)) < 0)
			perror("server: write");
		close(c);
	}
	return 0;
}
