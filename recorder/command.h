/* command.h - the command `bpfrec record -- COMMAND` records: found in
 * PATH, forked, held before its exec until every probe is attached, given
 * the signals bpfrec gets while it runs, and its exit status taken.
 *
 * Errors: the constructor returns NULL with errno set, the message naming
 * the command printed (none for ENOMEM). */
#ifndef BPFREC_COMMAND_H
#define BPFREC_COMMAND_H

#include <stdint.h>
#include <sys/types.h>

/* How long the command has to exit after a forwarded SIGINT/SIGTERM/SIGHUP
 * before it is killed and the capture finished without it. */
#define COMMAND_GRACE_NS 2000000000ull

struct command;

/* Resolves argv[0] as execvp would, then forks it, stopped before its
 * exec until command__start().  argv must outlive the command. */
struct command *command__fork(char *const *argv);
/* Its pid while it runs (has not been reaped), else 0. */
pid_t command__pid(const struct command *c);
/* Lets it exec. */
void command__start(struct command *c);
/* After a SIGCHLD: 1 if it exited (its status kept), else 0. */
int command__reap(struct command *c);
/* A stopping signal bpfrec got: while the command runs, the first one goes
 * to it (as perf does: the recording goes on until it exits, its last
 * events recorded) and 1 is returned; after that, or if it does not run,
 * 0: stop now. */
int command__forward(struct command *c, int sig, uint64_t now_ns);
/* 1 when it was given a signal COMMAND_GRACE_NS ago and still runs (said). */
int command__overdue(const struct command *c, uint64_t now_ns);
/* The recording stops: a command that was given a signal (and its grace)
 * goes too, killed and reaped before the probes detach: never an orphan. */
void command__stop(struct command *c);
/* bpfrec exits: a command never started exits at once; one still running
 * (the recording failed or its time was up) keeps running, and it is said. */
void command__abandon(struct command *c);
/* Its status as bpfrec's (as with time(1) and strace: 128+N for signal N),
 * said on stderr; -1 if it has not exited. */
int command__exit_status(const struct command *c);
void command__free(struct command *c);   /* NULL is fine */

#endif
