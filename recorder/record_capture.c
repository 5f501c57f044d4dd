/* record_capture.c - what a capture says about its session: host, kernel,
 * clocks, command line, the objects with their BTF and the streams; and
 * the snapshots of the objects' maps. */
#include "record.h"
#include "util.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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


/* Stream names are table names: unique, case-insensitively as SQL compares
 * them.  A later duplicate gets _2, _3, ... */
static void unique_stream_names(struct recorder *r)
{
	char *names[1024];
	int n = 0, i, j, k, suffix;
	size_t v;

	for (i = 0; i < r->nobjs; i++)
		for (j = 0; j < (int)r->objs[i]->nstreams; j++) {
			struct bpfobj_stream *s = &r->objs[i]->streams[j];

			if (n < 1024)
				names[n++] = s->name;
			for (v = 0; v < s->nvariants && n < 1024; v++)
				names[n++] = s->variants[v].name;
		}
	for (i = 1; i < n; i++) {
		char base[64];

		snprintf(base, sizeof(base), "%.50s", names[i]);
		for (suffix = 2;; suffix++) {
			for (k = 0; k < i && strcasecmp(names[k], names[i]); k++)
				;
			if (k == i)
				break;
			snprintf(names[i], 64, "%.50s_%d", base, suffix);
		}
	}
}

static int add_stream(struct recorder *r, uint32_t obj_id, const char *name, const char *kind,
		      const char *map, const char *type_name, uint32_t type_id, int32_t ts_offset,
		      uint32_t *id)
{
	struct cap_stream_desc d = {
		.name = name, .kind = kind, .object_id = obj_id, .map_name = map,
		.type_name = type_name && type_name[0] ? type_name : NULL,
		.type_id = type_id, .ts_offset = ts_offset,
	};

	return capw__add_stream(r->cap, &d, id);
}

int record__register_capture(struct recorder *r, int argc, char **argv)
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
	s.start_ns = r->start_ns = now_boot_ns();
	err = capw__set_session(r->cap, &s);
	free(cmdline);
	if (err)
		return err;
	unique_stream_names(r);
	for (i = 0; i < r->nobjs && !err; i++) {
		struct bpfobj *o = r->objs[i];
		uint32_t obj_id;

		if (!o->nstreams)
			continue;
		err = capw__add_object(r->cap, o->name, o->path, o->btf_raw, o->btf_bytes, &obj_id);
		for (j = 0; j < o->nstreams && !err; j++) {
			static const char *const kinds[] = { "ringbuf", "perf", "snapshot" };
			struct bpfobj_stream *st = &o->streams[j];
			size_t v;

			err = add_stream(r, obj_id, st->name, kinds[st->kind], st->map_name,
					 st->nvariants ? NULL : st->type_name, st->type_id, st->ts_offset,
					 &st->capture_id);
			for (v = 0; v < st->nvariants && !err; v++) {
				struct bpfobj_variant *var = &st->variants[v];

				err = add_stream(r, obj_id, var->name, kinds[st->kind], st->map_name,
						 var->type_name, var->type_id, var->ts_offset,
						 &var->capture_id);
			}
			if (!err && !st->type_name[0] && !st->nvariants)
				info_msg("stream %s: no event type declared (BPFREC_EVENT): recorded as bytes",
					 st->name);
		}
	}
	return err;
}

/* Writes every entry of every snapshotted map as records at one time: key
 * at 0, value at value_offset, one record per CPU for per-CPU maps. */
int record__snapshot_maps(struct recorder *r, uint64_t now)
{
	int ncpus = libbpf_num_possible_cpus(), i, c, err = 0;
	size_t j;

	for (i = 0; i < r->nobjs && !err; i++) {
		for (j = 0; j < r->objs[i]->nstreams && !err; j++) {
			struct bpfobj_stream *s = &r->objs[i]->streams[j];
			uint32_t vstride = (s->value_size + 7) & ~7u;
			size_t need = s->value_offset + (size_t)vstride * (ncpus > 0 ? ncpus : 1) +
				      s->key_size;
			uint8_t *key, *prev = NULL, *vals, *rec;
			int nrec = s->percpu ? ncpus : 1;

			if (s->kind != STREAM_SNAPSHOT)
				continue;
			if (need * 2 > r->snap_len) {
				free(r->snap_buf);
				r->snap_len = need * 2;
				r->snap_buf = calloc(1, r->snap_len);
				if (!r->snap_buf)
					return -ENOMEM;
			}
			/* rec: key | pad | value, followed by the raw lookup buffer */
			rec = r->snap_buf;
			vals = rec + s->value_offset + s->value_size;
			key = vals + (size_t)vstride * nrec;
			while (bpf_map_get_next_key(s->map_fd, prev, key) == 0) {
				prev = key;
				if (bpf_map_lookup_elem(s->map_fd, key, vals))
					continue;   /* deleted meanwhile */
				memset(rec, 0, s->value_offset + s->value_size);
				memcpy(rec, key, s->key_size);
				for (c = 0; c < nrec && !err; c++) {
					memcpy(rec + s->value_offset, vals + (size_t)vstride * c,
					       s->value_size);
					err = drain__append(r->drain, s,
							    s->percpu ? (uint32_t)c : CAP_CPU_UNKNOWN,
							    now, rec, s->value_offset + s->value_size);
				}
			}
		}
	}
	r->last_snapshot_ns = now;
	return err;
}
