/* symline.c - line table rows for file offsets (symline.h). */
#include "symline.h"
#include "util.h"

#include <elfutils/libdw.h>
#include <errno.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void free_row(void *row)
{
	free(((struct symline_row *)row)->src);
}

static int cmp_row(const void *a, const void *b)
{
	const struct symline_row *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

struct seg {
	uint64_t off, vaddr, filesz;
};

/* The PT_LOAD segments: file offsets <-> addresses the DWARF speaks of. */
static struct seg *load_segs(Elf *e, size_t *n)
{
	size_t phnum, i;
	struct seg *s;

	*n = 0;
	if (elf_getphdrnum(e, &phnum))
		return NULL;
	s = calloc(phnum ? phnum : 1, sizeof(*s));
	for (i = 0; s && i < phnum; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD)
			s[(*n)++] = (struct seg){ ph.p_offset, ph.p_vaddr, ph.p_filesz };
	}
	return s;
}

/* The row of lines (nlines, sorted by address as libdw keeps them) that
 * holds va: its address, and the next greater address as its end.  0 if
 * found. */
static int find_row(Dwarf_Lines *lines, size_t nlines, uint64_t va, Dwarf_Line **row,
		    uint64_t *start, uint64_t *end)
{
	size_t lo = 0, hi = nlines, best = nlines;
	Dwarf_Addr a;
	bool endseq;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		Dwarf_Line *l = dwarf_onesrcline(lines, mid);

		if (!l || dwarf_lineaddr(l, &a))
			return -1;
		if (a <= va) {
			best = mid;
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	if (best == nlines)
		return -1;
	*row = dwarf_onesrcline(lines, best);
	if (!*row || dwarf_lineaddr(*row, &a) || dwarf_lineendsequence(*row, &endseq) || endseq)
		return -1;
	*start = a;
	for (size_t i = best + 1; i < nlines; i++) {
		Dwarf_Line *l = dwarf_onesrcline(lines, i);
		Dwarf_Addr b;

		if (!l || dwarf_lineaddr(l, &b))
			return -1;
		if (b > a) {
			*end = b;
			return va < b ? 0 : -1;
		}
	}
	return -1;
}

int symline__read(int fd, const uint64_t *offs, size_t n, struct symline_row **rows,
		  size_t *nrows)
{
	struct symline_row *out = NULL;
	uint64_t *sorted = NULL;
	struct seg *segs = NULL;
	size_t nseg = 0, nout = 0, i;
	Dwarf *dw;
	int err = 0;

	*rows = NULL;
	*nrows = 0;
	if (!n)
		return 0;
	dw = dwarf_begin(fd, DWARF_C_READ);
	if (!dw)
		return 0;   /* no DWARF: no lines */
	segs = load_segs(dwarf_getelf(dw), &nseg);
	sorted = malloc(n * sizeof(*sorted));
	out = calloc(n, sizeof(*out));
	if (!segs || !sorted || !out) {
		err = -ENOMEM;
		goto out;
	}
	memcpy(sorted, offs, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_u64);
	for (i = 0; i < n; i++) {
		uint64_t va = 0, start, end, row_off = 0;
		Dwarf_Die cu;
		Dwarf_Lines *lines;
		Dwarf_Line *row;
		size_t nlines, k, len;
		const char *src;
		int line, found = 0;

		if (i && sorted[i] == sorted[i - 1])
			continue;
		if (nout && sorted[i] - out[nout - 1].off < out[nout - 1].size)
			continue;   /* in the row before */
		for (k = 0; k < nseg && !found; k++)
			if (sorted[i] >= segs[k].off && sorted[i] - segs[k].off < segs[k].filesz) {
				va = sorted[i] - segs[k].off + segs[k].vaddr;
				found = 1;
			}
		if (!found || !dwarf_addrdie(dw, va, &cu) ||
		    dwarf_getsrclines(&cu, &lines, &nlines) ||
		    find_row(lines, nlines, va, &row, &start, &end) ||
		    dwarf_lineno(row, &line) || line <= 0 || !(src = dwarf_linesrc(row, NULL, NULL)))
			continue;
		len = strlen(src);
		if (!len || len >= SYMLINE_MAX_SRC)
			continue;
		/* back to a file offset, in the segment that held va */
		for (k = 0, found = 0; k < nseg && !found; k++)
			if (start >= segs[k].vaddr && start - segs[k].vaddr < segs[k].filesz) {
				row_off = start - segs[k].vaddr + segs[k].off;
				found = 1;
			}
		if (!found)
			continue;
		if (nout && out[nout - 1].off == row_off)
			continue;
		out[nout].off = row_off;
		out[nout].size = end - start;
		out[nout].line = (uint32_t)line;
		out[nout].src = strdup(src);
		if (!out[nout].src) {
			err = -ENOMEM;
			goto out;
		}
		nout++;
	}
	qsort(out, nout, sizeof(*out), cmp_row);
	/* two offsets of one row, apart after sorting */
	nout = drop_repeated_offsets(out, nout, sizeof(*out), free_row);
out:
	if (err) {
		symline__free(out, nout);
		out = NULL;
		nout = 0;
	}
	*rows = out;
	*nrows = nout;
	free(sorted);
	free(segs);
	dwarf_end(dw);
	return err;
}

void symline__free(struct symline_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(rows[i].src);
	free(rows);
}
