/* stackutil.h - what the stack tests (test_stacks*.c) share: running a
 * command line and keeping its output, bpfreplay as user nobody (only the
 * copied capture reachable), CSV rows, and the check that a stack's first
 * frames are stackprog's f3, f2, f1, main. */
#ifndef BPFREC_TEST_STACKUTIL_H
#define BPFREC_TEST_STACKUTIL_H

#include <stddef.h>

/* Runs a shell command line; its standard output (malloc'ed), and its exit
 * status in *status. */
char *su_run_out(const char *cmd, int *status);
/* bpfreplay ARGS as user nobody; fails the test unless it exits 0.  The
 * output is malloc'ed. */
char *su_replay_as_nobody(const char *bpfreplay, const char *args);
/* Runs fmt (with a and b) through the shell; fails the test unless 0. */
void su_sh(const char *fmt, const char *a, const char *b);
/* The CSV lines after the header (out is cut in place); at most max. */
size_t su_csv_lines(char *out, char **lines, size_t max);
/* Fails the test unless lines (depth,symbol,file) start with f3, f2, f1,
 * main, each in a file whose last component is prog. */
void su_check_f3_to_main(char **lines, size_t n, const char *what, const char *prog);
/* 0 when setpriv is there to read as nobody, else prints SKIPPED. */
int su_have_setpriv(void);

#endif
