/* cmds.h - bpfrec's commands and its exit statuses.  A command is
 * cmd_<name>(argc, argv), argv[0] its name; it returns the exit status. */
#ifndef BPFREC_CMDS_H
#define BPFREC_CMDS_H

#define EXIT_FAIL 1     /* the recording failed (message printed) */
#define EXIT_USAGE 2    /* wrong command line */

extern int bpfrec_argc;        /* the whole command line, for the session record */
extern char **bpfrec_argv;

int cmd_record(int argc, char **argv);
int cmd_probes(int argc, char **argv);
int cmd_list(int argc, char **argv);

#endif
