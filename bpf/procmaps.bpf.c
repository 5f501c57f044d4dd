/* procmaps.bpf.c - the executable file mappings of the recorded processes
 * at exec and at exit (procmaps.h), walked with the task VMA iterator.
 * Loaded by the recorder when it takes stacks (-g, --stacks, --probe
 * profile).  The exit hook needs the tracepoint before the mm is released
 * (Linux 6.16 on: sched_process_exit with group_dead); on older kernels the
 * iterator finds no mm there and only the exec hook helps. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "common.bpf.h"
#include "procmaps.h"

#define VM_EXEC 0x4

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} pm_events SEC(".maps");

extern int bpf_iter_task_vma_new(struct bpf_iter_task_vma *it, struct task_struct *task,
				 __u64 addr) __ksym;
extern struct vm_area_struct *bpf_iter_task_vma_next(struct bpf_iter_task_vma *it) __ksym;
extern void bpf_iter_task_vma_destroy(struct bpf_iter_task_vma *it) __ksym;

/* The path's components, built here and copied into the event. */
struct pm_comps {
	char comps[PM_DEPTH][PM_NAME];
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pm_comps);
} pm_scratch SEC(".maps");

struct walk {
	__u64 d, mnt;             /* struct dentry *, struct mount * (read, not trusted) */
	__u32 n;                  /* components so far */
	__u32 __pad;
};

/* One step up the path, leaf first: a dentry's name, or from the root of
 * its mount to the mount point in the parent mount.  1 ends the walk.  A
 * bpf_loop callback: the verifier checks one step, not every path of the
 * whole walk. */
static long walk_step(__u32 i, void *ctx)
{
	struct walk *w = ctx;
	struct dentry *d = (struct dentry *)w->d, *parent, *root;
	struct mount *mnt = (struct mount *)w->mnt, *up;
	struct pm_comps *c;
	__u32 k = 0;

	parent = BPF_CORE_READ(d, d_parent);
	root = BPF_CORE_READ(mnt, mnt.mnt_root);
	if (d == root || d == parent) {
		up = BPF_CORE_READ(mnt, mnt_parent);
		if (up == mnt || !up)
			return 1;
		w->d = (__u64)BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = (__u64)up;
		return 0;
	}
	c = bpf_map_lookup_elem(&pm_scratch, &k);
	if (w->n >= PM_DEPTH || !c)
		return 1;
	bpf_probe_read_kernel_str(c->comps[w->n & (PM_DEPTH - 1)], PM_NAME,
				  BPF_CORE_READ(d, d_name.name));
	w->n++;
	w->d = (__u64)parent;
	return 0;
}

static __always_inline void send_maps(enum pm_when when)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct bpf_iter_task_vma it;
	struct vm_area_struct *vma;
	__u64 now = bpf_ktime_get_boot_ns();

	if (!bpfrec_pid_wanted(tgid))
		return;
	bpf_iter_task_vma_new(&it, task, 0);
	while ((vma = bpf_iter_task_vma_next(&it))) {
		struct file *f = BPF_CORE_READ(vma, vm_file);
		struct pm_event *e;

		if (!(vma->vm_flags & VM_EXEC) || !f)
			continue;
		e = bpf_ringbuf_reserve(&pm_events, sizeof(*e), 0);
		if (!e) {
			bpfrec_count_lost();
			continue;
		}
		e->ts_ns = now;
		e->start = vma->vm_start;
		e->end = vma->vm_end;
		e->file_offset = (__u64)vma->vm_pgoff << 12;
		e->ino = BPF_CORE_READ(f, f_inode, i_ino);
		e->dev = BPF_CORE_READ(f, f_inode, i_sb, s_dev);
		e->pid = tgid;
		e->when = when;
		__builtin_memset(e->__pad, 0, sizeof(e->__pad));
		{
			struct vfsmount *vm = BPF_CORE_READ(f, f_path.mnt);
			struct walk w = { .d = (__u64)BPF_CORE_READ(f, f_path.dentry),
					  .mnt = (__u64)container_of(vm, struct mount, mnt) };
			__u32 k = 0;
			struct pm_comps *c;

			bpf_loop(PM_DEPTH + 8, walk_step, &w, 0);
			c = bpf_map_lookup_elem(&pm_scratch, &k);
			e->ncomps = w.n;
			if (c)
				bpf_probe_read_kernel(e->comps, sizeof(e->comps), c->comps);
		}
		bpf_ringbuf_submit(e, BPFREC_RB_FLAGS);
	}
	bpf_iter_task_vma_destroy(&it);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(pm_exec)
{
	send_maps(PM_AT_EXEC);
	return 0;
}

/* The last thread of the process: everything it mapped. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(pm_exit, struct task_struct *p)
{
	if (BPF_CORE_READ(p, signal, live.counter))
		return 0;
	send_maps(PM_AT_EXIT);
	return 0;
}
