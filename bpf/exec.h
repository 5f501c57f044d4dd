/* exec.h - the event of the exec probe (sys_enter_execve), shared by the BPF
 * program and user space.  Fixed widths, explicit padding, zeroed. */
#ifndef BPFREC_EXEC_H
#define BPFREC_EXEC_H

#define EXEC_FILENAME_LEN 256

struct exec_event {
	bpfrec_ts_ns ts_ns;    /* bpf_ktime_get_boot_ns() */
	__u32 pid;             /* tgid */
	__u32 tid;
	__u32 ppid;            /* tgid of task->real_parent */
	__u32 uid;
	__u32 gid;             /* bpfreplay shows both with the recording host's names */
	bpfrec_ustack_id ustack_id; /* -g: the caller's stack (bpfrec.h) */
	bpfrec_kstack_id kstack_id;
	__u32 __pad;           /* zero (the pending slot starts zeroed) */
	char comm[16];         /* before the exec: the caller's name */
	char filename[EXEC_FILENAME_LEN]; /* as passed to execve, truncated */
};
_Static_assert(sizeof(struct exec_event) == 312, "exec_event layout");

#endif
