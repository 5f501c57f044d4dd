/* addrsearch.h - the one binary search of an address table sorted by
 * address: the recorder's (kernel symbols, a process's JIT entries, an
 * ELF file's functions when it names the symbols of a stack) and
 * bpfreplay's (the symbols and line rows a capture carries, when it names
 * a frame).  Both ask the same question, "the last entry starting at or
 * before a", and both then check that entry's own size: that check (and
 * what to do with aliases and nested symbols) stays with the caller.
 * Header-only: the search is inlined where the table's stride is known.
 * No allocation, no errors. */
#ifndef BPFREC_SCHEMA_ADDRSEARCH_H
#define BPFREC_SCHEMA_ADDRSEARCH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The number of leading entries of base (n entries of stride bytes, in
 * ascending order of the uint64_t at byte offset off of each) whose key is
 * at or below a: the last entry starting at or before a is the one before
 * that index, and there is none when it is 0.  Equal keys (aliases) count
 * whole: the result is past the last of them.  O(log n), reads only the
 * keys of entries below n. */
static inline size_t cap_addr_upper(const void *base, size_t n, size_t stride, size_t off,
				    uint64_t a)
{
	const unsigned char *p = base;
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t k;

		memcpy(&k, p + mid * stride + off, sizeof(k));
		if (k <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* cap_addr_upper over an array of structs by the name of its uint64_t
 * member (a member of another width does not compile). */
#define CAP_ADDR_UPPER(arr, n, member, a)                                                   \
	((void)sizeof(char[sizeof((arr)->member) == sizeof(uint64_t) ? 1 : -1]),            \
	 cap_addr_upper((arr), (n), sizeof(*(arr)), offsetof(__typeof__(*(arr)), member), (a)))

#endif
