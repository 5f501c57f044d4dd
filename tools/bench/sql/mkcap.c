/* mkcap.c - the data of the SQL benchmark (issue 3, BENCHMARKS.md "SQL over
 * captures"): N exec events written twice, as a bpfrec capture and as a
 * plain SQLite table holding the same decoded rows.
 *
 *   mkcap [-n N] [--block-bytes B] [--level L] [--chain-blocks K] [--seed S] CAPDIR PLAIN.db
 *
 * The capture is what `bpfrec record --probe exec` writes: one ringbuf
 * stream "exec" of struct exec_event (bpf/exec.h, 296 bytes), its BTF built
 * by clang from that header, blocks of CAP_BLOCK_DEFAULT_BYTES (the
 * recorder's) at zstd level 1, their dictionaries chained by 16 (its
 * defaults).  The plain table has the columns that
 * `bpfreplay sql` shows (ts, time, cpu, stream, ts_ns, pid, tid, ppid, uid,
 * comm, filename) with the same values, and an index on ts: the fair
 * comparison for a time-range query, since the capture's index bounds
 * every block's ts.
 *
 * Values (deterministic for a seed): 3000 processes, each with its own pid,
 * tid (a thread's now and then), ppid (one of 300), uid (root, 1000, a few
 * service users) and comm (one of 200, Zipf s=1.1); an event picks a
 * process (Zipf s=0.9) and a file name (one of 3000 paths, Zipf s=1.0);
 * ts starts one hour after boot and advances 500..1499 ns an event (1M/s).
 * Bytes after a string's NUL are zero, as the probe leaves them.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"   /* btfgen's hand-made BTF helpers */
#include "btfgen.h"
#pragma GCC diagnostic pop
#include "capw.h"
#include "timefmt.h"

typedef __u64 bpfrec_ts_ns;          /* bpf/bpfrec.h; __u32/__u64 from linux/types.h */
typedef __s32 bpfrec_ustack_id, bpfrec_kstack_id;
#include "exec.h"

#define NPROC 3000
#define NPARENT 300
#define NCOMM 200
#define NPATH 3000
#define BOOT_NS 1000000000ull                 /* the session's clock sample: */
#define REAL_NS 1714564800000000000ull        /* boot 1 s = 2024-05-01T12:00:00Z */
#define T0 3600000000000ull                   /* first event: an hour after boot */

/* The BTF: exec.h as the BPF side sees it, with the headers a BPF program
 * includes (bpfrec.h's staging code needs the helpers' declarations). */
static const char btf_src_fmt[] =
	"#include \"%s/vmlinux.h\"\n"
	"#include <bpf/bpf_helpers.h>\n"
	"#include \"%s/bpf/bpfrec.h\"\n"
	"#include \"%s/bpf/exec.h\"\n"
	"struct exec_event g_exec;\n";

static uint64_t rng_state;

static uint64_t rng(void)                     /* splitmix64 */
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double rng_unit(void)
{
	return (double)(rng() >> 11) / (double)(1ull << 53);
}

/* Zipf over n ranks: cumulative weights, sampled by binary search. */
struct zipf {
	double *cdf;
	size_t n;
};

static int zipf_init(struct zipf *z, size_t n, double s)
{
	double sum = 0;

	z->cdf = malloc(n * sizeof(*z->cdf));
	if (!z->cdf)
		return -ENOMEM;
	z->n = n;
	for (size_t i = 0; i < n; i++)
		z->cdf[i] = sum += 1.0 / pow((double)(i + 1), s);
	for (size_t i = 0; i < n; i++)
		z->cdf[i] /= sum;
	return 0;
}

static size_t zipf_draw(const struct zipf *z)
{
	double u = rng_unit();
	size_t lo = 0, hi = z->n - 1;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (z->cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const char *const comm_base[] = {
	"bash", "sh", "make", "gcc", "cc1", "as", "ld", "collect2", "python3", "node",
	"git", "ssh", "sshd", "systemd", "cron", "containerd-shim", "runc", "dockerd",
	"kubelet", "java", "go", "cargo", "rustc", "npm", "env", "xargs", "find", "sudo",
	"login", "tmux: server", "zsh", "fish", "perl", "ruby", "awk", "sed", "grep", "cmake",
	"ninja", "clang",
};
static const char *const path_dir[] = {
	"/usr/bin", "/usr/sbin", "/bin", "/usr/local/bin", "/usr/libexec/git-core",
	"/usr/lib/gcc/x86_64-linux-gnu/12", "/home/dev/src/project/build/bin", "/opt/app/1.24.3/bin",
	"/snap/bin", "/usr/lib/systemd", "/var/lib/kubelet/pods/4f1c2a7e-93b1-4d7a-b5f0/volumes/bin",
	"/nix/store/0c7l3q0jv9hfd2gk8r5x1mzb6w4sya8n-coreutils-9.4/bin",
};
static const char *const path_name[] = {
	"ls", "cat", "grep", "sed", "awk", "cc1", "as", "ld", "gcc", "git", "python3", "node",
	"ssh", "env", "sort", "uniq", "head", "tail", "wc", "cut", "tr", "xargs", "find", "stat",
	"date", "id", "uname", "mkdir", "rm", "cp", "mv", "ln", "chmod", "basename", "dirname",
	"readlink", "true", "test", "sleep", "kill",
};

struct proc {
	uint32_t pid, tid, ppid, uid;
	uint32_t comm;                  /* index into comms */
};

struct gen {
	char comms[NCOMM][16];
	char paths[NPATH][EXEC_FILENAME_LEN];
	struct proc procs[NPROC];
	struct zipf zcomm, zproc, zpath;
	uint64_t ts;
};

static int gen_init(struct gen *g, uint64_t seed)
{
	const size_t nbase = sizeof(comm_base) / sizeof(comm_base[0]);
	const size_t ndir = sizeof(path_dir) / sizeof(path_dir[0]);
	const size_t nname = sizeof(path_name) / sizeof(path_name[0]);
	uint32_t parents[NPARENT];

	rng_state = seed;
	if (zipf_init(&g->zcomm, NCOMM, 1.1) || zipf_init(&g->zproc, NPROC, 0.9) ||
	    zipf_init(&g->zpath, NPATH, 1.0))
		return -ENOMEM;
	for (size_t i = 0; i < NCOMM; i++) {
		if (i < nbase)
			snprintf(g->comms[i], sizeof(g->comms[i]), "%s", comm_base[i]);
		else
			snprintf(g->comms[i], sizeof(g->comms[i]), "%s-%zu", comm_base[i % nbase],
				 i / nbase);
	}
	/* every dir x name pair first, then versioned names: 12 * 40 = 480 < 3000 */
	for (size_t i = 0; i < NPATH; i++) {
		const char *d = path_dir[i % ndir], *n = path_name[(i / ndir) % nname];
		size_t round = i / (ndir * nname);

		if (!round)
			snprintf(g->paths[i], sizeof(g->paths[i]), "%s/%s", d, n);
		else
			snprintf(g->paths[i], sizeof(g->paths[i]), "%s/%s-%zu.%zu", d, n, round,
				 (size_t)(rng() % 10));
	}
	for (size_t i = 0; i < NPARENT; i++)
		parents[i] = 1 + (uint32_t)(rng() % 4194303);
	for (size_t i = 0; i < NPROC; i++) {
		struct proc *p = &g->procs[i];
		uint32_t u = (uint32_t)(rng() % 100);

		p->pid = 300 + (uint32_t)(rng() % 4193000);
		p->tid = rng() % 20 ? p->pid : p->pid + 1 + (uint32_t)(rng() % 64);
		p->ppid = parents[rng() % NPARENT];
		p->uid = u < 40 ? 0 : u < 90 ? 1000 : u < 95 ? 33 : u < 98 ? 999 : 65534;
		p->comm = (uint32_t)zipf_draw(&g->zcomm);
	}
	g->ts = T0 + rng() % 1000;
	return 0;
}

static void gen_event(struct gen *g, struct exec_event *e)
{
	const struct proc *p = &g->procs[zipf_draw(&g->zproc)];
	const char *path = g->paths[zipf_draw(&g->zpath)];

	memset(e, 0, sizeof(*e));
	g->ts += 500 + rng() % 1000;
	e->ts_ns = g->ts;
	e->pid = p->pid;
	e->tid = p->tid;
	e->ppid = p->ppid;
	e->uid = p->uid;
	memcpy(e->comm, g->comms[p->comm], sizeof(e->comm));
	strncpy(e->filename, path, sizeof(e->filename) - 1);
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: mkcap [-n N] [--block-bytes B] [--level L] [--chain-blocks K] [--seed S]\n"
		   "             CAPDIR PLAIN.db\n"
		   "\n"
		   "Writes N exec events (default 10000000) as a bpfrec capture in CAPDIR (new)\n"
		   "and as the same decoded rows in table exec of PLAIN.db (new), indexed on ts.\n"
		   "--chain-blocks K chains the blocks' dictionaries by K (bpfrec record's\n"
		   "option of the same name; default 16, the recorder's default).\n"
		   "Prints the first and last ts.\n");
}

static int sql_ok(sqlite3 *db, int rc, const char *what)
{
	if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	fprintf(stderr, "mkcap: %s: %s\n", what, sqlite3_errmsg(db));
	return -EIO;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "block-bytes", required_argument, NULL, 'b' },
		{ "level", required_argument, NULL, 'l' },
		{ "chain-blocks", required_argument, NULL, 'k' },
		{ "seed", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t n = 10000000, seed = 42, first = 0, last = 0;
	size_t block_bytes = CAP_BLOCK_DEFAULT_BYTES; /* the recorder's */
	/* the recorder's zstd level and chain (recorder/record.h) */
	struct capw_opts co = { .zstd_level = 1, .chain_blocks = 16 };
	struct timeclock ck = { .boot_ns = BOOT_NS, .real_ns = (int64_t)REAL_NS };
	struct gen *g = NULL;
	struct capw *w = NULL;
	struct blockbuf *bb = NULL;
	sqlite3 *db = NULL;
	sqlite3_stmt *ins = NULL;
	uint8_t *btf = NULL;
	size_t btf_len = 0;
	char src[4096], btfdir[] = "/tmp/mkcap-btf-XXXXXX";
	uint32_t obj = 0, sid = 0;
	int c, rc = 1;

	while ((c = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': n = strtoull(optarg, NULL, 0); break;
		case 'b': block_bytes = strtoull(optarg, NULL, 0); break;
		case 'l': co.zstd_level = atoi(optarg); break;
		case 'k': co.chain_blocks = (unsigned)strtoul(optarg, NULL, 0); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc - optind != 2 || !n) {
		usage(stderr);
		return 2;
	}
	const char *capdir = argv[optind], *plain = argv[optind + 1];
	if (access(plain, F_OK) == 0) {
		fprintf(stderr, "mkcap: %s exists (choose a new file)\n", plain);
		return 2;
	}

	/* the BTF, as the fixtures build it */
	if (!mkdtemp(btfdir)) {
		perror("mkcap: mkdtemp");
		return 1;
	}
	snprintf(src, sizeof(src), btf_src_fmt, BPFREC_VMLINUX_DIR, BPFREC_SRC_DIR, BPFREC_SRC_DIR);
	btf = btfgen_compile(btfdir, src, &btf_len);

	struct cap_session sess = {
		.host = "benchhost", .kernel_release = "6.1.0-bench", .boot_id = "b3nchb00t",
		.cmdline = "bpfrec record --probe exec -o cap", .tool_version = "bpfrec 0.1.0",
		.clock_boot_ns = BOOT_NS, .clock_real_ns = REAL_NS, .start_ns = T0 - 1000,
	};
	struct cap_stream_desc sd = { "exec", "ringbuf", 0, "events", "exec_event", 0, 0 };

	g = calloc(1, sizeof(*g));
	if (!g || gen_init(g, seed)) {
		fprintf(stderr, "mkcap: out of memory\n");
		goto out;
	}
	w = capw__create(capdir, &co);
	bb = blockbuf__new(block_bytes);
	if (!w || !bb)
		goto out;
	if (capw__set_session(w, &sess) ||
	    capw__add_object(w, "exec", "exec.bpf.o", btf, (uint32_t)btf_len, &obj))
		goto out;
	sd.object_id = obj;
	if (capw__add_stream(w, &sd, &sid))
		goto out;

	if (sql_ok(db, sqlite3_open(plain, &db), plain) ||
	    sql_ok(db, sqlite3_exec(db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
				    "CREATE TABLE exec(ts INTEGER, time TEXT, cpu INTEGER, stream TEXT,"
				    " ts_ns INTEGER, pid INTEGER, tid INTEGER, ppid INTEGER, uid INTEGER,"
				    " comm TEXT, filename TEXT); BEGIN", NULL, NULL, NULL), plain) ||
	    sql_ok(db, sqlite3_prepare_v2(db, "INSERT INTO exec VALUES(?1, ?2, NULL, 'exec', ?1,"
					  " ?3, ?4, ?5, ?6, ?7, ?8)", -1, &ins, NULL), plain))
		goto out;

	for (uint64_t i = 0; i < n; i++) {
		struct exec_event e;
		char tb[TIMEFMT_LEN + 1];
		int r;

		gen_event(g, &e);
		if (!i)
			first = e.ts_ns;
		last = e.ts_ns;
		r = blockbuf__add(bb, sid, CAP_CPU_UNKNOWN, e.ts_ns, &e, sizeof(e));
		if (r == -ENOSPC) {
			if (capw__write_block(w, bb))
				goto out;
			blockbuf__reset(bb);
			r = blockbuf__add(bb, sid, CAP_CPU_UNKNOWN, e.ts_ns, &e, sizeof(e));
		}
		if (r) {
			fprintf(stderr, "mkcap: blockbuf__add: %s\n", strerror(-r));
			goto out;
		}
		/* the row as bpfreplay decodes it: text up to the first NUL */
		timefmt__iso(timeclock__wall(&ck, e.ts_ns), tb, sizeof(tb));
		sqlite3_reset(ins);
		sqlite3_bind_int64(ins, 1, (sqlite3_int64)e.ts_ns);
		sqlite3_bind_text(ins, 2, tb, TIMEFMT_LEN, SQLITE_TRANSIENT);
		sqlite3_bind_int64(ins, 3, e.pid);
		sqlite3_bind_int64(ins, 4, e.tid);
		sqlite3_bind_int64(ins, 5, e.ppid);
		sqlite3_bind_int64(ins, 6, e.uid);
		sqlite3_bind_text(ins, 7, e.comm, (int)strnlen(e.comm, sizeof(e.comm)), SQLITE_TRANSIENT);
		sqlite3_bind_text(ins, 8, e.filename, (int)strnlen(e.filename, sizeof(e.filename)),
				  SQLITE_TRANSIENT);
		if (sql_ok(db, sqlite3_step(ins), "insert"))
			goto out;
		if (i % 1000000 == 999999 && sql_ok(db, sqlite3_exec(db, "COMMIT; BEGIN", NULL, NULL,
								      NULL), "commit"))
			goto out;
	}
	if (capw__write_block(w, bb))
		goto out;
	rc = capw__close(w, last + 1000);
	w = NULL;
	if (rc)
		goto out;
	rc = 1;
	sqlite3_finalize(ins);
	ins = NULL;
	if (sql_ok(db, sqlite3_exec(db, "COMMIT; CREATE INDEX exec_ts ON exec(ts)",
				    NULL, NULL, NULL), "index"))
		goto out;
	printf("%" PRIu64 " events, ts %llu .. %llu\n", n, (unsigned long long)first,
	       (unsigned long long)last);
	rc = 0;
out:
	sqlite3_finalize(ins);
	sqlite3_close(db);
	if (w)
		capw__close(w, last + 1000);
	blockbuf__free(bb);
	free(btf);
	if (g) {
		free(g->zcomm.cdf);
		free(g->zproc.cdf);
		free(g->zpath.cdf);
	}
	free(g);
	return rc;
}
