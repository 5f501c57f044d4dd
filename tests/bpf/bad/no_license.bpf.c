/* no_license.bpf.c - broken on purpose: no SEC("license") at all (so not
 * GPL) while calling bpf_probe_read_kernel(), a GPL-only helper. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("tp/sched/sched_process_exit")
int exit_comm(void *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	char *comm = bpf_ringbuf_reserve(&events, 16, 0);

	if (comm) {
		bpf_probe_read_kernel(comm, 16, t->comm);
		bpf_ringbuf_submit(comm, 0);
	}
	return 0;
}
