/* exit.h - the event of the exit probe (sched_process_exit, every thread). */
#ifndef BPFREC_EXIT_H
#define BPFREC_EXIT_H

struct exit_event {
	bpfrec_ts_ns ts_ns;    /* bpf_ktime_get_boot_ns() */
	__u32 pid;             /* tgid */
	__u32 tid;
	__s32 exit_code;       /* the status exit() was given: (code >> 8) & 0xff */
	__u32 exit_signal;     /* the signal that killed it, 0 if none */
	bpfrec_ustack_id ustack_id; /* -g: the exiting thread's stack (bpfrec.h) */
	bpfrec_kstack_id kstack_id;
	char comm[16];
};
_Static_assert(sizeof(struct exit_event) == 48, "exit_event layout");

#endif
