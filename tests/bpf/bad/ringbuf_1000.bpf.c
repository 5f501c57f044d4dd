/* ringbuf_1000.bpf.c - a ringbuf declared with 1000 bytes: not a power-of-2
 * multiple of the page size.  libbpf quietly rounds it up; bpfrec says so.
 * Otherwise a working program (one event per execve). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "bpfrec.h"

struct small_ev { __u32 pid; __u32 magic; };

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1000);
} small SEC(".maps");
BPFREC_EVENT(small, small_ev);

SEC("tp/syscalls/sys_enter_execve")
int small_exec(void *ctx)
{
	struct small_ev *e = bpf_ringbuf_reserve(&small, sizeof(*e), 0);

	if (e) {
		e->pid = bpf_get_current_pid_tgid() >> 32;
		e->magic = 0x5a5a;
		bpf_ringbuf_submit(e, BPFREC_RB_FLAGS);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
