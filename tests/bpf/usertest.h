/* usertest.h - what the test_user_* and test_loader_errors tests share:
 * paths of the tools and objects, running bpfrec with its stderr kept, and
 * checks that print the events of a stream when they fail. */
#ifndef BPFREC_TEST_USERTEST_H
#define BPFREC_TEST_USERTEST_H

#include "capload.h"

#include <stddef.h>

struct ut {
	char bpfrec[4096];      /* $BPFREC_BUILD/recorder/bpfrec */
	char actor[4096];
	char objs[4096];        /* $BPFREC_OBJS: the built .bpf.o files */
	char dir[4096];         /* this test's fresh temporary directory */
	char err[65536];        /* stderr of the last ut_bpfrec() */
};

/* Exits 77 (SKIPPED, reason printed) when not root; fills u. */
void ut_init(struct ut *u, const char *name);
/* A path under u->dir, or the object NAME.bpf.o; static buffers, 4 of each. */
const char *ut_path(struct ut *u, const char *name);
const char *ut_obj(struct ut *u, const char *name);
/* Runs bpfrec with args (NULL-terminated) and returns its exit status (or
 * 128+signal); its stderr is in u->err.  Killed after 30 s.  A sanitizer
 * report in its stderr fails the test. */
int ut_bpfrec(struct ut *u, char *const args[]);
/* The same, and fails the test (printing stderr) unless it exits 0. */
void ut_bpfrec_ok(struct ut *u, char *const args[]);
/* Fails the test (printing stderr) unless u->err contains every needle. */
void ut_err_has(struct ut *u, const char *const needles[]);
/* Fails the test unless stream has exactly want events with field=value
 * (NULL: any). */
void ut_want(const struct evlist *l, const char *stream, const char *field, const char *value,
	     size_t want);
/* The one event of stream with field=value; fails the test if not exactly one. */
const struct ev *ut_one(const struct evlist *l, const char *stream, const char *field,
			const char *value);
/* "%lld" into a static buffer (4 of them rotate). */
const char *ut_num(long long v);

#endif
