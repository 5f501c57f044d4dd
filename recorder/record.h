/* record.h - the parts of `bpfrec record`, shared by its files:
 * record_opts.c (the command line), record_child.c (the recorded command),
 * record_load.c (probes and objects), record_capture.c (the capture's
 * metadata and map snapshots), record.c (the session's life cycle). */
#ifndef BPFREC_RECORD_H
#define BPFREC_RECORD_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "bpfobj.h"
#include "capw.h"
#include "drain.h"
#include "pipeline.h"
#include "stackcap.h"
#include "tprec.h"

/* How often each repeatable option may be given (or, for the LIST options,
 * how many names in all): one more is a usage error that names the option
 * and its limit (record_opts.c, too_many). */
#define RECORD_MAX_PROBES 16         /* --probe names */
#define RECORD_MAX_OBJS 32           /* --bpf */
#define RECORD_MAX_SETS 64           /* --set */
#define RECORD_MAX_PROG_NAMES 64     /* --only, --skip: names of each */
#define RECORD_MAX_MAP_OPTS 32       /* of each: --map-size, --map-put, --attach,
					--ts, --ringbuf-size, --event */

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
	char **command;              /* after -- */
	struct tpsel *tpsel;         /* -e, --filter, --string-size; NULL: none */
};

struct recorder {
	struct record_opts *o;
	struct capw *cap;
	struct pipeline *pl;
	struct drain *drain;
	struct bpfobj *objs[RECORD_MAX_OBJS + 8];
	int nobjs;
	int pid_map_fd;
	int cgroup_fd;
	char cgroup_path[4096];
	pid_t child;
	int child_gate;              /* write end: closing it lets the child exec */
	int child_status;
	int stop_signal;             /* SIGINT/SIGTERM/SIGHUP forwarded to the command */
	uint64_t child_deadline_ns;  /* then: when it is killed if still running */
	int sigfd;
	uint64_t start_ns;
	uint64_t last_snapshot_ns;
	uint8_t rb_hit[RECORD_MAX_MAP_OPTS], event_hit[RECORD_MAX_MAP_OPTS];
	uint8_t only_hit[RECORD_MAX_PROG_NAMES], skip_hit[RECORD_MAX_PROG_NAMES];
	uint8_t map_size_hit[RECORD_MAX_MAP_OPTS], map_put_hit[RECORD_MAX_MAP_OPTS];
	uint8_t attach_hit[RECORD_MAX_MAP_OPTS], ts_hit[RECORD_MAX_MAP_OPTS];
	uint32_t *tree;              /* the tracked tgids, sorted (user objects' filter) */
	size_t ntree, tree_cap;
	uint8_t *snap_buf;           /* key + every CPU's value, for snapshots */
	size_t snap_len;
	int snapshot_req;            /* SIGUSR1 seen: write CAPTURE/snapshot-N */
	struct stackcap *stacks;     /* what symbolizes them, written at the end */
	struct tprec *tp;            /* the -e tracepoints, NULL: none */
};

/* record_opts.c: parses `record`'s options into o (zeroed by the caller);
 * 0, or -EINVAL with the message printed.  --help exits 0. */
int record__parse_args(int argc, char **argv, struct record_opts *o);

/* record_child.c: forks COMMAND, held before its exec until
 * record__start_child(); the command's path is resolved first. */
int record__fork_child(struct recorder *r);
void record__start_child(struct recorder *r);

/* record_load.c: the built-in probes the options ask for (the default:
 * every one the kernel has), then the --bpf objects, loaded and attached. */
int record__load_builtins(struct recorder *r);
/* 1 when the recording takes stacks (-g, --stacks, --probe profile). */
int record__wants_stacks(const struct record_opts *o);
int record__load_user_objects(struct recorder *r);
/* record_load.c: attaches what was loaded, once its streams are drained. */
int record__attach(struct recorder *r);
/* The options of an object: the cgroup, the process-tree map and (filter)
 * whether the object filters by it in the kernel. */
struct bpfobj_opts record__obj_opts(struct recorder *r, int filter);

/* record_tp.c: the -e tracepoints.  resolve: expanded and checked against
 * tracefs before anything loads (-EINVAL: a usage error, printed); load:
 * the generic program, its objects added to r->objs. */
int record__resolve_tracepoints(struct recorder *r);
int record__load_tracepoints(struct recorder *r);

/* record_capture.c: the session, objects and streams of the capture; and
 * a snapshot of every snapshottable map, as records at time now. */
int record__register_capture(struct recorder *r, int argc, char **argv);
int record__snapshot_maps(struct recorder *r, uint64_t now);

#endif
