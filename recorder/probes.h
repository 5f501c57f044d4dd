/* probes.h - the built-in probes: their embedded objects and what each
 * needs from the kernel. */
#ifndef BPFREC_PROBES_H
#define BPFREC_PROBES_H

#include <stddef.h>

struct builtin_probe {
	const char *name;
	const char *summary;
	const void *(*elf)(size_t *size);   /* the skeleton's embedded object */
	const char *const *tracepoints;      /* "category/name", NULL-terminated */
	int needs_cgroup;
	int hidden;                          /* helper, not a stream (proctree) */
	int opt_in;                          /* only when --probe names it (profile) */
};

extern const struct builtin_probe builtin_probes[];
const struct builtin_probe *probes__find(const char *name);
/* NULL if the kernel can have it; else why not, e.g. "no tracepoint
 * syscalls/sys_enter_execve". */
const char *probes__unsupported(const struct builtin_probe *p, int have_cgroup);

#endif
