/* test_connect_unix.c - the connect probe names an AF_UNIX peer: a path,
 * an abstract name (written '@name'), a path that does not exist, and a
 * path whose caller passed the whole sockaddr_un with bytes after the
 * path's NUL (they are not the address and must not be recorded).  And
 * bpfreplay show prints path= on those lines, without the inet columns.
 *
 * The test runs itself as the recorded command ("child DIR"). */
#include "capload.h"
#include "testutil.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <unistd.h>

/* connect() to addr (len bytes); returns connect's result (0 or -errno). */
static int connect_un(const struct sockaddr_un *addr, socklen_t len)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0), rc;

	if (fd < 0)
		return -1000;
	rc = connect(fd, (const struct sockaddr *)addr, len) ? -errno : 0;
	close(fd);
	return rc;
}

static int listen_un(const struct sockaddr_un *addr, socklen_t len)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	if (fd < 0 || bind(fd, (const struct sockaddr *)addr, len) || listen(fd, 4)) {
		perror("test_connect_unix child: bind/listen");
		exit(2);
	}
	return fd;
}

static int child(const char *dir)
{
	struct sockaddr_un live = { .sun_family = AF_UNIX }, abs = { .sun_family = AF_UNIX },
			   junk = { .sun_family = AF_UNIX }, gone = { .sun_family = AF_UNIX };
	char absname[64];
	socklen_t abslen;
	size_t n;

	snprintf(live.sun_path, sizeof(live.sun_path), "%s/live.sock", dir);
	listen_un(&live, sizeof(live));
	/* an abstract name: a NUL, then the name, not NUL-terminated */
	n = (size_t)snprintf(absname, sizeof(absname), "bpfrec-test-%d", (int)getpid());
	memcpy(abs.sun_path + 1, absname, n);
	abslen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
	listen_un(&abs, abslen);
	snprintf(gone.sun_path, sizeof(gone.sun_path), "%s/gone.sock", dir);
	/* the path, its NUL, then bytes that are not the address */
	memcpy(&junk, &live, sizeof(junk));
	memset(junk.sun_path + strlen(live.sun_path) + 1, 'X',
	       sizeof(junk.sun_path) - strlen(live.sun_path) - 1);

	if (connect_un(&live, (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
					  strlen(live.sun_path) + 1)) != 0 ||
	    connect_un(&abs, abslen) != 0 || connect_un(&gone, sizeof(gone)) != -ENOENT ||
	    connect_un(&junk, sizeof(junk)) != 0) {
		fprintf(stderr, "test_connect_unix child: a connect did not do what was meant\n");
		return 3;
	}
	/* and one inet connect, whose line has no path */
	{
		struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(1),
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0 || !connect(fd, (struct sockaddr *)&in, sizeof(in)))
			fprintf(stderr, "test_connect_unix child: 127.0.0.1:1 accepted\n");
		close(fd);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *build = getenv("BPFREC_BUILD");
	char bpfrec[4096], replay[4096], cap[4096], path[4096], abspath[128], buf[160];
	static char out[1 << 16];
	const char *dir;
	struct evlist l;
	const struct ev *e;
	long long pid;
	size_t i, nlive = 0;

	if (argc == 3 && !strcmp(argv[1], "child"))
		return child(argv[2]);
	if (geteuid() != 0) {
		fprintf(stderr, "SKIPPED: needs root to load BPF programs\n");
		return 77;
	}
	dir = test_tmpdir("connect_unix");
	snprintf(bpfrec, sizeof(bpfrec), "%s/recorder/bpfrec", build);
	snprintf(replay, sizeof(replay), "%s/replay/bpfreplay", build);
	snprintf(cap, sizeof(cap), "%s/cap", dir);
	{
		char *av[] = { bpfrec, "record", "-q", "--no-status", "--probe", "connect", "-o", cap,
			       "--", argv[0], "child", (char *)dir, NULL };

		CHECK_EQ_INT(run_cmd(av), 0);
	}
	CHECK_EQ_INT(capload(cap, &l), 0);
	CHECK_EQ_U64(l.lost, 0);
	if (ev_count(&l, "connect", NULL, NULL) != 5) {
		fprintf(stderr, "FAIL: %zu connect events, expected 5\n",
			ev_count(&l, "connect", NULL, NULL));
		ev_dump(&l, "connect");
		return 1;
	}
	pid = ev_int(ev_find(&l, "connect", NULL, NULL), "pid");
	snprintf(path, sizeof(path), "%s/live.sock", dir);
	snprintf(abspath, sizeof(abspath), "@bpfrec-test-%lld", pid);
	for (i = 0; i < l.n; i++) {
		e = &l.v[i];
		if (strcmp(e->stream, "connect"))
			continue;
		CHECK_EQ_INT(ev_int(e, "pid"), pid);
		if (ev_int(e, "family") == 2) {   /* AF_INET: no path */
			CHECK_EQ_INT(ev_int(e, "port"), 1);
			CHECK_STR(ev_get(e, "path"), "");
			continue;
		}
		CHECK_EQ_INT(ev_int(e, "family"), 1);   /* AF_UNIX */
		CHECK_EQ_INT(ev_int(e, "port"), 0);
		CHECK_EQ_INT(ev_int(e, "pid"), pid);
		/* the live path twice: the exact length, and the whole
		 * sockaddr_un with 'X' bytes after the NUL */
		if (!strcmp(ev_get(e, "path"), path)) {
			CHECK_EQ_INT(ev_int(e, "ret"), 0);
			nlive++;
		}
	}
	CHECK_EQ_INT(nlive, 2);
	e = ev_find(&l, "connect", "path", abspath);
	CHECK(e);
	CHECK_EQ_INT(ev_int(e, "ret"), 0);
	snprintf(path, sizeof(path), "%s/gone.sock", dir);
	e = ev_find(&l, "connect", "path", path);
	CHECK(e);
	CHECK_EQ_INT(ev_int(e, "ret"), -ENOENT);
	capload_free(&l);

	/* show: the path on the line, the inet columns not */
	{
		char *av[] = { replay, "show", cap, NULL };

		CHECK_EQ_INT(run_cmd_out(av, out, sizeof(out)), 0);
	}
	snprintf(buf, sizeof(buf), "path=%s", abspath);
	CHECK(strstr(out, buf));
	CHECK(strstr(out, "ret=-2 ENOENT"));
	CHECK(strstr(out, "family=AF_UNIX"));
	CHECK(!strstr(out, "XXXX"));
	CHECK(!strstr(out, "addr=::"));
	CHECK(!strstr(out, " port=0"));
	CHECK(strstr(out, "family=AF_INET port=1 addr=127.0.0.1"));
	CHECK(!strstr(out, "path=\"\""));
	printf("ok: unix-socket connects recorded with their paths\n");
	return 0;
}
