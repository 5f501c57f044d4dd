/* core_renamed.bpf.c - broken on purpose: a private copy of task_struct
 * renamed (no ___flavor suffix) so that the kernel's BTF has no such type:
 * libbpf cannot resolve the CO-RE relocation. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct my_task_struct {
	int tgid;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("tp/sched/sched_process_exit")
int exit_tgid(void *ctx)
{
	struct my_task_struct *t = (void *)bpf_get_current_task();
	int *tgid = bpf_ringbuf_reserve(&events, sizeof(*tgid), 0);

	if (tgid) {
		*tgid = BPF_CORE_READ(t, tgid);
		bpf_ringbuf_submit(tgid, 0);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
