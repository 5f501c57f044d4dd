/* prio.h - the recorder's own threads ahead of the work they record.
 *
 * A recorder whose threads get the CPU only as often as the programs it
 * traces falls behind them exactly when those are busiest: the kernel's
 * buffers then fill and drop events.  prio__boost raises the calling
 * thread's priority by some nice levels; threads it creates afterwards
 * inherit the new value, processes forked before (the recorded command)
 * keep theirs, and so do the process's other threads.
 *
 * Errors: 0 or -errno; -EPERM or -EACCES without CAP_SYS_NICE (or a
 * RLIMIT_NICE that allows it), and then nothing changed.
 */
#ifndef BPFREC_PRIO_H
#define BPFREC_PRIO_H

/* The calling thread's nice value lowered by levels (raised when
 * negative), kept within -20..19.  *before and *after: its nice value
 * before and after (after == before on an error); either may be NULL. */
int prio__boost(int levels, int *before, int *after);

#endif
