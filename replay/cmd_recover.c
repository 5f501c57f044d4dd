/* cmd_recover.c - bpfreplay recover: finish a capture that a crash (kill -9,
 * power loss, full disk) left behind, with capw__recover() (schema/capw.h):
 * a commit cut short is rolled back, then every whole, intact block in the
 * segments that the index misses is indexed.  Nothing is deleted or
 * truncated; damaged bytes stay unindexed (bpfreplay verify reports them).
 *
 * The session, the BPF objects with their BTF, and the streams (names and
 * event types) that the records' stream ids refer to live in index.db, and
 * in catalog.db, the copy of those tables the recorder keeps beside it.  An
 * index.db that is deleted or lost is rebuilt from catalog.db and the
 * segments (the losses it held are then unknown, and info says so).
 * Without either, recover says so and reports what the segments hold
 * (blocks, events per stream id, time span).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capw.h"
#include "cli.h"
#include "capview.h"
#include "segname.h"

static void help(void)
{
	printf("Usage: bpfreplay recover [--force] CAPTURE\n"
	       "\n"
	       "Finish a capture that the recorder left unfinished (killed, machine down,\n"
	       "disk full): roll back an index commit that was cut short, then index every\n"
	       "whole, intact block that the segment files hold but the index misses.\n"
	       "Nothing is deleted or truncated: damaged or partial blocks stay where they\n"
	       "are, unindexed ('bpfreplay verify' lists them).  Running it twice is harmless.\n"
	       "\n"
	       "Recovery needs index.db: it holds the session, the BPF objects with their BTF\n"
	       "and the streams that the records refer to.  Without it, recover reports what\n"
	       "the segments hold and stops.\n"
	       "\n"
	       "Options:\n"
	       "      --force   recover even though a process has the capture open (the\n"
	       "                recorder may still be writing it: do not, normally)\n"
	       "  -h, --help    this text\n"
	       "\n"
	       "Examples:\n"
	       "  bpfreplay recover ./cap && bpfreplay verify ./cap\n"
	       "\n"
	       "Exit status: 0 recovered (or nothing to do), 2 usage, 3 cannot recover.\n");
}

/* A process (other than us) with path open, by /proc/PID/fd; 0 if none seen
 * (best effort: other users' processes are invisible without privileges). */
static pid_t opened_by(const char *path)
{
	char real[PATH_MAX], link[PATH_MAX], fdpath[64 + 256];
	DIR *proc = opendir("/proc");
	struct dirent *pe;
	pid_t found = 0, self = getpid();

	if (!proc || !realpath(path, real)) {
		if (proc)
			closedir(proc);
		return 0;
	}
	while (!found && (pe = readdir(proc))) {
		char *end;
		long pid = strtol(pe->d_name, &end, 10);
		if (*end || pid <= 0 || pid == self)
			continue;
		snprintf(fdpath, sizeof(fdpath), "/proc/%ld/fd", pid);
		DIR *fds = opendir(fdpath);
		struct dirent *fe;
		while (fds && (fe = readdir(fds))) {
			char p[64 + 512];
			snprintf(p, sizeof(p), "%s/%s", fdpath, fe->d_name);
			ssize_t n = readlink(p, link, sizeof(link) - 1);
			if (n > 0) {
				link[n] = 0;
				if (!strcmp(link, real)) {
					found = (pid_t)pid;
					break;
				}
			}
		}
		if (fds)
			closedir(fds);
	}
	closedir(proc);
	return found;
}

/* What the segments hold without an index: blocks, events per stream id. */
struct scan {
	struct block_seq *seq;          /* a segment's blocks in order: chains followed */
	int fd;
	uint8_t *buf;
	size_t cap;
	uint64_t blocks, damaged, records, lo, hi;
	uint64_t per_stream[64];        /* stream ids 1..63; the rest in [0] */
};

static int scan_block(uint64_t off, const struct cap_block_meta *m, void *ctx)
{
	struct scan *s = ctx;
	const struct cap_rec *recs;
	uint32_t n;

	if (s->cap < m->enc_bytes) {
		void *p = realloc(s->buf, m->enc_bytes);   /* fits in the file: checked by the scan */
		if (!p)
			return -ENOMEM;
		s->buf = p;
		s->cap = m->enc_bytes;
	}
	if (pread(s->fd, s->buf, m->enc_bytes, (off_t)off) != (ssize_t)m->enc_bytes ||
	    block_seq__decode(s->seq, s->buf, m->enc_bytes, &recs, &n, NULL, 0)) {
		s->damaged++;
		return 0;
	}
	s->blocks++;
	s->records += n;
	for (uint32_t i = 0; i < n; i++)
		s->per_stream[recs[i].stream < 64 ? recs[i].stream : 0]++;
	if (n && (!s->lo || m->min_ts_ns < s->lo))
		s->lo = m->min_ts_ns;
	if (n && m->max_ts_ns > s->hi)
		s->hi = m->max_ts_ns;
	return 0;
}

static int no_index(const char *dir)
{
	struct scan s = { .fd = -1 };
	uint32_t *nos = NULL;
	size_t nnos = 0;
	unsigned nseg = 0;

	cli__warn("recover: %s/index.db is missing: it cannot be rebuilt from the segments.\n"
		  "  The index holds what the segments do not: the session, the BPF objects with\n"
		  "  their BTF, and the streams (names, event types) that each record's stream id\n"
		  "  refers to; catalog.db, its copy, is missing too.  If a copy of the capture\n"
		  "  still has its index.db or catalog.db, put it back and run recover again.", dir);
	s.seq = block_seq__new(CAPR_MAX_RAW_BYTES);
	if (s.seq)
		cap_segment__list(dir, &nos, &nnos);   /* none listed: none counted */
	for (size_t i = 0; i < nnos; i++) {
		char path[PATH_MAX], name[CAP_SEG_NAME_MAX];

		snprintf(path, sizeof(path), "%s/%s", dir, cap_segment__name(nos[i], name));
		/* (O_NONBLOCK: a FIFO named as a segment; the scan refuses
		 * anything but a regular file) */
		s.fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		if (s.fd < 0)
			continue;
		nseg++;
		block_seq__reset(s.seq);
		cap_segment__scan_fd(s.fd, path, scan_block, &s, NULL, NULL, 0);
		close(s.fd);
	}
	free(nos);
	printf("recover: %s: no index; %u segment files hold %" PRIu64 " intact blocks (%" PRIu64
	       " events", dir, nseg, s.blocks, s.records);
	if (s.records)
		printf(", ts %" PRIu64 " to %" PRIu64, s.lo, s.hi);
	printf("), %" PRIu64 " damaged blocks\n", s.damaged);
	for (unsigned i = 1; i < 64; i++)
		if (s.per_stream[i])
			printf("  stream id %u: %" PRIu64 " events\n", i, s.per_stream[i]);
	if (s.per_stream[0])
		printf("  stream ids 0 or above 63: %" PRIu64 " events\n", s.per_stream[0]);
	block_seq__free(s.seq);
	free(s.buf);
	return EXIT_CAPTURE;
}

/* Recovers the capture dir; the exit status. */
static int recover(const char *dir, bool force)
{
	char path[PATH_MAX + 32], err[768];
	struct stat st;

	if (stat(dir, &st)) {
		cli__warn("recover: %s: %s", dir, strerror(errno));
		return EXIT_CAPTURE;
	}
	if (S_ISREG(st.st_mode)) {
		printf("recover: %s is a file (a bundle?): a bundle is written whole and needs no "
		       "recovery; 'bpfreplay verify %s' checks it\n", dir, dir);
		return 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		cli__warn("recover: %s: not a capture directory", dir);
		return EXIT_CAPTURE;
	}
	snprintf(path, sizeof(path), "%s/index.db", dir);
	bool rebuilt = false;
	if (lstat(path, &st) && errno == ENOENT) {
		char cat[PATH_MAX + 16];

		if (snprintf(cat, sizeof(cat), "%s/catalog.db", dir) >= (int)sizeof(cat) ||
		    lstat(cat, &st))
			return no_index(dir);
		rebuilt = true;
	}
	pid_t pid = opened_by(path);
	if (pid && !force) {
		cli__warn("recover: %s is open in process %d (the recorder still writing?): "
			  "stop it first, or give --force", path, (int)pid);
		return EXIT_CAPTURE;
	}
	snprintf(path, sizeof(path), "%s/index.db-journal", dir);
	bool hot = !stat(path, &st) && st.st_size > 0;

	uint64_t blocks_added = 0;
	int rc = capw__recover(dir, &blocks_added);
	if (rc) {
		cli__warn("recover: %s: %s: not recovered", dir, strerror(-rc));
		return EXIT_CAPTURE;
	}

	/* What the index now holds, and what was added (the newest block ids). */
	struct capview *c = capview__open(dir, err, sizeof(err));
	if (!c) {
		cli__warn("recover: %s: still unreadable after recovery: %s", dir, err);
		return EXIT_CAPTURE;
	}
	sqlite3 *db = capr__db(capview__capr(c));
	sqlite3_stmt *q = NULL;
	uint64_t events_added = 0, lo = 0, hi = 0, blocks = 0, events = 0;
	if (!sqlite3_prepare_v2(db, "SELECT total(nrecords), min(min_ts), max(max_ts) FROM"
				" (SELECT * FROM blocks ORDER BY id DESC LIMIT ?1)", -1, &q, NULL)) {
		sqlite3_bind_int64(q, 1, (int64_t)blocks_added);
		if (sqlite3_step(q) == SQLITE_ROW) {
			events_added = (uint64_t)sqlite3_column_int64(q, 0);
			lo = (uint64_t)sqlite3_column_int64(q, 1);
			hi = (uint64_t)sqlite3_column_int64(q, 2);
		}
	}
	sqlite3_finalize(q);
	size_t nb;
	const struct cap_block_info *bl = capview__blocks(c, &nb);
	for (size_t i = 0; i < nb; i++)
		events += bl[i].meta.nrecords;
	blocks = nb;

	printf("recover: %s:", dir);
	if (rebuilt)
		printf(" index.db was missing: made a new one from catalog.db (the losses it "
		       "recorded are unknown);");
	if (hot)
		printf(" rolled back an index commit that was cut short;");
	if (blocks_added) {
		const struct timeclock *ck = &capview__session(c)->clock;
		char a[TIMEFMT_LEN + 1], b[TIMEFMT_LEN + 1];
		printf(" indexed %" PRIu64 " blocks (%" PRIu64 " events, %s to %s) that the index "
		       "missed;", blocks_added, events_added, timefmt__iso(timeclock__wall(ck, lo), a, sizeof(a)),
		       timefmt__iso(timeclock__wall(ck, hi), b, sizeof(b)));
	} else if (!hot) {
		printf(" the index already had every whole block: nothing to do;");
	}
	printf(" the capture holds %" PRIu64 " events in %" PRIu64 " blocks\n", events, blocks);
	if (!capview__session(c)->has_end)
		printf("  the recording did not finish (no end time); 'bpfreplay verify %s' lists "
		       "any damaged or partial blocks left unindexed\n", dir);
	capview__close(c);
	return 0;
}

static int take_option(void *ctx, int ch, const char *arg)
{
	if (ch != 'F')
		return CLI_NOT_MINE;
	*(bool *)ctx = true;
	return 0;
}

int cmd_recover(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'F' },
		{ NULL },
	};
	bool force = false;
	const struct cli_cmd cmd = {
		.name = "recover", .help = help, .longopts = opts, .take = take_option,
		.ctx = &force, .captures = CLI_ONE_CAPTURE,
	};
	struct cli_args a;
	int rc = cli__parse(&cmd, argc, argv, &a);

	if (!rc && !a.help)
		rc = recover(a.paths[0], force);
	cli__args_free(&a);
	return rc;
}
