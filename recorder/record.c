/* record.c - `bpfrec record`: the session's life cycle: set up, drain
 * until the command exits, the time is up or a signal comes, finish the
 * capture cleanly. */
#include "cmds.h"
#include "probes.h"
#include "record.h"
#include "capsize.h"
#include "sysfs.h"
#include "util.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

/* The drain's sink: the pipeline. */
static int sink_append(void *ctx, uint32_t stream_id, uint32_t cpu, uint64_t ts_ns,
		       const void *data, uint32_t len)
{
	return pipeline__append(ctx, stream_id, cpu, ts_ns, data, len);
}

static void sink_loss(void *ctx, uint32_t stream_id, uint32_t cpu, uint64_t ts_ns, uint64_t n)
{
	pipeline__loss(ctx, stream_id, cpu, ts_ns, n);
}

/* A stream's counters; all 0 before the drain exists. */
static struct drain_stats stream_stats(const struct recorder *r, const struct bpfobj_stream *s)
{
	struct drain_stats st = { 0 };

	if (r->drain)
		drain__stats(r->drain, s, -1, &st);
	return st;
}

static void stack_note(void *ctx, uint32_t pid, int32_t ustack, int32_t kstack)
{
	stackcap__note(ctx, pid, ustack, kstack);
}

static void ignore_lost(struct bpfobj_stream *s, int cpu, uint64_t delta, void *ctx)
{
}

static void poll_losses(struct recorder *r)
{
	int i;

	for (i = 0; i < r->nobjs; i++)
		bpfobj__poll_lost(r->objs[i], on_lost, r);
	tprec__poll_lost(r->tp, r->drain, now_boot_ns());
}

struct rate_state {
	uint64_t last_ns;
	uint64_t last_events[RECORD_MAX_OBJS + 8][8];
	uint64_t last_wakeups[RECORD_MAX_OBJS + 8][8];
};

static void status_line(struct recorder *r, struct rate_state *rs, uint64_t now)
{
	struct capw_stats st;
	double dt = (now - rs->last_ns) / 1e9;
	char line[1024], b1[32];
	size_t n = 0;
	uint64_t lost = 0;
	int i, j, unobservable = 0;

	if (dt <= 0)
		return;
	n += snprintf(line + n, sizeof(line) - n, "%5.0fs ", (now - r->start_ns) / 1e9);
	for (i = 0; i < r->nobjs; i++) {
		for (j = 0; j < (int)bpfobj__nstreams(r->objs[i]) && j < 8; j++) {
			const struct bpfobj_stream *s = bpfobj__stream(r->objs[i], (size_t)j);
			struct drain_stats ds = stream_stats(r, s);

			if (n < sizeof(line) - 64)
				n += snprintf(line + n, sizeof(line) - n, " %s %.0f/s", bpfobj_stream__name(s),
					      (ds.events - rs->last_events[i][j]) / dt);
			/* A producer that asks for a wakeup per event pays 5-12 us each. */
			if ((ds.wakeups - rs->last_wakeups[i][j]) / dt > 100 && n < sizeof(line) - 64)
				n += snprintf(line + n, sizeof(line) - n,
					      " (wakes per event: submit with BPF_RB_NO_WAKEUP)");
			rs->last_events[i][j] = ds.events;
			rs->last_wakeups[i][j] = ds.wakeups;
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

/* How long the command has to exit after a forwarded SIGINT/SIGTERM
 * before it is killed and the capture finished without it. */
#define CHILD_GRACE_NS 2000000000ull

/* 1 when recording should stop.  SIGINT, SIGTERM or SIGHUP while the
 * command runs go to the command first, as perf does: the recording goes on
 * until it exits (its last events are recorded), CHILD_GRACE_NS at most;
 * a second signal stops at once. */
static int handle_signals(struct recorder *r, uint64_t now)
{
	struct signalfd_siginfo si;
	int stop = 0;

	while (read(r->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			int status;

			if (r->child > 0 && waitpid(r->child, &status, WNOHANG) == r->child) {
				r->child_status = status;
				r->child = 0;
				stop = 1;
			}
		} else if (si.ssi_signo == SIGUSR1) {
			r->snapshot_req = 1;
		} else if (r->child > 0 && r->child_gate < 0 && !r->stop_signal) {
			r->stop_signal = (int)si.ssi_signo;
			r->child_deadline_ns = now + CHILD_GRACE_NS;
			kill(r->child, (int)si.ssi_signo);
		} else {
			stop = 1;
		}
	}
	if (!stop && r->child > 0 && r->stop_signal && now >= r->child_deadline_ns) {
		warn_msg("the command (pid %d) did not exit within %llu s of %s: killed", r->child,
			 CHILD_GRACE_NS / 1000000000ull, strsignal(r->stop_signal));
		stop = 1;
	}
	return stop;
}

/* A command still running when the recording ends because of a signal was
 * given the signal and its grace period: it goes too, never an orphan. */
static void kill_child(struct recorder *r)
{
	if (r->child > 0 && r->child_gate < 0 && r->stop_signal) {
		kill(r->child, SIGKILL);
		if (waitpid(r->child, &r->child_status, 0) == r->child)
			r->child = 0;
	}
}

static int capture_dir_usable(const char *dir)
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

/* Called once the capture is closed (index.db one file again), so that "on
 * disk" is what `bpfreplay info` says: capsize.h's one definition. */
static void print_summary(struct recorder *r, const struct capw_stats *stp, uint64_t end_ns)
{
	struct capw_stats st = *stp;
	struct cap_disk disk;
	char b1[64], b2[64];
	int i, j;

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
		info_msg("  stacks: %llu distinct", (unsigned long long)nstacks);
		if (lost)
			info_msg("  stacks: %llu events lost their stack (the table of %d was full)",
				 (unsigned long long)lost, STACKCAP_ENTRIES);
	}
	uint64_t drained = 0, lost = 0;
	for (i = 0; i < r->nobjs; i++)
		for (j = 0; j < (int)bpfobj__nstreams(r->objs[i]); j++) {
			const struct bpfobj_stream *s = bpfobj__stream(r->objs[i], (size_t)j);
			struct drain_stats ds = stream_stats(r, s);

			/* "0 lost" only where every loss is counted (ringloss.h) */
			info_msg("  %-12s %10llu events  %llu lost%s%s", bpfobj_stream__name(s),
				 (unsigned long long)ds.events, (unsigned long long)ds.lost,
				 bpfobj_stream__loss_unobservable(s) ? " counted, more unobservable" : "",
				 ds.short_events ? "  (some shorter than their type)" : "");
			drained += ds.events;
			lost += ds.lost;
		}
	tprec__summary(r->tp, r->drain);
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

int cmd_record(int argc, char **argv)
{
	struct record_opts o = { 0 };
	struct recorder r = { .o = &o, .pid_map_fd = -1, .cgroup_fd = -1, .child_gate = -1,
			      .sigfd = -1 };
	struct pipeline_opts po = { 0 };
	struct drain_opts dopts = { 0 };
	struct capw_opts co = { 0 };
	struct rate_state rs = { 0 };
	struct drain_sink sink = { sink_append, sink_loss, NULL };
	int err, i, j, created = 0, stopping = 0, show_status, status = 0, usage = 0;
	uint64_t now, last_tick, end_ns;

	err = record__parse_args(argc, argv, &o);
	if (err) {
		tpsel__free(o.tpsel);
		return EXIT_USAGE;
	}
	util_quiet = o.quiet;
	if (!o.out_dir) {
		time_t t = time(NULL);
		struct tm tm;

		localtime_r(&t, &tm);
		strftime(o.out_default, sizeof(o.out_default), "bpfrec-%Y%m%d-%H%M%S", &tm);
		o.out_dir = o.out_default;
	}
	if (geteuid() != 0) {
		warn_msg("record needs root (CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN): run it with sudo");
		tpsel__free(o.tpsel);
		return EXIT_FAIL;
	}
	err = capture_dir_usable(o.out_dir);
	if (err) {
		tpsel__free(o.tpsel);
		return EXIT_FAIL;
	}
	bpfobj__setup_libbpf(o.verbose);
	err = setup_signals(&r);
	if (err)
		goto out;

	/* What the kernel side needs: tracefs for tracepoints, a cgroup for sockets. */
	if (sysfs__tracefs(NULL) && !o.nbpf) {
		err = -ENOENT;
		goto out;
	}
	if (open_cgroup(&r) && o.cgroup) {
		err = -ENOENT;
		goto out;
	}
	/* -e names: checked against tracefs before anything starts. */
	if ((err = record__resolve_tracepoints(&r))) {
		usage = err == -EINVAL;
		goto out;
	}
	if ((o.command && !o.all) || o.pid > 0) {
		r.pid_map_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "bpfrec_pids", 4, 1, 65536, NULL);
		if (r.pid_map_fd < 0) {
			err = -errno;
			warn_msg("creating the process-tree map: %s", strerror(-err));
			goto out;
		}
	}
	if (o.command) {
		err = record__fork_child(&r);
		if (err)
			goto out;
		if (r.pid_map_fd >= 0 && (err = track_pid(&r, r.child)))
			goto out;
	} else if (o.pid > 0 && (err = track_pid(&r, o.pid))) {
		goto out;
	}

	if (record__wants_stacks(&o) && (err = stackcap__new(&r.stacks)))
		goto out;
	if (r.stacks) {
		struct bpfobj_opts eo = record__obj_opts(&r, 1);

		/* a failure is said and the recording goes on without it */
		stackcap__follow_execs(r.stacks, eo.pid_map_fd, eo.filter_pids, eo.btf_custom_path);
	}
	err = record__load_builtins(&r);
	if (!err)
		err = record__load_user_objects(&r);
	if (!err)
		err = record__load_tracepoints(&r);
	if (err)
		goto out;
	for (i = 0, j = 0; i < r.nobjs; i++)
		j += (int)bpfobj__nstreams(r.objs[i]);
	if (!j) {
		warn_msg("nothing to record: no probe or object with a ringbuf or perf event array");
		err = -ENOENT;
		goto out;
	}

	co.zstd_level = 1;
	co.ring_bytes = o.ring_bytes;
	co.ring_ns = o.ring_ns;
	r.cap = capw__create(o.out_dir, &co);
	if (!r.cap) {
		err = -errno;
		goto out;
	}
	created = 1;
	/* Committed at once: a reader of the live capture finds the session
	 * and its streams from the start, not one flush interval later. */
	err = record__register_capture(&r, bpfrec_argc, bpfrec_argv);
	if (!err)
		err = capw__flush(r.cap);
	if (err)
		goto out;
	po.flush_ns = o.flush_ns;
	po.zstd_level = co.zstd_level;
	r.pl = pipeline__start(r.cap, &po);
	if (!r.pl) {
		err = -ENOMEM;
		goto out;
	}
	dopts.perf_pages = o.perf_pages;
	sink.ctx = r.pl;
	r.drain = drain__new(&sink, &dopts);
	if (!r.drain) {
		err = -errno;
		goto out;
	}
	if (r.pid_map_fd >= 0 && o.nbpf) {
		struct drain_pid_filter f = { tree_keep, tree_refresh, &r };

		drain__set_pid_filter(r.drain, &f);
	}
	if (r.stacks) {
		struct drain_stack_hook h = { stack_note, r.stacks };

		drain__set_stack_hook(r.drain, &h);
	}
	for (i = 0; i < r.nobjs; i++)
		for (j = 0; j < (int)bpfobj__nstreams(r.objs[i]); j++)
			if ((err = drain__add(r.drain, r.objs[i], bpfobj__stream(r.objs[i], (size_t)j))))
				goto out;

	/* The accounting identity, per stream, from the first event after
	 * attach to the last before detach: produced = recorded + lost
	 * (counted) + dropped by ring mode (counted).  So the programs attach
	 * only now that every stream is drained, the loss counters' values at
	 * attach are the baseline (all 0 in maps this run created), and the
	 * programs are detached before the final drain. */
	for (i = 0; i < r.nobjs; i++)
		bpfobj__poll_lost(r.objs[i], ignore_lost, NULL);
	tprec__poll_lost(r.tp, NULL, 0);
	if ((err = record__attach(&r)))
		goto out;
	show_status = o.status == 1 || (o.status == -1 && isatty(STDERR_FILENO) && !o.quiet);
	info_msg("recording to %s%s", o.out_dir,
		 o.command ? "" : o.duration_ns ? "" : " (Ctrl-C to stop)");
	record__start_child(&r);
	last_tick = rs.last_ns = r.last_snapshot_ns = now_boot_ns();
	while (!stopping) {
		int n = drain__poll(r.drain, r.sigfd);

		stackcap__poll(r.stacks);
		if (n < 0) {
			err = n;
			break;
		}
		now = now_boot_ns();
		stopping = handle_signals(&r, now);
		if (o.duration_ns && now - r.start_ns >= o.duration_ns)
			stopping = 1;
		if (pipeline__error(r.pl)) {
			err = pipeline__error(r.pl);
			break;
		}
		if (o.snapshot_ns && now - r.last_snapshot_ns >= o.snapshot_ns &&
		    (err = record__snapshot_maps(&r, now)))
			break;
		if (r.snapshot_req) {
			/* Flight recorder: the losses and maps of now, then what is
			 * held goes to DIR/snapshot-N (on the writer thread). */
			r.snapshot_req = 0;
			poll_losses(&r);
			if ((err = record__snapshot_maps(&r, now)))
				break;
			pipeline__snapshot(r.pl);
		}
		if (now - last_tick >= 100000000ull) {
			poll_losses(&r);
			pipeline__tick(r.pl, now);
			last_tick = now;
		}
		if (show_status && now - rs.last_ns >= 1000000000ull)
			status_line(&r, &rs, now);
	}
	kill_child(&r);
	/* No event after this one: then the exit event of the command and
	 * anything else still in the buffers, and the final loss counts. */
	for (i = 0; i < r.nobjs; i++)
		bpfobj__detach(r.objs[i]);
	if (!err)
		err = drain__final(r.drain);
	if (err > 0)
		err = 0;
	stackcap__poll(r.stacks);   /* the command's exit is in there */
	poll_losses(&r);
	if (!err)
		err = record__snapshot_maps(&r, now_boot_ns());
out:
	if (r.child > 0) {
		/* The command outlives an aborted or interrupted recording: stop it
		 * only if it never started. */
		if (r.child_gate >= 0) {
			/* Never started: closing the gate makes it exit at once. */
			close(r.child_gate);
			r.child_gate = -1;
			waitpid(r.child, &r.child_status, 0);
			r.child = 0;
		} else {
			pid_t w = waitpid(r.child, &r.child_status, WNOHANG);

			if (w == 0)
				info_msg("recording stopped; the command (pid %d) keeps running", r.child);
			else if (w == r.child)
				r.child = 0;
		}
	}
	end_ns = now_boot_ns();
	if (r.pl) {
		int werr = pipeline__stop(r.pl);

		if (werr && !err)
			err = werr;
		pipeline__free(r.pl);
	}
	/* The writer threads are done: the stacks and symbols go in last. */
	if (r.cap && r.stacks && (!err || created)) {
		int serr = stackcap__write(r.stacks, r.cap, !o.no_symbols);

		if (serr && !err)
			err = serr;
	}
	if (r.cap) {
		/* Finished first, so that the summary says what the capture holds;
		 * printed once closed, so that its size is the final one. */
		int cerr = capw__finish(r.cap, end_ns);
		struct capw_stats st;

		if (cerr && !err)
			err = cerr;
		capw__stats(r.cap, &st);
		capw__close(r.cap, end_ns);
		r.cap = NULL;
		if (!err || created)
			print_summary(&r, &st, end_ns);
		if (err == -ENOSPC)
			warn_msg("the disk holding %s is full: recording stopped; the capture holds "
				 "%llu events and counts %llu lost (%llu of them not written)%s",
				 o.out_dir, (unsigned long long)st.records,
				 (unsigned long long)st.losses,
				 (unsigned long long)st.unwritten_records,
				 st.end_recorded ? "" : "; its end time could not be recorded: "
				 "verify and info treat it as unfinished");
	}
	if (o.command && r.child == 0 && !err) {
		/* The command's status is bpfrec's, as with time(1) and strace. */
		if (WIFEXITED(r.child_status)) {
			info_msg("command exited with status %d", WEXITSTATUS(r.child_status));
			status = WEXITSTATUS(r.child_status);
		} else if (WIFSIGNALED(r.child_status)) {
			info_msg("command killed by signal %d (%s)", WTERMSIG(r.child_status),
				 strsignal(WTERMSIG(r.child_status)));
			status = 128 + WTERMSIG(r.child_status);
		}
	}
	drain__free(r.drain);   /* after the summary, which reads its counters */
	for (i = 0; i < r.nobjs; i++)
		bpfobj__close(r.objs[i]);
	tprec__free(r.tp);
	tpsel__free(o.tpsel);
	if (r.pid_map_fd >= 0)
		close(r.pid_map_fd);
	if (r.cgroup_fd >= 0)
		close(r.cgroup_fd);
	if (r.sigfd >= 0)
		close(r.sigfd);
	stackcap__free(r.stacks);
	free(r.snap_buf);
	free(r.tree);
	return usage ? EXIT_USAGE : err ? EXIT_FAIL : status;
}
