/* ukprobe.bpf.c - written as a user would: kprobe/kretprobe and
 * fentry/fexit on the getsid syscall.  The kernel needs CONFIG_KPROBES for
 * the first pair and BPF trampolines for the second: the test checks each
 * where the kernel has it and reports SKIPPED where it has not. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "bpfrec.h"

#if defined(__TARGET_ARCH_x86)
#define SYS_GETSID "__x64_sys_getsid"
#elif defined(__TARGET_ARCH_arm64)
#define SYS_GETSID "__arm64_sys_getsid"
#else
#error "add this arch's syscall wrapper name"
#endif

enum kp_kind { KP_KPROBE = 1, KP_KRETPROBE = 2, KP_FENTRY = 3, KP_FEXIT = 4 };

struct kp_ev {
	enum kp_kind kind;
	__u32 pid;
	__s64 ret;              /* kretprobe/fexit: getsid()'s result */
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} kps SEC(".maps");
BPFREC_EVENT(kps, kp_ev);

static void emit(enum kp_kind kind, long ret)
{
	struct kp_ev *e = bpf_ringbuf_reserve(&kps, sizeof(*e), 0);

	if (!e)
		return;
	e->kind = kind;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->ret = ret;
	bpf_ringbuf_submit(e, BPFREC_RB_FLAGS);
}

SEC("kprobe/" SYS_GETSID)
int BPF_KPROBE(kp_enter)
{
	emit(KP_KPROBE, 0);
	return 0;
}

SEC("kretprobe/" SYS_GETSID)
int BPF_KRETPROBE(kp_return, long ret)
{
	emit(KP_KRETPROBE, ret);
	return 0;
}

SEC("fentry/" SYS_GETSID)
int BPF_PROG(fe_enter, struct pt_regs *regs)
{
	emit(KP_FENTRY, 0);
	return 0;
}

SEC("fexit/" SYS_GETSID)
int BPF_PROG(fe_return, struct pt_regs *regs, long ret)
{
	emit(KP_FEXIT, ret);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
