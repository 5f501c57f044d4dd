/* app.c - the README's ./app and ./client: what a traced program does.
 * Opens a file that exists and one that does not (a failed openat), tries
 * a port where nothing listens (127.0.0.1:9, a refused connect), then
 * connects to the README's local server on 127.0.0.1:8080, sends a request
 * and reads the answer.  Exits 0 when the server answered. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
	static const char req[] = "GET / HTTP/1.0\r\n\r\n";
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(8080) };
	char buf[256];
	ssize_t n;
	int fd, rc = 1;

	fd = open("/etc/hostname", O_RDONLY);
	if (fd >= 0)
		close(fd);
	if (open("/nonexistent/app.conf", O_RDONLY) >= 0)
		return 1;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons(9);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return 1;
	close(fd);
	sa.sin_port = htons(8080);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("app: connect 127.0.0.1:8080");
		return 1;
	}
	if (write(fd, req, strlen(req)) == (ssize_t)strlen(req) && (n = read(fd, buf, sizeof(buf))) > 0)
		rc = 0;
	close(fd);
	return rc;
}
