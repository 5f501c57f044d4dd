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

/* One stream of an object, and its variants, in the capture's catalog. */
static int register_stream(struct recorder *r, uint32_t obj_id, struct bpfobj_stream *st)
{
	const struct bpfobj_layout *l = bpfobj_stream__layout(st);
	const char *kind = bpfobj_stream__kind_name(st), *map = bpfobj_stream__map_name(st);
	uint32_t id, v;
	int err;

	err = add_stream(r, obj_id, bpfobj_stream__name(st), kind, map,
			 l->nvariants ? NULL : bpfobj_stream__type_name(st),
			 bpfobj_stream__type_id(st), l->ts_offset, &id);
	if (err)
		return err;
	bpfobj_stream__set_capture_id(st, -1, id);
	for (v = 0; v < l->nvariants; v++) {
		const struct bpfobj_variant *var = &l->variants[v];

		err = add_stream(r, obj_id, var->name, kind, map, var->type_name, var->type_id,
				 var->ts_offset, &id);
		if (err)
			return err;
		bpfobj_stream__set_capture_id(st, (int)v, id);
	}
	if (!bpfobj_stream__type_name(st)[0] && !l->nvariants)
		info_msg("stream %s: no event type declared (BPFREC_EVENT): recorded as bytes",
			 bpfobj_stream__name(st));
	return 0;
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
	bpfobj__unique_stream_names(r->objs, (size_t)r->nobjs);
	for (i = 0; i < r->nobjs && !err; i++) {
		struct bpfobj *o = r->objs[i];
		const void *btf;
		uint32_t obj_id, btf_bytes;

		if (!bpfobj__nstreams(o))
			continue;
		btf = bpfobj__btf_raw(o, &btf_bytes);
		err = capw__add_object(r->cap, bpfobj__name(o), bpfobj__path(o), btf, btf_bytes,
				       &obj_id);
		for (j = 0; j < bpfobj__nstreams(o) && !err; j++)
			err = register_stream(r, obj_id, bpfobj__stream(o, j));
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
		for (j = 0; j < bpfobj__nstreams(r->objs[i]) && !err; j++) {
			const struct bpfobj_stream *s = bpfobj__stream(r->objs[i], j);
			struct bpfobj_snapshot m = bpfobj_stream__snapshot(s);
			uint32_t vstride = (m.value_size + 7) & ~7u;
			size_t need = m.value_offset + (size_t)vstride * (ncpus > 0 ? ncpus : 1) +
				      m.key_size;
			uint8_t *key, *prev = NULL, *vals, *rec;
			int nrec = m.percpu ? ncpus : 1;

			if (bpfobj_stream__kind(s) != STREAM_SNAPSHOT)
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
			vals = rec + m.value_offset + m.value_size;
			key = vals + (size_t)vstride * nrec;
			while (bpf_map_get_next_key(m.map_fd, prev, key) == 0) {
				prev = key;
				if (bpf_map_lookup_elem(m.map_fd, key, vals))
					continue;   /* deleted meanwhile */
				memset(rec, 0, m.value_offset + m.value_size);
				memcpy(rec, key, m.key_size);
				for (c = 0; c < nrec && !err; c++) {
					memcpy(rec + m.value_offset, vals + (size_t)vstride * c,
					       m.value_size);
					err = drain__append(r->drain, s,
							    m.percpu ? (uint32_t)c : CAP_CPU_UNKNOWN,
							    now, rec, m.value_offset + m.value_size);
				}
			}
		}
	}
	r->last_snapshot_ns = now;
	return err;
}
