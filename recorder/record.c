/* record.c - `bpfrec record`: the session's life cycle: set up, drain
 * until the command exits, the time is up or a signal comes, finish the
 * capture cleanly.  struct recorder, the session's state, is this file's
 * own: the other record_*.c files get what they need as arguments. */
#include "capsize.h"
#include "cmds.h"
#include "command.h"
#include "losswin.h"
#include "pipeline.h"
#include "prio.h"
#include "record.h"
#include "stackcap.h"
#include "sysfs.h"
#include "util.h"
#include "usernames.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

struct recorder {
	const struct record_opts *o;
	struct record_objs objs;     /* loaded, in load order */
	struct tprec *tp;            /* the -e tracepoints and --syscalls, NULL: none */
	struct stackcap *stacks;     /* -g: the stack table and what symbolizes it, or NULL */
	struct command *cmd;         /* -- COMMAND, or NULL */
	struct capw *cap;            /* NULL until created */
	struct pipeline *pl;
	struct drain *drain;
	int pid_map_fd;              /* the process tree (bpfrec_pids), -1: none */
	uint32_t *tree;              /* its sorted copy (user objects' filter) */
	size_t ntree, tree_cap;
	int cgroup_fd;               /* for cgroup programs, -1: none */
	char cgroup_path[4096];
	int sigfd;
	uint64_t start_ns;           /* the session's start (CLOCK_BOOTTIME) */
	uint64_t last_snapshot_ns;   /* --snapshot-interval */
	int snapshot_req;            /* SIGUSR1 seen: write CAPTURE/snapshot-N */
	uint64_t stacks_synced_ns;   /* the stacks last handed to the writer */
	struct progsync *progs;      /* the programs and loss rows sent to the writer */
	uint64_t progs_synced_ns;    /* the loss windows last sent */
	uint64_t stalls, stall_ns;   /* the drain's waits for the writers (pipeline__stalls) */
	uint64_t blocks, fast_blocks;   /* pipeline__blocks */
	uint64_t faster_blocks;         /* pipeline__blocks_faster */
	uint64_t spares;                /* pipeline__spares_taken */
};

/* The status line's last figures, per stream in the objects' order. */
struct rate_state {
	uint64_t last_ns;
	uint64_t *last_events, *last_wakeups;
};

static int track_pid(struct recorder *r, int pid)
{
	uint32_t key = (uint32_t)pid;
	uint8_t one = 1;

	if (bpf_map_update_elem(r->pid_map_fd, &key, &one, BPF_ANY)) {
		warn_msg("process-tree map: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

/* --cgroup PATH, or the root of the cgroup v2 hierarchy: -ENOENT when
 * there is none (cgroup programs are then left out). */
static int open_cgroup(struct recorder *r)
{
	if (r->o->cgroup) {
		snprintf(r->cgroup_path, sizeof(r->cgroup_path), "%s", r->o->cgroup);
	} else if (sysfs__cgroup2_root(r->cgroup_path, sizeof(r->cgroup_path))) {
		return -ENOENT;
	}
	r->cgroup_fd = open(r->cgroup_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->cgroup_fd < 0) {
		int err = -errno;

		warn_msg("--cgroup %s: %s", r->cgroup_path, strerror(-err));
		return err;
	}
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The user-space side of the process-tree filter: a sorted copy of the
 * kernel's bpfrec_pids, taken before each drain pass. */
static void tree_refresh(void *ctx)
{
	struct recorder *r = ctx;
	uint32_t key, *prev = NULL;

	r->ntree = 0;
	while (bpf_map_get_next_key(r->pid_map_fd, prev, &key) == 0) {
		if (r->ntree == r->tree_cap) {
			size_t cap = r->tree_cap ? r->tree_cap * 2 : 64;
			uint32_t *grown = realloc(r->tree, cap * sizeof(*grown));

			if (!grown)
				break;
			r->tree = grown;
			r->tree_cap = cap;
		}
		r->tree[r->ntree++] = key;
		prev = &r->tree[r->ntree - 1];
	}
	qsort(r->tree, r->ntree, sizeof(*r->tree), cmp_u32);
}

static int tree_keep(void *ctx, uint32_t pid)
{
	struct recorder *r = ctx;

	/* bsearch() wants an array, even an empty one: none before the first
	 * copy is taken. */
	return r->ntree && bsearch(&pid, r->tree, r->ntree, sizeof(*r->tree), cmp_u32) != NULL;
}

static void on_lost(struct bpfobj_stream *s, int cpu, uint64_t delta, void *ctx)
{
	struct recorder *r = ctx;

	drain__loss(r->drain, s, -1, (uint32_t)cpu, now_boot_ns(), delta);
}

static void ignore_lost(struct bpfobj_stream *s, int cpu, uint64_t delta, void *ctx)
{
}

/* The losses the objects' counters and the tracepoints' counted since the
 * last call, recorded now. */
static void poll_losses(struct recorder *r)
{
	int i;

	for (i = 0; i < r->objs.n; i++)
		bpfobj__poll_lost(r->objs.v[i], on_lost, r);
	tprec__poll_lost(r->tp, r->drain, now_boot_ns());
}

/* The drain's sink: the pipeline. */
static int sink_append(void *ctx, uint32_t stream_id, uint32_t cpu, uint64_t ts_ns,
		       const void *data, uint32_t len)
{
	return pipeline__append(ctx, stream_id, cpu, ts_ns, data, len);
}

static int sink_append_run(void *ctx, uint32_t stream_id, uint32_t cpu,
			   const struct blockbuf_rec *recs, uint32_t n, const struct blockbuf_ts *t)
{
	return pipeline__append_run(ctx, stream_id, cpu, recs, n, t);
}

static void sink_loss(void *ctx, uint32_t stream_id, uint32_t cpu, uint64_t ts_ns, uint64_t n)
{
	pipeline__loss(ctx, stream_id, cpu, ts_ns, n);
}

static void stack_note(void *ctx, uint32_t pid, int32_t ustack, int32_t kstack)
{
	stackcap__note(ctx, pid, ustack, kstack);
}

/* A stream's counters; all 0 before the drain exists. */
static struct drain_stats stream_stats(const struct recorder *r, const struct bpfobj_stream *s)
{
	struct drain_stats st = { 0 };

	if (r->drain)
		drain__stats(r->drain, s, -1, &st);
	return st;
}

static void status_line(struct recorder *r, struct rate_state *rs, uint64_t now)
{
	struct capw_stats st;
	double dt = (now - rs->last_ns) / 1e9;
	char line[1024], b1[32];
	size_t n = 0, k = 0, j;
	uint64_t lost = 0;
	int i, unobservable = 0;

	if (dt <= 0)
		return;
	n += snprintf(line + n, sizeof(line) - n, "%5.0fs ", (now - r->start_ns) / 1e9);
	for (i = 0; i < r->objs.n; i++) {
		for (j = 0; j < bpfobj__nstreams(r->objs.v[i]); j++, k++) {
			const struct bpfobj_stream *s = bpfobj__stream(r->objs.v[i], j);
			struct drain_stats ds = stream_stats(r, s);

			if (n < sizeof(line) - 64)
				n += snprintf(line + n, sizeof(line) - n, " %s %.0f/s",
					      bpfobj_stream__name(s),
					      (ds.events - rs->last_events[k]) / dt);
			/* A producer that asks for a wakeup per event pays 5-12 us each. */
			if ((ds.wakeups - rs->last_wakeups[k]) / dt > 100 && n < sizeof(line) - 64)
				n += snprintf(line + n, sizeof(line) - n,
					      " (wakes per event: submit with BPF_RB_NO_WAKEUP)");
			rs->last_events[k] = ds.events;
			rs->last_wakeups[k] = ds.wakeups;
			lost += ds.lost;
			unobservable |= bpfobj_stream__loss_unobservable(s);
		}
	}
	capw__stats(r->cap, &st);
	n += snprintf(line + n, sizeof(line) - n, " | lost %llu%s | %s written",
		      (unsigned long long)lost, unobservable ? "+?" : "",
		      fmt_bytes(st.written_bytes, b1, sizeof(b1)));
	if (st.written_bytes)
		snprintf(line + n, sizeof(line) - n, ", ratio %.1fx",
			 (double)st.raw_bytes / (double)st.written_bytes);
	/* On a terminal the line rewrites itself; elsewhere (a pipe, a log
	 * file) it is one line per second, with no control bytes. */
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "\r\033[K%s", line);
	else
		fprintf(stderr, "%s\n", line);
	fflush(stderr);
	rs->last_ns = now;
}

static int setup_signals(struct recorder *r)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	r->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return r->sigfd < 0 ? -errno : 0;
}

/* 1 when recording should stop.  SIGINT, SIGTERM or SIGHUP while the
 * command runs go to the command first, as perf does: the recording goes on
 * until it exits (its last events are recorded), COMMAND_GRACE_NS at most;
 * a second signal stops at once. */
static int handle_signals(struct recorder *r, uint64_t now)
{
	struct signalfd_siginfo si;
	int stop = 0;

	while (read(r->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			stop |= command__reap(r->cmd);
		else if (si.ssi_signo == SIGUSR1)
			r->snapshot_req = 1;
		else if (!command__forward(r->cmd, (int)si.ssi_signo, now))
			stop = 1;
	}
	return stop || command__overdue(r->cmd, now);
}

/* Called once the capture is closed (index.db one file again), so that "on
 * disk" is what `bpfreplay info` says: capsize.h's one definition. */
static void print_summary(struct recorder *r, const struct capw_stats *stp, uint64_t end_ns)
{
	struct capw_stats st = *stp;
	struct cap_disk disk;
	char b1[64], b2[64];
	uint64_t drained = 0, lost = 0;
	size_t j;
	int i;

	if (r->o->quiet)
		return;
	cap_disk__measure(r->o->out_dir, &disk);
	info_msg("capture %s: %.1f s, %llu events, %s raw, %s on disk",
		 r->o->out_dir, (end_ns - r->start_ns) / 1e9, (unsigned long long)st.records,
		 cap_disk__fmt(st.raw_bytes, b1, sizeof(b1)), cap_disk__fmt(disk.total, b2, sizeof(b2)));
	if (r->o->ring_bytes || r->o->ring_ns)
		info_msg("  flight recorder: %llu events held (%s), %llu older ones dropped",
			 (unsigned long long)(st.records - st.dropped_records),
			 fmt_bytes(st.held_bytes, b1, sizeof(b1)),
			 (unsigned long long)st.dropped_records);
	if (r->stacks) {
		uint64_t nstacks, lost;

		stackcap__counts(r->stacks, &nstacks, &lost);
		info_msg("  stacks: %llu distinct (a table of %u slots)", (unsigned long long)nstacks,
			 stackcap__entries(r->stacks));
		if (lost)
			info_msg("  stacks: %llu events lost their stack (their slot in the table of "
				 "%u held another stack: --stack-table %u keeps more)",
				 (unsigned long long)lost, stackcap__entries(r->stacks),
				 stackcap__entries(r->stacks) < STACKCAP_ENTRIES_MAX ?
				 stackcap__entries(r->stacks) * 4 : STACKCAP_ENTRIES_MAX);
	}
	for (i = 0; i < r->objs.n; i++)
		for (j = 0; j < bpfobj__nstreams(r->objs.v[i]); j++) {
			const struct bpfobj_stream *s = bpfobj__stream(r->objs.v[i], j);
			struct drain_stats ds = stream_stats(r, s);

			const char *method = bpfobj_stream__loss_method(r->objs.v[i], s);
			uint64_t ring_bytes;
			const struct losswin *win = drain__loss_windows(r->drain, s, end_ns,
									&ring_bytes);
			size_t nwin = win ? win->n : 0;
			char losstxt[160];

			/* "0 lost" only where every loss is counted (ringloss.h);
			 * elsewhere what was counted, and when loss was possible */
			if (method && !strcmp(method, "unobservable") && ds.lost)
				snprintf(losstxt, sizeof(losstxt), "%llu lost counted, more unobservable, "
					 "%zu possible-loss window%s", (unsigned long long)ds.lost, nwin,
					 nwin == 1 ? "" : "s");
			else if (method && !strcmp(method, "unobservable"))
				snprintf(losstxt, sizeof(losstxt), "loss unobservable, %zu possible-loss "
					 "window%s", nwin, nwin == 1 ? "" : "s");
			else
				snprintf(losstxt, sizeof(losstxt), "%llu lost", (unsigned long long)ds.lost);
			info_msg("  %-12s %10llu events  %s%s", bpfobj_stream__name(s),
				 (unsigned long long)ds.events, losstxt,
				 ds.short_events ? "  (some shorter than their type)" : "");
			drained += ds.events;
			lost += ds.lost;
		}
	tprec__summary(r->tp, r->drain);
	/* Why a ring lost events: the writers (encoding and compressing the
	 * blocks) fell behind, and the drain waited for them. */
	if (r->fast_blocks)
		info_msg("  %llu of %llu blocks encoded fast (%s: such blocks cost less to make and "
			 "more bytes)", (unsigned long long)r->fast_blocks, (unsigned long long)r->blocks,
			 r->o->fast_blocks == PIPELINE_FAST ? "--fast-blocks always" :
			 "the writers were behind");
	if (r->faster_blocks)
		info_msg("  %llu of them at zstd level %d (a kernel buffer was half full: the "
			 "events were close to being lost)", (unsigned long long)r->faster_blocks,
			 BLOCK_FASTER_ZSTD_LEVEL);
	if (r->stalls)
		info_msg("  the drain waited %.2f s in all for the writer threads (%llu times: they "
			 "encode and compress slower than events came%s)", r->stall_ns / 1e9,
			 (unsigned long long)r->stalls,
			 lost ? "; the kernel's buffers filled meanwhile" : "");
	if (r->spares)
		info_msg("  the drain took a spare block buffer %llu times instead of waiting for "
			 "the writer threads (the kernel's buffers had less room than the wait)",
			 (unsigned long long)r->spares);
	/* What could not be written, exactly: every event drained or counted
	 * lost is in the index, as a record or a loss row, or said here. */
	if (st.unwritten_records)
		info_msg("  %llu of the events above were not written (the writer stopped): "
			 "the index counts them as lost", (unsigned long long)st.unwritten_records);
	if (st.unindexed_records)
		info_msg("  %llu events were written after the index's last commit: "
			 "'bpfreplay recover %s' indexes them", (unsigned long long)st.unindexed_records,
			 r->o->out_dir);
	if (drained + lost > st.records + st.losses + st.unindexed_records)
		info_msg("  %llu events are neither in the capture nor counted as lost in it: "
			 "the index could not take them (its last commit failed)",
			 (unsigned long long)(drained + lost - st.records - st.losses -
					      st.unindexed_records));
}

/* -ENOSPC: what the capture holds (st), said plainly. */
static void say_disk_full(const struct recorder *r, const struct capw_stats *st)
{
	warn_msg("the disk holding %s is full: recording stopped; the capture holds "
		 "%llu events and counts %llu lost (%llu of them not written)%s",
		 r->o->out_dir, (unsigned long long)st->records, (unsigned long long)st->losses,
		 (unsigned long long)st->unwritten_records,
		 st->end_recorded ? "" : "; its end time could not be recorded: "
		 "verify and info treat it as unfinished");
}

/* The process tree to filter by (with a COMMAND, unless --all; or -p): the
 * kernel's map every object shares, holding the command or PID. */
static int track_process_tree(struct recorder *r)
{
	const struct record_opts *o = r->o;
	int err;

	if ((o->command && !o->all) || o->pid > 0) {
		r->pid_map_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "bpfrec_pids", 4, 1, 65536, NULL);
		if (r->pid_map_fd < 0) {
			err = -errno;
			warn_msg("creating the process-tree map: %s", strerror(-err));
			return err;
		}
	}
	if (o->command) {
		r->cmd = command__fork(o->command);
		if (!r->cmd)
			return -errno;
		return r->pid_map_fd >= 0 ? track_pid(r, command__pid(r->cmd)) : 0;
	}
	return o->pid > 0 ? track_pid(r, o->pid) : 0;
}

/* Everything up to the load: what the kernel side needs (tracefs for
 * tracepoints, a cgroup for sockets), the tracepoints checked, the process
 * tree, the command forked (held), the stack table, the objects loaded.
 * *usage: the failure is the command line's. */
static int set_up_kernel(struct recorder *r, int *usage)
{
	const struct record_opts *o = r->o;
	struct bpfobj_opts base;
	const char *tracing;
	int err;

	bpfobj__setup_libbpf(o->verbose);
	err = setup_signals(r);
	if (err)
		return err;
	if (sysfs__tracefs(&tracing) && !o->nbpf)
		return -ENOENT;
	if (open_cgroup(r) && o->cgroup)
		return -ENOENT;
	/* -e names: checked against tracefs before anything starts. */
	if (!tpsel__empty(o->tpsel)) {
		if (sysfs__tracefs(&tracing))
			return -ENOENT;
		r->tp = tprec__resolve(o->tpsel, tracing);
		if (!r->tp) {
			*usage = errno == EINVAL;
			return -errno;
		}
	}
	if ((err = track_process_tree(r)))
		return err;
	if (record__wants_stacks(o) && !(r->stacks = stackcap__new(o->stack_entries)))
		return -errno;
	/* a failure is said and the recording goes on without it */
	if (r->stacks)
		stackcap__follow_execs(r->stacks, r->pid_map_fd, r->pid_map_fd >= 0, o->kernel_btf);
	base = (struct bpfobj_opts){
		.cgroup_fd = r->cgroup_fd,
		.cgroup_path = r->cgroup_path,
		.pid_map_fd = r->pid_map_fd,
		.btf_custom_path = o->kernel_btf,
		.stack_map_fd = stackcap__map_fd(r->stacks),
		.stack_flags = o->stack_flags,
		.sample_hz = o->sample_hz,
	};
	err = record__load_objects(o, &base, r->tp, &r->objs);
	if (err)
		return err;
	if (!record_objs__nstreams(&r->objs)) {
		warn_msg("nothing to record: no probe or object with a ringbuf or perf event array");
		return -ENOENT;
	}
	return 0;
}

/* The drain thread (this one) and the writer threads it is about to start
 * (they inherit it) ahead of the command, forked before: a busy machine
 * then delays the command's work rather than the recording's, which
 * would lose events.  Without the permission they stay as they are. */
static void boost_threads(const struct record_opts *o)
{
	int before = 0, after, err;

	if (!o->prio_boost)
		return;
	err = prio__boost(o->prio_boost, &before, &after);
	if (err)
		info_msg("--priority-boost %d: %s: the recorder's threads keep nice %d, as the "
			 "command's (a busy machine may then delay the recording and lose events)",
			 o->prio_boost, strerror(-err), before);
}

/* The drain thread (this one) RECORD_DRAIN_AHEAD nice levels further
 * ahead, once the writers have started with the level boost_threads gave:
 * the drain is the thread whose delay loses events (a per-CPU ring of 4
 * MiB holds ~9 ms at 6 M events/s), while the writers' delay is absorbed
 * by the block buffers and fast blocks.  With two CPUs, one busy with the
 * traced loop, the drain shared the other with both writers as their
 * equal and was late often enough that 11 of 72 recordings of the syscall
 * load lost events, against 3 of 72 with the drain ahead.  Quiet when it
 * cannot: boost_threads said so already, or the drain sits at -20. */
static void boost_drain(const struct record_opts *o)
{
	if (o->prio_boost)
		(void)prio__boost(RECORD_DRAIN_AHEAD, NULL, NULL);
}

/* The capture (with its session, objects and streams), the pipeline that
 * writes it and the drain that feeds it, every stream drained. */
static int set_up_capture(struct recorder *r)
{
	const struct record_opts *o = r->o;
	struct capw_opts co = { .zstd_level = 1, .ring_bytes = o->ring_bytes,
				.ring_ns = o->ring_ns };
	struct pipeline_opts po = { .flush_ns = o->flush_ns, .zstd_level = co.zstd_level,
				    .chain_blocks = o->chain_blocks ? o->chain_blocks :
						    RECORD_CHAIN_DEFAULT,
				    .effort = (enum pipeline_effort)o->fast_blocks,
				    .spare_bufs = RECORD_SPARE_BUFS };
	struct drain_opts dopts = { .perf_pages = o->perf_pages };
	struct drain_sink sink = { sink_append, sink_loss, NULL, sink_append_run };
	size_t j;
	int i, err;

	r->cap = capw__create(o->out_dir, &co);
	if (!r->cap)
		return -errno;
	err = record__register_capture(r->cap, &r->objs, o->full_btf, bpfrec_argc, bpfrec_argv,
				       &r->start_ns);
	/* the host's user and group names, read again at the end */
	if (!err && !o->no_user_names)
		err = usernames__record(r->cap);
	/* Committed at once: a reader of the live capture finds the session
	 * and its streams from the start, not one flush interval later. */
	if (!err)
		err = capw__flush(r->cap);
	if (err)
		return err;
	if (!(r->progs = progsync__new(&r->objs)))
		return -errno;
	boost_threads(o);
	r->pl = pipeline__start(r->cap, &po);
	if (!r->pl)
		return -ENOMEM;
	boost_drain(o);
	sink.ctx = r->pl;
	r->drain = drain__new(&sink, &dopts);
	if (!r->drain)
		return -errno;
	if (r->pid_map_fd >= 0 && o->nbpf) {
		struct drain_pid_filter f = { tree_keep, tree_refresh, r };

		drain__set_pid_filter(r->drain, &f);
	}
	if (r->stacks) {
		struct drain_stack_hook h = { stack_note, r->stacks };

		drain__set_stack_hook(r->drain, &h);
	}
	for (i = 0; i < r->objs.n; i++)
		for (j = 0; j < bpfobj__nstreams(r->objs.v[i]); j++)
			if ((err = drain__add(r->drain, r->objs.v[i], bpfobj__stream(r->objs.v[i], j))))
				return err;
	return 0;
}

/* The accounting identity, per stream, from the first event after attach
 * to the last before detach: produced = recorded + lost (counted) +
 * dropped by ring mode (counted).  So the programs attach only now that
 * every stream is drained, the loss counters' values at attach are the
 * baseline (all 0 in maps this run created), and run() detaches them
 * before the final drain. */
static int attach(struct recorder *r)
{
	int i, err;

	for (i = 0; i < r->objs.n; i++)
		bpfobj__poll_lost(r->objs.v[i], ignore_lost, NULL);
	tprec__poll_lost(r->tp, NULL, 0);
	err = record__attach(r->o, &r->objs);
	/* where each program attached, and how each stream's loss is known:
	 * in the capture's first commit with events, not only at its end */
	if (!err)
		err = progsync__send(r->progs, &r->objs, r->drain, r->pl);
	return err;
}

/* One turn of the loop after a drain pass: signals, time, the writer's
 * health, snapshots, losses, the status line.  1: stop; <0: failed. */
static int after_pass(struct recorder *r, struct rate_state *rs, uint64_t *last_tick, int show)
{
	const struct record_opts *o = r->o;
	uint64_t now = now_boot_ns();
	int stop, err;

	stop = handle_signals(r, now);
	if (o->duration_ns && now - r->start_ns >= o->duration_ns)
		stop = 1;
	if ((err = pipeline__error(r->pl)))
		return err;
	if (o->snapshot_ns && now - r->last_snapshot_ns >= o->snapshot_ns) {
		if ((err = record__snapshot_maps(r->drain, &r->objs, now)))
			return err;
		r->last_snapshot_ns = now;
	}
	if (r->snapshot_req) {
		/* Flight recorder: the losses and maps of now, then what is
		 * held goes to DIR/snapshot-N (on the writer thread). */
		r->snapshot_req = 0;
		poll_losses(r);
		record__sync_stacks(r->stacks, r->pl, !o->no_symbols);
		if ((err = progsync__send(r->progs, &r->objs, r->drain, r->pl)))
			return err;
		if ((err = record__snapshot_maps(r->drain, &r->objs, now)))
			return err;
		r->last_snapshot_ns = now;
		pipeline__snapshot(r->pl);
	}
	if (now - r->progs_synced_ns >= 2000000000ull) {
		/* the possible-loss windows closed since, for the same reasons */
		if ((err = progsync__send(r->progs, &r->objs, r->drain, r->pl)))
			return err;
		r->progs_synced_ns = now;
	}
	if (r->stacks && now - r->stacks_synced_ns >= 2000000000ull) {
		/* for crashes, snapshots and catalog.db */
		record__sync_stacks(r->stacks, r->pl, !o->no_symbols);
		r->stacks_synced_ns = now;
	}
	if (now - *last_tick >= 100000000ull) {
		poll_losses(r);
		pipeline__tick(r->pl, now);
		*last_tick = now;
	}
	if (show && now - rs->last_ns >= 1000000000ull)
		status_line(r, rs, now);
	return stop;
}

/* Lets the command run and drains until it exits, the time is up or a
 * signal says stop; then detaches and drains the rest: the command's exit
 * event and anything else still in the buffers, the final loss counts and
 * the maps' last snapshot. */
static int run(struct recorder *r)
{
	const struct record_opts *o = r->o;
	size_t nstreams = record_objs__nstreams(&r->objs);
	struct rate_state rs = { 0 };
	int show = o->status == 1 || (o->status == -1 && isatty(STDERR_FILENO) && !o->quiet);
	uint64_t last_tick;
	int i, err = 0;

	rs.last_events = calloc(nstreams ? nstreams : 1, sizeof(*rs.last_events));
	rs.last_wakeups = calloc(nstreams ? nstreams : 1, sizeof(*rs.last_wakeups));
	if (!rs.last_events || !rs.last_wakeups) {
		err = -ENOMEM;
		goto out;
	}
	info_msg("recording to %s%s", o->out_dir,
		 o->command ? "" : o->duration_ns ? "" : " (Ctrl-C to stop)");
	command__start(r->cmd);
	last_tick = rs.last_ns = r->last_snapshot_ns = now_boot_ns();
	while (!err) {
		int n = drain__poll(r->drain, r->sigfd);

		stackcap__poll(r->stacks);
		/* the writers' backlog, for the blocks the next pass hands over */
		pipeline__backlog(r->pl, drain__fill_permille(r->drain));
		pipeline__headroom(r->pl, drain__headroom_ns(r->drain));
		err = n < 0 ? n : after_pass(r, &rs, &last_tick, show);
	}
	if (err > 0)
		err = 0;   /* stopped */
	command__stop(r->cmd);
	/* No event after this one. */
	for (i = 0; i < r->objs.n; i++)
		bpfobj__detach(r->objs.v[i]);
	if (!err)
		err = drain__final(r->drain);
	if (err > 0)
		err = 0;
	stackcap__poll(r->stacks);   /* the command's exit is in there */
	poll_losses(r);
	if (!err)
		err = record__snapshot_maps(r->drain, &r->objs, now_boot_ns());
out:
	free(rs.last_events);
	free(rs.last_wakeups);
	return err;
}

/* Finishes what set-up and run() left: the command ended, the writer
 * stopped, the stacks and symbols written, the capture finished and
 * summed up; then frees everything.  Returns bpfrec's exit status. */
static int finish(struct recorder *r, int err, int usage)
{
	const struct record_opts *o = r->o;
	uint64_t end_ns;
	int status = 0;

	command__abandon(r->cmd);
	end_ns = now_boot_ns();
	if (r->pl) {
		int werr = pipeline__stop(r->pl);

		if (werr && !err)
			err = werr;
		pipeline__stalls(r->pl, &r->stalls, &r->stall_ns);
		pipeline__blocks(r->pl, &r->blocks, &r->fast_blocks);
		r->faster_blocks = pipeline__blocks_faster(r->pl);
		r->spares = pipeline__spares_taken(r->pl);
		pipeline__free(r->pl);
	}
	if (r->cap) {
		struct capw_stats st;
		int e;

		/* The writer threads are done: the stacks and symbols go in last. */
		if (r->stacks && (e = stackcap__write(r->stacks, r->cap, !o->no_symbols)) && !err)
			err = e;
		/* and what became of each program, how each stream's loss is known */
		if ((e = progsync__finish(r->progs, &r->objs, r->drain, r->cap, end_ns)) && !err)
			err = e;
		/* and the users and groups created while it recorded */
		if (!o->no_user_names && (e = usernames__record(r->cap)) && !err)
			err = e;
		/* Finished first, so that the summary says what the capture holds;
		 * printed once closed, so that its size is the final one. */
		if ((e = capw__finish(r->cap, end_ns)) && !err)
			err = e;
		capw__stats(r->cap, &st);
		capw__close(r->cap, end_ns);
		r->cap = NULL;
		print_summary(r, &st, end_ns);
		if (err == -ENOSPC)
			say_disk_full(r, &st);
	}
	if (r->cmd && !err) {
		/* The command's status is bpfrec's, as with time(1) and strace. */
		int cs = command__exit_status(r->cmd);

		if (cs >= 0)
			status = cs;
	}
	drain__free(r->drain);   /* after the summary, which reads its counters */
	progsync__free(r->progs);
	record_objs__free(&r->objs);
	tprec__free(r->tp);
	command__free(r->cmd);
	if (r->pid_map_fd >= 0)
		close(r->pid_map_fd);
	if (r->cgroup_fd >= 0)
		close(r->cgroup_fd);
	if (r->sigfd >= 0)
		close(r->sigfd);
	stackcap__free(r->stacks);
	free(r->tree);
	return usage ? EXIT_USAGE : err ? EXIT_FAIL : status;
}

/* Checks that need no kernel: root, and a usable capture directory (the
 * default name made here).  0, or bpfrec's exit status. */
static int preflight(struct record_opts *o)
{
	if (!o->out_dir) {
		time_t t = time(NULL);
		struct tm tm;

		localtime_r(&t, &tm);
		strftime(o->out_default, sizeof(o->out_default), "bpfrec-%Y%m%d-%H%M%S", &tm);
		o->out_dir = o->out_default;
	}
	if (geteuid() != 0) {
		warn_msg("record needs root (CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN): run it with sudo");
		return EXIT_FAIL;
	}
	return record__check_capture_dir(o->out_dir) ? EXIT_FAIL : 0;
}

int cmd_record(int argc, char **argv)
{
	struct record_opts o = { 0 };
	struct recorder r = { .o = &o, .pid_map_fd = -1, .cgroup_fd = -1, .sigfd = -1 };
	int err, usage = 0, status;

	if (record__parse_args(argc, argv, &o)) {
		tpsel__free(o.tpsel);
		return EXIT_USAGE;
	}
	util_quiet = o.quiet;
	status = preflight(&o);
	if (status) {
		tpsel__free(o.tpsel);
		return status;
	}
	err = set_up_kernel(&r, &usage);
	if (!err)
		err = set_up_capture(&r);
	if (!err)
		err = attach(&r);
	if (!err)
		err = run(&r);
	status = finish(&r, err, usage);
	tpsel__free(o.tpsel);
	return status;
}
