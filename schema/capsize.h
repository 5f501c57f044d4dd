/* capsize.h - what "on disk" means, once for the recorder's end summary and
 * `bpfreplay info`, so that both print the same number in the same unit.
 *
 * On disk: the apparent size (st_size) of the capture's own files directly
 * in its directory: index.db, catalog.db and every segment file
 * (what segname.h takes for one); a bundle is its one file.  Snapshots (snapshot-N/)
 * are captures of their own and not counted; nor is anything else found
 * there.  Symlinks are not followed. */
#ifndef BPFREC_SCHEMA_CAPSIZE_H
#define BPFREC_SCHEMA_CAPSIZE_H

#include <stddef.h>
#include <stdint.h>

struct cap_disk {
	uint64_t segments;          /* bytes of the segment files */
	uint64_t index;             /* index.db (and its -wal while recording) */
	uint64_t catalog;           /* catalog.db */
	uint64_t total;             /* the sum: "on disk" */
	uint32_t nsegments;
};

/* Measures path (a capture directory or a bundle file).  0 or -errno. */
int cap_disk__measure(const char *path, struct cap_disk *out);

/* "12.3 MiB (12897484 bytes)", or "512 bytes" below 1 KiB: the one way
 * sizes are printed.  Returns buf. */
char *cap_disk__fmt(uint64_t bytes, char *buf, size_t len);

#endif
