#include "symb.h"
#include "addrsearch.h"
#include "capschema.h"
#include "capview.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sstack {
	int64_t id;
	int kernel;
	uint32_t n;
	uint64_t *ips;
};

struct ssym {
	uint64_t addr, size;
	char *name;
	uint32_t file;            /* index into files (kernel table) */
};

struct sline {
	uint64_t addr, size;
	uint32_t line;
	char *src;
};

struct sfile {
	int64_t id;
	char kind[8];             /* elf kernel module perfmap special */
	char *path;
	char *build_id;           /* NULL: none */
	int64_t pid;              /* perfmap, else -1 */
	struct ssym *syms;        /* sorted by addr */
	size_t nsyms, cap;
	struct sline *lines;      /* elf: line table rows, sorted by addr, not overlapping */
	size_t nlines, lines_cap;
};

struct smap {
	uint64_t pid, start, end, off;
	uint32_t file;
};

struct spair {
	int64_t id, pid;
};

struct symb {
	struct sstack *stacks;    /* sorted by id */
	size_t nstacks, stacks_cap;
	struct sfile *files;      /* sorted by id */
	size_t nfiles, files_cap;
	struct smap *maps;        /* sorted by (pid, start) */
	size_t nmaps, maps_cap;
	struct ssym *ksyms;       /* kernel and module symbols, sorted by addr (names shared) */
	size_t nksyms;
	struct spair *pairs;
	size_t npairs, pairs_cap;
	uint64_t skipped;
};

static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
	size_t c;
	void *g;

	if (n < *cap)
		return p;
	c = *cap ? *cap * 2 : 64;
	g = realloc(p, c * size);
	if (g)
		*cap = c;
	return g;
}

/* A text value: no NUL inside, at most max bytes.  NULL otherwise. */
static char *dup_text(const struct pval *v, size_t max)
{
	char *s;

	if (v->kind != PV_TEXT || v->len > max || memchr(v->s, 0, v->len))
		return NULL;
	s = malloc(v->len + 1);
	if (s) {
		memcpy(s, v->s, v->len);
		s[v->len] = 0;
	}
	return s;
}

static int as_int(const struct pval *v, int64_t *out)
{
	if (v->kind != PV_INT)
		return -1;
	*out = v->i;
	return 0;
}

/* ---- loading ---- */

struct load {
	struct symb *s;
	int err;
};

static int row_stack(void *ctx, size_t ncols, const struct pval *v)
{
	struct load *l = ctx;
	struct symb *s = l->s;
	struct sstack *st;
	int64_t id;

	if (!v)
		return ncols == 3 ? 0 : -EBADMSG;
	if (as_int(&v[0], &id) || id < 0 || v[1].kind != PV_TEXT || v[2].kind != PV_BLOB ||
	    v[2].len % 8 || v[2].len / 8 > SYMB_MAX_DEPTH) {
		s->skipped++;
		return 0;
	}
	s->stacks = grow(s->stacks, &s->stacks_cap, s->nstacks, sizeof(*s->stacks));
	if (!s->stacks)
		return -ENOMEM;
	st = &s->stacks[s->nstacks];
	st->id = id;
	st->kernel = v[1].len == 6 && !memcmp(v[1].s, "kernel", 6);
	st->n = (uint32_t)(v[2].len / 8);
	st->ips = malloc(st->n ? st->n * 8 : 1);
	if (!st->ips)
		return -ENOMEM;
	for (uint32_t i = 0; i < st->n; i++) {
		const uint8_t *p = (const uint8_t *)v[2].s + 8 * i;
		uint64_t a = 0;

		for (int k = 7; k >= 0; k--)
			a = a << 8 | p[k];
		st->ips[i] = a;
	}
	s->nstacks++;
	return 0;
}

static int row_pair(void *ctx, size_t ncols, const struct pval *v)
{
	struct load *l = ctx;
	struct symb *s = l->s;
	int64_t id, pid;

	if (!v)
		return ncols == 2 ? 0 : -EBADMSG;
	if (as_int(&v[0], &id) || as_int(&v[1], &pid) || id < 0 || pid < 0 || pid > UINT32_MAX) {
		s->skipped++;
		return 0;
	}
	s->pairs = grow(s->pairs, &s->pairs_cap, s->npairs, sizeof(*s->pairs));
	if (!s->pairs)
		return -ENOMEM;
	s->pairs[s->npairs++] = (struct spair){ id, pid };
	return 0;
}

static int row_file(void *ctx, size_t ncols, const struct pval *v)
{
	struct load *l = ctx;
	struct symb *s = l->s;
	struct sfile *f;
	int64_t id, pid = -1;

	if (!v)
		return ncols == 5 ? 0 : -EBADMSG;
	if (as_int(&v[0], &id) || v[1].kind != PV_TEXT || v[1].len >= sizeof(f->kind) ||
	    (v[4].kind != PV_NULL && as_int(&v[4], &pid))) {
		s->skipped++;
		return 0;
	}
	s->files = grow(s->files, &s->files_cap, s->nfiles, sizeof(*s->files));
	if (!s->files)
		return -ENOMEM;
	f = &s->files[s->nfiles];
	memset(f, 0, sizeof(*f));
	f->id = id;
	memcpy(f->kind, v[1].s, v[1].len);
	f->kind[v[1].len] = 0;
	f->pid = pid;
	f->path = dup_text(&v[2], SYMB_MAX_PATH);
	if (!f->path) {
		s->skipped++;
		return 0;
	}
	if (v[3].kind == PV_TEXT) {
		f->build_id = dup_text(&v[3], 256);
		if (f->build_id && strspn(f->build_id, "0123456789abcdef") != strlen(f->build_id)) {
			free(f->build_id);
			f->build_id = NULL;
		}
	}
	s->nfiles++;
	return 0;
}

static int cmp_file(const void *a, const void *b)
{
	const struct sfile *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static struct sfile *file_by_id(const struct symb *s, int64_t id)
{
	size_t lo = 0, hi = s->nfiles;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->files[mid].id == id)
			return &s->files[mid];
		if (s->files[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int row_map(void *ctx, size_t ncols, const struct pval *v)
{
	struct load *l = ctx;
	struct symb *s = l->s;
	int64_t pid, start, end, off, fid;
	struct sfile *f;

	if (!v)
		return ncols == 5 ? 0 : -EBADMSG;
	if (as_int(&v[0], &pid) || as_int(&v[1], &start) || as_int(&v[2], &end) ||
	    as_int(&v[3], &off) || as_int(&v[4], &fid) || pid < 0 || pid > UINT32_MAX ||
	    (uint64_t)start >= (uint64_t)end || !(f = file_by_id(s, fid))) {
		s->skipped++;
		return 0;
	}
	s->maps = grow(s->maps, &s->maps_cap, s->nmaps, sizeof(*s->maps));
	if (!s->maps)
		return -ENOMEM;
	s->maps[s->nmaps++] = (struct smap){ (uint64_t)pid, (uint64_t)start, (uint64_t)end,
					     (uint64_t)off, (uint32_t)(f - s->files) };
	return 0;
}

static int row_sym(void *ctx, size_t ncols, const struct pval *v)
{
	struct load *l = ctx;
	struct symb *s = l->s;
	int64_t fid, addr, size;
	struct sfile *f;
	char *name;

	if (!v)
		return ncols == 4 ? 0 : -EBADMSG;
	if (as_int(&v[0], &fid) || as_int(&v[1], &addr) || as_int(&v[2], &size) || size <= 0 ||
	    (uint64_t)addr + (uint64_t)size < (uint64_t)addr || !(f = file_by_id(s, fid)) ||
	    !(name = dup_text(&v[3], SYMB_MAX_NAME))) {
		s->skipped++;
		return 0;
	}
	f->syms = grow(f->syms, &f->cap, f->nsyms, sizeof(*f->syms));
	if (!f->syms) {
		free(name);
		return -ENOMEM;
	}
	f->syms[f->nsyms++] = (struct ssym){ (uint64_t)addr, (uint64_t)size, name,
					     (uint32_t)(f - s->files) };
	return 0;
}

static int row_line(void *ctx, size_t ncols, const struct pval *v)
{
	struct load *l = ctx;
	struct symb *s = l->s;
	int64_t fid, addr, size, line;
	struct sfile *f;
	char *src;

	if (!v)
		return ncols == 5 ? 0 : -EBADMSG;
	if (as_int(&v[0], &fid) || as_int(&v[1], &addr) || as_int(&v[2], &size) ||
	    as_int(&v[3], &line) || size <= 0 || addr < 0 ||
	    (uint64_t)addr + (uint64_t)size > (uint64_t)INT64_MAX || line <= 0 ||
	    line > SYMB_MAX_LINE || !(f = file_by_id(s, fid)) || strcmp(f->kind, "elf") ||
	    !(src = dup_text(&v[4], SYMB_MAX_PATH))) {
		s->skipped++;
		return 0;
	}
	if (!*src) {
		free(src);
		s->skipped++;
		return 0;
	}
	f->lines = grow(f->lines, &f->lines_cap, f->nlines, sizeof(*f->lines));
	if (!f->lines) {
		free(src);
		return -ENOMEM;
	}
	f->lines[f->nlines++] = (struct sline){ (uint64_t)addr, (uint64_t)size, (uint32_t)line,
						src };
	return 0;
}

static int cmp_line(const void *a, const void *b)
{
	const struct sline *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Sorts f's rows and drops those that overlap the one before (a hostile
 * capture's: a row then names one range only). */
static void sort_lines(struct symb *s, struct sfile *f)
{
	size_t i, k;

	if (!f->nlines)
		return;
	qsort(f->lines, f->nlines, sizeof(*f->lines), cmp_line);
	for (i = 1, k = 1; i < f->nlines; i++) {
		if (f->lines[i].addr - f->lines[k - 1].addr < f->lines[k - 1].size) {
			free(f->lines[i].src);
			s->skipped++;
			continue;
		}
		f->lines[k++] = f->lines[i];
	}
	f->nlines = k;
}

static int cmp_stack(const void *a, const void *b)
{
	const struct sstack *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int cmp_sym(const void *a, const void *b)
{
	const struct ssym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int cmp_map(const void *a, const void *b)
{
	const struct smap *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

int symb__open(struct capview *c, struct symb **out, char *err, size_t errlen)
{
	static const struct {
		const char *table, *sql;
		int (*row)(void *, size_t,
			   const struct pval *);
	} q[] = {
		{ "stack_traces", "SELECT id, kind, frames FROM stack_traces", row_stack },
		{ "stack_pids", "SELECT stack_id, pid FROM stack_pids ORDER BY stack_id, pid", row_pair },
		{ "sym_files", "SELECT id, kind, path, build_id, pid FROM sym_files ORDER BY id", row_file },
		{ "proc_maps", "SELECT pid, start_addr, end_addr, file_offset, file_id FROM proc_maps",
		  row_map },
		{ "symbols", "SELECT file_id, addr, size, name FROM symbols", row_sym },
		{ "lines", "SELECT file_id, addr, size, line, src FROM lines", row_line },
	};
	struct symb *s = calloc(1, sizeof(*s));
	struct load l = { .s = s };
	size_t i, k;
	int rc = 0;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	for (i = 0; i < sizeof(q) / sizeof(q[0]) && !rc; i++) {
		if (!cap_schema__has_table(capr__db(capview__capr(c)), q[i].table))
			continue;   /* older capture, or a bundle without stacks */
		rc = capview__query(c, q[i].sql, q[i].row, &l, err, errlen);
		if (i == 2 && !rc) {
			if (s->nfiles)
				qsort(s->files, s->nfiles, sizeof(*s->files), cmp_file);
			/* Two rows with one id: the later ones are not trusted. */
			for (k = 1; k < s->nfiles; k++)
				if (s->files[k].id == s->files[k - 1].id) {
					snprintf(err, errlen, "%s: sym_files: id %lld twice", capview__path(c),
						 (long long)s->files[k].id);
					rc = -EBADMSG;
				}
		}
	}
	if (rc) {
		if (rc == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		symb__free(s);
		return rc;
	}
	if (s->nstacks)
		qsort(s->stacks, s->nstacks, sizeof(*s->stacks), cmp_stack);
	for (k = 1; k < s->nstacks; k++)
		if (s->stacks[k].id == s->stacks[k - 1].id) {
			snprintf(err, errlen, "%s: stack_traces: id %lld twice", capview__path(c),
				 (long long)s->stacks[k].id);
			symb__free(s);
			return -EBADMSG;
		}
	if (s->nmaps)
		qsort(s->maps, s->nmaps, sizeof(*s->maps), cmp_map);
	for (i = 0; i < s->nfiles; i++) {
		struct sfile *f = &s->files[i];

		if (f->nsyms)
			qsort(f->syms, f->nsyms, sizeof(*f->syms), cmp_sym);
		sort_lines(s, f);
		if (!strcmp(f->kind, "kernel") || !strcmp(f->kind, "module"))
			s->nksyms += f->nsyms;
	}
	if (s->nksyms) {
		s->ksyms = calloc(s->nksyms, sizeof(*s->ksyms));
		if (!s->ksyms) {
			symb__free(s);
			return -ENOMEM;
		}
		for (i = 0, k = 0; i < s->nfiles; i++)
			if (s->files[i].nsyms && (!strcmp(s->files[i].kind, "kernel") ||
						   !strcmp(s->files[i].kind, "module"))) {
				memcpy(&s->ksyms[k], s->files[i].syms,
				       s->files[i].nsyms * sizeof(*s->ksyms));
				k += s->files[i].nsyms;
			}
		qsort(s->ksyms, s->nksyms, sizeof(*s->ksyms), cmp_sym);
	}
	*out = s;
	return 0;
}

void symb__free(struct symb *s)
{
	size_t i, k;

	if (!s)
		return;
	for (i = 0; i < s->nstacks; i++)
		free(s->stacks[i].ips);
	for (i = 0; i < s->nfiles; i++) {
		for (k = 0; k < s->files[i].nsyms; k++)
			free(s->files[i].syms[k].name);
		free(s->files[i].syms);
		for (k = 0; k < s->files[i].nlines; k++)
			free(s->files[i].lines[k].src);
		free(s->files[i].lines);
		free(s->files[i].path);
		free(s->files[i].build_id);
	}
	free(s->stacks);
	free(s->files);
	free(s->maps);
	free(s->ksyms);          /* the names belong to the files */
	free(s->pairs);
	free(s);
}

size_t symb__nstacks(const struct symb *s)
{
	return s ? s->nstacks : 0;
}

uint64_t symb__skipped(const struct symb *s)
{
	return s ? s->skipped : 0;
}

/* ---- lookups ---- */

const uint64_t *symb__stack(const struct symb *s, int64_t id, int *kernel, uint32_t *n)
{
	size_t lo = 0, hi = s ? s->nstacks : 0;

	*n = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->stacks[mid].id == id) {
			*kernel = s->stacks[mid].kernel;
			*n = s->stacks[mid].n;
			return s->stacks[mid].ips;
		}
		if (s->stacks[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The symbol of syms (sorted) that contains a: the last one starting at or
 * before it, or one of the few before that (nested or overlapping). */
static const struct ssym *find_sym(const struct ssym *syms, size_t n, uint64_t a)
{
	size_t lo = CAP_ADDR_UPPER(syms, n, addr, a);

	for (size_t back = 0; lo > 0 && back < 8; back++, lo--)
		if (a - syms[lo - 1].addr < syms[lo - 1].size)
			return &syms[lo - 1];
	return NULL;
}

/* The line table row of f (sorted, not overlapping) that holds a. */
static const struct sline *find_line(const struct sfile *f, uint64_t a)
{
	size_t lo = CAP_ADDR_UPPER(f->lines, f->nlines, addr, a);

	if (lo && a - f->lines[lo - 1].addr < f->lines[lo - 1].size)
		return &f->lines[lo - 1];
	return NULL;
}

static const struct smap *find_map(const struct symb *s, uint64_t pid, uint64_t a)
{
	size_t lo = 0, hi = s->nmaps;

	/* the last mapping of pid starting at or before a */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct smap *m = &s->maps[mid];

		if (m->pid < pid || (m->pid == pid && m->start <= a))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && s->maps[lo - 1].pid == pid && a < s->maps[lo - 1].end)
		return &s->maps[lo - 1];
	return NULL;
}

static const struct sfile *perfmap_of(const struct symb *s, uint32_t pid)
{
	for (size_t i = 0; i < s->nfiles; i++)
		if (s->files[i].pid == (int64_t)pid && !strcmp(s->files[i].kind, "perfmap"))
			return &s->files[i];
	return NULL;
}

void symb__frame(const struct symb *s, int kernel, uint32_t pid, const uint64_t *ips,
		 uint32_t depth, struct symb_frame *f)
{
	/* Frames past the first are return addresses: the call is the byte
	 * before (the recorder chose symbols the same way). */
	uint64_t ip = ips[depth], a = depth ? ip - 1 : ip;
	const struct ssym *sym = NULL;
	const struct sfile *file = NULL;

	memset(f, 0, sizeof(*f));
	f->addr = ip;
	if (kernel) {
		sym = find_sym(s->ksyms, s->nksyms, a);
		if (sym) {
			file = &s->files[sym->file];
			f->offset = ip - sym->addr;
		}
		for (size_t i = 0; i < s->nfiles && !file; i++)
			if (!strcmp(s->files[i].kind, "kernel"))
				file = &s->files[i];
	} else {
		const struct smap *m = find_map(s, pid, a);

		if (m)
			file = &s->files[m->file];
		if (file && !strcmp(file->kind, "elf")) {
			uint64_t off = a - m->start + m->off;
			const struct sline *ln = find_line(file, off);

			/* a stack taken in a system call: its first frame returns
			 * after the syscall instruction, and the recorder kept the
			 * line row of the instruction itself (FORMAT.md) */
			if (!ln && !depth && off)
				ln = find_line(file, off - 1);
			sym = find_sym(file->syms, file->nsyms, off);
			if (sym)
				f->offset = ip - m->start + m->off - sym->addr;
			if (ln) {
				f->src = ln->src;
				f->line = ln->line;
			}
		} else if (!file || !strcmp(file->kind, "special")) {
			/* JIT code: the process's /tmp/perf-PID.map, by address */
			const struct sfile *pm = perfmap_of(s, pid);

			if (pm && (sym = find_sym(pm->syms, pm->nsyms, a))) {
				file = pm;
				f->offset = ip - sym->addr;
			}
		}
	}
	if (sym)
		f->symbol = sym->name;
	if (file) {
		f->file = file->path;
		f->build_id = file->build_id;
	}
}

int symb__frame_text(const struct symb_frame *f, struct strbuf *b)
{
	if (f->symbol)
		return strbuf__addf(b, "%s+0x%llx", f->symbol, (unsigned long long)f->offset);
	if (f->file)
		return strbuf__addf(b, "[unknown] (%s)", f->file);
	return strbuf__addf(b, "[unknown] 0x%llx", (unsigned long long)f->addr);
}

int symb__each(const struct symb *s, int (*fn)(void *ctx, int64_t id, int kernel, int64_t pid),
	       void *ctx)
{
	size_t i, p = 0;
	int rc;

	/* pairs are sorted by (stack_id, pid) (the query's ORDER BY), stacks by id */
	for (i = 0; s && i < s->nstacks; i++) {
		const struct sstack *st = &s->stacks[i];
		int claimed = 0;

		while (p < s->npairs && s->pairs[p].id < st->id)
			p++;
		for (; !st->kernel && p < s->npairs && s->pairs[p].id == st->id; p++) {
			claimed = 1;
			if ((rc = fn(ctx, st->id, 0, s->pairs[p].pid)))
				return rc;
		}
		if (!claimed && (rc = fn(ctx, st->id, st->kernel, -1)))
			return rc;
	}
	return 0;
}

/* A frame's name for folded stacks: ';' separates frames, a newline ends
 * the line, so both (and other control bytes) become '_'. */
static int add_folded_name(struct strbuf *b, const char *name)
{
	size_t start = b->len;
	int rc = strbuf__add(b, name, strlen(name));

	for (size_t i = start; !rc && i < b->len; i++)
		if (b->buf[i] == ';' || (unsigned char)b->buf[i] < 0x20 || b->buf[i] == 0x7f ||
		    b->buf[i] == ' ')
			b->buf[i] = '_';
	return rc;
}

static int fold_stack(const struct symb *s, uint32_t pid, int64_t id, int want_kernel,
		      struct strbuf *out)
{
	uint32_t n, d;
	int kernel, rc = 0;
	const uint64_t *ips = symb__stack(s, id, &kernel, &n);

	if (!ips || kernel != want_kernel)
		return 0;
	for (d = n; d-- > 0 && !rc;) {
		struct symb_frame f;
		char buf[64];

		symb__frame(s, kernel, pid, ips, d, &f);
		rc = strbuf__add(out, ";", 1);
		if (rc)
			break;
		if (f.symbol) {
			rc = add_folded_name(out, f.symbol);
		} else if (f.file) {
			const char *base = strrchr(f.file, '/');

			rc = strbuf__add(out, "[unknown]_(", 11);
			if (!rc)
				rc = add_folded_name(out, base ? base + 1 : f.file);
			if (!rc)
				rc = strbuf__add(out, ")", 1);
		} else {
			snprintf(buf, sizeof(buf), "[unknown]");
			rc = strbuf__add(out, buf, strlen(buf));
		}
		if (!rc && kernel)
			rc = strbuf__add(out, "_[k]", 4);
	}
	return rc;
}

int symb__fold(const struct symb *s, const char *comm, uint32_t pid, int64_t ustack,
	       int64_t kstack, struct strbuf *out)
{
	int rc = add_folded_name(out, comm && *comm ? comm : "[unknown]");

	if (!rc && ustack >= 0)
		rc = fold_stack(s, pid, ustack, 0, out);
	if (!rc && kstack >= 0)
		rc = fold_stack(s, pid, kstack, 1, out);
	return rc;
}
