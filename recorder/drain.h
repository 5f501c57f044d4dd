/* drain.h - one loop over every ringbuf and perf buffer (epoll).
 *
 * Producers submit without wakeups (BPF_RB_NO_WAKEUP; perf wakes every
 * wakeup_events samples), so the loop drains on a ~1 ms timer and also
 * whenever a buffer does wake it.  Records go to the pipeline with their
 * time: perf samples carry the kernel's CLOCK_BOOTTIME timestamp and CPU,
 * ringbuf records the event's own bpfrec_ts_ns when the type has one, else
 * the time they were drained.
 */
#ifndef BPFREC_DRAIN_H
#define BPFREC_DRAIN_H

#include <stdint.h>
#include "bpfobj.h"
#include "pipeline.h"

struct drain_opts {
	uint32_t perf_pages;       /* per CPU, power of 2; 0: 64 */
	uint32_t perf_wakeup;      /* wake every N samples; 0: 64 */
	uint32_t timer_us;         /* drain period; 0: 1000 */
};

/* The process-tree filter for streams the kernel side does not filter
 * (user objects): keep(pid) decides per record, by the type's pid/tgid
 * member; when it says no, refresh() renews its copy of the tree (once per
 * drain pass) and keep() decides again: the kernel's map holds every
 * process whose records are in the buffers at that point. */
struct drain_pid_filter {
	int (*keep)(void *ctx, uint32_t pid);
	void (*refresh)(void *ctx);
	void *ctx;
};

/* Called for each record kept whose type has stack id members (bpfrec.h
 * bpfrec_ustack_id / bpfrec_kstack_id; -1 for a member it lacks): its
 * process (the pid/tgid member, 0 if none) and its stack ids. */
struct drain_stack_hook {
	void (*note)(void *ctx, uint32_t pid, int32_t ustack, int32_t kstack);
	void *ctx;
};

struct drain;

struct drain *drain__new(struct pipeline *p, const struct drain_opts *opts);
int drain__add(struct drain *d, struct bpfobj *o, struct bpfobj_stream *s);
/* Applies f to the streams of objects that are not built-in probes. */
void drain__set_pid_filter(struct drain *d, const struct drain_pid_filter *f);
void drain__set_stack_hook(struct drain *d, const struct drain_stack_hook *h);
/* Waits up to one timer period (or for extra_fd to be readable, if >= 0),
 * then drains everything.  Returns records drained, or -errno. */
int drain__poll(struct drain *d, int extra_fd);
/* How often the buffer of s woke the loop (per-event wakeups show here). */
uint64_t drain__wakeups(const struct drain *d, const struct bpfobj_stream *s);
/* Drains what is left, without waiting. */
int drain__final(struct drain *d);
void drain__free(struct drain *d);   /* NULL is fine */

#endif
