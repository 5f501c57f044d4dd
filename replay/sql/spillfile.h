/* spillfile.h - an unnamed temporary file for data that does not fit in
 * memory (a grouped scan's sorted runs, vtgroup.h).
 *
 * It is made in $TMPDIR when that is set and not empty, else in /tmp:
 * mkstemp(3) there, unlinked at once, so nothing is named while it is in
 * use and nothing is left after a crash; fclose frees its space.  TMPDIR
 * must be an absolute path to a directory (checked, not trusted: a
 * relative one would depend on the working directory).
 */
#ifndef BPFREC_REPLAY_SPILLFILE_H
#define BPFREC_REPLAY_SPILLFILE_H

#include <stddef.h>
#include <stdio.h>

/* The file, open for reading and writing, at offset 0.  NULL with errno
 * set on failure, and in err why, naming the directory: "TMPDIR
 * 'spill': not an absolute path", "TMPDIR '/x': No such file or
 * directory", "/tmp: No space left on device". */
FILE *spillfile__open(char *err, size_t errlen);

#endif
