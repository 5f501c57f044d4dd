/* record.c - `bpfrec record`: load, attach, drain, write, finish cleanly. */
#include "bpfobj.h"
#include "cmds.h"
#include "drain.h"
#include "pipeline.h"
#include "probes.h"
#include "sysfs.h"
#include "util.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capw.h"

#define MAX_OBJS 32
#define MAX_SETS 64

struct record_opts {
	const char *out_dir;
	char out_default[64];
	const char *probes[16];
	int nprobes;
	int probes_given;            /* --probe seen: failures are errors */
	const char *bpf_files[MAX_OBJS];
	int nbpf;
	const char *sets[MAX_SETS];  /* NAME=VALUE */
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
	char *only[64], *skip[64];   /* program names, --bpf objects */
	int nonly, nskip;
	const char *rb_sizes[32];    /* MAP=BYTES, validated */
	int nrb_sizes;
	const char *events[32];      /* MAP=STRUCT */
	int nevents;
	uint64_t snapshot_ns;        /* 0: snapshot maps at the end only */
	uint64_t ring_bytes, ring_ns; /* --ring, --ring-time: flight recorder */
	char **command;              /* after -- */
};

struct recorder {
	struct record_opts *o;
	struct capw *cap;
	struct pipeline *pl;
	struct drain *drain;
	struct bpfobj *objs[MAX_OBJS + 8];
	int nobjs;
	int pid_map_fd;
	int cgroup_fd;
	char cgroup_path[4096];
	pid_t child;
	int child_gate;              /* write end: closing it lets the child exec */
	int child_status;
	int sigfd;
	uint64_t start_ns;
	uint64_t total_lost;
	uint64_t last_snapshot_ns;
	uint8_t rb_hit[32], only_hit[64], skip_hit[64], event_hit[32];
	uint32_t *tree;              /* the tracked tgids, sorted (user objects' filter) */
	size_t ntree, tree_cap;
	uint8_t *snap_buf;           /* key + every CPU's value, for snapshots */
	size_t snap_len;
	int snapshot_req;            /* SIGUSR1 seen: write CAPTURE/snapshot-N */
};

static void record_usage(FILE *f)
{
	fprintf(f,
"usage: bpfrec record [-o DIR] [--probe LIST] [--bpf FILE.bpf.o]... [--duration S]\n"
"                     [-p PID] [--cgroup PATH] [--all] [-- COMMAND [ARGS...]]\n"
"\n"
"Records BPF events into a capture directory (segments + index.db) that\n"
"bpfreplay reads offline.  Without COMMAND or --duration, records until Ctrl-C.\n"
"\n"
"  -o, --output DIR        capture directory to create (default bpfrec-DATE-TIME)\n"
"      --probe LIST        built-in probes, comma-separated (default: every one the\n"
"                          kernel supports; `bpfrec probes` lists them); 'none' for none\n"
"      --bpf FILE          also load and record a BPF object (repeatable)\n"
"      --set NAME=VALUE    set a global of the --bpf objects before load (repeatable)\n"
"      --kernel-btf FILE   kernel BTF for CO-RE when /sys/kernel/btf/vmlinux is missing\n"
"  -d, --duration S        stop after S (10, 1.5s, 500ms, 2m)\n"
"  -p, --pid PID           keep only events of process PID and of its children\n"
"      --cgroup PATH       cgroup v2 directory for socket hooks (default: the root of\n"
"                          the cgroup v2 hierarchy)\n"
"      --all               with COMMAND: keep every process's events, not only the\n"
"                          command's process tree\n"
"      --flush-interval S  commit blocks to disk at least this often (default 1s)\n"
"      --ring SIZE         flight recorder: keep only the newest SIZE of events on disk\n"
"                          (at least 1M; the oldest eighths are dropped); SIGUSR1\n"
"                          writes what is held to DIR/snapshot-N\n"
"      --ring-time S       flight recorder: keep only the last S (at least 1s)\n"
"      --perf-pages N      pages per CPU of each perf buffer, a power of 2 (default 64)\n"
"      --status / --no-status   one status line per second on stderr (default: on a\n"
"                          terminal)\n"
"  -q, --quiet             only errors\n"
"  -v, --verbose           libbpf's messages too (-vv: all of them)\n"
"  -h, --help              this text\n"
"\n"
"Examples:\n"
"  bpfrec record -o /tmp/cap -- curl -s http://127.0.0.1:8080/\n"
"  bpfrec record -o /tmp/cap --probe exec,exit --duration 10s\n"
"  bpfrec record -o /tmp/cap --bpf mytool.bpf.o --set target_pid=1234 -d 30s\n"
"  bpfrec record -o /tmp/fr --ring 64M &  kill -USR1 $!   # flight recorder, snapshot\n"
"  bpfreplay show /tmp/cap\n");
}

static int add_probe_list(struct record_opts *o, char *list)
{
	char *save = NULL, *tok;

	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const struct builtin_probe *p = probes__find(tok);

		if (!strcmp(tok, "none"))
			continue;
		if (!p || p->hidden) {
			warn_msg("--probe %s: no such built-in probe (exec, exit, connect, sock)", tok);
			return -EINVAL;
		}
		if (o->nprobes == (int)(sizeof(o->probes) / sizeof(o->probes[0])))
			return -E2BIG;
		o->probes[o->nprobes++] = p->name;
	}
	return 0;
}

static int add_name_list(char **names, int *n, char *list, const char *opt)
{
	char *save = NULL, *tok;

	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (*n == 64) {
			warn_msg("%s: at most 64 names", opt);
			return -E2BIG;
		}
		names[(*n)++] = tok;
	}
	return 0;
}

/* MAP=BYTES where BYTES is what the kernel takes for a ringbuf: a power of
 * 2, a multiple of the page size.  The error says the rule and the nearest
 * valid size. */
static int check_ringbuf_size(const char *arg)
{
	const char *eq = strchr(arg, '=');
	uint64_t v, page = (uint64_t)sysconf(_SC_PAGESIZE), lo, hi;

	if (!eq || eq == arg || parse_size(eq + 1, &v)) {
		warn_msg("--ringbuf-size %s: expected MAP=BYTES (e.g. events=4M)", arg);
		return -EINVAL;
	}
	if (v >= page && !(v & (v - 1)) && v <= (1ull << 30))
		return 0;
	for (hi = page; hi < v && hi < (1ull << 30); hi <<= 1)
		;
	lo = hi > v && hi > page ? hi >> 1 : hi;   /* largest valid size <= v, if any */
	warn_msg("--ringbuf-size %s: a ringbuf's size must be a power of 2 and a multiple of "
		 "the page size (%llu), at most 1G: the nearest valid size is %llu", arg,
		 (unsigned long long)page,
		 (unsigned long long)(v >= hi ? hi : v - lo <= hi - v && lo <= v ? lo : hi));
	return -EINVAL;
}

static int parse_record_args(int argc, char **argv, struct record_opts *o)
{
	enum { OPT_PROBE = 256, OPT_BPF, OPT_SET, OPT_CGROUP, OPT_ALL, OPT_FLUSH, OPT_PERF_PAGES,
	       OPT_STATUS, OPT_NO_STATUS, OPT_KERNEL_BTF, OPT_ONLY, OPT_SKIP, OPT_EVENT,
	       OPT_RB_SIZE, OPT_SNAPSHOT, OPT_RING, OPT_RING_TIME };
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "probe", required_argument, NULL, OPT_PROBE },
		{ "bpf", required_argument, NULL, OPT_BPF },
		{ "set", required_argument, NULL, OPT_SET },
		{ "duration", required_argument, NULL, 'd' },
		{ "pid", required_argument, NULL, 'p' },
		{ "cgroup", required_argument, NULL, OPT_CGROUP },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "flush-interval", required_argument, NULL, OPT_FLUSH },
		{ "perf-pages", required_argument, NULL, OPT_PERF_PAGES },
		{ "status", no_argument, NULL, OPT_STATUS },
		{ "no-status", no_argument, NULL, OPT_NO_STATUS },
		{ "kernel-btf", required_argument, NULL, OPT_KERNEL_BTF },
		{ "only", required_argument, NULL, OPT_ONLY },
		{ "skip", required_argument, NULL, OPT_SKIP },
		{ "event", required_argument, NULL, OPT_EVENT },
		{ "ringbuf-size", required_argument, NULL, OPT_RB_SIZE },
		{ "snapshot-interval", required_argument, NULL, OPT_SNAPSHOT },
		{ "ring", required_argument, NULL, OPT_RING },
		{ "ring-time", required_argument, NULL, OPT_RING_TIME },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL },
	};
	uint64_t v;
	char *end;
	int c;

	o->status = -1;
	o->pid = -1;
	optind = 1;
	/* '+': stop at the first non-option, so COMMAND's own options stay its own. */
	while ((c = getopt_long(argc, argv, "+o:d:p:qvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o->out_dir = optarg;
			break;
		case OPT_PROBE:
			o->probes_given = 1;
			if (add_probe_list(o, optarg))
				return -EINVAL;
			break;
		case OPT_BPF:
			if (o->nbpf == MAX_OBJS) {
				warn_msg("--bpf: at most %d objects", MAX_OBJS);
				return -EINVAL;
			}
			o->bpf_files[o->nbpf++] = optarg;
			break;
		case OPT_SET:
			if (!strchr(optarg, '=') || optarg[0] == '=') {
				warn_msg("--set %s: expected NAME=VALUE", optarg);
				return -EINVAL;
			}
			if (o->nsets == MAX_SETS)
				return -E2BIG;
			o->sets[o->nsets++] = optarg;
			break;
		case 'd':
			if (parse_duration_ns(optarg, &o->duration_ns) || !o->duration_ns) {
				warn_msg("--duration %s: expected a positive time such as 10, 1.5s, 500ms, 2m",
					 optarg);
				return -EINVAL;
			}
			break;
		case 'p':
			errno = 0;
			o->pid = (int)strtol(optarg, &end, 10);
			if (errno || *end || o->pid <= 0) {
				warn_msg("--pid %s: expected a process id", optarg);
				return -EINVAL;
			}
			if (kill(o->pid, 0) && errno == ESRCH) {
				warn_msg("--pid %s: no such process", optarg);
				return -EINVAL;
			}
			break;
		case OPT_CGROUP:
			o->cgroup = optarg;
			break;
		case OPT_ALL:
			o->all = 1;
			break;
		case OPT_FLUSH:
			if (parse_duration_ns(optarg, &o->flush_ns) || o->flush_ns < 1000000) {
				warn_msg("--flush-interval %s: expected a time of at least 1ms", optarg);
				return -EINVAL;
			}
			break;
		case OPT_PERF_PAGES:
			if (parse_size(optarg, &v) || !v || (v & (v - 1)) || v > (1u << 16)) {
				warn_msg("--perf-pages %s: must be a power of 2 from 1 to 65536", optarg);
				return -EINVAL;
			}
			o->perf_pages = (uint32_t)v;
			break;
		case OPT_STATUS:
			o->status = 1;
			break;
		case OPT_NO_STATUS:
			o->status = 0;
			break;
		case OPT_KERNEL_BTF:
			if (access(optarg, R_OK)) {
				warn_msg("--kernel-btf %s: %s", optarg, strerror(errno));
				return -EINVAL;
			}
			o->kernel_btf = optarg;
			break;
		case OPT_ONLY:
		case OPT_SKIP:
			if (add_name_list(c == OPT_ONLY ? o->only : o->skip,
					  c == OPT_ONLY ? &o->nonly : &o->nskip, optarg,
					  c == OPT_ONLY ? "--only" : "--skip"))
				return -EINVAL;
			break;
		case OPT_EVENT:
			if (!strchr(optarg, '=') || optarg[0] == '=' || !strchr(optarg, '=')[1] ||
			    o->nevents == 32) {
				warn_msg("--event %s: expected MAP=STRUCT", optarg);
				return -EINVAL;
			}
			o->events[o->nevents++] = optarg;
			break;
		case OPT_RB_SIZE:
			if (check_ringbuf_size(optarg) || o->nrb_sizes == 32)
				return -EINVAL;
			o->rb_sizes[o->nrb_sizes++] = optarg;
			break;
		case OPT_SNAPSHOT:
			if (parse_duration_ns(optarg, &o->snapshot_ns) || o->snapshot_ns < 10000000) {
				warn_msg("--snapshot-interval %s: expected a time of at least 10ms", optarg);
				return -EINVAL;
			}
			break;
		case OPT_RING:
			if (parse_size(optarg, &o->ring_bytes) || o->ring_bytes < (1u << 20)) {
				warn_msg("--ring %s: expected a size of at least 1M (e.g. 64M, 1G)", optarg);
				return -EINVAL;
			}
			break;
		case OPT_RING_TIME:
			if (parse_duration_ns(optarg, &o->ring_ns) || o->ring_ns < 1000000000ull) {
				warn_msg("--ring-time %s: expected a time of at least 1s (e.g. 30s, 5m)",
					 optarg);
				return -EINVAL;
			}
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			record_usage(stdout);
			exit(0);
		default:
			fprintf(stderr, "Try 'bpfrec record --help'.\n");
			return -EINVAL;
		}
	}
	if (optind < argc)
		o->command = &argv[optind];
	if (o->command && o->pid > 0) {
		warn_msg("-p and a COMMAND exclude each other: give one");
		return -EINVAL;
	}
	if (o->all && !o->command) {
		warn_msg("--all applies to a COMMAND: give one after --");
		return -EINVAL;
	}
	if ((o->nsets || o->nonly || o->nskip || o->nevents) && !o->nbpf) {
		warn_msg("--set, --only, --skip and --event apply to --bpf objects: give one");
		return -EINVAL;
	}
	return 0;
}

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

/* The command's path as execvp would find it, resolved before the fork:
 * the recording then holds one execve for it, not one per PATH entry tried. */
static int resolve_command(const char *cmd, char *out, size_t len)
{
	const char *path = getenv("PATH"), *p, *colon;

	if (strchr(cmd, '/')) {
		snprintf(out, len, "%s", cmd);
		if (access(out, X_OK) == 0)
			return 0;
		warn_msg("cannot run '%s': %s", cmd, strerror(errno));
		return -errno;
	}
	for (p = path ? path : "/usr/local/bin:/usr/bin:/bin"; *p; p = colon + 1) {
		colon = strchrnul(p, ':');
		snprintf(out, len, "%.*s/%s", (int)(colon - p), *p == ':' ? "." : p, cmd);
		if (colon == p)
			snprintf(out, len, "./%s", cmd);
		if (access(out, X_OK) == 0)
			return 0;
		if (!*colon)
			break;
	}
	warn_msg("cannot run '%s': not found in PATH", cmd);
	return -ENOENT;
}

/* Forks COMMAND, stopped before exec until start_child(). */
static int fork_child(struct recorder *r)
{
	char path[4096];
	int gate[2], err;
	sigset_t none;

	err = resolve_command(r->o->command[0], path, sizeof(path));
	if (err)
		return err;
	if (pipe2(gate, O_CLOEXEC))
		return -errno;
	r->child = fork();
	if (r->child < 0) {
		int err = -errno;

		close(gate[0]);
		close(gate[1]);
		warn_msg("fork: %s", strerror(-err));
		return err;
	}
	if (r->child == 0) {
		char c;

		close(gate[1]);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* EOF without a byte: the recorder gave up, do not run. */
		if (read(gate[0], &c, 1) != 1)
			_exit(126);
		execv(path, r->o->command);
		fprintf(stderr, "bpfrec: cannot run '%s': %s\n", r->o->command[0], strerror(errno));
		_exit(127);
	}
	close(gate[0]);
	r->child_gate = gate[1];
	return 0;
}

static void start_child(struct recorder *r)
{
	char go = 1;

	if (r->child_gate >= 0) {
		if (write(r->child_gate, &go, 1) != 1)
			warn_msg("starting the command: %s", strerror(errno));
		close(r->child_gate);
		r->child_gate = -1;
	}
}

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

/* Applies the --ringbuf-size options that name a ringbuf of o. */
static int apply_ringbuf_sizes(struct recorder *r, struct bpfobj *o, uint8_t *hit)
{
	int i, err;

	for (i = 0; i < r->o->nrb_sizes; i++) {
		const char *arg = r->o->rb_sizes[i], *eq = strchr(arg, '=');
		char map[128];
		uint64_t v;

		snprintf(map, sizeof(map), "%.*s", (int)(eq - arg), arg);
		parse_size(eq + 1, &v);
		err = bpfobj__set_ringbuf_size(o, map, (uint32_t)v);
		if (err == -ENOENT)
			continue;
		if (err) {
			warn_msg("--ringbuf-size %s: %s", arg, strerror(-err));
			return err;
		}
		hit[i] = 1;
	}
	return 0;
}

static struct bpfobj_opts obj_opts(struct recorder *r, int filter)
{
	struct bpfobj_opts oo = {
		.cgroup_fd = r->cgroup_fd,
		.cgroup_path = r->cgroup_path,
		.pid_map_fd = r->pid_map_fd,
		.filter_pids = filter && r->pid_map_fd >= 0,
		.btf_custom_path = r->o->kernel_btf,
	};
	return oo;
}

static int probe_selected(const struct record_opts *o, const char *name)
{
	int i;

	if (!o->probes_given)
		return 1;
	for (i = 0; i < o->nprobes; i++)
		if (!strcmp(o->probes[i], name))
			return 1;
	return 0;
}

/* Opens, loads and attaches the built-in probes.  With the default set, a
 * probe the kernel cannot have is skipped with its reason; one the user
 * named is an error. */
static int load_builtins(struct recorder *r)
{
	const struct builtin_probe *p;
	int have_cgroup = r->cgroup_fd >= 0;
	int err;

	for (p = builtin_probes; p->name; p++) {
		struct bpfobj_opts oo = obj_opts(r, 1);
		const char *why;
		struct bpfobj *obj;
		const void *elf;
		size_t size;

		if (p->hidden ? r->pid_map_fd < 0 : !probe_selected(r->o, p->name))
			continue;
		why = probes__unsupported(p, have_cgroup);
		if (why) {
			if (r->o->probes_given) {
				warn_msg("probe %s: %s", p->name, why);
				return -EOPNOTSUPP;
			}
			info_msg("probe %s skipped: %s", p->name, why);
			continue;
		}
		elf = p->elf(&size);
		obj = bpfobj__open_mem(p->name, elf, size, &oo);
		if (!obj)
			return -errno;
		r->objs[r->nobjs++] = obj;
		err = apply_ringbuf_sizes(r, obj, r->rb_hit);
		if (!err)
			err = bpfobj__load(obj);
		if (!err) {
			err = bpfobj__attach(obj, 1);
			err = err < 0 ? err : 0;
		}
		if (err) {
			if (r->o->probes_given || p->hidden)
				return err;
			info_msg("probe %s skipped: it did not load or attach here (above)", p->name);
			bpfobj__close(obj);
			r->nobjs--;
		}
	}
	return 0;
}

/* --event MAP=STRUCT for the maps of o. */
static int apply_event_types(struct recorder *r, struct bpfobj *o)
{
	int i, err;

	for (i = 0; i < r->o->nevents; i++) {
		const char *arg = r->o->events[i], *eq = strchr(arg, '=');
		char map[128];

		snprintf(map, sizeof(map), "%.*s", (int)(eq - arg), arg);
		err = bpfobj__set_event_type(o, map, eq + 1);
		if (err == -ENOENT)
			continue;
		if (err == -ESRCH) {
			warn_msg("--event %s: %s has no struct or union %s in its BTF", arg, o->path,
				 eq + 1);
			return err;
		}
		r->event_hit[i] = 1;
	}
	return 0;
}

/* Every --only/--skip name, --ringbuf-size and --event map must have
 * matched something: a typo must not record the wrong thing silently. */
static int check_all_matched(struct recorder *r)
{
	const struct record_opts *o = r->o;
	int i, err = 0;

	for (i = 0; i < o->nonly; i++)
		if (!r->only_hit[i] && (err = -ENOENT))
			warn_msg("--only %s: no program of that name in the --bpf objects", o->only[i]);
	for (i = 0; i < o->nskip; i++)
		if (!r->skip_hit[i] && (err = -ENOENT))
			warn_msg("--skip %s: no program of that name in the --bpf objects", o->skip[i]);
	for (i = 0; i < o->nrb_sizes; i++)
		if (!r->rb_hit[i] && (err = -ENOENT))
			warn_msg("--ringbuf-size %s: no ringbuf map of that name was loaded",
				 o->rb_sizes[i]);
	for (i = 0; i < o->nevents; i++)
		if (!r->event_hit[i] && (err = -ENOENT))
			warn_msg("--event %s: no ringbuf or perf event array of that name in the "
				 "--bpf objects", o->events[i]);
	return err;
}

/* Opens every --bpf object and applies the options that must precede the
 * load, then loads and attaches them.  --set applies to each object that has
 * the variable; one that no object has is an error. */
static int load_user_objects(struct recorder *r)
{
	int i, j, err, first = r->nobjs;

	for (i = 0; i < r->o->nbpf; i++) {
		struct bpfobj_opts oo = obj_opts(r, 0);
		struct bpfobj *obj = bpfobj__open_file(r->o->bpf_files[i], &oo);

		if (!obj)
			return -errno;
		r->objs[r->nobjs++] = obj;
		bpfobj__select_programs(obj, r->o->only, r->o->nonly, r->o->skip, r->o->nskip,
					r->only_hit, r->skip_hit);
		err = apply_ringbuf_sizes(r, obj, r->rb_hit);
		if (!err)
			err = apply_event_types(r, obj);
		if (err)
			return err;
	}
	for (j = 0; j < r->o->nsets; j++) {
		const char *eq = strchr(r->o->sets[j], '=');
		char name[128];
		int hit = 0;

		snprintf(name, sizeof(name), "%.*s", (int)(eq - r->o->sets[j]), r->o->sets[j]);
		for (i = first; i < r->nobjs; i++) {
			if (!bpfobj__has_global(r->objs[i], name))
				continue;
			err = bpfobj__set_global(r->objs[i], name, eq + 1);
			if (err)
				return err;
			hit = 1;
		}
		if (!hit) {
			warn_msg("--set %s: no --bpf object has a global variable '%s' in .rodata, "
				 ".data or .bss", r->o->sets[j], name);
			return -ENOENT;
		}
	}
	err = check_all_matched(r);
	if (err)
		return err;
	for (i = first; i < r->nobjs; i++) {
		struct bpfobj *obj = r->objs[i];

		err = bpfobj__load(obj);
		if (err)
			return err;
		err = bpfobj__attach(obj, 0);
		if (err < 0)
			return err;
		if (err == 0) {
			warn_msg("%s: no program attached", obj->path);
			return -ENOENT;
		}
		err = bpfobj__add_snapshot_streams(obj);
		if (err)
			return err;
		if (!obj->nstreams)
			info_msg("%s: no ringbuf, perf event array or map to snapshot: nothing to record",
				 obj->path);
	}
	return 0;
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

static int register_capture(struct recorder *r, int argc, char **argv)
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
static int snapshot_maps(struct recorder *r, uint64_t now)
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
					err = pipeline__append(r->pl, s->capture_id,
							       s->percpu ? (uint32_t)c : CAP_CPU_UNKNOWN,
							       now, rec, s->value_offset + s->value_size);
					s->events++;
				}
			}
		}
	}
	r->last_snapshot_ns = now;
	return err;
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

	return bsearch(&pid, r->tree, r->ntree, sizeof(*r->tree), cmp_u32) != NULL;
}

static void on_lost(struct bpfobj *o, int cpu, uint64_t delta, void *ctx)
{
	struct recorder *r = ctx;
	struct bpfobj_stream *s = &o->streams[0];   /* the object's first stream */

	if (!o->nstreams)
		return;
	s->lost += delta;
	pipeline__loss(r->pl, s->capture_id, (uint32_t)cpu, now_boot_ns(), delta);
}

static void ignore_lost(struct bpfobj *o, int cpu, uint64_t delta, void *ctx)
{
}

static void poll_losses(struct recorder *r)
{
	int i;

	for (i = 0; i < r->nobjs; i++)
		bpfobj__poll_lost(r->objs[i], on_lost, r);
}

struct rate_state {
	uint64_t last_ns;
	uint64_t last_events[MAX_OBJS + 8][8];
	uint64_t last_wakeups[MAX_OBJS + 8][8];
};

static void status_line(struct recorder *r, struct rate_state *rs, uint64_t now)
{
	struct capw_stats st;
	double dt = (now - rs->last_ns) / 1e9;
	char line[1024], b1[32];
	size_t n = 0;
	uint64_t lost = 0;
	int i, j;

	if (dt <= 0)
		return;
	n += snprintf(line + n, sizeof(line) - n, "%5.0fs ", (now - r->start_ns) / 1e9);
	for (i = 0; i < r->nobjs; i++) {
		for (j = 0; j < (int)r->objs[i]->nstreams && j < 8; j++) {
			struct bpfobj_stream *s = &r->objs[i]->streams[j];

			uint64_t wk = drain__wakeups(r->drain, s);

			if (n < sizeof(line) - 64)
				n += snprintf(line + n, sizeof(line) - n, " %s %.0f/s", s->name,
					      (s->events - rs->last_events[i][j]) / dt);
			/* A producer that asks for a wakeup per event pays 5-12 us each. */
			if ((wk - rs->last_wakeups[i][j]) / dt > 100 && n < sizeof(line) - 64)
				n += snprintf(line + n, sizeof(line) - n,
					      " (wakes per event: submit with BPF_RB_NO_WAKEUP)");
			rs->last_events[i][j] = s->events;
			rs->last_wakeups[i][j] = wk;
			lost += s->lost;
		}
	}
	capw__stats(r->cap, &st);
	n += snprintf(line + n, sizeof(line) - n, " | lost %llu | %s written",
		      (unsigned long long)lost, fmt_bytes(st.written_bytes, b1, sizeof(b1)));
	if (st.written_bytes)
		snprintf(line + n, sizeof(line) - n, ", ratio %.1fx",
			 (double)st.raw_bytes / (double)st.written_bytes);
	fprintf(stderr, "\r\033[K%s", line);
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

/* 1 when recording should stop. */
static int handle_signals(struct recorder *r)
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
		} else {
			stop = 1;
		}
	}
	return stop;
}

static int capture_dir_usable(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int empty = 1;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
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

static void print_summary(struct recorder *r, uint64_t end_ns)
{
	struct capw_stats st;
	char b1[32], b2[32];
	int i, j;

	if (r->o->quiet)
		return;
	capw__stats(r->cap, &st);
	fprintf(stderr, "\r\033[K");
	info_msg("capture %s: %.1f s, %llu events, %s raw, %s on disk%s",
		 r->o->out_dir, (end_ns - r->start_ns) / 1e9, (unsigned long long)st.records,
		 fmt_bytes(st.raw_bytes, b1, sizeof(b1)), fmt_bytes(st.written_bytes, b2, sizeof(b2)),
		 "");
	if (r->o->ring_bytes || r->o->ring_ns)
		info_msg("  flight recorder: %llu events held (%s), %llu older ones dropped",
			 (unsigned long long)(st.records - st.dropped_records),
			 fmt_bytes(st.held_bytes, b1, sizeof(b1)),
			 (unsigned long long)st.dropped_records);
	for (i = 0; i < r->nobjs; i++)
		for (j = 0; j < (int)r->objs[i]->nstreams; j++) {
			struct bpfobj_stream *s = &r->objs[i]->streams[j];

			info_msg("  %-12s %10llu events  %llu lost%s", s->name,
				 (unsigned long long)s->events, (unsigned long long)s->lost,
				 s->short_events ? "  (some shorter than their type)" : "");
		}
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
	int err, i, j, created = 0, stopping = 0, show_status;
	uint64_t now, last_tick, end_ns;

	err = parse_record_args(argc, argv, &o);
	if (err)
		return EXIT_USAGE;
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
		return EXIT_FAIL;
	}
	err = capture_dir_usable(o.out_dir);
	if (err)
		return EXIT_FAIL;
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
	if ((o.command && !o.all) || o.pid > 0) {
		r.pid_map_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "bpfrec_pids", 4, 1, 65536, NULL);
		if (r.pid_map_fd < 0) {
			err = -errno;
			warn_msg("creating the process-tree map: %s", strerror(-err));
			goto out;
		}
	}
	if (o.command) {
		err = fork_child(&r);
		if (err)
			goto out;
		if (r.pid_map_fd >= 0 && (err = track_pid(&r, r.child)))
			goto out;
	} else if (o.pid > 0 && (err = track_pid(&r, o.pid))) {
		goto out;
	}

	err = load_builtins(&r);
	if (!err)
		err = load_user_objects(&r);
	if (err)
		goto out;
	for (i = 0, j = 0; i < r.nobjs; i++)
		j += (int)r.objs[i]->nstreams;
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
	err = register_capture(&r, bpfrec_argc, bpfrec_argv);
	if (err)
		goto out;
	po.flush_ns = o.flush_ns;
	r.pl = pipeline__start(r.cap, &po);
	if (!r.pl) {
		err = -ENOMEM;
		goto out;
	}
	dopts.perf_pages = o.perf_pages;
	r.drain = drain__new(r.pl, &dopts);
	if (!r.drain) {
		err = -ENOMEM;
		goto out;
	}
	if (r.pid_map_fd >= 0 && o.nbpf) {
		struct drain_pid_filter f = { tree_keep, tree_refresh, &r };

		drain__set_pid_filter(r.drain, &f);
	}
	for (i = 0; i < r.nobjs; i++)
		for (j = 0; j < (int)r.objs[i]->nstreams; j++)
			if (r.objs[i]->streams[j].kind != STREAM_SNAPSHOT &&
			    (err = drain__add(r.drain, r.objs[i], &r.objs[i]->streams[j])))
				goto out;

	/* Programs run from their attach on, but a perf event array has no
	 * perf event until drain__add: outputs before that failed (-ENOENT)
	 * and were counted as lost, though they precede the recording.  The
	 * loss counts start here. */
	for (i = 0; i < r.nobjs; i++)
		bpfobj__poll_lost(r.objs[i], ignore_lost, NULL);
	show_status = o.status == 1 || (o.status == -1 && isatty(STDERR_FILENO) && !o.quiet);
	info_msg("recording to %s%s", o.out_dir,
		 o.command ? "" : o.duration_ns ? "" : " (Ctrl-C to stop)");
	start_child(&r);
	last_tick = rs.last_ns = r.last_snapshot_ns = now_boot_ns();
	while (!stopping) {
		int n = drain__poll(r.drain, r.sigfd);

		if (n < 0) {
			err = n;
			break;
		}
		now = now_boot_ns();
		stopping = handle_signals(&r);
		if (o.duration_ns && now - r.start_ns >= o.duration_ns)
			stopping = 1;
		if (pipeline__error(r.pl)) {
			err = pipeline__error(r.pl);
			break;
		}
		if (o.snapshot_ns && now - r.last_snapshot_ns >= o.snapshot_ns &&
		    (err = snapshot_maps(&r, now)))
			break;
		if (r.snapshot_req) {
			/* Flight recorder: the losses and maps of now, then what is
			 * held goes to DIR/snapshot-N (on the writer thread). */
			r.snapshot_req = 0;
			poll_losses(&r);
			if ((err = snapshot_maps(&r, now)))
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
	/* The exit event of the command and anything else still in the buffers. */
	if (!err)
		err = drain__final(r.drain);
	if (err > 0)
		err = 0;
	poll_losses(&r);
	if (!err)
		err = snapshot_maps(&r, now_boot_ns());
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
	drain__free(r.drain);
	if (r.cap) {
		int cerr;

		if (!err || created)
			print_summary(&r, end_ns);
		cerr = capw__close(r.cap, end_ns);
		if (cerr && !err)
			err = cerr;
		if (err == -ENOSPC)
			warn_msg("the disk holding %s is full: recording stopped; what was written "
				 "is kept and indexed", o.out_dir);
	}
	if (o.command && r.child == 0 && !err) {
		if (WIFEXITED(r.child_status))
			info_msg("command exited with status %d", WEXITSTATUS(r.child_status));
		else if (WIFSIGNALED(r.child_status))
			info_msg("command killed by signal %d", WTERMSIG(r.child_status));
	}
	for (i = 0; i < r.nobjs; i++)
		bpfobj__close(r.objs[i]);
	if (r.pid_map_fd >= 0)
		close(r.pid_map_fd);
	if (r.cgroup_fd >= 0)
		close(r.cgroup_fd);
	if (r.sigfd >= 0)
		close(r.sigfd);
	free(r.snap_buf);
	free(r.tree);
	return err ? EXIT_FAIL : 0;
}
