/* stackcap.h - what makes a recording's stacks readable on another machine
 * (FORMAT.md "Stacks and symbols"): the stacks, read from the shared stack
 * table when a record first names them; for each process whose user stacks
 * were seen, its executable mappings, read from /proc/PID/maps while it
 * lives (again when an address falls outside them); and at the end, the
 * function symbols those addresses hit (ELF .symtab/.dynsym of each file
 * kept open since, /proc/kallsyms for the kernel and its modules,
 * /tmp/perf-PID.map for JIT code), written into the capture.
 *
 * Drain thread only (stackcap__note); stackcap__write once the pipeline has
 * stopped (it writes through the capture's writer).
 *
 * Errors: 0 or -errno, the constructor NULL with errno set; the message,
 * naming what failed, printed where it failed (none for ENOMEM). */
#ifndef BPFREC_STACKCAP_H
#define BPFREC_STACKCAP_H

#include <stdint.h>

#include "capw.h"

/* Kinds of stack (bpfrec_stack_flags, bpf/bpfrec.h BPFREC_STACK_*). */
#define STACKCAP_USER 1
#define STACKCAP_KERNEL 2
#define STACKCAP_DEPTH 127          /* u64 frames per stack (BPFREC_STACK_DEPTH) */
#define STACKCAP_ENTRIES 16384      /* the table's slots by default (--stack-table) */
#define STACKCAP_ENTRIES_MIN 1024
#define STACKCAP_ENTRIES_MAX (1u << 22)

struct stackcap;
struct btf;

/* The BTF typedef that marks a stack id member (bpfrec.h's
 * bpfrec_ustack_id, or bpfrec_kstack_id when kernel), found in btf or
 * added (an int); its type id or -errno.  For records described at run
 * time (-e, --syscalls). */
int stackcap__btf_id_type(struct btf *btf, int kernel);

/* Creates the stack table the objects share, of entries slots (a power of
 * 2 in STACKCAP_ENTRIES_MIN..MAX; 0: STACKCAP_ENTRIES), and the collector.
 * A stack is kept in the slot its hash picks, and an event whose stack
 * finds its slot taken by another loses its stack (counted): a table well
 * above the distinct stacks expected keeps more.  NULL with errno set (the
 * table's refusal said). */
struct stackcap *stackcap__new(uint32_t entries);
uint32_t stackcap__entries(const struct stackcap *sc);
int stackcap__map_fd(const struct stackcap *sc);
/* A record's process (tgid) and stack ids (negative: none). */
void stackcap__note(struct stackcap *sc, uint32_t pid, int32_t ustack, int32_t kstack);
/* The rows new since the last call (stacks, (stack, process) pairs, the
 * files and mappings of the processes with stacks, and with symbols != 0
 * the symbols and line rows their frames fall in), for the writer thread
 * (stackrows__apply): the index holds the stacks while the recording goes,
 * for snapshots, crashes and catalog.db.  final: the last call (frames in
 * no mapping then go to the JIT maps).  Drain thread.  NULL: out of memory
 * (said). */
struct stackrows;
struct stackrows *stackcap__sync(struct stackcap *sc, int symbols, int final);
/* The final stackcap__sync, applied through w (once the pipeline has
 * stopped).  0 or -errno; what could not be read is said in the rows
 * (sym_files.symbols). */
int stackcap__write(struct stackcap *sc, struct capw *w, int symbols);
/* Follows the mappings of the recorded processes at exec and exit from BPF
 * (execmaps.h), so that a process gone before its first stack is drained
 * still names its frames.  0, or -errno said once: the recording goes on
 * with /proc alone. */
int stackcap__follow_execs(struct stackcap *sc, int pid_map_fd, int filter_pids,
			   const char *btf_custom_path);
/* Takes in the mappings sent since (drain thread, after each drain pass
 * and after the final one).  NULL is fine. */
void stackcap__poll(struct stackcap *sc);
/* One mapping (execmaps.h's pm_event), as stackcap__poll hands it over. */
struct pm_event;
void stackcap__exec_mapping(struct stackcap *sc, const struct pm_event *e);
/* Stacks seen, and records whose stack was lost (the table was full). */
void stackcap__counts(const struct stackcap *sc, uint64_t *stacks, uint64_t *lost);
void stackcap__free(struct stackcap *sc);   /* NULL is fine */

#endif
