/* record_opts.c - `bpfrec record`'s command line: usage, parsing, checks
 * that need no kernel. */
#include "perfev.h"
#include "perfspec.h"
#include "pipeline.h"
#include "probes.h"
#include "record.h"
#include "stackcap.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static void record_usage(FILE *f)
{
	fprintf(f,
"usage: bpfrec record [-o DIR] [--probe LIST] [-e SYSTEM:NAME [--filter EXPR]]... [-g]\n"
"                     [--bpf FILE.bpf.o]... [--duration S] [-p PID] [--cgroup PATH]\n"
"                     [--all] [-- COMMAND [ARGS...]]\n"
"\n"
"Records BPF events into a capture directory (segments + index.db) that\n"
"bpfreplay reads offline.  Without COMMAND or --duration, records until Ctrl-C.\n"
"\n"
"  -o, --output DIR        capture directory to create (default bpfrec-DATE-TIME)\n"
"      --probe LIST        built-in probes, comma-separated (default: every one the\n"
"                          kernel supports; `bpfrec probes` lists them); 'none' for none\n"
"                          profile[:HZ] samples on-CPU stacks (99 Hz by default)\n"
"  -g                      take the user and kernel stack of every event (of the\n"
"                          built-in probes, -e tracepoints, --syscalls and --bpf\n"
"                          objects using BPFREC_STACKS)\n"
"      --stacks LIST       which stacks: user, kernel or user,kernel (as -g)\n"
"      --stack-table N     slots of the stack table (a power of 2, 1024..4194304;\n"
"                          default 16384: 16 MiB of kernel memory, 1 KiB a slot);\n"
"                          an event whose stack finds its slot taken loses its\n"
"                          stack, counted: the summary says when a larger one helps\n"
"      --no-symbols        leave the symbol tables out of the capture (mappings and\n"
"                          build ids are kept: symbolize later with the binaries)\n"
"      --full-btf          store each object's whole BTF in the capture (default: only\n"
"                          the types its streams carry, what bpfreplay decodes)\n"
"      --no-user-names     leave the host's user and group names out of the capture\n"
"                          (kept by default, so that bpfreplay elsewhere shows\n"
"                          uid=1000(alice); without them it shows numbers)\n"
"  -e, --tracepoint LIST  record tracepoints by name, no BPF to write: SYSTEM:NAME,\n"
"                          comma-separated, globs allowed ('sched:*'); repeatable;\n"
"                          one table each, named after the tracepoint, with its\n"
"                          fields as columns (`bpfrec list` shows them).  Without\n"
"                          --probe, -e records no built-in probe\n"
"      --filter EXPR       for the tracepoints of the -e before it, evaluated in the\n"
"                          kernel: FIELD OP VALUE (OP == != < <= > >=, VALUE a\n"
"                          number or a \"string\") joined by && and ||\n"
"      --syscalls LIST     each syscall (names, globs, or all) as one row of table\n"
"                          syscalls when it returns: name, arguments, ret, errno,\n"
"                          latency, path arguments as text, socket addresses\n"
"      --syscalls-hook H   where --syscalls' programs (and -e raw_syscalls:*)\n"
"                          attach: raw (the raw tracepoints sys_enter/sys_exit,\n"
"                          tp_btf: the kernel builds no perf record per\n"
"                          syscall), classic (the raw_syscalls tracepoints),\n"
"                          auto (default: raw where the kernel's BTF has them,\n"
"                          classic when kernel stacks are taken)\n"
"      --string-size N     bytes kept of each __data_loc string or array, and of\n"
"                          each path argument of --syscalls (default 256)\n"
"      --bpf FILE          also load and record a BPF object (repeatable)\n"
"      --set NAME=VALUE    set a global of the --bpf objects before load (repeatable)\n"
"      --kernel-btf FILE   kernel BTF for CO-RE when /sys/kernel/btf/vmlinux is missing\n"
"      --only LIST         attach only these programs of the --bpf objects (by name,\n"
"                          comma-separated)\n"
"      --skip LIST         do not attach these programs of the --bpf objects\n"
"      --map-size MAP=N    set max_entries of a map of the --bpf objects (a stack or hash\n"
"                          map its loader would size; ringbufs: --ringbuf-size)\n"
"      --map-put MAP KEY=VALUE  after load, put KEY=VALUE in MAP (a filter map), both\n"
"                          parsed through the map's BTF types (repeatable)\n"
"      --attach PROG=BINARY:FUNCTION  where a SEC(\"uprobe\")/SEC(\"uretprobe\") program\n"
"                          that names no binary attaches\n"
"      --perf-event PROG=EVENT[:RATE]  the perf event a SEC(\"perf_event\") program\n"
"                          samples, opened on every CPU: software cpu-clock,\n"
"                          task-clock, page-faults, context-switches, ...; hardware\n"
"                          cycles, instructions, cache-misses, ... (where the machine\n"
"                          has counters); RATE N Hz (99Hz, the default) or every N\n"
"                          events (1000)\n"
"      --ts MAP=FIELD[:mono|boot]  the u64 member FIELD of MAP's events is their time\n"
"                          (boot: bpf_ktime_get_boot_ns, the default; mono:\n"
"                          bpf_ktime_get_ns, converted to boot time)\n"
"      --strict            a program of a --bpf object that does not load or attach is\n"
"                          an error (default: skipped with its reason, the rest records)\n"
"      --event MAP=STRUCT  the event type of MAP's records, when the object does not\n"
"                          name it with BPFREC_EVENT (repeatable)\n"
"      --ringbuf-size MAP=BYTES  resize a ringbuf of the --bpf objects, or -e's\n"
"                          tp_events, --syscalls' sys_events (a power of 2, a\n"
"                          multiple of the page size; e.g. events=16M); for a\n"
"                          map with a per-CPU ring (BPFREC_PERCPU_RING): each\n"
"                          CPU's ring\n"
"      --snapshot-interval S  snapshot hash/array maps every S too (default: at the\n"
"                          end only)\n"
"  -d, --duration S        stop after S (10, 1.5s, 500ms, 1000000ns, 2m, 1h)\n"
"  -p, --pid PID           keep only events of process PID and of its children\n"
"      --cgroup PATH       cgroup v2 directory for socket hooks (default: the root of\n"
"                          the cgroup v2 hierarchy)\n"
"      --all               with COMMAND: keep every process's events, not only the\n"
"                          command's process tree\n"
"      --flush-interval S  commit blocks to disk at least this often (default 1s)\n"
"      --chain-blocks N    blocks whose dictionaries go on into the next, 1..16:\n"
"                          fewer bytes, and a time range reads up to N-1 blocks\n"
"                          more (default 16; 1: every block reads alone)\n"
"      --fast-blocks WHEN  blocks encoded without dictionaries, cheaper to make and\n"
"                          larger: auto (while the writers are behind and events\n"
"                          pile up in the kernel's buffers; the default), never,\n"
"                          always\n"
"      --priority-boost N  the drain and writer threads N nice levels ahead of the\n"
"                          command and of bpfrec's start, the drain 5 more (0..20,\n"
"                          default 4; 0: as they are), so a busy machine delays its\n"
"                          other work rather than the recording (needs\n"
"                          CAP_SYS_NICE)\n"
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
"  bpfrec record -o /tmp/cap -g --probe connect,profile:999 -- ./server\n"
"  bpfrec record -o /tmp/cap -e sched:sched_switch -e 'signal:*' -- make -j2\n"
"  bpfrec record -o /tmp/cap -e sched:sched_process_exec --filter 'pid > 1000' -d 10s\n"
"  bpfrec record -o /tmp/cap --syscalls 'openat,connect,read*' -- ./app\n"
"  bpfrec record -o /tmp/cap --bpf mytool.bpf.o --set target_pid=1234 -d 30s\n"
"  bpfrec record -o /tmp/fr --ring 64M    # flight recorder; later, pkill -USR1 -x bpfrec:\n"
"                                          # a snapshot in /tmp/fr/snapshot-N\n"
"  bpfreplay show /tmp/cap\n"
"\n"
"With COMMAND, bpfrec exits with the command's status (128+N when signal N\n"
"killed it); SIGINT/SIGTERM go to the command, which has 2 s to exit before it\n"
"is killed and the capture finished.  Otherwise: 0 ok, 1 the recording failed,\n"
"2 bad command line.\n");
}

/* A repeatable option given once more than record.h allows. */
static int too_many(const char *opt, int limit)
{
	warn_msg("%s: given more than %d times: at most %d are supported", opt, limit, limit);
	return -EINVAL;
}

/* Appends optarg to one of the MAP=... lists, RECORD_MAX_MAP_OPTS at most. */
static int add_map_option(const char **list, int *n, const char *opt)
{
	if (*n == RECORD_MAX_MAP_OPTS)
		return too_many(opt, RECORD_MAX_MAP_OPTS);
	list[(*n)++] = optarg;
	return 0;
}

/* A time option's argument (optarg), at least min_ns; else the message
 * says what is expected. */
static int time_option(const char *opt, uint64_t min_ns, const char *expected, uint64_t *ns)
{
	if (parse_duration_ns(optarg, ns) || *ns < min_ns) {
		warn_msg("%s %s: expected %s", opt, optarg, expected);
		return -EINVAL;
	}
	return 0;
}

/* profile[:HZ]: the sampling rate after the colon. */
static int parse_probe_rate(struct record_opts *o, char *tok)
{
	char *colon = strchr(tok, ':'), *end;
	unsigned long hz;

	if (!colon)
		return 0;
	*colon = 0;
	if (strcmp(tok, "profile")) {
		warn_msg("--probe %s:%s: only profile takes a rate (profile:HZ)", tok, colon + 1);
		return -EINVAL;
	}
	errno = 0;
	hz = strtoul(colon + 1, &end, 10);
	if (errno || end == colon + 1 || (*end && strcasecmp(end, "hz")) || !hz ||
	    hz > PERFEV_MAX_HZ) {
		warn_msg("--probe profile:%s: expected a sampling rate from 1 to %d Hz (e.g. "
			 "profile:99)", colon + 1, PERFEV_MAX_HZ);
		return -EINVAL;
	}
	o->sample_hz = (uint32_t)hz;
	return 0;
}

static int parse_stacks(struct record_opts *o, char *list)
{
	char *save = NULL, *tok;

	o->stack_flags = 0;
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "user")) {
			o->stack_flags |= STACKCAP_USER;
		} else if (!strcmp(tok, "kernel")) {
			o->stack_flags |= STACKCAP_KERNEL;
		} else {
			warn_msg("--stacks %s: expected user, kernel or user,kernel", tok);
			return -EINVAL;
		}
	}
	if (!o->stack_flags) {
		warn_msg("--stacks: expected user, kernel or user,kernel");
		return -EINVAL;
	}
	return 0;
}

static int add_probe_list(struct record_opts *o, char *list)
{
	char *save = NULL, *tok;

	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const struct builtin_probe *p;

		if (parse_probe_rate(o, tok))
			return -EINVAL;
		p = probes__find(tok);
		if (!strcmp(tok, "none"))
			continue;
		if (!p || p->hidden) {
			warn_msg("--probe %s: no such built-in probe (exec, exit, connect, sock, "
				 "profile)", tok);
			return -EINVAL;
		}
		if (o->nprobes == RECORD_MAX_PROBES) {
			warn_msg("--probe: at most %d probe names", RECORD_MAX_PROBES);
			return -EINVAL;
		}
		o->probes[o->nprobes++] = p->name;
	}
	return 0;
}

static int add_name_list(char **names, int *n, char *list, const char *opt)
{
	char *save = NULL, *tok;

	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (*n == RECORD_MAX_PROG_NAMES) {
			warn_msg("%s: at most %d names", opt, RECORD_MAX_PROG_NAMES);
			return -EINVAL;
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

/* -e LIST into o->tpsel (created here; freed by the caller). */
static int add_tracepoints(struct record_opts *o, const char *list)
{
	if (!o->tpsel && !(o->tpsel = tpsel__new()))
		return -ENOMEM;
	return tpsel__add(o->tpsel, list);
}

/* The options' codes past the short ones. */
enum { OPT_PROBE = 256, OPT_BPF, OPT_SET, OPT_CGROUP, OPT_ALL, OPT_FLUSH, OPT_PERF_PAGES,
       OPT_STATUS, OPT_NO_STATUS, OPT_KERNEL_BTF, OPT_ONLY, OPT_SKIP, OPT_EVENT,
       OPT_RB_SIZE, OPT_SNAPSHOT, OPT_RING, OPT_RING_TIME, OPT_STACKS, OPT_STACK_TABLE,
       OPT_NO_SYMBOLS,
       OPT_NO_USER_NAMES, OPT_FULL_BTF,
       OPT_FILTER, OPT_STRING_SIZE, OPT_SYSCALLS, OPT_SYSCALLS_HOOK,
       OPT_STRICT, OPT_MAP_SIZE, OPT_MAP_PUT, OPT_ATTACH, OPT_TS, OPT_PERF_EVENT,
       OPT_CHAIN, OPT_FAST_BLOCKS, OPT_PRIO_BOOST };

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
	{ "chain-blocks", required_argument, NULL, OPT_CHAIN },
	{ "fast-blocks", required_argument, NULL, OPT_FAST_BLOCKS },
	{ "priority-boost", required_argument, NULL, OPT_PRIO_BOOST },
	{ "perf-pages", required_argument, NULL, OPT_PERF_PAGES },
	{ "status", no_argument, NULL, OPT_STATUS },
	{ "no-status", no_argument, NULL, OPT_NO_STATUS },
	{ "kernel-btf", required_argument, NULL, OPT_KERNEL_BTF },
	{ "only", required_argument, NULL, OPT_ONLY },
	{ "skip", required_argument, NULL, OPT_SKIP },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "map-size", required_argument, NULL, OPT_MAP_SIZE },
	{ "map-put", required_argument, NULL, OPT_MAP_PUT },
	{ "attach", required_argument, NULL, OPT_ATTACH },
	{ "perf-event", required_argument, NULL, OPT_PERF_EVENT },
	{ "ts", required_argument, NULL, OPT_TS },
	{ "event", required_argument, NULL, OPT_EVENT },
	{ "ringbuf-size", required_argument, NULL, OPT_RB_SIZE },
	{ "snapshot-interval", required_argument, NULL, OPT_SNAPSHOT },
	{ "ring", required_argument, NULL, OPT_RING },
	{ "ring-time", required_argument, NULL, OPT_RING_TIME },
	{ "stacks", required_argument, NULL, OPT_STACKS },
	{ "stack-table", required_argument, NULL, OPT_STACK_TABLE },
	{ "no-symbols", no_argument, NULL, OPT_NO_SYMBOLS },
	{ "no-user-names", no_argument, NULL, OPT_NO_USER_NAMES },
	{ "full-btf", no_argument, NULL, OPT_FULL_BTF },
	{ "tracepoint", required_argument, NULL, 'e' },
	{ "filter", required_argument, NULL, OPT_FILTER },
	{ "string-size", required_argument, NULL, OPT_STRING_SIZE },
	{ "syscalls", required_argument, NULL, OPT_SYSCALLS },
	{ "syscalls-hook", required_argument, NULL, OPT_SYSCALLS_HOOK },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL },
};

/* A handler's answer for an option it does not handle. */
#define NOT_MINE 1

/* --bpf and what applies to the --bpf objects.  0, -EINVAL (said) or
 * NOT_MINE.  --map-put takes the argument after its own (argv[optind]). */
static int parse_object_option(struct record_opts *o, int c, int argc, char **argv)
{
	switch (c) {
	case OPT_BPF:
		if (o->nbpf == RECORD_MAX_OBJS)
			return too_many("--bpf", RECORD_MAX_OBJS);
		o->bpf_files[o->nbpf++] = optarg;
		return 0;
	case OPT_SET:
		if (!strchr(optarg, '=') || optarg[0] == '=') {
			warn_msg("--set %s: expected NAME=VALUE", optarg);
			return -EINVAL;
		}
		if (o->nsets == RECORD_MAX_SETS)
			return too_many("--set", RECORD_MAX_SETS);
		o->sets[o->nsets++] = optarg;
		return 0;
	case OPT_KERNEL_BTF:
		if (access(optarg, R_OK)) {
			warn_msg("--kernel-btf %s: %s", optarg, strerror(errno));
			return -EINVAL;
		}
		o->kernel_btf = optarg;
		return 0;
	case OPT_ONLY:
	case OPT_SKIP:
		if (add_name_list(c == OPT_ONLY ? o->only : o->skip,
				  c == OPT_ONLY ? &o->nonly : &o->nskip, optarg,
				  c == OPT_ONLY ? "--only" : "--skip"))
			return -EINVAL;
		return 0;
	case OPT_STRICT:
		o->strict = 1;
		return 0;
	case OPT_MAP_SIZE: {
		const char *eq = strchr(optarg, '=');
		uint64_t n;

		if (!eq || eq == optarg || parse_size(eq + 1, &n) || !n || n > UINT32_MAX) {
			warn_msg("--map-size %s: expected MAP=N, N from 1 to %u", optarg,
				 UINT32_MAX);
			return -EINVAL;
		}
		return add_map_option(o->map_sizes, &o->nmap_sizes, "--map-size");
	}
	case OPT_MAP_PUT: {
		const char *kv = optind < argc ? argv[optind] : NULL;

		if (!kv || !strchr(kv, '=') || kv[0] == '=') {
			warn_msg("--map-put %s: expected MAP KEY=VALUE", optarg);
			return -EINVAL;
		}
		if (o->nmap_puts == 2 * RECORD_MAX_MAP_OPTS)
			return too_many("--map-put", RECORD_MAX_MAP_OPTS);
		optind++;
		o->map_puts[o->nmap_puts++] = optarg;
		o->map_puts[o->nmap_puts++] = kv;
		return 0;
	}
	case OPT_TS: {
		const char *eq = strchr(optarg, '='), *colon = eq ? strchr(eq, ':') : NULL;

		if (!eq || eq == optarg || eq[1] == 0 || eq[1] == ':' ||
		    (colon && strcmp(colon, ":mono") && strcmp(colon, ":boot"))) {
			warn_msg("--ts %s: expected MAP=FIELD, MAP=FIELD:mono or MAP=FIELD:boot",
				 optarg);
			return -EINVAL;
		}
		return add_map_option(o->ts_fields, &o->nts_fields, "--ts");
	}
	case OPT_ATTACH: {
		const char *eq = strchr(optarg, '='), *colon = eq ? strrchr(eq, ':') : NULL;

		if (!eq || eq == optarg || !colon || colon == eq + 1 || !colon[1]) {
			warn_msg("--attach %s: expected PROG=BINARY:FUNCTION", optarg);
			return -EINVAL;
		}
		return add_map_option(o->attaches, &o->nattaches, "--attach");
	}
	case OPT_PERF_EVENT: {
		const char *eq = strchr(optarg, '=');
		struct perfspec spec;
		char why[512];

		if (!eq || eq == optarg || !eq[1]) {
			warn_msg("--perf-event %s: expected PROG=EVENT[:RATE] (e.g. "
				 "do_sample=cpu-clock:99Hz)", optarg);
			return -EINVAL;
		}
		if (perfspec__parse(eq + 1, &spec, why, sizeof(why))) {
			warn_msg("--perf-event %s: %s", optarg, why);
			return -EINVAL;
		}
		return add_map_option(o->perf_events, &o->nperf_events, "--perf-event");
	}
	case OPT_EVENT:
		/* perf's --event: a tracepoint, not MAP=STRUCT */
		if (!strchr(optarg, '=') && strchr(optarg, ':')) {
			if (add_tracepoints(o, optarg))
				return -EINVAL;
			return 0;
		}
		if (!strchr(optarg, '=') || optarg[0] == '=' || !strchr(optarg, '=')[1]) {
			warn_msg("--event %s: expected MAP=STRUCT", optarg);
			return -EINVAL;
		}
		return add_map_option(o->events, &o->nevents, "--event");
	case OPT_RB_SIZE:
		if (check_ringbuf_size(optarg))
			return -EINVAL;
		return add_map_option(o->rb_sizes, &o->nrb_sizes, "--ringbuf-size");
	}
	return NOT_MINE;
}

/* -e, --filter, --syscalls, --syscalls-hook, --string-size.  0, -EINVAL (said) or NOT_MINE. */
static int parse_tracepoint_option(struct record_opts *o, int c)
{
	switch (c) {
	case 'e':
		if (add_tracepoints(o, optarg))
			return -EINVAL;
		return 0;
	case OPT_FILTER:
		if (tpsel__set_filter(o->tpsel, optarg))
			return -EINVAL;
		return 0;
	case OPT_SYSCALLS:
		if ((!o->tpsel && !(o->tpsel = tpsel__new())) ||
		    tpsel__set_syscalls(o->tpsel, optarg))
			return -EINVAL;
		return 0;
	case OPT_SYSCALLS_HOOK:
		if ((!o->tpsel && !(o->tpsel = tpsel__new())) ||
		    tpsel__set_syscalls_hook(o->tpsel, optarg))
			return -EINVAL;
		return 0;
	case OPT_STRING_SIZE:
		if ((!o->tpsel && !(o->tpsel = tpsel__new())) ||
		    tpsel__set_string_size(o->tpsel, optarg))
			return -EINVAL;
		return 0;
	}
	return NOT_MINE;
}

/* What to record, for how long, where and how: the rest.  0, -EINVAL
 * (said) or NOT_MINE. */
static int parse_session_option(struct record_opts *o, int c)
{
	uint64_t v;
	char *end;

	switch (c) {
	case 'o':
		o->out_dir = optarg;
		return 0;
	case OPT_PROBE:
		o->probes_given = 1;
		if (add_probe_list(o, optarg))
			return -EINVAL;
		return 0;
	case 'd':
		return time_option("--duration", 1, "a positive time such as 10, 1.5s, 500ms, 2m",
				   &o->duration_ns);
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
		return 0;
	case OPT_CGROUP:
		o->cgroup = optarg;
		return 0;
	case OPT_ALL:
		o->all = 1;
		return 0;
	case OPT_FLUSH:
		return time_option("--flush-interval", 1000000, "a time of at least 1ms", &o->flush_ns);
	case OPT_PERF_PAGES:
		if (parse_size(optarg, &v) || !v || (v & (v - 1)) || v > (1u << 16)) {
			warn_msg("--perf-pages %s: must be a power of 2 from 1 to 65536", optarg);
			return -EINVAL;
		}
		o->perf_pages = (uint32_t)v;
		return 0;
	case OPT_STATUS:
		o->status = 1;
		return 0;
	case OPT_NO_STATUS:
		o->status = 0;
		return 0;
	case OPT_SNAPSHOT:
		return time_option("--snapshot-interval", 10000000, "a time of at least 10ms",
				   &o->snapshot_ns);
	case OPT_RING:
		if (parse_size(optarg, &o->ring_bytes) || o->ring_bytes < (1u << 20)) {
			warn_msg("--ring %s: expected a size of at least 1M (e.g. 64M, 1G)", optarg);
			return -EINVAL;
		}
		return 0;
	case OPT_RING_TIME:
		return time_option("--ring-time", 1000000000ull, "a time of at least 1s (e.g. 30s, 5m)",
				   &o->ring_ns);
	case 'g':
		o->stack_flags = STACKCAP_USER | STACKCAP_KERNEL;
		return 0;
	case OPT_STACKS:
		if (parse_stacks(o, optarg))
			return -EINVAL;
		return 0;
	case OPT_STACK_TABLE: {
		char *end;
		unsigned long long n;

		errno = 0;
		n = strtoull(optarg, &end, 10);
		if (errno || end == optarg || *end || n < STACKCAP_ENTRIES_MIN ||
		    n > STACKCAP_ENTRIES_MAX || (n & (n - 1))) {
			warn_msg("--stack-table %s: expected a power of 2 from %u to %u (e.g. 65536)",
				 optarg, STACKCAP_ENTRIES_MIN, STACKCAP_ENTRIES_MAX);
			return -EINVAL;
		}
		o->stack_entries = (uint32_t)n;
		return 0;
	}
	case OPT_CHAIN: {
		char *end;
		unsigned long n;

		errno = 0;
		n = strtoul(optarg, &end, 10);
		if (errno || end == optarg || *end || n < 1 || n > CAP_CHAIN_MAX) {
			warn_msg("--chain-blocks %s: expected a number of blocks from 1 to %d",
				 optarg, CAP_CHAIN_MAX);
			return -EINVAL;
		}
		o->chain_blocks = (unsigned)n;
		return 0;
	}
	case OPT_FAST_BLOCKS:
		if (!strcmp(optarg, "auto")) {
			o->fast_blocks = PIPELINE_ADAPT;
		} else if (!strcmp(optarg, "never")) {
			o->fast_blocks = PIPELINE_COMPACT;
		} else if (!strcmp(optarg, "always")) {
			o->fast_blocks = PIPELINE_FAST;
		} else {
			warn_msg("--fast-blocks %s: expected auto, never or always", optarg);
			return -EINVAL;
		}
		return 0;
	case OPT_PRIO_BOOST: {
		char *end;
		long n;

		errno = 0;
		n = strtol(optarg, &end, 10);
		if (errno || end == optarg || *end || n < 0 || n > 20) {
			warn_msg("--priority-boost %s: expected a number of nice levels from 0 to 20",
				 optarg);
			return -EINVAL;
		}
		o->prio_boost = (int)n;
		return 0;
	}
	case OPT_NO_SYMBOLS:
		o->no_symbols = 1;
		return 0;
	case OPT_FULL_BTF:
		o->full_btf = 1;
		return 0;
	case OPT_NO_USER_NAMES:
		o->no_user_names = 1;
		return 0;
	case 'q':
		o->quiet = 1;
		return 0;
	case 'v':
		o->verbose++;
		return 0;
	}
	return NOT_MINE;
}

/* The options that only make sense together. */
static int check_combinations(const struct record_opts *o)
{
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

int record__parse_args(int argc, char **argv, struct record_opts *o)
{
	int c, err;

	o->status = -1;
	o->pid = -1;
	o->prio_boost = RECORD_PRIO_BOOST_DEFAULT;
	optind = 0;   /* 0: glibc starts over (a test parses many command lines) */
	/* '+': stop at the first non-option, so COMMAND's own options stay its own. */
	while ((c = getopt_long(argc, argv, "+o:d:p:e:gqvh", longopts, NULL)) != -1) {
		if (c == 'h') {
			record_usage(stdout);
			exit(0);
		}
		err = parse_object_option(o, c, argc, argv);
		if (err == NOT_MINE)
			err = parse_tracepoint_option(o, c);
		if (err == NOT_MINE)
			err = parse_session_option(o, c);
		if (err == NOT_MINE) {
			fprintf(stderr, "Try 'bpfrec record --help'.\n");
			return -EINVAL;
		}
		if (err)
			return -EINVAL;
	}
	if (optind < argc)
		o->command = &argv[optind];
	return check_combinations(o);
}
