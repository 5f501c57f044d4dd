/* test_verify - bpfreplay verify and recover on fixture captures (capfix.h):
 * an intact capture and bundle pass; each kind of damage is reported on its
 * own line (file, offset, block id, reason) with exit 3 while show/sql keep
 * reading the rest: a flipped frame byte, a bad block header, counts in the
 * index that disagree, an unknown stream id, blocks the index misses (a
 * crash), a partial last block, a segment file the index does not name,
 * a missing index; recover indexes what a crash left out, refuses a capture
 * another process has open, and says what index.db holds when it is gone. */
#include "testutil.h"
#include "fixtures/capfix.h"
#include "fixtures/clirun.h"

#include <signal.h>

static char tmp[PATH_MAX / 2], btf[PATH_MAX];

/* A fresh fixture capture at tmp/name: n_a, n_b records, small blocks. */
static const char *fresh(const char *name, char *buf, size_t len)
{
	struct capfix_opts o = { .n_a = 600, .n_b = 400, .block_bytes = 2048, .short_a = -1 };

	return capfix_fresh(tmp, name, btf, o, buf, len);
}

static void test_intact(void)
{
	char cap[PATH_MAX], bun[PATH_MAX];

	fresh("intact", cap, sizeof(cap));
	EXPECT(CLIRUN("verify", cap), 0, ": intact\n", NULL);
	struct clirun r = CLIRUN("verify", cap);
	CHECK(strstr(r.out, "1000 events"));
	CHECK(!strchr(r.out, '\n') || strchr(r.out, '\n') == r.out + strlen(r.out) - 1);  /* one line */
	clirun_free(&r);
	snprintf(bun, sizeof(bun), "%s/intact.bpfrec", tmp);
	unlink(bun);
	EXPECT(CLIRUN("bundle", cap, "-o", bun), 0, NULL, NULL);
	EXPECT(CLIRUN("verify", bun), 0, ": intact\n", NULL);
	EXPECT(CLIRUN("verify", "-q", cap), 0, "intact", NULL);
	EXPECT(CLIRUN("verify"), 2, NULL, "no CAPTURE given");
	EXPECT(CLIRUN("verify", "--bogus", cap), 2, NULL, "unknown option '--bogus'");
	EXPECT(CLIRUN("verify", "--help"), 0, "Usage: bpfreplay verify", NULL);
	EXPECT(CLIRUN("recover", bun), 0, "needs no recovery", NULL);

	/* A bundle's damage: a flipped byte in one block's bytes, a block row
	 * without bytes, bytes without a block row. */
	poke_db(bun, "UPDATE block_data SET data = substr(data, 1, 60) ||"
		    " char((unicode(substr(data, 61, 1)) + 1) % 256) || substr(data, 62)"
		    " WHERE block_id = 3");
	struct clirun d = CLIRUN("verify", bun);
	fprintf(stderr, "expected:\n%s", d.out);
	CHECK(d.status == 3);
	char want[PATH_MAX + 64];
	snprintf(want, sizeof(want), "damaged: %s: block 3: ", bun);
	CHECK(strstr(d.out, want));
	CHECK(strstr(d.out, "DAMAGED"));
	clirun_free(&d);
	poke_db(bun, "DELETE FROM block_data WHERE block_id = 4; DELETE FROM blocks WHERE id = 5");
	d = CLIRUN("verify", bun);
	CHECK(d.status == 3);
	CHECK(strstr(d.out, "1 blocks have no bytes in block_data"));
	CHECK(strstr(d.out, "1 block_data rows belong to no block"));
	CHECK(strstr(d.out, "no bytes for it in the bundle"));
	clirun_free(&d);
	/* The rest stays readable. */
	EXPECT(CLIRUN("sql", bun, "SELECT count(*) > 400 FROM alpha"), 3, "1", "damaged");
}

/* The offset and segment of block id, from the index. */
static int64_t block_off(const char *cap, int64_t id, int64_t *enc)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT enc_bytes FROM blocks WHERE id = %lld", (long long)id);
	*enc = q_int_index(cap, sql);
	snprintf(sql, sizeof(sql), "SELECT offset FROM blocks WHERE id = %lld", (long long)id);
	return q_int_index(cap, sql);
}

static void seg_write(const char *cap, int64_t off, const void *bytes, size_t n)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/seg-000001.bpfrec", cap);
	int fd = open(path, O_WRONLY);
	CHECK(fd >= 0 && pwrite(fd, bytes, n, off) == (ssize_t)n);
	close(fd);
}

static void test_damage(void)
{
	char cap[PATH_MAX], want[PATH_MAX + 128];
	int64_t enc, off;

	fresh("damage", cap, sizeof(cap));
	int64_t total = q_int_index(cap, "SELECT sum(nrecords) FROM blocks");
	int64_t n10 = q_int_index(cap, "SELECT nrecords FROM blocks WHERE id = 10");
	int64_t n12 = q_int_index(cap, "SELECT nrecords FROM blocks WHERE id = 12");
	capfix_damage_block(cap, 10);
	off = block_off(cap, 12, &enc);
	seg_write(cap, off + 1, "X", 1);                  /* block magic */
	poke_index(cap, "UPDATE block_streams SET nrecords = nrecords + 1 WHERE block_id = 3"
		 " AND stream_id = 1");

	struct clirun r = CLIRUN("verify", cap);
	fprintf(stderr, "expected:\n%s", r.out);
	CHECK_EQ_INT(r.status, 3);
	off = block_off(cap, 10, &enc);
	snprintf(want, sizeof(want), "damaged: %s/seg-000001.bpfrec: block 10 at offset %lld: ",
		 cap, (long long)off);
	CHECK(strstr(r.out, want));
	off = block_off(cap, 12, &enc);
	snprintf(want, sizeof(want), "damaged: %s/seg-000001.bpfrec: block 12 at offset %lld: "
		 "bad block magic", cap, (long long)off);
	CHECK(strstr(r.out, want));
	snprintf(want, sizeof(want), "%s/seg-000001.bpfrec: block 3 at offset", cap);
	CHECK(strstr(r.out, want));
	CHECK(strstr(r.out, "stream id 1: the index says"));
	snprintf(want, sizeof(want), "2 damaged blocks (%lld events lost)", (long long)(n10 + n12));
	CHECK(strstr(r.out, want));
	CHECK(strstr(r.out, "1 index errors: DAMAGED"));
	clirun_free(&r);

	/* show and sql read everything else. */
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT (SELECT count(*) FROM alpha) + (SELECT count(*) FROM beta)");
	snprintf(want, sizeof(want), "%lld", (long long)(total - n10 - n12));
	EXPECT(CLIRUN("sql", "-o", "csv", cap, sql), 3, want, "block 10");

	/* Records of a stream the index does not have. */
	poke_index(cap, "DELETE FROM streams WHERE id = 2");
	r = CLIRUN("verify", cap);
	CHECK_EQ_INT(r.status, 3);
	CHECK(strstr(r.out, "records of stream id 2, which the index does not have"));
	CHECK(strstr(r.out, "block_streams rows name streams the index does not have"));
	clirun_free(&r);
}

/* A crash: the last blocks written but not committed, a partial block after
 * them, a second segment the index never named. */
static void test_crash_recover(void)
{
	char cap[PATH_MAX], want[PATH_MAX + 256], seg[PATH_MAX + 32], seg2[PATH_MAX + 32], cmd[PATH_MAX * 3];
	int64_t enc, last_off;

	fresh("crash", cap, sizeof(cap));
	int64_t total = q_int_index(cap, "SELECT sum(nrecords) FROM blocks");
	int64_t maxid = q_int_index(cap, "SELECT max(id) FROM blocks");
	int64_t lost = q_int_index(cap, "SELECT sum(nrecords) FROM blocks WHERE id >= (SELECT max(id) - 1 FROM blocks)");
	last_off = block_off(cap, maxid - 1, &enc);
	poke_index(cap, "DELETE FROM block_streams WHERE block_id >= (SELECT max(id) - 1 FROM blocks);"
		 "DELETE FROM blocks WHERE id >= (SELECT max(id) - 1 FROM blocks);");
	char sql[128];
	snprintf(sql, sizeof(sql), "UPDATE segments SET bytes = %lld", (long long)last_off);
	poke_index(cap, sql);
	snprintf(seg, sizeof(seg), "%s/seg-000001.bpfrec", cap);
	FILE *f = fopen(seg, "ab");
	CHECK(f && fwrite("BRBK\x01\x00\x01", 1, 7, f) == 7 && !fclose(f));

	struct clirun r = CLIRUN("verify", cap);
	fprintf(stderr, "expected:\n%s", r.out);
	CHECK_EQ_INT(r.status, 3);
	snprintf(want, sizeof(want), "%s/seg-000001.bpfrec: offset %lld: a whole block (", cap,
		 (long long)last_off);
	CHECK(strstr(r.out, want));
	CHECK(strstr(r.out, "bytes after the last whole block: a partial block"));
	snprintf(want, sizeof(want), "2 unindexed blocks (%lld events), 7 stray bytes", (long long)lost);
	CHECK(strstr(r.out, want));
	CHECK(strstr(r.out, "run 'bpfreplay recover"));
	clirun_free(&r);

	r = CLIRUN("recover", cap);
	fprintf(stderr, "expected:\n%s%s", r.out, r.err);
	CHECK_EQ_INT(r.status, 0);
	snprintf(want, sizeof(want), "indexed 2 blocks (%lld events, ", (long long)lost);
	CHECK(strstr(r.out, want));
	snprintf(want, sizeof(want), "the capture holds %lld events", (long long)total);
	CHECK(strstr(r.out, want));
	clirun_free(&r);
	EXPECT(CLIRUN("recover", cap), 0, "nothing to do", NULL);       /* twice: harmless */
	/* Only the partial tail is left: reported, not indexed. */
	r = CLIRUN("verify", cap);
	CHECK_EQ_INT(r.status, 3);
	CHECK(strstr(r.out, "0 unindexed blocks (0 events), 7 stray bytes"));
	clirun_free(&r);
	struct stat st;
	CHECK(stat(seg, &st) == 0 && truncate(seg, st.st_size - 7) == 0);
	EXPECT(CLIRUN("verify", cap), 0, "intact", NULL);

	/* A segment file the index never named (the crash hit right after it
	 * was created): reported, then indexed by recover. */
	snprintf(seg2, sizeof(seg2), "%s/seg-000002.bpfrec", cap);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", seg, seg2);
	CHECK(system(cmd) == 0);
	r = CLIRUN("verify", cap);
	CHECK_EQ_INT(r.status, 3);
	snprintf(want, sizeof(want), "%s/seg-000002.bpfrec: a segment file the index does not name", cap);
	CHECK(strstr(r.out, want));
	clirun_free(&r);
	snprintf(want, sizeof(want), "the capture holds %lld events", (long long)(2 * total));
	EXPECT(CLIRUN("recover", cap), 0, want, NULL);
	EXPECT(CLIRUN("verify", cap), 0, "intact", NULL);

	/* recover refuses while another process has the index open. */
	char idx[PATH_MAX + 16];
	snprintf(idx, sizeof(idx), "%s/index.db", cap);
	int pfd[2];
	CHECK(pipe(pfd) == 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		int fd = open(idx, O_RDONLY);
		char c = fd >= 0 ? 'y' : 'n';
		if (write(pfd[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	char c = 0;
	CHECK(read(pfd[0], &c, 1) == 1 && c == 'y');
	snprintf(want, sizeof(want), "is open in process %d", (int)pid);
	EXPECT(CLIRUN("recover", cap), 3, NULL, want);
	EXPECT(CLIRUN("recover", "--force", cap), 0, "nothing to do", NULL);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(pfd[0]);
	close(pfd[1]);
}

static void test_no_index(void)
{
	char cap[PATH_MAX], idx[PATH_MAX + 32], want[PATH_MAX + 256];

	fresh("noindex", cap, sizeof(cap));
	int64_t blocks = q_int_index(cap, "SELECT count(*) FROM blocks");
	int64_t n5 = q_int_index(cap, "SELECT nrecords FROM blocks WHERE id = 5");
	int64_t a5 = q_int_index(cap, "SELECT nrecords FROM block_streams WHERE block_id = 5 AND stream_id = 1");
	int64_t enc, off5 = block_off(cap, 5, &enc);
	capfix_damage_block(cap, 5);
	snprintf(idx, sizeof(idx), "%s/index.db", cap);
	CHECK(unlink(idx) == 0);
	snprintf(idx, sizeof(idx), "%s/catalog.db", cap);   /* its metadata copy too */
	CHECK(unlink(idx) == 0);
	struct clirun r = CLIRUN("verify", cap);
	fprintf(stderr, "expected:\n%s", r.out);
	CHECK_EQ_INT(r.status, 3);
	CHECK(strstr(r.out, "index.db: No such file or directory"));
	CHECK(strstr(r.out, "checking the segment files alone"));
	snprintf(want, sizeof(want), "damaged: %s/seg-000001.bpfrec: unindexed block at offset %lld: ",
		 cap, (long long)off5);
	CHECK(strstr(r.out, want));
	snprintf(want, sizeof(want), "%lld blocks, %lld events; 1 damaged blocks", (long long)blocks,
		 (long long)(1000 - n5));
	CHECK(strstr(r.out, want));
	clirun_free(&r);
	r = CLIRUN("recover", cap);
	fprintf(stderr, "expected:\n%s%s", r.out, r.err);
	CHECK_EQ_INT(r.status, 3);
	CHECK(strstr(r.err, "index.db is missing: it cannot be rebuilt from the segments"));
	CHECK(strstr(r.err, "the streams (names, event types)"));
	snprintf(want, sizeof(want), "hold %lld intact blocks (%lld events", (long long)(blocks - 1),
		 (long long)(1000 - n5));
	CHECK(strstr(r.out, want));
	CHECK(strstr(r.out, "), 1 damaged blocks"));
	snprintf(want, sizeof(want), "stream id 1: %lld events", (long long)(600 - a5));
	CHECK(strstr(r.out, want));
	snprintf(want, sizeof(want), "stream id 2: %lld events", (long long)(400 - (n5 - a5)));
	CHECK(strstr(r.out, want));
	clirun_free(&r);

	/* Only index.db lost: recover makes a new one from catalog.db, every
	 * block indexed again; info says the losses are unknown; verify passes. */
	fresh("rebuild", cap, sizeof(cap));
	int64_t all = q_int_index(cap, "SELECT count(*) FROM blocks");
	snprintf(idx, sizeof(idx), "%s/index.db", cap);
	CHECK(unlink(idx) == 0);
	r = CLIRUN("recover", cap);
	fprintf(stderr, "expected:\n%s%s", r.out, r.err);
	CHECK_EQ_INT(r.status, 0);
	CHECK(strstr(r.out, "index.db was missing: made a new one from catalog.db"));
	snprintf(want, sizeof(want), "indexed %lld blocks (1000 events", (long long)all);
	CHECK(strstr(r.out, want));
	clirun_free(&r);
	EXPECT(CLIRUN("info", cap), 0, "an unknown number before: the index was lost", NULL);
	EXPECT(CLIRUN("verify", cap), 0, "intact", NULL);

	/* The same with a damaged block in the middle of the segment: recovery
	 * steps over it by its header and indexes every block after it. */
	fresh("rebuild-damaged", cap, sizeof(cap));
	all = q_int_index(cap, "SELECT count(*) FROM blocks");
	int64_t n7 = q_int_index(cap, "SELECT nrecords FROM blocks WHERE id = 7");
	capfix_damage_block(cap, 7);
	snprintf(idx, sizeof(idx), "%s/index.db", cap);
	CHECK(unlink(idx) == 0);
	r = CLIRUN("recover", cap);
	fprintf(stderr, "expected:\n%s%s", r.out, r.err);
	CHECK_EQ_INT(r.status, 0);
	CHECK(strstr(r.err, "is damaged") && strstr(r.err, "left unindexed"));
	snprintf(want, sizeof(want), "indexed %lld blocks (%lld events", (long long)(all - 1),
		 (long long)(1000 - n7));
	CHECK(strstr(r.out, want));
	clirun_free(&r);
	EXPECT(CLIRUN("verify", cap), 3, "1 damaged blocks", NULL);

	/* A hot journal beside the index: verify says what to do. */
	fresh("journal", cap, sizeof(cap));
	snprintf(idx, sizeof(idx), "%s/index.db-journal", cap);
	FILE *f = fopen(idx, "wb");
	CHECK(f && fputs("not empty", f) >= 0 && !fclose(f));
	r = CLIRUN("verify", cap);
	CHECK_EQ_INT(r.status, 3);
	CHECK(strstr(r.out, "bpfreplay recover"));
	clirun_free(&r);
}

int main(void)
{
	snprintf(tmp, sizeof(tmp), "%s", test_tmpdir("verify"));
	snprintf(btf, sizeof(btf), "%s/btf", tmp);
	clirun_init(tmp);
	test_intact();
	test_damage();
	test_crash_recover();
	test_no_index();
	printf("test_verify: ok\n");
	return 0;
}
