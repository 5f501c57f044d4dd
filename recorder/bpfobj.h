/* bpfobj.h - one BPF object as the recorder sees it: opened (a built-in
 * probe's embedded ELF or a user's .bpf.o), its streams (ringbuf and perf
 * event array maps, map snapshots) with their event types from BTF, loaded
 * with the verifier's complaints in words, attached program by program by
 * SEC name, and its loss counters read.
 *
 * The object and its streams are opaque: only bpfobj.c writes what a
 * stream is (its name, type, layout); the options change it through the
 * bpfobj__set_* calls before load, and everyone reads it through the
 * getters.  What is counted of a stream (records, losses) is the drain's.
 *
 * Errors: functions return 0 (or a count) or -errno, with a message printed
 * that names the object, map or program, except -ENOENT for "no such map
 * or program here", which the caller reports once for all objects.
 */
#ifndef BPFREC_BPFOBJ_H
#define BPFREC_BPFOBJ_H

#include <stddef.h>
#include <stdint.h>

#include "progtab.h"

enum stream_kind { STREAM_RINGBUF, STREAM_PERF, STREAM_SNAPSHOT };

struct ringloss;
struct dwarfbtf;
struct btf;

/* A ringbuf that libbpf-tools' compat.bpf.h declares as a perf event array
 * (see bpfobj.c, compat_ringbuf) gets this size unless --ringbuf-size says. */
#define BPFOBJ_COMPAT_RINGBUF_BYTES (1u << 22)
/* A stack trace map declared without sizes gets these (bpfobj.c,
 * stack_map_defaults); --map-size changes the count. */
#define BPFOBJ_STACK_DEPTH 127
#define BPFOBJ_STACK_MAP_ENTRIES 1024

#define BPFOBJ_MAX_VARIANTS 32

/* One event type of a map that carries several (BPFREC_EVENT_VARIANT). */
struct bpfobj_variant {
	uint64_t value;            /* of the discriminator */
	char name[64];             /* its stream's name */
	char type_name[64];
	uint32_t type_id;
	uint32_t type_size;
	int32_t ts_offset;
	int32_t pid_offset;        /* a u32/s32 member pid or tgid, -1: none */
	int32_t ustack_offset;     /* its bpfrec_ustack_id member, -1: none */
	int32_t kstack_offset;     /* its bpfrec_kstack_id member, -1: none */
	uint32_t capture_id;
};

/* What a stream's records are and where they go in the capture: what the
 * drain reads for every record.  Only bpfobj.c writes it; others read it
 * through bpfobj_stream__layout(). */
struct bpfobj_layout {
	uint32_t capture_id;       /* streams.id (bpfobj_stream__set_capture_id) */
	uint32_t type_size;        /* 0: no known type (recorded as bytes) */
	int32_t ts_offset;         /* the event's bpfrec_ts_ns member, -1: none */
	int32_t pid_offset;        /* a u32/s32 member tgid or pid, -1: none */
	int32_t ustack_offset;     /* its bpfrec_ustack_id member, -1: none */
	int32_t kstack_offset;     /* its bpfrec_kstack_id member, -1: none */
	int64_t ts_add_ns;         /* added to the ts_offset member's value: boot
				      time minus the member's clock (--ts :mono) */
	int zero_fill;             /* a record shorter than type_size is zero-filled
				      to it: its producer leaves out trailing zeros
				      (bpfobj__set_stream_zero_fill) */
	/* Several types on this map: the discriminator's place, and the types. */
	uint32_t discr_offset, discr_size;   /* size 0: one type (or bytes) */
	uint32_t nvariants;
	struct bpfobj_variant variants[BPFOBJ_MAX_VARIANTS];
};

/* A map snapshot stream's records (kind STREAM_SNAPSHOT): the key at 0,
 * the value at value_offset, one record per CPU if per-CPU. */
struct bpfobj_snapshot {
	int map_fd;
	uint32_t key_size, value_size, value_offset;
	int percpu;
};

struct bpfobj_opts {
	int cgroup_fd;             /* for cgroup/ programs; -1: none given */
	const char *cgroup_path;   /* for messages */
	int pid_map_fd;            /* the shared bpfrec_pids, -1: none */
	int filter_pids;           /* set the object's filter_pids global */
	const char *btf_custom_path; /* --kernel-btf */
	int stack_map_fd;          /* the shared bpfrec_stacks table, -1: none */
	uint32_t stack_flags;      /* bpfrec_stack_flags (BPFREC_STACK_USER|_KERNEL) */
	uint32_t sample_hz;        /* SEC("perf_event") programs: cpu-clock rate; 0: 99 */
};

struct bpfobj;          /* one object: opaque */
struct bpfobj_stream;   /* one of its streams: opaque, owned by the object */

/* Constructors: NULL with errno set and a message printed that names the
 * object.  name is used in messages and as the stream name prefix; mem is
 * not copied and must outlive the object. */
struct bpfobj *bpfobj__open_mem(const char *name, const void *mem, size_t size,
				const struct bpfobj_opts *opts);
struct bpfobj *bpfobj__open_file(const char *path, const struct bpfobj_opts *opts);
/* Sets a .rodata/.data/.bss global before load from its text value, checked
 * against its BTF type.  -errno with a message. */
int bpfobj__set_global(struct bpfobj *o, const char *name, const char *value);
/* 1 if the object has a settable global of that name. */
int bpfobj__has_global(struct bpfobj *o, const char *name);
/* Before load: program choice by name (--only, --skip): a program in only
 * (when nonly > 0) and not in skip is loaded.  Returns how many of the names
 * given matched a program of this object, so the caller can report a name
 * that matches nothing anywhere. */
int bpfobj__select_programs(struct bpfobj *o, char *const *only, int nonly, char *const *skip,
			    int nskip, uint8_t *only_hit, uint8_t *skip_hit);
/* --map-size MAP=N before load: any map's max_entries (a ringbuf's goes
 * through bpfobj__set_ringbuf_size).  -ENOENT if the object has no such map,
 * -EINVAL for a ringbuf. */
int bpfobj__set_map_size(struct bpfobj *o, const char *map, uint32_t n);
/* --map-put MAP KEY=VALUE after load: key and value parsed through the
 * map's BTF key and value types (integers, enums by name, char arrays).
 * -ENOENT if no such map, -errno with a message otherwise. */
int bpfobj__map_put(struct bpfobj *o, const char *map, const char *key, const char *value);
/* --attach PROG=BINARY:FUNCTION before attach: where a uprobe/uretprobe
 * program whose section names no binary attaches.  -ENOENT if no such
 * program, -ENOMEM. */
int bpfobj__set_uprobe_target(struct bpfobj *o, const char *prog, const char *binary,
			      const char *func);

/* --ts MAP=FIELD[:mono|boot]: the u64 member FIELD of MAP's event type is
 * the record's time, in CLOCK_BOOTTIME (boot, bpf_ktime_get_boot_ns) or
 * CLOCK_MONOTONIC (mono, bpf_ktime_get_ns: converted by the distance of the
 * two clocks now; they differ by the time spent suspended).  -ENOENT if no
 * such map, -ESRCH with a message if the type has no such member. */
int bpfobj__set_ts_member(struct bpfobj *o, const char *map, const char *field, int mono);

/* Programs of one object that may be left out after failing to load. */
#define BPFOBJ_MAX_LEFT_OUT 64
/* How many of its programs libbpf will load (not left out by the above). */
int bpfobj__nprograms(const struct bpfobj *o);
/* Before load: a ringbuf's size (validated by the caller), -ENOENT if the
 * object has no ringbuf of that name. */
int bpfobj__set_ringbuf_size(struct bpfobj *o, const char *map, uint32_t bytes);
/* --event MAP=STRUCT: -ENOENT if no such map, -ESRCH if no such struct in
 * the object's BTF nor in its DWARF (a struct found only in DWARF is added
 * to the BTF the capture carries). */
int bpfobj__set_event_type(struct bpfobj *o, const char *map, const char *type);
/* Adds one snapshot stream per hash/array/per-CPU/LRU map of the object,
 * after load, with a BTF struct {key; value} appended to the object's BTF
 * (btf_raw then points at the extended copy). */
int bpfobj__add_snapshot_streams(struct bpfobj *o);

/* Loads into the kernel.  On failure prints the program, its section, the
 * useful lines of the verifier log and a hint. */
int bpfobj__load(struct bpfobj *o);
/* Attaches every program by its section (a SEC("syscall") program only
 * loads: it runs by BPF_PROG_TEST_RUN).  Returns the count ready, or
 * -errno when a program fails and `strict`; failures are reported by name,
 * section and reason either way. */
int bpfobj__attach(struct bpfobj *o, int strict);
/* Detaches every program bpfobj__attach attached (the maps stay: what the
 * programs wrote can still be drained, and no event follows).  Idempotent. */
void bpfobj__detach(struct bpfobj *o);
/* Calls fn for each stream and CPU (-1: not known) whose loss counter grew
 * since the last call: a stream's own bpfrec_lost__<map>, the object's
 * bpfrec_lost (given to its first stream), and bpfrec's own counts of
 * failed ringbuf calls. */
int bpfobj__poll_lost(struct bpfobj *o,
		      void (*fn)(struct bpfobj_stream *s, int cpu, uint64_t delta, void *ctx),
		      void *ctx);
void bpfobj__close(struct bpfobj *o);   /* NULL is fine */

/* For records the recorder lays out itself (tracepoints, bpf/tp.h), after
 * load: the libbpf object (not owned), and a writable copy of the object's
 * BTF, owned by o, that the capture stores instead of the original: add the
 * records' types to it, then declare them with bpfobj__add_variant. */
struct bpf_object *bpfobj__bpf_object(struct bpfobj *o);
struct btf *bpfobj__btf_extend(struct bpfobj *o);
/* The stream of `map` carries records of type_id in bpfobj__btf_extend's
 * BTF, their time at ts_offset (-1: none).  -ENOENT: no such stream. */
int bpfobj__set_stream_type(struct bpfobj *o, const char *map, uint32_t type_id,
			    int32_t ts_offset);
/* After bpfobj__set_stream_type: the stream's producer sends its records
 * without their trailing zeros (bpf/sys.bpf.c: empty string slots), and
 * the drain zero-fills each to the type's size, so the capture holds the
 * whole records.  Only for the recorder's own layouts: a user program's
 * short record is data, or damaged, and is kept as it came.  -ENOENT: no
 * such stream. */
int bpfobj__set_stream_zero_fill(struct bpfobj *o, const char *map);
/* A type of bpfobj__btf_extend's BTF that no stream's type reaches but a
 * reader looks up by name (sysrec.c: enum bpfrec_syscall_ids): the BTF
 * the capture stores keeps it beside the streams' types.  -EINVAL before
 * bpfobj__btf_extend, -E2BIG past 4. */
int bpfobj__add_btf_root(struct bpfobj *o, uint32_t type_id);
/* bpfobj__add_btf_root's types (*ids owned by o): how many. */
size_t bpfobj__btf_roots(const struct bpfobj *o, const uint32_t **ids);
/* Before bpfobj__attach: attach the object's SEC("tracepoint") program to
 * SYSTEM:NAME too, with cookie as its bpf_get_attach_cookie().  A
 * tracepoint that does not attach is named with the reason and left out;
 * the program counts as attached if one did.  Returns its index (for
 * bpfobj__tracepoint_attached), or -ENOMEM / -E2BIG (a name too long). */
int bpfobj__add_tracepoint(struct bpfobj *o, const char *system, const char *name,
			   uint64_t cookie);
/* 1 if bpfobj__attach attached the tracepoint of that index. */
int bpfobj__tracepoint_attached(const struct bpfobj *o, size_t index);
/* One more event type on stream `map`, told apart by the integer at
 * discr_offset (discr_size bytes) of its records.  -ENOENT: no such
 * stream; -E2BIG: BPFOBJ_MAX_VARIANTS reached. */
int bpfobj__add_variant(struct bpfobj *o, const char *map, uint32_t discr_offset,
			uint32_t discr_size, const struct bpfobj_variant *v);

/* What an object is. */
const char *bpfobj__name(const struct bpfobj *o);     /* "exec", or the file's base name */
const char *bpfobj__path(const struct bpfobj *o);     /* NULL for a built-in probe */
int bpfobj__builtin(const struct bpfobj *o);          /* 1 for a built-in probe */
/* The object's BTF as the capture stores it (with the types bpfrec added):
 * owned by the object, valid until it changes (bpfobj__add_variant ...). */
const void *bpfobj__btf_raw(const struct bpfobj *o, uint32_t *bytes);
size_t bpfobj__nstreams(const struct bpfobj *o);
/* Stream i < bpfobj__nstreams(o): owned by o, valid until it is closed
 * (bpfobj__add_snapshot_streams may move them: take them after it). */
struct bpfobj_stream *bpfobj__stream(const struct bpfobj *o, size_t i);

/* What a stream is. */
const char *bpfobj_stream__name(const struct bpfobj_stream *s);      /* its table */
const char *bpfobj_stream__map_name(const struct bpfobj_stream *s);
enum stream_kind bpfobj_stream__kind(const struct bpfobj_stream *s);
const char *bpfobj_stream__kind_name(const struct bpfobj_stream *s); /* "ringbuf", ... */
int bpfobj_stream__map_fd(const struct bpfobj_stream *s);            /* after load */
const char *bpfobj_stream__type_name(const struct bpfobj_stream *s); /* "": bytes */
uint32_t bpfobj_stream__type_id(const struct bpfobj_stream *s);
const struct bpfobj_layout *bpfobj_stream__layout(const struct bpfobj_stream *s);
/* Kind STREAM_SNAPSHOT: how its records are made from the map's entries. */
struct bpfobj_snapshot bpfobj_stream__snapshot(const struct bpfobj_stream *s);
/* A staged ringbuf (bpfrec.h BPFREC_STAGED), after load: 1 with the fds
 * of its flush program, pending flags and staging areas (owned by the
 * object); 0 for any other stream. */
int bpfobj_stream__staging(const struct bpfobj_stream *s, int *flush_fd, int *pending_fd,
			   int *stage_fd);
/* A ringbuf with a per-CPU ring read in place (bpfrec.h BPFREC_PERCPU_RING),
 * after load: the fd of its array of regions (owned by the object); -1 for
 * any other stream. */
int bpfobj_stream__pcring(const struct bpfobj_stream *s);
/* 1 when some of the stream's losses cannot be counted (ringloss.h). */
int bpfobj_stream__loss_unobservable(const struct bpfobj_stream *s);
/* How the stream's losses are known, the capture's stream_loss.method:
 * "perf" (perf's counts), "rewrite" (bpfrec counts every failed ringbuf
 * call), "program" (the object's bpfrec_lost counters), "unobservable"
 * (some failures cannot be counted); NULL for a map snapshot. */
const char *bpfobj_stream__loss_method(const struct bpfobj *o, const struct bpfobj_stream *s);
/* What became of each program (progtab.h): filled by bpfobj__attach and
 * the load's callers, owned by o. */
struct progtab *bpfobj__progtab(struct bpfobj *o);
/* Where its records (variant -1) or its variant's go in the capture. */
void bpfobj_stream__set_capture_id(struct bpfobj_stream *s, int variant, uint32_t id);
/* Stream names are table names: makes those of every stream and variant of
 * objs[0..n) unique, case-insensitively as SQL compares them (a later
 * duplicate gets _2, _3, ...). */
void bpfobj__unique_stream_names(struct bpfobj *const *objs, size_t n);

/* Installs the libbpf print hook that keeps the last log lines for load
 * errors (and prints libbpf warnings only with -v). */
void bpfobj__setup_libbpf(int verbose);

#endif
