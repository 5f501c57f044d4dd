/* test_user_cgroup.c - a user's cgroup socket program (objs/usock.bpf.c:
 * cgroup/sock_create and cgroup/post_bind4) attached with --cgroup to a new
 * cgroup v2 directory that only the actor runs in.  With --all (no process
 * filter), exactly the actor's 5 sockets and 3 binds are recorded, with
 * their ports: a socket bound just before the move into the cgroup is not.
 * Then the same with the default cgroup (the root) and the process filter.
 *
 * The test binary is its own wrapper: `--in-cgroup DIR PORTFILE ACTOR KV`
 * binds a UDP socket, writes its port, moves itself into DIR and execs the
 * actor (same pid). */
#include "testutil.h"
#include "usertest.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static int wrapper(char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	char procs[4096];
	FILE *f;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(fd, (struct sockaddr *)&a, &len)) {
		perror("wrapper: outside socket");
		return 1;
	}
	f = fopen(argv[1], "w");
	if (!f || fprintf(f, "outside_port=%d\n", ntohs(a.sin_port)) < 0 || fclose(f)) {
		perror(argv[1]);
		return 1;
	}
	close(fd);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", argv[0]);
	f = fopen(procs, "w");
	if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f)) {
		perror(procs);
		return 1;
	}
	execv(argv[2], argv + 2);
	perror(argv[2]);
	return 127;
}

static char cg[4096 + 64];

/* A failed check must not leave the cgroup behind (it is empty by then). */
static void remove_cgroup(void)
{
	if (cg[0])
		rmdir(cg);
}

/* The cgroup v2 mount point, from /proc/mounts. */
static int cgroup2_root(char *out, size_t len)
{
	char dev[256], dir[4096], type[64];
	FILE *f = fopen("/proc/mounts", "r");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fscanf(f, "%255s %4095s %63s %*[^\n]", dev, dir, type) == 3)
		if (!strcmp(type, "cgroup2")) {
			snprintf(out, len, "%s", dir);
			found = 1;
		}
	fclose(f);
	return found;
}

static void check_events(struct ut *u, const char *cap, const char *kv, const char *portfile)
{
	struct evlist l;
	long long pid = kv_get(kv, "pid"), outside = kv_get(portfile, "outside_port");
	long long ports[3] = { kv_get(kv, "listen_port"), kv_get(kv, "closed_port"),
			       kv_get(kv, "udp_port") };
	const struct ev *e;
	size_t i;
	int k;

	CHECK_EQ_INT(capload(cap, &l), 0);
	CHECK_EQ_U64(l.lost, 0);
	for (i = 0; i < l.n; i++) {
		e = &l.v[i];
		CHECK(!e->damaged);
		if (ev_int(e, "pid") != pid) {
			fprintf(stderr, "FAIL: a socket event of pid %lld, not the actor's %lld\n",
				ev_int(e, "pid"), pid);
			ev_dump(&l, NULL);
			exit(1);
		}
		CHECK_EQ_INT(ev_int(e, "family"), 2);   /* AF_INET */
		CHECK_EQ_INT(ev_int(e, "pad"), 0);
	}
	/* listener, closed-port probe, 2 connecting, UDP; not the wrapper's */
	ut_want(&l, "socks", "op", "USOCK_CREATE", 5);
	ut_want(&l, "socks", "op", "USOCK_BIND4", 3);
	ut_want(&l, "socks", NULL, NULL, 8);
	ut_want(&l, "socks", "port", ut_num(outside), 0);
	for (k = 0; k < 3; k++) {
		e = ut_one(&l, "socks", "port", ut_num(ports[k]));
		CHECK_STR(ev_get(e, "op"), "USOCK_BIND4");
		CHECK_EQ_INT(ev_int(e, "addr4"), 0x0100007f);   /* 127.0.0.1, network order */
		CHECK_STR(ev_get(e, "comm"), "actor");
		CHECK_EQ_INT(ev_int(e, "type"), k < 2 ? 1 : 2);       /* STREAM, DGRAM */
		CHECK_EQ_INT(ev_int(e, "protocol"), k < 2 ? 6 : 17);  /* TCP, UDP */
	}
	ut_want(&l, "socks", "type", "2", 2);   /* the UDP socket: created, bound */
	capload_free(&l);
	(void)u;
}

int main(int argc, char **argv)
{
	struct ut u;
	char root[4096], self[4096];
	const char *cap, *kv, *portfile;
	ssize_t n;
	int i;

	if (argc >= 6 && !strcmp(argv[1], "--in-cgroup"))
		return wrapper(argv + 2);
	ut_init(&u, "user_cgroup");
	if (!cgroup2_root(root, sizeof(root))) {
		printf("SKIPPED: no cgroup v2 hierarchy mounted\n");
		return 77;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	CHECK(n > 0);
	self[n] = 0;
	snprintf(cg, sizeof(cg), "%s/bpfrec-test-cgroup.%d", root, (int)getpid());
	if (mkdir(cg, 0755)) {
		fprintf(stderr, "FAIL: mkdir %s: %s\n", cg, strerror(errno));
		return 1;
	}
	atexit(remove_cgroup);

	/* 1. --cgroup: a new child cgroup; --all: the attach point is the filter. */
	cap = ut_path(&u, "cap");
	kv = ut_path(&u, "actor.kv");
	portfile = ut_path(&u, "outside.kv");
	ut_bpfrec_ok(&u, (char *[]){ "record", "-q", "-o", (char *)cap, "--probe", "none", "--all",
				     "--cgroup", cg, "--bpf", (char *)ut_obj(&u, "usock"), "--", self,
				     "--in-cgroup", cg, (char *)portfile, u.actor, (char *)kv, NULL });
	check_events(&u, cap, kv, portfile);
	/* The actor has exited: the cgroup is empty again and can go. */
	for (i = 0; rmdir(cg) && errno == EBUSY && i < 100; i++)
		usleep(10000);
	if (access(cg, F_OK) == 0) {
		fprintf(stderr, "FAIL: cannot remove %s: %s\n", cg, strerror(errno));
		return 1;
	}
	cg[0] = 0;

	/* 2. The default cgroup (the root): every socket on the machine, and
	 * the process-tree filter keeps the actor's.  No wrapper this time:
	 * no outside port to look for (-1 matches none).  The ring takes every
	 * socket event of the machine before the filter: 16 MiB, not the
	 * object's 64 KiB, which the other tests' sockets filled once (610
	 * lost, counted) while the suite ran in parallel. */
	cap = ut_path(&u, "cap2");
	kv = ut_path(&u, "actor2.kv");
	ut_bpfrec_ok(&u, (char *[]){ "record", "-q", "-o", (char *)cap, "--probe", "none", "--bpf",
				     (char *)ut_obj(&u, "usock"), "--ringbuf-size", "socks=16M", "--",
				     u.actor, (char *)kv, NULL });
	{
		FILE *f = fopen(portfile, "w");

		CHECK(f && fprintf(f, "outside_port=-1\n") > 0 && fclose(f) == 0);
	}
	check_events(&u, cap, kv, portfile);

	printf("ok: usock: 5 sockets and 3 binds with their ports, in a new cgroup (--cgroup) "
	       "and in the root one\n");
	return 0;
}
