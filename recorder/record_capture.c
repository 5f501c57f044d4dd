/* record_capture.c - the capture's directory checked before anything
 * starts; what a capture says about its session: host, kernel, clocks,
 * command line, the objects with their BTF and the streams; and the
 * snapshots of the objects' maps. */
#include "btfcut.h"
#include "btfv.h"
#include "record.h"
#include "util.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

/* Joins argv into one shell-quoted line for the session record. */
static char *quote_cmdline(int argc, char **argv)
{
	size_t len = 1;
	char *s, *p;
	int i;

	for (i = 0; i < argc; i++)
		len += strlen(argv[i]) * 4 + 3;
	s = p = malloc(len);
	if (!s)
		return NULL;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		int plain = *a != 0 && strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
						 "0123456789-_./=:,+@%") == strlen(a);

		if (i)
			*p++ = ' ';
		if (plain) {
			p = stpcpy(p, a);
			continue;
		}
		*p++ = '\'';
		for (; *a; a++) {
			if (*a == '\'')
				p = stpcpy(p, "'\\''");
			else
				*p++ = *a;
		}
		*p++ = '\'';
	}
	*p = 0;
	return s;
}

static void read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = 0;
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = 0;
	fclose(f);
}


static int add_stream(struct capw *cap, uint32_t obj_id, const char *name, const char *kind,
		      const char *map, const char *type_name, uint32_t type_id, int32_t ts_offset,
		      uint32_t *id)
{
	struct cap_stream_desc d = {
		.name = name, .kind = kind, .object_id = obj_id, .map_name = map,
		.type_name = type_name && type_name[0] ? type_name : NULL,
		.type_id = type_id, .ts_offset = ts_offset,
	};

	return capw__add_stream(cap, &d, id);
}

/* -o DIR: a new directory whose parent exists, or an empty one. */
int record__check_capture_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int empty = 1;

	if (!d) {
		int err = errno;
		char parent[4096], *slash;
		struct stat st;

		if (err == ENOENT) {
			/* The parent must be a directory that exists: capw creates one level. */
			snprintf(parent, sizeof(parent), "%s", dir);
			slash = strrchr(parent, '/');
			while (slash && slash > parent && slash[1] == 0) {   /* "a/b/" */
				*slash = 0;
				slash = strrchr(parent, '/');
			}
			if (!slash)
				return 0;
			slash[slash == parent] = 0;   /* "/x" -> "/" */
			if (stat(parent, &st)) {
				warn_msg("-o %s: %s: %s", dir, parent, strerror(errno));
				return -ENOENT;
			}
			if (!S_ISDIR(st.st_mode)) {
				warn_msg("-o %s: %s is not a directory", dir, parent);
				return -ENOTDIR;
			}
			return 0;
		}
		if (err == ENOTDIR && !stat(dir, &st) && !S_ISDIR(st.st_mode)) {
			warn_msg("-o %s: a file of that name exists: the capture is a directory, "
				 "choose a new name", dir);
			return -err;
		}
		/* A component on the way is a file: name it. */
		snprintf(parent, sizeof(parent), "%s", dir);
		while (err == ENOTDIR && (slash = strrchr(parent, '/')) && slash > parent) {
			*slash = 0;
			if (!stat(parent, &st) && !S_ISDIR(st.st_mode)) {
				warn_msg("-o %s: %s is not a directory", dir, parent);
				return -err;
			}
		}
		warn_msg("-o %s: %s", dir, strerror(err));
		return -err;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = 0;
	closedir(d);
	if (!empty) {
		warn_msg("-o %s: the directory exists and is not empty: choose a new one", dir);
		return -EEXIST;
	}
	return 0;
}

/* The stream type ids of object o (streams, their variants) and its other
 * roots (bpfobj__add_btf_root): the roots of its cut BTF.  n: the room in
 * ids; the number of ids. */
static size_t stream_type_ids(struct bpfobj *o, uint32_t *ids, size_t n)
{
	const uint32_t *more;
	size_t i, k = 0, nmore = bpfobj__btf_roots(o, &more);
	uint32_t v;

	for (i = 0; i < nmore && k < n; i++)
		ids[k++] = more[i];
	for (i = 0; i < bpfobj__nstreams(o); i++) {
		const struct bpfobj_stream *st = bpfobj__stream(o, i);
		const struct bpfobj_layout *l = bpfobj_stream__layout(st);

		if (k < n)
			ids[k++] = bpfobj_stream__type_id(st);
		for (v = 0; v < l->nvariants && k < n; v++)
			ids[k++] = l->variants[v].type_id;
	}
	return k;
}

struct btfcut *record__cut_btf(const char *obj, const void *raw, uint32_t bytes,
			       const uint32_t *roots, size_t n)
{
	char why[256];
	struct btfv *src = btfv__parse(raw, bytes, why, sizeof(why));
	struct btfcut *cut = NULL;

	if (src) {
		cut = btfcut__new(src, roots, n);
		if (!cut)
			snprintf(why, sizeof(why), "%s", errno == EINVAL ?
				 "a stream's type id names no value type, or the cut BTF failed its check" :
				 strerror(errno));
		btfv__free(src);
	}
	if (!cut)
		warn_msg("%s: cannot cut its BTF to its streams' types (%s): the capture stores "
			 "all of it", obj, why);
	return cut;
}

/* The BTF the capture stores for o: its BTF cut to the closure of its
 * streams' types and its other roots (record__cut_btf), or its whole BTF when full_btf is set
 * or the cut fails (*cut stays NULL: the ids are the object's). */
static const void *object_btf(struct bpfobj *o, int full_btf, struct btfcut **cut,
			      uint32_t *bytes)
{
	const void *raw = bpfobj__btf_raw(o, bytes);
	const uint32_t *more;
	size_t n = bpfobj__btf_roots(o, &more), i, len;
	uint32_t *ids;

	*cut = NULL;
	if (full_btf || !raw)
		return raw;
	for (i = 0; i < bpfobj__nstreams(o); i++)
		n += 1 + bpfobj_stream__layout(bpfobj__stream(o, i))->nvariants;
	ids = calloc(n ? n : 1, sizeof(*ids));
	if (!ids) {
		warn_msg("%s: cannot cut its BTF to its streams' types (out of memory): the "
			 "capture stores all of it", bpfobj__name(o));
		return raw;
	}
	n = stream_type_ids(o, ids, n);
	*cut = record__cut_btf(bpfobj__name(o), raw, *bytes, ids, n);
	free(ids);
	if (!*cut)
		return raw;
	raw = btfcut__raw(*cut, &len);
	*bytes = (uint32_t)len;         /* btfcut's raw BTF is at most UINT32_MAX bytes */
	return raw;
}

/* A type id of the object in the capture's BTF (cut NULL: the same). */
static uint32_t capture_type_id(const struct btfcut *cut, uint32_t id)
{
	return cut ? btfcut__id(cut, id) : id;
}

/* One stream of an object, and its variants, in the capture's catalog. */
static int register_stream(struct capw *cap, uint32_t obj_id, struct bpfobj_stream *st,
			   const struct btfcut *cut)
{
	const struct bpfobj_layout *l = bpfobj_stream__layout(st);
	const char *kind = bpfobj_stream__kind_name(st), *map = bpfobj_stream__map_name(st);
	uint32_t id, v;
	int err;

	err = add_stream(cap, obj_id, bpfobj_stream__name(st), kind, map,
			 l->nvariants ? NULL : bpfobj_stream__type_name(st),
			 capture_type_id(cut, bpfobj_stream__type_id(st)), l->ts_offset, &id);
	if (err)
		return err;
	bpfobj_stream__set_capture_id(st, -1, id);
	for (v = 0; v < l->nvariants; v++) {
		const struct bpfobj_variant *var = &l->variants[v];

		err = add_stream(cap, obj_id, var->name, kind, map, var->type_name,
				 capture_type_id(cut, var->type_id), var->ts_offset, &id);
		if (err)
			return err;
		bpfobj_stream__set_capture_id(st, (int)v, id);
	}
	if (!bpfobj_stream__type_name(st)[0] && !l->nvariants)
		info_msg("stream %s: no event type declared (BPFREC_EVENT): recorded as bytes",
			 bpfobj_stream__name(st));
	return 0;
}

int record__register_capture(struct capw *cap, const struct record_objs *objs, int full_btf,
			     int argc, char **argv, uint64_t *start_ns)
{
	struct utsname u;
	char boot_id[64], *cmdline = quote_cmdline(argc, argv);
	struct cap_session s = { 0 };
	int i, err = 0;
	size_t j;

	uname(&u);
	read_line("/proc/sys/kernel/random/boot_id", boot_id, sizeof(boot_id));
	s.host = u.nodename;
	s.kernel_release = u.release;
	s.boot_id = boot_id;
	s.cmdline = cmdline ? cmdline : "bpfrec";
	s.tool_version = BPFREC_VERSION;
	s.clock_boot_ns = now_boot_ns();
	s.clock_real_ns = now_real_ns();
	s.start_ns = *start_ns = now_boot_ns();
	err = capw__set_session(cap, &s);
	free(cmdline);
	if (err)
		return err;
	bpfobj__unique_stream_names(objs->v, (size_t)objs->n);
	for (i = 0; i < objs->n && !err; i++) {
		struct bpfobj *o = objs->v[i];
		struct btfcut *cut;
		const void *btf;
		uint32_t obj_id, btf_bytes;

		if (!bpfobj__nstreams(o))
			continue;
		btf = object_btf(o, full_btf, &cut, &btf_bytes);
		err = capw__add_object(cap, bpfobj__name(o), bpfobj__path(o), btf, btf_bytes,
				       &obj_id);
		if (!err)
			bpfobj__progtab(o)->object_id = obj_id;
		for (j = 0; j < bpfobj__nstreams(o) && !err; j++)
			err = register_stream(cap, obj_id, bpfobj__stream(o, j), cut);
		btfcut__free(cut);
	}
	return err;
}

/* Writes every entry of one snapshot stream's map as records at one time:
 * key at 0, value at value_offset, one record per CPU for a per-CPU map. */
static int snapshot_map(struct drain *d, const struct bpfobj_stream *s, int ncpus, uint64_t now)
{
	struct bpfobj_snapshot m = bpfobj_stream__snapshot(s);
	uint32_t vstride = (m.value_size + 7) & ~7u;
	int nrec = m.percpu ? ncpus : 1, c, err = 0;
	/* record: key | pad | value, then the lookup's values, then the key */
	size_t record_len = m.value_offset + m.value_size;
	uint8_t *record = calloc(1, record_len + (size_t)vstride * nrec + m.key_size);
	uint8_t *vals = record + record_len, *key = vals + (size_t)vstride * nrec, *prev = NULL;

	if (!record)
		return -ENOMEM;
	while (!err && bpf_map_get_next_key(m.map_fd, prev, key) == 0) {
		prev = key;
		if (bpf_map_lookup_elem(m.map_fd, key, vals))
			continue;   /* deleted meanwhile */
		memset(record, 0, record_len);
		memcpy(record, key, m.key_size);
		for (c = 0; c < nrec && !err; c++) {
			memcpy(record + m.value_offset, vals + (size_t)vstride * c, m.value_size);
			err = drain__append(d, s, m.percpu ? (uint32_t)c : CAP_CPU_UNKNOWN, now, record,
					    (uint32_t)record_len);
		}
	}
	free(record);
	return err;
}

int record__snapshot_maps(struct drain *d, const struct record_objs *objs, uint64_t now)
{
	int ncpus = libbpf_num_possible_cpus(), i, err = 0;
	size_t j;

	if (ncpus <= 0)
		ncpus = 1;
	for (i = 0; i < objs->n && !err; i++)
		for (j = 0; j < bpfobj__nstreams(objs->v[i]) && !err; j++) {
			const struct bpfobj_stream *s = bpfobj__stream(objs->v[i], j);

			if (bpfobj_stream__kind(s) == STREAM_SNAPSHOT)
				err = snapshot_map(d, s, ncpus, now);
		}
	return err;
}
