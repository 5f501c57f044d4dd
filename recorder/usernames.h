/* usernames.h - the recording host's user and group names into the
 * capture (FORMAT.md "User and group names"), so that a reader on another
 * machine prints uid=1000(alice) with the names of the host that recorded.
 * Called from the main thread at set-up and again at the end of the
 * recording (the second read adds the ids created meanwhile), never while
 * another thread writes to the capture. */
#ifndef BPFREC_RECORDER_USERNAMES_H
#define BPFREC_RECORDER_USERNAMES_H

#include "capw.h"

/* Reads the host's users and groups and adds them to cap (in its open
 * batch: the next flush commits them).  0, or -errno when the capture
 * cannot be written; a host whose databases cannot be read gives an empty
 * table, not an error (the readers then print numbers). */
int usernames__record(struct capw *cap);
/* The same with at most limit entries a database (usernames__record's is
 * CAP_ID_NAMES_MAX): for the tests, which cannot make a huge directory. */
int usernames__record_at_most(struct capw *cap, size_t limit);

#endif
