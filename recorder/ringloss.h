/* ringloss.h - counts the failed ringbuf reserves and outputs of an object
 * that does not count them itself.
 *
 * The kernel keeps no count of what a ringbuf refused.  Before load, every
 * call of bpf_ringbuf_reserve, bpf_ringbuf_output and
 * bpf_ringbuf_reserve_dynptr in a program's own instructions becomes a jump
 * to a few instructions appended to that program: the call itself, a test
 * of its result, and on failure an atomic add of 1 to the call site's slot
 * of an array map bpfrec owns; then back to the instruction after the call.
 * Nothing moves: libbpf's relocations (maps, CO-RE, subprograms, line info)
 * name instructions by index, and every original index stays where it was.
 * After load, each call site is matched to the ringbuf its r1 names (the
 * map loaded into r1 before the call), so each ringbuf's count is exact.
 *
 * What cannot be counted this way is said, never printed as 0: a call in a
 * non-inlined subprogram (libbpf appends those at load, out of reach), a
 * call whose map is not found and the object has several ringbufs, a site
 * too far for a jump.  Those ringbufs' loss is "unobservable".
 *
 * The pure part (ringloss__rewrite, ringloss__r1_map_fd) works on an
 * instruction array and is unit-tested without root.
 */
#ifndef BPFREC_RINGLOSS_H
#define BPFREC_RINGLOSS_H

#include <stddef.h>
#include <stdint.h>

struct bpf_insn;
struct bpf_object;
struct bpf_map;

/* Helper ids (uapi/linux/bpf.h) whose failures are counted. */
#define RINGLOSS_HELPER_OUTPUT 130          /* bpf_ringbuf_output: 0 or -errno */
#define RINGLOSS_HELPER_RESERVE 131         /* bpf_ringbuf_reserve: NULL on failure */
#define RINGLOSS_HELPER_RESERVE_DYNPTR 198  /* bpf_ringbuf_reserve_dynptr: 0 or -errno */
/* Instructions appended per call site. */
#define RINGLOSS_TRAMPOLINE_INSNS 7

/* 1 if insn is a call of one of the helpers above. */
int ringloss__is_ringbuf_call(const struct bpf_insn *insn);

/* Copies n instructions into *out (malloc'ed, *nout of them) with every
 * ringbuf call sent through a trampoline that counts its failures in slot
 * first_slot + k (k: the call's rank) of the array map map_fd's only value
 * (u64 per slot).  site_insn (may be NULL) gets each site's instruction
 * index, up to max_sites; *nsites the number rewritten, *nskipped those left
 * as they were (a jump out of range).  0 or -errno (-ENOMEM). */
int ringloss__rewrite(const struct bpf_insn *in, size_t n, int map_fd, uint32_t first_slot,
		      struct bpf_insn **out, size_t *nout, uint32_t *site_insn, uint32_t max_sites,
		      uint32_t *nsites, uint32_t *nskipped);

/* The map fd that r1 holds at instruction idx of relocated instructions
 * (an ld_imm64 of BPF_PSEUDO_MAP_FD into r1, or into a register moved to
 * r1, earlier in the same straight run of code); -1 if not found. */
int ringloss__r1_map_fd(const struct bpf_insn *insns, size_t n, size_t idx);

/* ---- an object's counters ---- */

struct ringloss;

/* Before load: rewrites the object's programs (those libbpf will load).
 * NULL with errno ENOENT when the object has no ringbuf (nothing to do), or
 * another errno with a message printed.  The object
 * must outlive the ringloss. */
struct ringloss *ringloss__prepare(struct bpf_object *obj, const char *obj_name);
/* After load: matches the sites to the object's ringbuf maps and finds the
 * ringbuf calls it could not rewrite.  0 or -errno. */
int ringloss__attribute(struct ringloss *rl);
/* 1 if every failure of map's calls is counted (or it has no calls); 0 if
 * some are unobservable (after ringloss__attribute). */
int ringloss__exact(const struct ringloss *rl, const struct bpf_map *map);
/* Calls fn(map, delta, ctx) for each ringbuf whose count grew since the
 * last call.  0 or -errno (the map lookup's). */
int ringloss__poll(struct ringloss *rl, void (*fn)(const struct bpf_map *map, uint64_t delta,
						    void *ctx), void *ctx);
void ringloss__free(struct ringloss *rl);   /* NULL is fine */

#endif
