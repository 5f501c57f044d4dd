/* pcring.h - the recorder's side of per-CPU rings read in place (bpfrec.h's
 * BPFREC_PERCPU_RING): each CPU's region of the map's mmapable array is a
 * ring that only that CPU's programs write (bpf/bpfrec_batch.h's struct
 * bpfrec_pcring_head, then the ring); this maps the array and hands out
 * each CPU's new events where they lie, then gives their room back.
 *
 * A region's head is read with acquire order (the programs publish an
 * event's bytes before head) and its tail written with release order once
 * the caller is done with the events before it.
 *
 * Errors: 0 or -errno; the constructor NULL with errno set.  No messages:
 * the caller names the map.
 */
#ifndef BPFREC_PCRING_H
#define BPFREC_PCRING_H

#include <stdint.h>

struct pcring;

/* Maps the array map_fd (fd not owned; its value size says the ring's:
 * the largest power of 2 that fits after the head).  EINVAL: not a
 * region array of at least 4 KiB rings. */
struct pcring *pcring__open(int map_fd);
/* The same over the caller's memory, laid out as the map's array is
 * (nregions regions of value_size bytes, 8-aligned): a test's.  mem stays
 * the caller's.  EINVAL as pcring__open. */
struct pcring *pcring__wrap(void *mem, uint32_t nregions, uint32_t value_size);
/* For each region, its CPU's events in [tail, head) to fn in order, in
 * runs of up to PCRING_RUN (recs point into the mapping; same_len: the
 * length of every event of the run when they all have one, else 0), then
 * tail moves past them.  A region whose head, tail or records do not add
 * up is skipped to its head (its events from there are dropped, and
 * counted in *bad).  Returns the events handed out, or fn's first negative
 * return (the run that failed stays in its ring, the runs before it are
 * consumed). */
#define PCRING_RUN 256
struct blockbuf_rec;
long pcring__read_runs(struct pcring *p,
		       int (*fn)(void *ctx, uint32_t cpu, struct blockbuf_rec *recs, uint32_t n,
				 uint32_t same_len),
		       void *ctx, uint64_t *bad);
/* How full the fullest CPU's ring is, in thousandths (a damaged region
 * counts as full). */
uint32_t pcring__fill_permille(const struct pcring *p);
/* The bytes all CPUs have written into their rings since they began
 * (*written, for their rate) and the room left in the fullest CPU's ring
 * (*room; 0 for a damaged region). */
void pcring__room(const struct pcring *p, uint64_t *written, uint64_t *room);
/* The events the CPUs sent to the ringbuf alone (busy, or too large). */
uint64_t pcring__direct(const struct pcring *p);
void pcring__free(struct pcring *p);   /* NULL is fine */

#endif
