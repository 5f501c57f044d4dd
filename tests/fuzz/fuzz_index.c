/* fuzz_index - opening a capture's index.db (schema/capr.c: defensive
 * SQLite open, quick_check, meta/segments/blocks rows; replay/capview.c:
 * sessions, objects with their BTF through btfv and evtype, streams,
 * block_streams), then reading every block and value it leads to.
 *
 * The input is written as index.db into a directory that also holds the
 * small valid segment of fuzzcap.h (made once at start), so an index that
 * agrees with it reaches the block reader.  Seeds: fuzz_mkseeds (indexes of
 * that segment with real BTF) and real captures' indexes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzzcap.h"
#include "fuzzutil.h"

static char fi_cap[512], fi_idx[600];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!fi_cap[0]) {
		char tmpl[512], seg[600], dst[600];
		snprintf(tmpl, sizeof(tmpl), "%s/template", fuzz_tmpdir());
		snprintf(fi_cap, sizeof(fi_cap), "%s/cap", fuzz_tmpdir());
		if (fuzzcap_build(tmpl, NULL, 0) || mkdir(fi_cap, 0755))
			abort();
		snprintf(seg, sizeof(seg), "%s/seg-000001.bpfrec", tmpl);
		snprintf(dst, sizeof(dst), "%s/seg-000001.bpfrec", fi_cap);
		if (link(seg, dst))
			abort();
		snprintf(fi_idx, sizeof(fi_idx), "%s/index.db", fi_cap);
	}
	fuzz_write(fi_idx, data, size);
	fuzz_read_all(fi_cap);
	return 0;
}
