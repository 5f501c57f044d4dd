/* symline.h - the line table rows (DWARF .debug_line, through libdw) that
 * hold given file offsets of an ELF file, for the capture's `lines` table
 * (FORMAT.md "Stacks and symbols"): only the rows recorded frames fall in,
 * each as a file offset range, so that a reader needs neither the file nor
 * its DWARF.  A file without .debug_line gives no rows (not an error). */
#ifndef BPFREC_SYMLINE_H
#define BPFREC_SYMLINE_H

#include <stddef.h>
#include <stdint.h>

#define SYMLINE_MAX_SRC 4096        /* bytes of a source path kept (longer: left out) */

struct symline_row {
	uint64_t off;                 /* file offset of the row's first instruction */
	uint64_t size;                /* bytes, up to the next row's address */
	uint32_t line;                /* 1-based; rows with line 0 are left out */
	char *src;                    /* the source file's path, malloc'ed */
};

/* Reads the ELF file open at fd (not closed; libdw reads with pread).
 * offs: file offsets (any order, duplicates fine).  *rows: the rows that
 * hold at least one of them, sorted by off, no duplicates; free with
 * symline__free.  0 (also when the file has no line table), or -errno. */
int symline__read(int fd, const uint64_t *offs, size_t n, struct symline_row **rows,
		  size_t *nrows);
void symline__free(struct symline_row *rows, size_t n);

#endif
