/* sys.h - `bpfrec record --syscalls`: the event of sys.bpf.c and its
 * per-syscall configuration, shared with the recorder (recorder/sysrec.c).
 * Fixed widths, explicit padding (zeroed), size checks.
 *
 * One record per syscall, sent when it returns (or at entry for the calls
 * that never return: exit, exit_group).  The two string slots follow the
 * fixed part (and the stack ids, with -g); their size is the recorder's
 * --string-size, set in .rodata before load, so the BTF that describes the
 * record is built at run time.  A record is sent up to the end of its last
 * string (a getppid: the fixed part alone) and zero-filled by the drain. */
#ifndef BPFREC_SYS_H
#define BPFREC_SYS_H

#define SYS_MAX_NR 1024          /* syscall numbers configured (x86-64: < 500) */
#define SYS_MAX_STR 4096         /* bytes of one string slot, at most */

enum sys_arg_kind {
	SYS_ARG_INT = 0,          /* a number, recorded as is */
	SYS_ARG_STR = 1,          /* const char *: a path or name, copied at entry */
	SYS_ARG_SOCKADDR = 2,     /* struct sockaddr *, its length in arg len_arg */
	SYS_ARG_UID = 3,          /* a uid_t: a number here, named by bpfreplay show */
	SYS_ARG_GID = 4,          /* a gid_t: likewise */
};

struct sys_conf {
	__u8 enabled;
	__u8 noreturn;            /* exit, exit_group: sent at entry */
	__u8 kind[6];             /* enum sys_arg_kind per argument */
	__u8 len_arg;             /* SOCKADDR: the argument holding its length */
	__u8 __pad[7];
};
_Static_assert(sizeof(struct sys_conf) == 16, "sys_conf layout");

struct sys_event {
	__u64 ts_ns;              /* entry, bpf_ktime_get_boot_ns() */
	__u64 latency_ns;         /* exit - entry; 0 when it did not return */
	__u32 pid, tid;
	__u32 nr;                 /* the syscall's number (an enum in the BTF) */
	__s32 err;                /* -ret when ret is an error (-4095..-1), else 0 */
	__s64 ret;
	__u8 returned;            /* 0: sent at entry (exit, exit_group) */
	__u8 __pad;
	__u16 family;             /* the sockaddr's, 0: none */
	__u16 port;               /* host order */
	__u8 __pad2[2];
	__u8 addr[16];            /* IPv6 or IPv4-mapped */
	__u64 args[6];
	char comm[16];
	/* then, with -g/--stacks: bpfrec_ustack_id, bpfrec_kstack_id (s32
	 * each, bpfrec.h); then char str0[string_size], str1[string_size] */
};
_Static_assert(sizeof(struct sys_event) == 128, "sys_event layout");

#endif
