/* perfmap.h - the lines of a JIT runtime's /tmp/perf-PID.map: "START SIZE
 * NAME", START and SIZE in hex, one entry a line (the format perf reads).
 *
 * The file is written by the process that was recorded, whoever runs it,
 * and read by the recorder: it is hostile input.  A line is read whole or
 * not at all, within PERFMAP_LINE_MAX bytes: a longer one is read to its
 * end and left out, so that its tail is never taken for a line of its own
 * (an entry with another address and name), and a line of any length
 * costs no more memory.  Pure parsing, no BPF: unit-tested without root.
 */
#ifndef BPFREC_PERFMAP_H
#define BPFREC_PERFMAP_H

#include <stdint.h>
#include <stdio.h>

/* Bytes of a line the recorder reads, its newline included. */
#define PERFMAP_LINE_MAX 4096

struct perfmap_entry {
	uint64_t start, size;      /* [start, start + size), size > 0, no wrap */
	const char *name;          /* into the caller's buffer; NULL: not an entry */
};

/* The next line of f into buf (PERFMAP_LINE_MAX bytes): 0 at the end of
 * the file, else 1 with *ended 1 if the line ended with its newline (0:
 * the file ended first, a line perhaps still being written).  e->name is
 * NULL when the line is no entry: not START SIZE NAME (hex digits, an
 * optional 0x, no sign; blanks between; a name of at least one byte), a
 * NUL in it, start + size past 2^64, or longer than PERFMAP_LINE_MAX.
 * A read error ends the file. */
int perfmap__next(FILE *f, char *buf, struct perfmap_entry *e, int *ended);

#endif
