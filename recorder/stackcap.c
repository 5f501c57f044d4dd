#include "stackcap.h"
#include "execmaps.h"
#include "perfmap.h"
#include "symelf.h"
#include "symline.h"
#include "stackrows.h"
#include "util.h"
#include "addrsearch.h"

#include <linux/types.h>
#include "procmaps.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define MAX_OPEN_FILES 256      /* files kept open for the end (then reopened by path) */
#define STACKCAP_MAX_MODULES 512   /* kernel modules named (more: their frames as the kernel's) */

struct stk {
	uint64_t *ips;            /* NULL: not read (yet) */
	uint32_t n;
	int kernel;
};

struct mapping {
	uint64_t start, end, off;
	uint32_t file;            /* index into files */
	uint32_t written_file;    /* the file id its proc_maps row has, 0: not written */
};

/* An entry of a perf map written to the capture. */
struct jit_entry {
	uint64_t start, size;
};

struct proc {
	uint32_t pid;
	struct mapping *maps;
	size_t nmaps, cap;
	int read;                 /* /proc/PID/maps read at least once */
	int stacked;              /* had a user stack (else known from execmaps alone) */
	uint64_t *jit;            /* addresses in no mapping or an anonymous one that
				     no entry of /tmp/perf-PID.map written names yet */
	size_t njit, jit_cap;
	int jit_new;              /* jit has addresses the perf map was not read for */
	struct jit_entry *named;  /* the perf map's entries written, by start */
	size_t nnamed, named_cap;
	int perfmap_read;         /* read once: its size and time then, below */
	off_t perfmap_size;
	off_t perfmap_lines;      /* where its last whole line read ended */
	struct timespec perfmap_mtime;
	uint32_t perfmap_id;      /* its perf map's sym_files.id once written, else 0 */
};

struct sfile {
	char *path;
	int special;              /* [vdso], [anon]: nothing to read */
	dev_t dev;
	ino_t ino;
	int fd;                   /* the very file mapped, -1: reopen by path */
	int64_t size;
	uint64_t *offs;           /* file offsets of frames in it, not symbolized yet */
	size_t noffs, offs_cap;
	uint32_t cap_id;          /* its sym_files.id once its row is written, else 0 */
	int used;                 /* a mapping of a process with stacks shows it */
};

struct ksym;

struct stackcap {
	int map_fd;
	struct stk *stacks;       /* nentries, by id */
	uint32_t nentries;        /* the table's slots */
	uint64_t nstacks, lost;
	uint64_t *pairs;          /* open addressing: (pid << 32 | ustack id) + 1, 0 empty */
	size_t npairs, pairs_cap;
	struct proc *procs;
	size_t nprocs, procs_cap;
	struct sfile *files;
	size_t nfiles, files_cap, nopen;
	uint64_t *kaddrs;
	size_t nk, k_cap;
	uint64_t *buf;            /* one stack table value */
	/* what stackcap__sync has not handed over yet */
	uint64_t *new_stacks;     /* stack ids */
	size_t nnew_stacks, new_stacks_cap;
	uint64_t *new_pairs;      /* (pid << 32 | stack id) + 1 */
	size_t nnew_pairs, new_pairs_cap;
	uint64_t *retry;          /* pairs with frames in no mapping (yet) */
	size_t nretry, retry_cap;
	uint32_t last_file_id;    /* sym_files ids given so far */
	uint32_t kernel_id;       /* [kernel.kallsyms]'s, 0: not written */
	char *ktext;              /* /proc/kallsyms, read once (ks points into it) */
	struct ksym *ks;          /* its text symbols, sorted */
	size_t nks;
	int ks_read;
	struct { const char *mod; uint32_t id; } mods[STACKCAP_MAX_MODULES];
	size_t nmods;
	struct execmaps *execs;   /* mappings at exec and exit, NULL: /proc alone */
};

static int push_u64(uint64_t **v, size_t *n, size_t *cap, uint64_t x)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		uint64_t *g = realloc(*v, c * sizeof(**v));

		if (!g)
			return -ENOMEM;
		*v = g;
		*cap = c;
	}
	(*v)[(*n)++] = x;
	return 0;
}

struct stackcap *stackcap__new(uint32_t entries)
{
	struct stackcap *sc;

	if (!entries)
		entries = STACKCAP_ENTRIES;
	/* the kernel rounds the slots up to a power of 2, and a stack id is a
	 * slot: ids past a count that is not one would be refused here */
	if (entries < STACKCAP_ENTRIES_MIN || entries > STACKCAP_ENTRIES_MAX ||
	    (entries & (entries - 1))) {
		errno = EINVAL;
		return NULL;
	}
	if (!(sc = calloc(1, sizeof(*sc))))
		return NULL;
	sc->map_fd = -1;
	sc->nentries = entries;
	sc->stacks = calloc(entries, sizeof(*sc->stacks));
	sc->buf = calloc(STACKCAP_DEPTH, sizeof(uint64_t));
	if (!sc->stacks || !sc->buf) {
		stackcap__free(sc);
		errno = ENOMEM;
		return NULL;
	}
	sc->map_fd = bpf_map_create(BPF_MAP_TYPE_STACK_TRACE, "bpfrec_stacks", 4,
				    STACKCAP_DEPTH * 8, entries, NULL);
	if (sc->map_fd < 0) {
		int err = -errno;

		warn_msg("creating the stack table (%u stacks of %d frames, %llu MiB): %s%s",
			 entries, STACKCAP_DEPTH,
			 (unsigned long long)entries * STACKCAP_DEPTH * 8 >> 20, strerror(-err),
			 err == -ENOMEM || err == -E2BIG ? " (a smaller --stack-table?)" : "");
		stackcap__free(sc);
		errno = -err;
		return NULL;
	}
	return sc;
}

int stackcap__btf_id_type(struct btf *btf, int kernel)
{
	const char *name = kernel ? "bpfrec_kstack_id" : "bpfrec_ustack_id";
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF), base;

	if (id > 0)
		return id;
	base = btf__find_by_name_kind(btf, "int", BTF_KIND_INT);
	if (base <= 0 || btf__type_by_id(btf, base)->size != 4)
		base = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	return base < 0 ? base : btf__add_typedef(btf, name, base);
}

uint32_t stackcap__entries(const struct stackcap *sc)
{
	return sc ? sc->nentries : 0;
}

int stackcap__map_fd(const struct stackcap *sc)
{
	return sc ? sc->map_fd : -1;
}

/* The stack of id, read from the table the first time (a stack id is never
 * reused: the table is created without BPF_F_REUSE_STACKID). */
static struct stk *get_stack(struct stackcap *sc, int32_t id, int kernel)
{
	struct stk *s;
	uint32_t key = (uint32_t)id, n = 0;

	if (id < 0 || (uint32_t)id >= sc->nentries)
		return NULL;
	s = &sc->stacks[id];
	if (s->ips)
		return s;
	memset(sc->buf, 0, STACKCAP_DEPTH * 8);
	if (bpf_map_lookup_elem(sc->map_fd, &key, sc->buf))
		return NULL;
	while (n < STACKCAP_DEPTH && sc->buf[n])
		n++;
	s->ips = malloc((n ? n : 1) * sizeof(uint64_t));
	if (!s->ips)
		return NULL;
	memcpy(s->ips, sc->buf, n * sizeof(uint64_t));
	s->n = n;
	s->kernel = kernel;
	sc->nstacks++;
	push_u64(&sc->new_stacks, &sc->nnew_stacks, &sc->new_stacks_cap, (uint64_t)id);
	return s;
}

/* 1 if the pair is new (and now known). */
static int add_pair(struct stackcap *sc, uint32_t pid, uint32_t id)
{
	uint64_t key = ((uint64_t)pid << 32 | id) + 1;
	size_t i;

	if (sc->npairs * 2 >= sc->pairs_cap) {
		size_t cap = sc->pairs_cap ? sc->pairs_cap * 2 : 1024;
		uint64_t *t = calloc(cap, sizeof(*t));

		if (!t)
			return 0;
		for (i = 0; i < sc->pairs_cap; i++) {
			uint64_t k = sc->pairs[i];
			size_t j;

			if (!k)
				continue;
			for (j = (k * 0x9E3779B97F4A7C15ull) >> 20 & (cap - 1); t[j]; j = (j + 1) & (cap - 1))
				;
			t[j] = k;
		}
		free(sc->pairs);
		sc->pairs = t;
		sc->pairs_cap = cap;
	}
	for (i = (key * 0x9E3779B97F4A7C15ull) >> 20 & (sc->pairs_cap - 1); sc->pairs[i];
	     i = (i + 1) & (sc->pairs_cap - 1))
		if (sc->pairs[i] == key)
			return 0;
	sc->pairs[i] = key;
	sc->npairs++;
	push_u64(&sc->new_pairs, &sc->nnew_pairs, &sc->new_pairs_cap, key);
	return 1;
}

static struct proc *get_proc(struct stackcap *sc, uint32_t pid)
{
	size_t i;

	for (i = sc->nprocs; i-- > 0;)   /* newest first: the likely one */
		if (sc->procs[i].pid == pid)
			return &sc->procs[i];
	if (sc->nprocs == sc->procs_cap) {
		size_t cap = sc->procs_cap ? sc->procs_cap * 2 : 64;
		struct proc *g = realloc(sc->procs, cap * sizeof(*g));

		if (!g)
			return NULL;
		sc->procs = g;
		sc->procs_cap = cap;
	}
	memset(&sc->procs[sc->nprocs], 0, sizeof(struct proc));
	sc->procs[sc->nprocs].pid = pid;
	return &sc->procs[sc->nprocs++];
}

static long find_file(struct stackcap *sc, const char *path, int special, const struct stat *st)
{
	size_t i;

	for (i = 0; i < sc->nfiles; i++) {
		struct sfile *f = &sc->files[i];

		if (special ? f->special && !strcmp(f->path, path)
			    : !f->special && f->dev == st->st_dev && f->ino == st->st_ino)
			return (long)i;
	}
	return -1;
}

/* The file a mapping shows, found or added; fd (may be -1) is taken. */
static long add_file(struct stackcap *sc, const char *path, int special, int fd)
{
	struct stat st = { 0 };
	struct sfile *f;
	long i;

	if (!special && (fd < 0 || fstat(fd, &st))) {
		/* map_files unreadable: the path as it is now, if it exists. */
		if (fd >= 0)
			close(fd);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st)) {
			if (fd >= 0)
				close(fd);
			fd = -1;
			special = 1;   /* nothing to read: named only */
		}
	}
	i = find_file(sc, path, special, &st);
	if (i >= 0) {
		if (fd >= 0)
			close(fd);
		return i;
	}
	if (sc->nfiles == sc->files_cap) {
		size_t cap = sc->files_cap ? sc->files_cap * 2 : 32;
		struct sfile *g = realloc(sc->files, cap * sizeof(*g));

		if (!g) {
			if (fd >= 0)
				close(fd);
			return -1;
		}
		sc->files = g;
		sc->files_cap = cap;
	}
	f = &sc->files[sc->nfiles];
	memset(f, 0, sizeof(*f));
	f->path = strdup(path);
	f->special = special;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->size = special ? -1 : (int64_t)st.st_size;
	f->fd = -1;
	if (!f->path) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (fd >= 0 && sc->nopen < MAX_OPEN_FILES) {
		f->fd = fd;
		sc->nopen++;
	} else if (fd >= 0) {
		close(fd);
	}
	return (long)sc->nfiles++;
}

/* Adds a mapping of p unless known.  One in the place of another (an exec,
 * a munmap and mmap): stacks from before and after cannot be told apart by
 * address, so neither names a frame there ([remapped]).  -ENOMEM or 0. */
static int add_mapping(struct stackcap *sc, struct proc *p, uint64_t start, uint64_t end,
		       uint64_t off, long file)
{
	long remapped;
	int same = 0;

	for (size_t i = 0; i < p->nmaps; i++) {
		struct mapping *m = &p->maps[i];

		if (m->end <= start || m->start >= end)
			continue;
		if (m->start == start && m->end == end &&
		    ((m->off == off && m->file == (uint32_t)file) ||
		     !strcmp(sc->files[m->file].path, "[remapped]")))
			same = 1;
		else if ((remapped = add_file(sc, "[remapped]", 1, -1)) >= 0)
			m->file = (uint32_t)remapped, file = remapped;
	}
	if (same)
		return 0;
	if (p->nmaps == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct mapping *g = realloc(p->maps, cap * sizeof(*g));

		if (!g)
			return -ENOMEM;
		p->maps = g;
		p->cap = cap;
	}
	p->maps[p->nmaps++] = (struct mapping){ start, end, off, (uint32_t)file };
	return 0;
}

/* Reads the executable mappings of p from /proc/PID/maps, adding those it
 * does not know yet (a library loaded since, a new image after exec). */
static void read_maps(struct stackcap *sc, struct proc *p)
{
	char path[64], line[4096 + 128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/maps", p->pid);
	f = fopen(path, "re");
	p->read = 1;
	if (!f)
		return;   /* gone already: its frames stay unnamed */
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end, off;
		char perms[8], name[4096 + 16] = "";
		int n = 0, fd = -1, special;
		size_t len;
		long file;

		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &start, &end, perms, &off, &n) < 4 ||
		    !strchr(perms, 'x'))
			continue;
		if (n > 0)
			snprintf(name, sizeof(name), "%s", line + n);
		len = strcspn(name, "\n");
		name[len] = 0;
		if (len > 10 && !strcmp(name + len - 10, " (deleted)"))
			name[len - 10] = 0;
		special = name[0] != '/';
		if (!name[0])
			snprintf(name, sizeof(name), "[anon]");
		if (!special) {
			char mf[96];

			snprintf(mf, sizeof(mf), "/proc/%u/map_files/%llx-%llx", p->pid, start, end);
			fd = open(mf, O_RDONLY | O_CLOEXEC);
		}
		file = add_file(sc, name, special, fd);
		if (file >= 0 && add_mapping(sc, p, start, end, off, file))
			break;
	}
	fclose(f);
}

void stackcap__exec_mapping(struct stackcap *sc, const struct pm_event *e)
{
	struct stat st = { .st_dev = makedev(e->dev >> 20, e->dev & 0xfffff), .st_ino = e->ino };
	char path[PM_DEPTH * PM_NAME + 1];
	struct proc *p = get_proc(sc, e->pid);
	size_t len = 0;
	long file;
	int fd;

	if (!p || e->end <= e->start)
		return;
	file = find_file(sc, NULL, 0, &st);
	if (file < 0) {
		/* The path from its components, leaf first; opened only if it
		 * still is that file (a component cut at PM_NAME, a rename, a
		 * path through a mount bpfrec cannot see: named only). */
		for (int i = (e->ncomps < PM_DEPTH ? e->ncomps : PM_DEPTH) - 1; i >= 0; i--) {
			const char *c = e->comps[i];
			size_t n = strnlen(c, PM_NAME - 1);

			path[len++] = '/';
			memcpy(path + len, c, n);
			len += n;
		}
		path[len] = 0;
		if (!len || e->ncomps >= PM_DEPTH)
			snprintf(path, sizeof(path), "[inode %llu]", (unsigned long long)e->ino);
		fd = path[0] == '/' ? open(path, O_RDONLY | O_CLOEXEC) : -1;
		if (fd >= 0 && (fstat(fd, &st) || st.st_ino != e->ino ||
				st.st_dev != makedev(e->dev >> 20, e->dev & 0xfffff))) {
			close(fd);
			fd = -1;
		}
		file = add_file(sc, path, fd < 0, fd);
	}
	if (file >= 0)
		add_mapping(sc, p, e->start, e->end, e->file_offset, file);
}

static void on_exec_mapping(void *ctx, const struct pm_event *e)
{
	stackcap__exec_mapping(ctx, e);
}

int stackcap__follow_execs(struct stackcap *sc, int pid_map_fd, int filter_pids,
			   const char *btf_custom_path)
{
	struct execmaps_opts o = { .pid_map_fd = pid_map_fd, .filter_pids = filter_pids,
				   .btf_custom_path = btf_custom_path,
				   .mapping = on_exec_mapping, .ctx = sc };

	return sc->execs ? 0 : execmaps__open(&sc->execs, &o);
}

void stackcap__poll(struct stackcap *sc)
{
	if (sc)
		execmaps__poll(sc->execs);
}

static const struct mapping *find_mapping(const struct proc *p, uint64_t a)
{
	for (size_t i = 0; i < p->nmaps; i++)
		if (a >= p->maps[i].start && a < p->maps[i].end)
			return &p->maps[i];
	return NULL;
}

/* A user stack taken in a system call starts where the call returns to:
 * the instruction after `syscall` (x86-64: 0f 05), whose line is the next
 * statement's.  1 when the two bytes before file offset off in f are that
 * instruction: the frame is then looked up (and its symbol and line row
 * chosen) at off - 1, the syscall itself, as a reader does when the
 * capture has no line row at off (FORMAT.md "Stacks and symbols"). */
static int after_syscall(const struct sfile *f, uint64_t off)
{
#if defined(__x86_64__)
	unsigned char b[2];

	return f->fd >= 0 && off >= 2 && pread(f->fd, b, 2, (off_t)(off - 2)) == 2 &&
	       b[0] == 0x0f && b[1] == 0x05;
#else
	(void)f, (void)off;
	return 0;
#endif
}

/* Frames past the first are return addresses: the call is the byte before. */
static uint64_t lookup_addr(const struct stk *s, uint32_t depth)
{
	return depth ? s->ips[depth] - 1 : s->ips[depth];
}

void stackcap__note(struct stackcap *sc, uint32_t pid, int32_t ustack, int32_t kstack)
{
	struct stk *s;
	struct proc *p;

	if (ustack == -EEXIST || kstack == -EEXIST)
		sc->lost++;
	if (kstack >= 0)
		get_stack(sc, kstack, 1);
	if (ustack < 0 || !(s = get_stack(sc, ustack, 0)) || !add_pair(sc, pid, (uint32_t)ustack))
		return;
	p = get_proc(sc, pid);
	if (!p)
		return;
	p->stacked = 1;
	if (!p->read) {
		read_maps(sc, p);
		return;
	}
	/* A new stack of a known process: read again if it ran code its
	 * mappings did not cover then (dlopen, exec). */
	for (uint32_t d = 0; d < s->n; d++)
		if (!find_mapping(p, lookup_addr(s, d))) {
			read_maps(sc, p);
			return;
		}
}

void stackcap__counts(const struct stackcap *sc, uint64_t *stacks, uint64_t *lost)
{
	*stacks = sc ? sc->nstacks : 0;
	*lost = sc ? sc->lost : 0;
}

/* ---- rows for the capture: as the recording goes, and at the end ----
 *
 * stackcap__sync hands over what is new since the last call: stacks,
 * (stack, process) pairs, the files the processes with stacks map (a row
 * each, with the id stackcap gives it), their mappings, and the symbols and
 * line rows of the file offsets the new frames fall in.  Each symbol or line
 * row may come twice (two syncs' frames in one function): the capture keeps
 * one (INSERT OR IGNORE on its key). */

/* The file's row when new, and the symbols and line rows of its offsets
 * not read yet. */
static int sync_file(struct stackcap *sc, struct stackrows *rows, struct sfile *f, int symbols)
{
	struct cap_symfile row = { .kind = f->special ? "special" : "elf", .path = f->path,
				   .size = f->size, .pid = -1, .symbols = "none" };
	size_t n = f->noffs, nsyms = 0, i;
	const uint64_t *offs = f->offs;
	struct symelf_info info = { 0 };
	struct symelf_sym *syms = NULL;
	char why[128];
	int err = 0, rc = 0;

	f->noffs = 0;   /* read now (the array stays for the next ones) */
	if (f->cap_id && (!n || !symbols || f->special || f->fd < 0))
		return 0;
	if (!f->special && f->fd < 0 && !f->cap_id)
		f->fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (!f->special && f->fd >= 0)
		err = symelf__read(f->fd, symbols ? offs : NULL, symbols ? n : 0, &info, &syms,
				   &nsyms);
	if (!f->cap_id) {
		if (f->special) {
			row.symbols = "none";
		} else if (f->fd < 0) {
			snprintf(why, sizeof(why), "unreadable: %s", strerror(errno));
			row.symbols = why;
		} else if (err) {
			snprintf(why, sizeof(why), "unreadable: %s",
				 err == -ENOEXEC ? "not an ELF file" : strerror(-err));
			row.symbols = why;
		} else if (!symbols) {
			row.symbols = "left out";
		} else {
			row.symbols = info.has_symtab ? "copied" : info.has_dynsym ? "dynsym only"
										 : "none";
		}
		row.build_id = info.build_id;
		f->cap_id = row.id = ++sc->last_file_id;
		rc = stackrows__symfile(rows, &row);
	}
	for (i = 0; !rc && i < nsyms; i++)
		rc = stackrows__symbol(rows, f->cap_id, syms[i].off, syms[i].size, syms[i].name);
	symelf__free(syms, nsyms);
	/* with debug info: the line table rows of the frames, too */
	if (!rc && !err && symbols && n && info.has_debug_lines) {
		struct symline_row *lines = NULL;
		size_t nlines = 0;

		if (!symline__read(f->fd, offs, n, &lines, &nlines))
			for (i = 0; !rc && i < nlines; i++)
				rc = stackrows__line(rows, f->cap_id, lines[i].off, lines[i].size,
						     lines[i].line, lines[i].src);
		symline__free(lines, nlines);
	}
	return rc;
}

struct ksym {
	uint64_t addr;
	const char *name, *mod;   /* into the kallsyms text; mod NULL: the kernel */
};

static int cmp_ksym(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Reads /proc/kallsyms whole (root sees the addresses). */
static char *read_kallsyms(size_t *len)
{
	size_t cap = 1 << 20, n = 0;
	char *buf = malloc(cap + 1);
	int fd = open("/proc/kallsyms", O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (!buf || fd < 0) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while ((r = read(fd, buf + n, cap - n)) > 0) {
		n += (size_t)r;
		if (n == cap) {
			char *g = realloc(buf, cap * 2 + 1);

			if (!g) {
				free(buf);
				close(fd);
				return NULL;
			}
			buf = g;
			cap *= 2;
		}
	}
	close(fd);
	buf[n] = 0;
	*len = n;
	return buf;
}

/* The text symbols of /proc/kallsyms, sorted, read once (sc->ks). */
static int load_kallsyms(struct stackcap *sc)
{
	char *line, *save = NULL;
	size_t len = 0, cap = 0;

	sc->ks_read = 1;
	sc->ktext = read_kallsyms(&len);
	if (!sc->ktext)
		return 0;
	for (line = strtok_r(sc->ktext, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp1 = strchr(line, ' '), *sp2, *mod;
		uint64_t a;

		if (!sp1 || !(sp2 = strchr(sp1 + 1, ' ')) || (sp1[1] != 't' && sp1[1] != 'T'))
			continue;
		a = strtoull(line, NULL, 16);
		if (!a)
			continue;
		*sp2 = 0;
		mod = strchr(sp2 + 1, '\t');
		if (mod) {
			*mod++ = 0;
			mod += strspn(mod, "[");
			mod[strcspn(mod, "]")] = 0;
		}
		if (sc->nks == cap) {
			struct ksym *g = realloc(sc->ks, (cap = cap ? cap * 2 : 65536) * sizeof(*g));

			if (!g)
				return -ENOMEM;
			sc->ks = g;
		}
		sc->ks[sc->nks++] = (struct ksym){ a, sp2 + 1, mod };
	}
	if (sc->nks)
		qsort(sc->ks, sc->nks, sizeof(*sc->ks), cmp_ksym);
	return 0;
}

/* The kernel's and modules' text symbols that hold the kernel addresses
 * gathered since the last call; a symbol's size is the distance to the
 * next (kallsyms has no sizes).  The kernel's row comes with the first. */
static int sync_kernel(struct stackcap *sc, struct stackrows *rows, int symbols)
{
	size_t i;
	int rc = 0;

	if (!sc->nk)
		return 0;
	if (symbols && !sc->ks_read && (rc = load_kallsyms(sc)))
		return rc;
	if (!sc->kernel_id) {
		struct cap_symfile row = { .kind = "kernel", .path = "[kernel.kallsyms]", .size = -1,
					   .pid = -1, .symbols = symbols ? "copied" : "left out" };

		if (symbols && !sc->nks)
			row.symbols = "unreadable: /proc/kallsyms shows no addresses";
		sc->kernel_id = row.id = ++sc->last_file_id;
		rc = stackrows__symfile(rows, &row);
	}
	qsort(sc->kaddrs, sc->nk, sizeof(*sc->kaddrs), cmp_u64);
	for (i = 0; !rc && symbols && sc->nks && i < sc->nk; i++) {
		uint64_t a = sc->kaddrs[i];
		size_t lo, k;
		uint32_t fid = sc->kernel_id;

		if (i && a == sc->kaddrs[i - 1])
			continue;
		lo = CAP_ADDR_UPPER(sc->ks, sc->nks, addr, a);   /* the last symbol at or before a */
		if (!lo || lo >= sc->nks)
			continue;   /* before the first, or past the last (no size) */
		k = lo - 1;
		if (sc->ks[k].mod) {
			size_t m;

			for (m = 0; m < sc->nmods && strcmp(sc->mods[m].mod, sc->ks[k].mod); m++)
				;
			if (m == sc->nmods && sc->nmods < STACKCAP_MAX_MODULES) {
				char path[160];
				struct cap_symfile mrow = { .kind = "module", .path = path, .size = -1,
							    .pid = -1, .symbols = "copied" };

				snprintf(path, sizeof(path), "[%.150s]", sc->ks[k].mod);
				sc->mods[m].mod = sc->ks[k].mod;
				sc->mods[m].id = mrow.id = ++sc->last_file_id;
				sc->nmods++;
				rc = stackrows__symfile(rows, &mrow);
			}
			if (m < sc->nmods)
				fid = sc->mods[m].id;
		}
		if (!rc)
			rc = stackrows__symbol(rows, fid, sc->ks[k].addr,
					       sc->ks[k + 1].addr - sc->ks[k].addr, sc->ks[k].name);
	}
	sc->nk = 0;
	return rc;
}

/* An address for p's perf map. */
static int push_jit(struct proc *p, uint64_t a)
{
	p->jit_new = 1;
	return push_u64(&p->jit, &p->njit, &p->jit_cap, a);
}

/* The entry of p->named (sorted by start) whose start is the last at or
 * below a, or NULL. */
static const struct jit_entry *named_at(const struct proc *p, uint64_t a)
{
	size_t lo = CAP_ADDR_UPPER(p->named, p->nnamed, start, a);

	return lo ? &p->named[lo - 1] : NULL;
}

/* 1 if an entry written names a. */
static int is_named(const struct proc *p, uint64_t a)
{
	const struct jit_entry *e = named_at(p, a);

	return e && a - e->start < e->size;
}

/* Records [start, start + size) as written, p->named kept sorted. */
static int add_named(struct proc *p, uint64_t start, uint64_t size)
{
	const struct jit_entry *at = named_at(p, start);
	size_t k = at ? (size_t)(at - p->named) + 1 : 0;

	if (p->nnamed == p->named_cap) {
		size_t cap = p->named_cap ? p->named_cap * 2 : 16;
		struct jit_entry *g = realloc(p->named, cap * sizeof(*g));

		if (!g)
			return -ENOMEM;
		p->named = g;
		p->named_cap = cap;
	}
	memmove(p->named + k + 1, p->named + k, (p->nnamed - k) * sizeof(*p->named));
	p->named[k] = (struct jit_entry){ start, size };
	p->nnamed++;
	return 0;
}

/* p->jit (sorted) holds an address in [start, start + size). */
static int holds_one(const struct proc *p, uint64_t start, uint64_t size)
{
	size_t lo = 0, hi = p->njit;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->jit[mid] < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < p->njit && p->jit[lo] - start < size;
}

/* Drops from p->jit the addresses an entry written names. */
static void drop_named(struct proc *p)
{
	size_t k = 0;

	for (size_t i = 0; i < p->njit; i++)
		if (!is_named(p, p->jit[i]))
			p->jit[k++] = p->jit[i];
	p->njit = k;
}

/* /tmp/perf-PID.map (JIT runtimes write it: "START SIZE NAME", hex): the
 * entries that hold an address of p found in no mapping or in an
 * anonymous one (resolve_pair) that no entry written names yet.  Read at
 * each sync while such addresses are left, when new ones came or the
 * file changed since the last read (a runtime writes an entry when it
 * likes: after the frame was first looked up, too; it may delete the
 * file at exit), and at the end.  An entry is written once (by its
 * start); an address a written entry holds is named from then on. */
static int write_perf_map(struct stackcap *sc, struct stackrows *rows, struct proc *p,
			  int symbols, int final)
{
	char path[64], line[PERFMAP_LINE_MAX];
	struct cap_symfile row = { .kind = "perfmap", .path = path, .size = -1, .pid = p->pid,
				   .symbols = symbols ? "copied" : "left out" };
	struct perfmap_entry ent;
	struct stat st;
	off_t lines_end;
	FILE *f;
	int rc = 0, ended;

	drop_named(p);
	if (!p->njit)
		return 0;
	snprintf(path, sizeof(path), "/tmp/perf-%u.map", p->pid);
	f = fopen(path, "re");
	if (!f)
		return 0;   /* none yet, or gone: these addresses are looked up again */
	if (fstat(fileno(f), &st))
		st.st_size = -1;
	if (!p->jit_new && p->perfmap_read && st.st_size == p->perfmap_size &&
	    st.st_mtim.tv_sec == p->perfmap_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == p->perfmap_mtime.tv_nsec) {
		fclose(f);
		return 0;   /* read as it is: nothing more in it */
	}
	if (!p->perfmap_id) {
		row.size = st.st_size;
		row.id = p->perfmap_id = ++sc->last_file_id;
		rc = stackrows__symfile(rows, &row);
	}
	/* no new address since the last read: only the lines written
	 * since (a runtime appends; the ones before were read for these
	 * same addresses), unless the file is smaller (rewritten) */
	if (!p->jit_new && p->perfmap_read && st.st_size >= p->perfmap_size &&
	    fseeko(f, p->perfmap_lines, SEEK_SET))
		rewind(f);
	qsort(p->jit, p->njit, sizeof(*p->jit), cmp_u64);
	{   /* each address once (frames repeat from stack to stack) */
		size_t k = 0;

		for (size_t i = 0; i < p->njit; i++)
			if (!k || p->jit[i] != p->jit[k - 1])
				p->jit[k++] = p->jit[i];
		p->njit = k;
	}
	lines_end = ftello(f);
	/* (a line is read whole or left out: perfmap.h) */
	while (!rc && symbols && perfmap__next(f, line, &ent, &ended)) {
		const struct jit_entry *e;

		/* a last line without its newline may be still being
		 * written: it is read again next time (whole at the end) */
		if (ended)
			lines_end = ftello(f);
		else if (!final)
			continue;
		if (!ent.name || !holds_one(p, ent.start, ent.size) ||
		    ((e = named_at(p, ent.start)) && e->start == ent.start))
			continue;
		rc = stackrows__symbol(rows, p->perfmap_id, ent.start, ent.size, ent.name);
		if (!rc)
			rc = add_named(p, ent.start, ent.size);
	}
	fclose(f);
	if (rc)
		return rc;
	p->perfmap_read = 1;
	p->perfmap_size = st.st_size;
	p->perfmap_lines = lines_end < 0 ? 0 : lines_end;
	p->perfmap_mtime = st.st_mtim;
	p->jit_new = 0;
	if (symbols)
		drop_named(p);
	else
		p->njit = 0;   /* no names asked for: the file's row is all */
	return 0;
}

/* The frames of a (process, user stack) pair to the files (and offsets)
 * its process had there.  Frames in no mapping yet: 1 (try again later,
 * the mappings at exit may still come), or at the end to the process's
 * JIT addresses; frames in an anonymous mapping are JIT addresses too. */
static int resolve_pair(struct stackcap *sc, uint64_t key, int final, int *rc)
{
	uint32_t pid = (uint32_t)((key - 1) >> 32), id = (uint32_t)(key - 1);
	struct stk *s = &sc->stacks[id];
	struct proc *p = get_proc(sc, pid);
	int missing = 0;

	for (uint32_t d = 0; p && d < s->n && !*rc; d++) {
		uint64_t a = lookup_addr(s, d);
		const struct mapping *m = find_mapping(p, a);

		if (m) {
			struct sfile *f = &sc->files[m->file];
			uint64_t off = a - m->start + m->off;

			if (!d && after_syscall(f, off))
				off--;
			*rc = push_u64(&f->offs, &f->noffs, &f->offs_cap, off);
			/* [anon] and the like: where JIT code lives, named by the
			 * process's perf map if it has one (write_perf_map) */
			if (!*rc && f->special)
				*rc = push_jit(p, a);
		} else if (final) {
			*rc = push_jit(p, a);
		} else {
			missing = 1;
		}
	}
	return missing;
}

struct stackrows *stackcap__sync(struct stackcap *sc, int symbols, int final)
{
	struct stackrows *rows;
	size_t i, nretry = 0;
	int rc = 0;

	if (!sc || !(rows = stackrows__new()))
		return NULL;
	for (i = 0; i < sc->nnew_stacks && !rc; i++) {
		uint32_t id = sc->new_stacks[i];
		struct stk *s = &sc->stacks[id];

		rc = stackrows__stack(rows, id, s->kernel, s->ips, s->n);
		if (s->kernel)
			for (uint32_t d = 0; d < s->n && !rc; d++)
				rc = push_u64(&sc->kaddrs, &sc->nk, &sc->k_cap, lookup_addr(s, d));
	}
	sc->nnew_stacks = 0;
	for (i = 0; i < sc->nnew_pairs && !rc; i++) {
		uint64_t key = sc->new_pairs[i];

		rc = stackrows__stack_pid(rows, (uint32_t)(key - 1), (uint32_t)((key - 1) >> 32));
	}
	/* pairs whose frames had no mapping last time, then the new ones */
	for (i = 0; i < sc->nretry && !rc; i++)
		if (resolve_pair(sc, sc->retry[i], final, &rc))
			sc->retry[nretry++] = sc->retry[i];
	sc->nretry = nretry;
	for (i = 0; i < sc->nnew_pairs && !rc; i++)
		if (resolve_pair(sc, sc->new_pairs[i], final, &rc))
			rc = push_u64(&sc->retry, &sc->nretry, &sc->retry_cap, sc->new_pairs[i]);
	sc->nnew_pairs = 0;
	/* the files the processes with stacks map, their symbols, the mappings */
	for (i = 0; i < sc->nprocs; i++)
		for (size_t m = 0; sc->procs[i].stacked && m < sc->procs[i].nmaps; m++)
			sc->files[sc->procs[i].maps[m].file].used = 1;
	for (i = 0; i < sc->nfiles && !rc; i++)
		if (sc->files[i].used)
			rc = sync_file(sc, rows, &sc->files[i], symbols);
	for (i = 0; i < sc->nprocs && !rc; i++) {
		struct proc *p = &sc->procs[i];

		for (size_t k = 0; p->stacked && k < p->nmaps && !rc; k++) {
			struct mapping *m = &p->maps[k];
			uint32_t fid = sc->files[m->file].cap_id;

			if (!m->written_file)
				rc = stackrows__mapping(rows, p->pid, m->start, m->end, m->off, fid);
			else if (m->written_file != fid)   /* [remapped] since */
				rc = stackrows__remap(rows, p->pid, m->start, m->end, fid);
			m->written_file = fid;
		}
		if (!rc && p->njit)
			rc = write_perf_map(sc, rows, p, symbols, final);
	}
	if (!rc)
		rc = sync_kernel(sc, rows, symbols);
	if (rc) {
		warn_msg("stacks: gathering the rows for the capture: %s", strerror(-rc));
		stackrows__free(rows);
		return NULL;
	}
	return rows;
}

int stackcap__write(struct stackcap *sc, struct capw *w, int symbols)
{
	struct stackrows *rows;
	int rc;

	if (!sc)
		return 0;
	rows = stackcap__sync(sc, symbols, 1);
	if (!rows)
		return -ENOMEM;
	rc = stackrows__apply(rows, w);
	stackrows__free(rows);
	return rc;
}

void stackcap__free(struct stackcap *sc)
{
	size_t i;

	if (!sc)
		return;
	if (sc->execs && execmaps__lost(sc->execs))
		info_msg("stacks: %llu mappings at exec or exit lost (their buffer was full): "
			 "frames of short-lived processes may be unnamed",
			 (unsigned long long)execmaps__lost(sc->execs));
	execmaps__free(sc->execs);
	if (sc->map_fd >= 0)
		close(sc->map_fd);
	if (sc->stacks)
		for (i = 0; i < sc->nentries; i++)
			free(sc->stacks[i].ips);
	for (i = 0; i < sc->nprocs; i++) {
		free(sc->procs[i].maps);
		free(sc->procs[i].jit);
		free(sc->procs[i].named);
	}
	for (i = 0; i < sc->nfiles; i++) {
		free(sc->files[i].path);
		free(sc->files[i].offs);
		if (sc->files[i].fd >= 0)
			close(sc->files[i].fd);
	}
	free(sc->stacks);
	free(sc->pairs);
	free(sc->procs);
	free(sc->files);
	free(sc->kaddrs);
	free(sc->buf);
	free(sc->new_stacks);
	free(sc->new_pairs);
	free(sc->retry);
	free(sc->ks);
	free(sc->ktext);
	free(sc);
}
