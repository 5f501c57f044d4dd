#include "probes.h"
#include "sysfs.h"

#include <stdio.h>
#include <string.h>

#include "exec.skel.h"
#include "exit.skel.h"
#include "connect.skel.h"
#include "sock.skel.h"
#include "proctree.skel.h"
#include "profile.skel.h"

static const char *const exec_tps[] = { "syscalls/sys_enter_execve", "syscalls/sys_exit_execve",
					"sched/sched_process_exec", NULL };
static const char *const exit_tps[] = { "sched/sched_process_exit", NULL };
static const char *const connect_tps[] = { "syscalls/sys_enter_connect",
					   "syscalls/sys_exit_connect", NULL };
static const char *const proctree_tps[] = { "sched/sched_process_fork", NULL };
static const char *const no_tps[] = { NULL };

const struct builtin_probe builtin_probes[] = {
	{ "exec", "execve() calls: pid, ppid, uid, gid, comm, file name (ringbuf)",
	  exec_bpf__elf_bytes, exec_tps, 0, 0 },
	{ "exit", "thread exits: pid, tid, exit code, signal, comm (perf event array)",
	  exit_bpf__elf_bytes, exit_tps, 0, 0 },
	{ "connect", "connect() calls: fd, address, port, result, latency (ringbuf)",
	  connect_bpf__elf_bytes, connect_tps, 0, 0 },
	{ "sock", "sockets created, released, bound in a cgroup v2 subtree (ringbuf)",
	  sock_bpf__elf_bytes, no_tps, 1, 0 },
	{ "profile", "on-CPU samples with user and kernel stacks, a cpu-clock event per CPU "
	  "(profile:HZ, 99 Hz by default; only when named)",
	  profile_bpf__elf_bytes, no_tps, 0, 0, 1 },
	{ "proctree", "follows forks to keep the recorded command's process tree",
	  proctree_bpf__elf_bytes, proctree_tps, 0, 1 },
	{ NULL },
};

const struct builtin_probe *probes__find(const char *name)
{
	const struct builtin_probe *p;

	for (p = builtin_probes; p->name; p++)
		if (!strcmp(p->name, name))
			return p;
	return NULL;
}

const char *probes__unsupported(const struct builtin_probe *p, int have_cgroup)
{
	static char why[256];
	const char *const *tp;

	for (tp = p->tracepoints; *tp; tp++) {
		char cat[64];
		const char *slash = strchr(*tp, '/');

		snprintf(cat, sizeof(cat), "%.*s", (int)(slash - *tp), *tp);
		if (!sysfs__has_tracepoint(cat, slash + 1)) {
			snprintf(why, sizeof(why), "this kernel has no tracepoint %s", *tp);
			return why;
		}
	}
	if (p->needs_cgroup && !have_cgroup)
		return "no cgroup v2 hierarchy to attach to (give --cgroup PATH)";
	return NULL;
}
