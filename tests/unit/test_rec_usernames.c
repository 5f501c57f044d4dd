/* test_rec_usernames.c - recorder/usernames.c without root: the host's
 * users and groups (NSS, as getpwent and getgrent list them) into a
 * capture, each name under its own id; and the bound: with a limit below
 * what the host has, exactly the limit taken and the truncation said in
 * meta (a host with a huge directory must not blow up the capture). */
#include "testutil.h"

#include <grp.h>
#include <pwd.h>
#include <sqlite3.h>

#include "capw.h"
#include "usernames.h"

static int64_t n_users(void)
{
	struct passwd *pw;
	int64_t n = 0;

	setpwent();
	while ((pw = getpwent()))
		n += pw->pw_name[0] && pw->pw_uid != (uid_t)-1;
	endpwent();
	return n;
}

static void make(const char *cap, size_t limit)
{
	struct cap_session sess = { "h", "k", "b", "c", "bpfrec 0.1.0", 1, 2, 3 };
	struct capw *w = capw__create(cap, NULL);

	CHECK(w);
	CHECK(!capw__set_session(w, &sess));
	if (limit)
		CHECK(!usernames__record_at_most(w, limit));
	else
		CHECK(!usernames__record(w));
	CHECK(!capw__close(w, 10));
}

int main(void)
{
	const char *tmp = test_tmpdir("rec_usernames");
	char cap[4096], q[256];
	struct passwd *root = getpwuid(0);
	struct group *g0 = getgrgid(0);
	int64_t nu = n_users();

	if (nu < 3 || !root || !g0) {
		fprintf(stderr, "SKIPPED: this host lists fewer than 3 users, or no uid 0\n");
		return 77;
	}
	/* every user, under its id; no truncation */
	snprintf(cap, sizeof(cap), "%s/all", tmp);
	make(cap, 0);
	CHECK_EQ_INT(q_int_index(cap, "SELECT count(*) FROM users"), nu);
	snprintf(q, sizeof(q), "SELECT count(*) FROM users WHERE uid = 0 AND name = '%s'",
		 root->pw_name);
	CHECK_EQ_INT(q_int_index(cap, q), 1);
	snprintf(q, sizeof(q), "SELECT count(*) FROM groups WHERE gid = 0 AND name = '%s'",
		 g0->gr_name);
	CHECK_EQ_INT(q_int_index(cap, q), 1);
	CHECK_EQ_INT(q_int_index(cap, "SELECT count(*) FROM meta WHERE key LIKE '%truncated'"), 0);

	/* bounded: 2 of each, and meta says more existed */
	snprintf(cap, sizeof(cap), "%s/two", tmp);
	test_stderr_begin();
	make(cap, 2);
	char err[1024];
	test_stderr_end(err, sizeof(err));
	CHECK(strstr(err, "more than 2 users and groups"));
	CHECK_EQ_INT(q_int_index(cap, "SELECT count(*) FROM users"), 2);
	CHECK_EQ_INT(q_int_index(cap, "SELECT count(*) FROM groups"), 2);
	CHECK_EQ_INT(q_int_index(cap, "SELECT count(*) FROM meta WHERE key IN "
			     "('users_truncated', 'groups_truncated') AND value = '1'"), 2);
	printf("ok\n");
	return 0;
}
