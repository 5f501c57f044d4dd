/* tpformat.c - tracefs format files parsed into fields; tracepoint globs
 * expanded over tracefs's events directory. */
#include "tpformat.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A record is at most a page or so (PERF_MAX_TRACE_SIZE is 8 KiB): a
 * field beyond it is a broken file, not a layout. */
#define TPFORMAT_MAX_RECORD 8192
/* Format files are a few KiB; the largest in a 6.x kernel is under 16. */
#define TPFORMAT_MAX_TEXT (256 * 1024)
#define TPFORMAT_PATH_MAX 512

struct tpformat {
	char system[TPFORMAT_NAME_MAX], name[TPFORMAT_NAME_MAX];
	uint32_t id;
	struct tpfield *fields;        /* growable */
	size_t nfields, cap;
	uint32_t fixed_size;
};

static int valid_name(const char *s)
{
	if (!*s || strlen(s) >= TPFORMAT_NAME_MAX)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
			return 0;
	return 1;
}

static int valid_ident(const char *s)
{
	if (!*s || strlen(s) >= TPFORMAT_NAME_MAX || isdigit((unsigned char)*s))
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

/* Whether the C type names a word (e.g. "char" in "const unsigned char"). */
static int has_word(const char *type, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = strstr(type, word); p; p = strstr(p + 1, word))
		if ((p == type || (!isalnum((unsigned char)p[-1]) && p[-1] != '_')) &&
		    !isalnum((unsigned char)p[n]) && p[n] != '_')
			return 1;
	return 0;
}

/* The size of one element of a type named in a format file, 0 if unknown.
 * Only what the kernel's formats use for arrays; a 64-bit kernel's long. */
static uint32_t type_size(const char *type)
{
	static const struct { const char *word; uint32_t size; } words[] = {
		{ "char", 1 }, { "u8", 1 }, { "s8", 1 }, { "__u8", 1 }, { "__s8", 1 },
		{ "bool", 1 }, { "_Bool", 1 },
		{ "short", 2 }, { "u16", 2 }, { "s16", 2 }, { "__u16", 2 }, { "__s16", 2 },
		{ "__be16", 2 }, { "__le16", 2 },
		{ "u64", 8 }, { "s64", 8 }, { "__u64", 8 }, { "__s64", 8 }, { "size_t", 8 },
		{ "cpumask_t", 8 }, { "dma_addr_t", 8 }, { "phys_addr_t", 8 },
		{ "long", 8 },
		{ "int", 4 }, { "u32", 4 }, { "s32", 4 }, { "__u32", 4 }, { "__s32", 4 },
		{ "__be32", 4 }, { "__le32", 4 }, { "pid_t", 4 }, { "uid_t", 4 }, { "gid_t", 4 },
	};
	size_t i;

	if (strchr(type, '*'))
		return 8;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (has_word(type, words[i].word))
			return words[i].size;
	return 0;
}

static int type_signed(const char *type)
{
	if (has_word(type, "unsigned") || strchr(type, '*'))
		return 0;
	return has_word(type, "int") || has_word(type, "long") || has_word(type, "short") ||
	       has_word(type, "s8") || has_word(type, "s16") || has_word(type, "s32") ||
	       has_word(type, "s64") || has_word(type, "__s8") || has_word(type, "__s16") ||
	       has_word(type, "__s32") || has_word(type, "__s64") || has_word(type, "pid_t");
}

static void trim(char *s)
{
	size_t n = strlen(s);

	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	memmove(s, s + strspn(s, " \t"), strlen(s + strspn(s, " \t")) + 1);
}

/* "unsigned short common_type", "char comm[16]", "__data_loc char[] name",
 * "const char * filename" into f's name, type and kind. */
static int parse_decl(char *decl, struct tpfield *f, char *why, size_t whylen)
{
	char *name, *br;
	int loc = 0;

	trim(decl);
	if (!strncmp(decl, "__data_loc ", 11)) {
		loc = 1;
		decl += 11;
	} else if (!strncmp(decl, "__rel_loc ", 10)) {
		loc = 1;
		f->rel_loc = 1;
		decl += 10;
	}
	/* A fixed array's bound, which may be an expression with spaces
	 * ("[sizeof(struct sockaddr_in6)]"): cut it off first. */
	br = NULL;
	if (decl[0] && decl[strlen(decl) - 1] == ']') {
		int depth = 0;
		char *p;

		for (p = decl + strlen(decl) - 1; p >= decl; p--) {
			depth += *p == ']' ? 1 : *p == '[' ? -1 : 0;
			if (!depth)
				break;
		}
		if (p < decl) {
			snprintf(why, whylen, "'%.64s': unbalanced []", decl);
			return -EINVAL;
		}
		br = p;
		f->nelems = (uint32_t)strtoul(br + 1, NULL, 10);   /* 0 if not a number */
		*br = 0;
	}
	/* The name is the last word; the type everything before it ('*' kept). */
	name = strrchr(decl, ' ');
	if (strrchr(decl, '*') > name)
		name = strrchr(decl, '*');
	if (!name) {
		snprintf(why, whylen, "'%.64s' is not a C declaration", decl);
		return -EINVAL;
	}
	name++;
	if ((size_t)(name - decl) >= sizeof(f->type)) {
		snprintf(why, whylen, "type of '%.64s' too long", name);
		return -EINVAL;
	}
	snprintf(f->type, sizeof(f->type), "%.*s", (int)(name - decl), decl);
	trim(f->type);
	if (!valid_ident(name)) {
		snprintf(why, whylen, "field name '%.64s' is not a C identifier", name);
		return -EINVAL;
	}
	snprintf(f->name, sizeof(f->name), "%s", name);
	if (loc) {
		char *b = strstr(f->type, "[]");

		if (b)
			*b = 0;
		trim(f->type);
		f->elem_size = type_size(f->type);
		f->elem_signed = type_signed(f->type);
		if (has_word(f->type, "char") && !strchr(f->type, '*')) {
			f->kind = TPF_LOC_STRING;
			f->elem_size = 1;
		} else {
			f->kind = TPF_LOC_ARRAY;
			if (!f->elem_size)
				f->elem_size = 1;   /* unknown element: bytes */
		}
		return 0;
	}
	if (br) {
		uint32_t es = f->nelems ? f->size / f->nelems : type_size(f->type);

		if (!es || f->size % es)
			es = 1;
		f->elem_size = es;
		f->nelems = f->size / es;
		f->elem_signed = f->is_signed;
		f->kind = es == 1 && has_word(f->type, "char") ? TPF_STRING : TPF_ARRAY;
		return 0;
	}
	if (strchr(f->type, '*')) {
		f->kind = f->size == 8 || f->size == 4 ? TPF_POINTER : TPF_BYTES;
		f->is_signed = 0;
		return 0;
	}
	f->kind = f->size == 1 || f->size == 2 || f->size == 4 || f->size == 8 ? TPF_INT : TPF_BYTES;
	return 0;
}

/* "offset:8;" style attributes of a field line. */
static int attr(const char *line, const char *key, uint32_t *v)
{
	const char *p = strstr(line, key);
	char *end;
	unsigned long x;

	if (!p)
		return -ENOENT;
	p += strlen(key);
	errno = 0;
	x = strtoul(p, &end, 10);
	if (errno || end == p || *end != ';' || x > UINT32_MAX)
		return -EINVAL;
	*v = (uint32_t)x;
	return 0;
}

static int add_field(struct tpformat *f, char *line, int common, char *why, size_t whylen)
{
	struct tpfield fl = { 0 };
	char *decl = line + strlen("field:"), *semi = strchr(decl, ';');
	uint32_t sgn = 0;
	size_t i;

	if (!semi) {
		snprintf(why, whylen, "no ';' after the declaration");
		return -EINVAL;
	}
	*semi = 0;
	if (attr(semi + 1, "offset:", &fl.offset) || attr(semi + 1, "size:", &fl.size) ||
	    attr(semi + 1, "signed:", &sgn)) {
		snprintf(why, whylen, "field '%.64s': offset, size or signed missing or not a number",
			 decl);
		return -EINVAL;
	}
	fl.is_signed = sgn != 0;
	if (!fl.size || fl.offset > TPFORMAT_MAX_RECORD || fl.size > TPFORMAT_MAX_RECORD - fl.offset) {
		snprintf(why, whylen, "field '%.64s': offset %u size %u outside a record", decl,
			 fl.offset, fl.size);
		return -EINVAL;
	}
	if (parse_decl(decl, &fl, why, whylen))
		return -EINVAL;
	/* The common fields come first, then an empty line, then the event's. */
	fl.is_common = common && !strncmp(fl.name, "common_", 7);
	if ((fl.kind == TPF_LOC_STRING || fl.kind == TPF_LOC_ARRAY) && fl.size != 4) {
		snprintf(why, whylen, "field %s: a __data_loc is 4 bytes, not %u", fl.name, fl.size);
		return -EINVAL;
	}
	for (i = 0; i < f->nfields; i++)
		if (!strcmp(f->fields[i].name, fl.name)) {
			snprintf(why, whylen, "field %s appears twice", fl.name);
			return -EINVAL;
		}
	if (f->nfields == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 16;
		struct tpfield *grown = realloc(f->fields, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		f->fields = grown;
		f->cap = cap;
	}
	f->fields[f->nfields++] = fl;
	if (fl.offset + fl.size > f->fixed_size)
		f->fixed_size = fl.offset + fl.size;
	return 0;
}

struct tpformat *tpformat__parse(const char *text, const char *system, const char *name,
				 char *err, size_t errlen)
{
	struct tpformat *f = calloc(1, sizeof(*f));
	char *copy = strdup(text ? text : ""), *line, *save = NULL, why[256] = "";
	int lineno = 0, in_format = 0, common = 1, have_name = 0, have_id = 0, e = 0;

	if (!f || !copy) {
		e = -ENOMEM;
		snprintf(why, sizeof(why), "out of memory");
		goto fail;
	}
	snprintf(f->system, sizeof(f->system), "%s", system);
	snprintf(f->name, sizeof(f->name), "%s", name);
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *l = line + strspn(line, " \t");

		lineno++;
		if (!strncmp(l, "name:", 5)) {
			char *n = l + 5;

			trim(n);
			if (strcmp(n, name)) {
				e = -EINVAL;
				snprintf(why, sizeof(why), "line %d: the file names '%.64s'", lineno, n);
				goto fail;
			}
			have_name = 1;
		} else if (!strncmp(l, "ID:", 3)) {
			char *end;
			unsigned long id = strtoul(l + 3, &end, 10);

			if (end == l + 3 || id > 0xffff) {
				e = -EINVAL;
				snprintf(why, sizeof(why), "line %d: ID is not a 16-bit number", lineno);
				goto fail;
			}
			f->id = (uint32_t)id;
			have_id = 1;
		} else if (!strncmp(l, "format:", 7)) {
			in_format = 1;
		} else if (!strncmp(l, "print fmt:", 10)) {
			break;
		} else if (in_format && !strncmp(l, "field:", 6)) {
			/* The common fields come first, then an empty line, then the event's. */
			char fwhy[200];

			e = add_field(f, l, common, fwhy, sizeof(fwhy));
			if (e) {
				snprintf(why, sizeof(why), "line %d: %s", lineno, fwhy);
				goto fail;
			}
		} else if (in_format && !*l && f->nfields) {
			common = 0;
		}
	}
	if (!have_name || !have_id || !f->nfields) {
		e = -EINVAL;
		snprintf(why, sizeof(why), "no %s line", !have_name ? "name:" : !have_id ? "ID:" :
			 "field:");
		goto fail;
	}
	free(copy);
	return f;
fail:
	if (err)
		snprintf(err, errlen, "%s:%s: format: %s", system, name, why);
	free(copy);
	tpformat__free(f);
	errno = -e;
	return NULL;
}

struct tpformat *tpformat__load(const char *tracing_dir, const char *system, const char *name,
				char *err, size_t errlen)
{
	char path[TPFORMAT_PATH_MAX];
	FILE *fp;
	char *text = NULL;
	size_t n = 0;
	struct tpformat *f = NULL;
	int e;

	if (!valid_name(system) || !valid_name(name)) {
		snprintf(err, errlen, "%.64s:%.64s: not a tracepoint name", system, name);
		errno = EINVAL;
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/events/%s/%s/format", tracing_dir, system, name);
	fp = fopen(path, "re");
	if (!fp) {
		e = errno;
		if (e == ENOENT)
			snprintf(err, errlen, "%s:%s: no such tracepoint in this kernel", system, name);
		else
			snprintf(err, errlen, "%s:%s: cannot read %s: %s", system, name, path,
				 strerror(e));
		errno = e;
		return NULL;
	}
	text = malloc(TPFORMAT_MAX_TEXT + 1);
	if (text)
		n = fread(text, 1, TPFORMAT_MAX_TEXT, fp);
	e = ferror(fp) ? EIO : 0;
	fclose(fp);
	if (!text || e) {
		snprintf(err, errlen, "%s:%s: cannot read %s: %s", system, name, path,
			 strerror(text ? e : ENOMEM));
		free(text);
		errno = text ? e : ENOMEM;
		return NULL;
	}
	text[n] = 0;
	f = tpformat__parse(text, system, name, err, errlen);
	e = errno;
	free(text);
	errno = e;
	return f;
}

void tpformat__free(struct tpformat *f)
{
	if (!f)
		return;
	free(f->fields);
	free(f);
}

const char *tpformat__system(const struct tpformat *f)
{
	return f->system;
}

const char *tpformat__name(const struct tpformat *f)
{
	return f->name;
}

uint32_t tpformat__id(const struct tpformat *f)
{
	return f->id;
}

size_t tpformat__nfields(const struct tpformat *f)
{
	return f->nfields;
}

const struct tpfield *tpformat__field(const struct tpformat *f, size_t i)
{
	return i < f->nfields ? &f->fields[i] : NULL;
}

const struct tpfield *tpformat__find(const struct tpformat *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->nfields; i++)
		if (!strcmp(f->fields[i].name, name))
			return &f->fields[i];
	return NULL;
}

uint32_t tpformat__fixed_size(const struct tpformat *f)
{
	return f->fixed_size;
}

int tpformat__split(const char *spec, char *system, char *name, size_t len, char *err,
		    size_t errlen)
{
	size_t n = strcspn(spec, ":/");

	if (!spec[n] || !n || !spec[n + 1] || strchr(spec + n + 1, ':') ||
	    strchr(spec + n + 1, '/')) {
		snprintf(err, errlen, "'%s': expected SYSTEM:NAME (e.g. sched:sched_switch, "
			 "'syscalls:sys_enter_open*'; 'bpfrec list' shows them)", spec);
		return -EINVAL;
	}
	if (n >= len || strlen(spec + n + 1) >= len) {
		snprintf(err, errlen, "'%s': name too long", spec);
		return -EINVAL;
	}
	snprintf(system, len, "%.*s", (int)n, spec);
	snprintf(name, len, "%s", spec + n + 1);
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted entry names of dir matching glob (directories only when
 * dirs_only), into *out (each and the array to be freed). */
static int list_dir(const char *dir, const char *glob, int dirs_only, char ***out, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t cap = 0;

	*n = 0;
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || fnmatch(glob, e->d_name, 0))
			continue;
		if (dirs_only && e->d_type != DT_DIR && e->d_type != DT_UNKNOWN)
			continue;
		if (*n == cap) {
			char **grown = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof(*names));

			if (!grown)
				break;
			names = grown;
		}
		if (!(names[*n] = strdup(e->d_name)))
			break;
		(*n)++;
	}
	closedir(d);
	if (*n)
		qsort(names, *n, sizeof(*names), cmp_names);
	*out = names;
	return 0;
}

static void free_names(char **names, size_t n)
{
	while (n)
		free(names[--n]);
	free(names);
}

int tpformat__expand(const char *tracing_dir, const char *system_glob, const char *name_glob,
		     int (*fn)(const char *system, const char *name, void *ctx), void *ctx)
{
	char dir[TPFORMAT_PATH_MAX], **systems = NULL;
	size_t nsys, i, j;
	int count = 0, err;

	snprintf(dir, sizeof(dir), "%s/events", tracing_dir);
	err = list_dir(dir, system_glob, 1, &systems, &nsys);
	if (err)
		return err;
	for (i = 0; i < nsys && count >= 0; i++) {
		/* ftrace's own events have format files but are no tracepoints:
		 * nothing can attach to them. */
		if (!strcmp(systems[i], "ftrace"))
			continue;
		char sdir[TPFORMAT_PATH_MAX * 2], **names = NULL, fmt[TPFORMAT_PATH_MAX * 3];
		size_t nnames;

		snprintf(sdir, sizeof(sdir), "%s/%s", dir, systems[i]);
		if (list_dir(sdir, name_glob, 1, &names, &nnames))
			continue;
		for (j = 0; j < nnames; j++) {
			int r;

			/* enable/filter files are not events; an event has a format */
			snprintf(fmt, sizeof(fmt), "%s/%s/format", sdir, names[j]);
			if (!valid_name(systems[i]) || !valid_name(names[j]) || access(fmt, F_OK))
				continue;
			r = fn ? fn(systems[i], names[j], ctx) : 0;
			if (r) {
				count = r;
				break;
			}
			count++;
		}
		free_names(names, nnames);
	}
	free_names(systems, nsys);
	return count;
}
