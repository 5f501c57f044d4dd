/* stage.h - the recorder's side of staged ringbufs (bpfrec.h's
 * BPFREC_STAGED): their batches split back into events, and the flush that
 * sends each CPU's partly filled batch to the ring.
 *
 * A staged ringbuf's records are batches (bpf/bpfrec_batch.h): a header
 * naming the CPU, then that CPU's events in order.  The BPF side fills a
 * per-CPU staging area and sends it when full; what is staged when the
 * drain ticks is sent by the map's flush program (bpfrec_flush__MAP), run
 * on each CPU whose pending flag is set with BPF_PROG_TEST_RUN and
 * BPF_F_TEST_RUN_ON_CPU (on another CPU the kernel runs it from an
 * interrupt there: it finds the area busy if it interrupted a program
 * writing it, and is tried again at the next tick).
 *
 * Errors: 0 or -errno; the constructor NULL with errno set.  No messages:
 * the caller names the map.
 */
#ifndef BPFREC_STAGE_H
#define BPFREC_STAGE_H

#include <stdint.h>

/* Calls fn for each event of the batch in data[0, len), in order, with
 * the batch's CPU.  Checks the whole batch first: -EBADMSG (fn not called)
 * if it is not one (wrong magic, a length past its end, a count that does
 * not match its bytes).  Returns the events handed out, or fn's first
 * negative return. */
int stage__split(const void *data, uint32_t len,
		 int (*fn)(void *ctx, uint32_t cpu, const void *ev, uint32_t len), void *ctx);

struct stage_flush;

/* The map's flush program, its pending flags and its staging areas (per-CPU
 * arrays of one entry), fds not owned.  ncpus: libbpf_num_possible_cpus(). */
struct stage_flush *stage_flush__new(int prog_fd, int pending_fd, int stage_fd, int ncpus);
/* Runs the flush program on each CPU that has staged events.  final: on
 * every CPU, and again on one found busy, for up to ~100 ms (the programs
 * are detached by then: a busy area belongs to one finishing).  0 or the
 * first -errno of the map lookup or a test run (an offline CPU is skipped). */
int stage_flush__run(struct stage_flush *f, int final);
/* After the final run: calls fn for each CPU whose area still holds events
 * (an offline CPU, or one that stayed busy), with their count: they are
 * lost.  *direct: the events every CPU sent alone, past its area (it was
 * busy, or they were larger than a batch).  0 or -errno (the map
 * lookup's). */
int stage_flush__leftover(struct stage_flush *f, void (*fn)(void *ctx, int cpu, uint64_t n),
			  void *ctx, uint64_t *direct);
/* Test runs made and CPUs found busy so far. */
void stage_flush__counts(const struct stage_flush *f, uint64_t *runs, uint64_t *busy);
void stage_flush__free(struct stage_flush *f);   /* NULL is fine */

#endif
