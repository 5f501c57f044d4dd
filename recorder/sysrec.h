/* sysrec.h - `bpfrec record --syscalls LIST`: each syscall of the selected
 * processes as one row when it returns, decoded as strace would: its name,
 * arguments, return value, errno name, latency, and what its path and
 * socket-address arguments pointed to at entry (bpf/sys.bpf.c).  Argument
 * types come from each syscall's tracefs format (syscalls:sys_enter_NAME);
 * numbers from the kernel headers this bpfrec was built with.
 *
 * Errors as tprec.h's: NULL or -errno, the message printed where it failed.
 */
#ifndef BPFREC_SYSREC_H
#define BPFREC_SYSREC_H

#include <stdint.h>

#include "bpfobj.h"

struct sysrec;

/* Where the programs attach (bpf/sys.bpf.c): the raw tracepoints sys_enter
 * and sys_exit (tp_btf, x86-64; the kernel fills no perf record per
 * syscall), the classic raw_syscalls tracepoints, or (auto) raw where the
 * kernel's BTF has them.  The same choice is made for -e
 * raw_syscalls:sys_enter and sys_exit (tprec.c). */
enum sysrec_hook { SYSREC_HOOK_AUTO, SYSREC_HOOK_RAW, SYSREC_HOOK_CLASSIC };
/* "auto", "raw", "classic": 0, else -EINVAL. */
int sysrec__parse_hook(const char *arg, enum sysrec_hook *out);
/* 1 if the raw tracepoints are to be used, given hook and the kinds of
 * stack taken (STACKCAP_*), 0 if the classic ones; *why says why (static
 * text).  Auto takes the classic ones when kernel stacks are taken: their
 * kernel stacks begin at the syscall, the raw ones' in BPF's own frames.
 * Also for -e raw_syscalls:sys_enter/sys_exit (tprec.c). */
int sysrec__raw_hooks(enum sysrec_hook hook, uint32_t stack_flags, const char **why);

/* LIST: comma-separated names, globs or "all".  A name that matches no
 * syscall of this kernel: NULL with errno EINVAL, the message printed. */
struct sysrec *sysrec__resolve(const char *list, uint32_t string_size, enum sysrec_hook hook,
			       const char *tracing_dir);
/* Opens, configures and loads the program, its record described in BTF
 * (one stream, table "syscalls"); take() owns the object from then on.
 * -ENOTSUP (said) for SYSREC_HOOK_RAW where the kernel has no raw hook. */
int sysrec__load(struct sysrec *s, const struct bpfobj_opts *opts,
		 int (*take)(struct bpfobj *o, void *ctx), void *ctx);
void sysrec__free(struct sysrec *s);   /* NULL is fine */

#endif
