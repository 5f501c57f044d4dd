/* execmaps.h - the executable mappings of the recorded processes at exec
 * and exit, from BPF (bpf/procmaps.bpf.c), for the processes that live too
 * briefly for /proc/PID/maps: stackcap reads /proc when the drain first
 * sees a stack, up to a drain interval (~1 ms) after the event, and a
 * process that exec'ed and exited within that time had left no maps.
 *
 * Loaded when the recording takes stacks; a kernel without the task VMA
 * iterator (Linux < 6.7) or tp_btf refuses it: the recording goes on
 * without it (said once).  Drain thread only. */
#ifndef BPFREC_EXECMAPS_H
#define BPFREC_EXECMAPS_H

#include <stdint.h>

struct execmaps;
struct pm_event;

struct execmaps_opts {
	int pid_map_fd;            /* the shared bpfrec_pids, -1: none */
	int filter_pids;           /* only the processes in it */
	const char *btf_custom_path;   /* --kernel-btf */
	/* each mapping, as it is drained */
	void (*mapping)(void *ctx, const struct pm_event *e);
	void *ctx;
};

/* Loads and attaches the programs: 0, or -errno with a message. */
int execmaps__open(struct execmaps **out, const struct execmaps_opts *opts);
/* Hands every mapping in the buffer to opts->mapping; returns how many, or
 * -errno. */
int execmaps__poll(struct execmaps *m);
/* Mappings the buffer had no room for (the processes' frames may stay
 * unnamed). */
uint64_t execmaps__lost(const struct execmaps *m);
void execmaps__free(struct execmaps *m);   /* NULL is fine; detaches */

#endif
