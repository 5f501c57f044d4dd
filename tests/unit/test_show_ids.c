/* test_show_ids.c - uids and gids as the recording host's names (issue 16)
 * on a fixture capture: which columns are ids (by BTF type: a uid_t or
 * gid_t member whatever its name, a kuid_t-like struct's val; by name,
 * unsigned only: uid, euid, gid, *_uid), what never is (an untyped
 * "group" like ext4's block group, a signed *_gid like iommu's, pgid),
 * how each format shows them (line uid=1000(alice), table 1000(alice),
 * csv and jsonl alice: as errno and signal names are), SQL keeping the
 * numbers (user_name(), group_name(), the users and groups tables), an id
 * without a name as a number, a hostile name in the capture as a number
 * with a note, a capture without the tables as numbers, two captures that
 * disagree on a name, and what info says of each. */
#include "testutil.h"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"   /* the helpers this test does not use */
#include "fixtures/capfix.h"
#include "fixtures/clirun.h"
#pragma GCC diagnostic pop

#define IDEFINE(...) __VA_ARGS__ static const char itypes_src[] = #__VA_ARGS__;
IDEFINE(
typedef unsigned int __u32; typedef unsigned long long __u64;
typedef unsigned int __kernel_uid32_t; typedef __kernel_uid32_t uid_t;
typedef unsigned int __kernel_gid32_t; typedef __kernel_gid32_t gid_t;
typedef struct { uid_t val; } kuid_t;
struct iev { __u64 ts_ns; __u32 pid; __u32 uid; __u32 gid; __u32 euid; __u32 owner_uid;
	     uid_t owner; gid_t grp; kuid_t kid; uid_t user; __u32 group; int dev_gid; __u32 pgid;
	     __u32 count; };
struct iev g_iev;
)

/* A capture of two events; names: users and groups as given (NULL: the
 * tables left out, as in a capture older than them). */
static void build(const char *dir, const char *btfdir, const struct cap_id_name *users,
		  size_t nusers, const struct cap_id_name *groups, size_t ngroups)
{
	uint8_t *btf;
	struct blockbuf *bb = blockbuf__new(4096);
	uint32_t obj = 0, sid = 0;
	struct capw *w = capfix_writer(dir, btfdir, itypes_src, "i", &btf, &obj);

	CHECK(bb);
	if (users)
		CHECK(!capw__add_id_names(w, 0, users, nusers, 0));
	if (groups)
		CHECK(!capw__add_id_names(w, 1, groups, ngroups, 0));
	struct cap_stream_desc d = { "ids", "ringbuf", obj, "rb", "iev", 0, 0 };
	CHECK(!capw__add_stream(w, &d, &sid));
	/* 0: alice everywhere; 1: ids without names.  Never ids: an untyped
	 * "group" (ext4's block group), a signed *_gid (iommu's int gid), pgid
	 * and count */
	struct iev e[2] = {
		{ CAPFIX_T0, 10, 1000, 1000, 0, 1000, 1000, 27, { 1000 }, 1000, 27, 1000, 1000, 1000 },
		{ CAPFIX_T0 + 1500, 11, 4242, 4343, 4294967295u, 77, 4242, 4343, { 4242 }, 4242, 4343,
		  5, 1000, 0 },
	};
	for (int i = 0; i < 2; i++)
		CHECK(!blockbuf__add(bb, sid, CAP_CPU_UNKNOWN, e[i].ts_ns, &e[i], sizeof(e[i])));
	CHECK(!capw__write_block(w, bb));
	CHECK(!capw__close(w, CAPFIX_T0 + 5000));
	blockbuf__free(bb);
	free(btf);
	if (!users) {
		char idx[4200];
		snprintf(idx, sizeof(idx), "%s/index.db", dir);
		poke_db(idx, "DROP TABLE users; DROP TABLE groups");
	}
}

/* Runs of spaces as one: the line format pads its columns. */
static void squeeze(char *s)
{
	char *o = s;

	for (const char *p = s; *p; p++)
		if (*p != ' ' || o == s || o[-1] != ' ')
			*o++ = *p;
	*o = 0;
}

int main(void)
{
	const char *tmp = test_tmpdir("show_ids");
	static const struct cap_id_name users[] = { { 0, "root" }, { 1000, "alice" } };
	static const struct cap_id_name groups[] = { { 0, "root" }, { 27, "sudo" },
						     { 1000, "alicegrp" } };
	static const struct cap_id_name users_b[] = { { 1000, "bob" } };
	char cap[4096], old[4096], bad[4096], capb[4096], btfdir[4096];
	struct clirun r;

	snprintf(cap, sizeof(cap), "%s/cap", tmp);
	snprintf(old, sizeof(old), "%s/old", tmp);
	snprintf(bad, sizeof(bad), "%s/bad", tmp);
	snprintf(capb, sizeof(capb), "%s/capb", tmp);
	snprintf(btfdir, sizeof(btfdir), "%s/btf", tmp);
	build(cap, btfdir, users, 2, groups, 3);
	build(old, btfdir, NULL, 0, NULL, 0);
	build(bad, btfdir, users, 2, groups, 3);
	build(capb, btfdir, users_b, 1, groups, 3);
	clirun_init(tmp);

	/* line: named ids as number(name); the others as numbers */
	r = CLIRUN("show", cap);
	CHECK_EQ_INT(r.status, 0);
	squeeze(r.out);
	CHECK(strstr(r.out, " ids pid=10 uid=1000(alice) gid=1000(alicegrp) euid=0(root) "
			    "owner_uid=1000(alice) owner=1000(alice) grp=27(sudo) kid_val=1000(alice) "
			    "user=1000(alice) group=27 dev_gid=1000 pgid=1000 count=1000\n"));
	CHECK(strstr(r.out, " ids pid=11 uid=4242 gid=4343 euid=4294967295 owner_uid=77 owner=4242 "
			    "grp=4343 kid_val=4242 user=4242 group=4343 dev_gid=5 pgid=1000 count=0\n"));
	CHECK_STR(r.err, "");
	clirun_free(&r);

	/* table: number(name) in the cells */
	r = CLIRUN("show", "-o", "table", cap);
	CHECK(strstr(r.out, "1000(alice)") && strstr(r.out, "27(sudo)") && strstr(r.out, "0(root)"));
	clirun_free(&r);

	/* csv and jsonl: the name alone, numbers where there is none */
	r = CLIRUN("show", "-o", "csv", cap);
	CHECK(strstr(r.out, ",ids,2000000000,10,alice,alicegrp,root,alice,alice,sudo,alice,alice,"
			    "27,1000,1000,1000\n"));
	CHECK(strstr(r.out, ",11,4242,4343,4294967295,77,4242,4343,4242,4242,4343,5,1000,0\n"));
	clirun_free(&r);
	r = CLIRUN("show", "-o", "jsonl", cap);
	CHECK(strstr(r.out, "\"pid\":10,\"uid\":\"alice\",\"gid\":\"alicegrp\",\"euid\":\"root\","
			    "\"owner_uid\":\"alice\",\"owner\":\"alice\",\"grp\":\"sudo\","
			    "\"kid_val\":\"alice\",\"user\":\"alice\",\"group\":27,\"dev_gid\":1000,"
			    "\"pgid\":1000,\"count\":1000}"));
	CHECK(strstr(r.out, "\"pid\":11,\"uid\":4242,\"gid\":4343,"));
	clirun_free(&r);

	/* SQL keeps the numbers; the functions and tables name them */
	r = CLIRUN("sql", "-o", "csv", cap, "SELECT uid, user_name(uid), group_name(grp), "
		   "user_name(4242), user_name('x'), user_name(-1), user_name(4294967295) FROM ids "
		   "ORDER BY ts");
	CHECK_EQ_INT(r.status, 0);
	CHECK(strstr(r.out, "\n1000,alice,sudo,,,,\n4242,,,,,,\n"));
	clirun_free(&r);
	r = CLIRUN("sql", "-o", "csv", cap, "SELECT uid, name FROM users ORDER BY uid; "
		   "SELECT gid, name FROM groups ORDER BY gid");
	CHECK_EQ_INT(r.status, 0);
	CHECK(strstr(r.out, "uid,name\n0,root\n1000,alice\n"));
	CHECK(strstr(r.out, "gid,name\n0,root\n27,sudo\n1000,alicegrp\n"));
	clirun_free(&r);

	/* a capture older than the tables: numbers, no note, NULL in SQL */
	r = CLIRUN("show", old);
	CHECK_EQ_INT(r.status, 0);
	squeeze(r.out);
	CHECK(strstr(r.out, " ids pid=10 uid=1000 gid=1000 euid=0 "));
	CHECK_STR(r.err, "");
	clirun_free(&r);
	r = CLIRUN("sql", "-o", "csv", old, "SELECT user_name(uid), (SELECT count(*) FROM users) "
		   "FROM ids ORDER BY ts LIMIT 1");
	CHECK_EQ_INT(r.status, 0);
	CHECK(strstr(r.out, "\n,0\n"));
	clirun_free(&r);

	/* a hostile name (a terminal escape): that id a number, a note, the
	 * others named; no escape byte reaches the output */
	{
		char idx[4200];
		snprintf(idx, sizeof(idx), "%s/index.db", bad);
		poke_db(idx, "UPDATE users SET name = 'al' || char(27) || '[2Jice' WHERE uid = 1000");
	}
	r = CLIRUN("show", bad);
	CHECK_EQ_INT(r.status, 0);
	squeeze(r.out);
	CHECK(strstr(r.out, " ids pid=10 uid=1000 gid=1000(alicegrp) euid=0(root) "));
	CHECK(strstr(r.err, "note: 1 user or group names of the capture are not usable"));
	CHECK(!strchr(r.out, '\033') && !strchr(r.err, '\033'));
	clirun_free(&r);
	r = CLIRUN("sql", "-o", "csv", bad, "SELECT count(*), user_name(1000) FROM users");
	CHECK(strstr(r.out, "\n1,\n"));   /* left out of the table too */
	clirun_free(&r);

	/* two captures: user_name() when they agree, NULL when they do not;
	 * the users table says which capture named whom */
	r = CLIRUN("sql", "-o", "csv", cap, capb, "SELECT user_name(0), user_name(1000), "
		   "group_name(27)");
	CHECK_EQ_INT(r.status, 0);
	CHECK(strstr(r.out, "\nroot,,sudo\n"));
	clirun_free(&r);
	r = CLIRUN("sql", "-o", "csv", cap, capb, "SELECT capture, name FROM users WHERE uid = 1000 "
		   "ORDER BY capture");
	CHECK(strstr(r.out, "\ncap,alice\ncapb,bob\n"));
	clirun_free(&r);

	/* info says what the capture carries */
	r = CLIRUN("info", cap);
	CHECK(strstr(r.out, "\nnames        2 users, 3 groups of the recording host (SQL: users, "
			    "groups)\n"));
	clirun_free(&r);
	r = CLIRUN("info", old);
	CHECK(strstr(r.out, "\nnames        none: uids and gids print as numbers\n"));
	clirun_free(&r);
	r = CLIRUN("info", bad);
	CHECK(strstr(r.out, "\nnames        1 users, 3 groups of the recording host (SQL: users, "
			    "groups); some rows not usable, left out\n"));
	clirun_free(&r);
	r = CLIRUN("info", "-o", "json", cap);
	CHECK(strstr(r.out, "\"user_names\":2,\"group_names\":3,\"names_truncated\":false"));
	clirun_free(&r);

	puts("test_show_ids: ok");
	return 0;
}
