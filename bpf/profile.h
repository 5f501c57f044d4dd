/* profile.h - the event of the profile probe: one on-CPU sample. */
#ifndef BPFREC_PROFILE_H
#define BPFREC_PROFILE_H

struct profile_event {
	bpfrec_ts_ns ts_ns;    /* bpf_ktime_get_boot_ns() at the sample */
	__u32 pid;             /* tgid of the task on the CPU */
	__u32 tid;
	__u32 cpu;
	__u32 __pad;           /* zero */
	bpfrec_ustack_id ustack_id; /* what it ran: user and kernel stack (bpfrec.h) */
	bpfrec_kstack_id kstack_id;
	char comm[16];
};
_Static_assert(sizeof(struct profile_event) == 48, "profile_event layout");

#endif
