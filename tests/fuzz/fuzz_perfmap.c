/* fuzz_perfmap - the recorder's reader of /tmp/perf-PID.map
 * (recorder/perfmap.c), a file any process writes and the recorder (root)
 * reads.
 *
 * Input: the file's bytes.  Read line by line as the recorder reads it,
 * each answer is checked against the input cut at its newlines: one
 * answer a line, in order, "ended" for all but a last line without a
 * newline; an entry only from a line of at most PERFMAP_LINE_MAX bytes
 * with its newline, its name that line's tail (never bytes of another
 * line), of at least one byte and no NUL, its range not past 2^64.
 * perfmap.c is compiled into this file: the fuzz build has no recorder.
 * Seeds: tests/fuzz/corpus/fuzz_perfmap/ (by hand).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../recorder/perfmap.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f;
	char *buf;
	struct perfmap_entry e;
	size_t at = 0;
	int ended;

	if (!size)
		return 0;
	f = fmemopen((void *)data, size, "r");
	buf = malloc(PERFMAP_LINE_MAX);
	if (!f || !buf)
		abort();
	while (perfmap__next(f, buf, &e, &ended)) {
		const uint8_t *nl = at < size ? memchr(data + at, '\n', size - at) : NULL;
		size_t len = (nl ? (size_t)(nl - data) : size) - at;   /* the line, no newline */

		if (at >= size || ended != (nl != NULL))
			abort();   /* an answer past the input, or the wrong end */
		if (e.name) {
			size_t nlen = strlen(e.name);

			if (len + 1 > PERFMAP_LINE_MAX || !nlen || nlen > len ||
			    e.name < buf || e.name + nlen >= buf + PERFMAP_LINE_MAX ||
			    memcmp(e.name, data + at + len - nlen, nlen) ||
			    memchr(data + at, 0, len) || !e.size || e.start + e.size < e.start)
				abort();
		}
		at += len + (nl != NULL);
	}
	if (at != size)
		abort();   /* the input not read to its end */
	fclose(f);
	free(buf);
	return 0;
}
