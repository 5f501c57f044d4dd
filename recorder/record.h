/* record.h - the parts of `bpfrec record`, shared by its files:
 * record_opts.c (the command line), record_load.c (probes, objects and
 * tracepoints: chosen, loaded, attached), record_capture.c (the capture's
 * metadata and map snapshots), and record.c, the session's life cycle,
 * whose state (struct recorder) is its own.  command.h runs the command.
 *
 * Errors: 0 or -errno with the message printed, naming the option, object
 * or file; -EINVAL is a usage error (bpfrec exits 2). */
#ifndef BPFREC_RECORD_H
#define BPFREC_RECORD_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "bpfobj.h"
#include "capw.h"
#include "drain.h"
#include "tprec.h"

/* How often each repeatable option may be given (or, for the LIST options,
 * how many names in all): one more is a usage error that names the option
 * and its limit (record_opts.c, too_many). */
#define RECORD_MAX_PROBES 16         /* --probe names */
/* --chain-blocks' default: blocks whose dictionaries go on into the next
 * (block encoding 4); 1: none, every block reads alone.  The longest chain
 * the format allows (CAP_CHAIN_MAX): ~11% fewer bytes on the generator's
 * events than none (16 against 8: ~1.3%), while a projected read (SQL)
 * decodes a base for its wanted columns only (BENCHMARKS.md, issue 18,
 * chained by default; eleventh session, chains of 16). */
#define RECORD_CHAIN_DEFAULT 16
/* --priority-boost's default: the drain and writer threads this many nice
 * levels ahead of the command (prio.h); ~2x its CPU share where both wait
 * for the same CPU. */
#define RECORD_PRIO_BOOST_DEFAULT 4
/* Nice levels the drain thread goes further ahead of the writer threads,
 * after they start (record.c's boost_drain). */
#define RECORD_DRAIN_AHEAD 5
/* Block buffers lent to the drain beyond the pool (pipeline_opts.spare_bufs)
 * when it would wait for the writers longer than the kernel's buffers can
 * hold (a 4 MiB per-CPU ring: ~9 ms at 6 M/s): memory only while they are
 * needed, where more pool buffers would hold it at 8 M/s as well. */
#define RECORD_SPARE_BUFS 1
#define RECORD_MAX_OBJS 32           /* --bpf */
#define RECORD_MAX_SETS 64           /* --set */
#define RECORD_MAX_PROG_NAMES 64     /* --only, --skip: names of each */
#define RECORD_MAX_MAP_OPTS 32       /* of each: --map-size, --map-put, --attach,
					--perf-event, --ts, --ringbuf-size, --event */

struct record_opts {
	const char *out_dir;
	char out_default[64];
	const char *probes[RECORD_MAX_PROBES];
	int nprobes;
	int probes_given;            /* --probe seen: failures are errors */
	const char *bpf_files[RECORD_MAX_OBJS];
	int nbpf;
	const char *sets[RECORD_MAX_SETS];  /* NAME=VALUE */
	int nsets;
	uint64_t duration_ns;
	int pid;                     /* -p */
	const char *cgroup;
	int all;                     /* --all: no process-tree filter with a command */
	int quiet, verbose;
	int status;                  /* -1 auto (a terminal), 0 off, 1 on */
	uint64_t flush_ns;
	unsigned chain_blocks;       /* --chain-blocks: 0 the default */
	int fast_blocks;             /* --fast-blocks: enum pipeline_effort */
	int prio_boost;              /* --priority-boost: nice levels; the parser's
				      * default RECORD_PRIO_BOOST_DEFAULT */
	uint32_t perf_pages;
	const char *kernel_btf;
	char *only[RECORD_MAX_PROG_NAMES], *skip[RECORD_MAX_PROG_NAMES];   /* program names */
	int nonly, nskip;
	int strict;                  /* --strict: a --bpf program that fails is an error */
	/* --map-size MAP=N, --map-put MAP KEY=VALUE (pairs), --attach PROG=BIN:FUNC */
	const char *map_sizes[RECORD_MAX_MAP_OPTS];
	int nmap_sizes;
	const char *map_puts[2 * RECORD_MAX_MAP_OPTS];
	int nmap_puts;
	const char *attaches[RECORD_MAX_MAP_OPTS];
	int nattaches;
	const char *perf_events[RECORD_MAX_MAP_OPTS];   /* --perf-event PROG=EVENT[:RATE] */
	int nperf_events;
	const char *ts_fields[RECORD_MAX_MAP_OPTS];   /* --ts MAP=FIELD[:mono|boot] */
	int nts_fields;
	const char *rb_sizes[RECORD_MAX_MAP_OPTS];    /* MAP=BYTES, validated */
	int nrb_sizes;
	const char *events[RECORD_MAX_MAP_OPTS];      /* MAP=STRUCT */
	int nevents;
	uint64_t snapshot_ns;        /* 0: snapshot maps at the end only */
	uint64_t ring_bytes, ring_ns; /* --ring, --ring-time: flight recorder */
	uint32_t stack_flags;        /* -g, --stacks: BPFREC_STACK_USER | _KERNEL */
	uint32_t sample_hz;          /* --probe profile:HZ, 0: the default */
	int no_symbols;              /* --no-symbols */
	uint32_t stack_entries;      /* --stack-table: slots, 0: the default */
	int no_user_names;           /* --no-user-names: no users/groups tables rows */
	int full_btf;                /* --full-btf: store each object's whole BTF */
	char **command;              /* after -- */
	struct tpsel *tpsel;         /* -e, --filter, --string-size; NULL: none */
};

/* The objects of a recording, in load order: the built-in probes, the
 * --bpf objects, the tracepoint objects.  Growable; owns the objects. */
struct record_objs {
	struct bpfobj **v;
	int n, cap;
};

/* Adds o, owned from then on (closed on failure too).  -ENOMEM. */
int record_objs__add(struct record_objs *objs, struct bpfobj *o);
/* The streams of every object. */
size_t record_objs__nstreams(const struct record_objs *objs);
void record_objs__free(struct record_objs *objs);   /* closes every object */

/* record_opts.c: parses `record`'s options into o (zeroed by the caller);
 * 0, or -EINVAL with the message printed.  --help exits 0. */
int record__parse_args(int argc, char **argv, struct record_opts *o);

/* record_load.c: the built-in probes the options ask for (the default:
 * every one the kernel has), the --bpf objects and the tracepoints of tp
 * (NULL: none), opened, set up by the options and loaded into objs.
 * base: the options every object shares (its filter_pids is set per
 * object: the built-ins and tracepoints filter in the kernel). */
int record__load_objects(const struct record_opts *o, const struct bpfobj_opts *base,
			 struct tprec *tp, struct record_objs *objs);
/* record_stacks.c: hands the stacks sc gathered since the last call to
 * the writer thread of pl (stackcap__sync, pipeline__call); symbols: not
 * --no-symbols.  Nothing to do: nothing sent. */
struct stackcap;
struct pipeline;
void record__sync_stacks(struct stackcap *sc, struct pipeline *pl, int symbols);
/* 1 when the recording takes stacks (-g, --stacks, --probe profile). */
int record__wants_stacks(const struct record_opts *o);
/* record_load.c: attaches what was loaded, once its streams are drained. */
int record__attach(const struct record_opts *o, struct record_objs *objs);

/* record_capture.c: -o DIR checked: a new directory whose parent exists,
 * or an empty one (-errno with the message). */
int record__check_capture_dir(const char *dir);
/* record_capture.c: the session, objects and streams of the capture
 * (start_ns: the session's start, now; each object's BTF cut to its
 * streams' types unless full_btf: --full-btf); and a snapshot of every
 * snapshottable map, as records at time now, through the drain. */
int record__register_capture(struct capw *cap, const struct record_objs *objs, int full_btf,
			     int argc, char **argv, uint64_t *start_ns);
/* record_capture.c: what register_capture stores of object obj's BTF: raw
 * (bytes) read by the validator replay uses (btfv.h) and cut to roots[0..n),
 * the type ids of its streams and bpfobj__btf_roots (btfcut.h: it checks
 * its result again);
 * NULL after a warning that names obj and the reason (the capture then
 * stores the whole BTF).  Free with btfcut__free. */
struct btfcut;
struct btfcut *record__cut_btf(const char *obj, const void *raw, uint32_t bytes,
			       const uint32_t *roots, size_t n);
int record__snapshot_maps(struct drain *d, const struct record_objs *objs, uint64_t now);

/* record_progs.c: every object's programs (where each attached, or why
 * not), its streams' loss methods and possible-loss windows.  Sent to the
 * writer as the recording goes, so that snapshots, catalog.db and a
 * recording killed midway have them (progsync__send: the programs and
 * methods at the first call, once the programs are attached; then each
 * window that can no longer change); the rest at the end, into the
 * capture once the writer is done (progsync__finish: an open window ends
 * at end_ns).  The drain thread's; 0 or -errno (-ENOMEM). */
struct pipeline;
struct progsync;
struct progsync *progsync__new(const struct record_objs *objs);   /* NULL: errno */
int progsync__send(struct progsync *ps, const struct record_objs *objs, struct drain *d,
		   struct pipeline *pl);
int progsync__finish(struct progsync *ps, const struct record_objs *objs, struct drain *d,
		     struct capw *cap, uint64_t end_ns);
void progsync__free(struct progsync *ps);   /* NULL is fine */

#endif
