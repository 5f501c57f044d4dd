/* procmaps.h - the executable file mappings of a recorded process, sent by
 * procmaps.bpf.c when it execs (the new image and its interpreter) and when
 * its last thread exits (everything it mapped since), so that the stacks of
 * a process too short-lived for /proc/PID/maps still name their frames
 * (recorder/execmaps.c hands them to recorder/stackcap.c).  Shared with the
 * recorder: fixed widths, explicit padding, a size check. */
#ifndef BPFREC_PROCMAPS_H
#define BPFREC_PROCMAPS_H

#define PM_DEPTH 16               /* path components kept, leaf first */
#define PM_NAME 64                /* bytes of one component, with its NUL */

enum pm_when { PM_AT_EXEC = 0, PM_AT_EXIT = 1 };

struct pm_event {
	__u64 ts_ns;              /* bpf_ktime_get_boot_ns() */
	__u64 start, end;         /* the mapping's addresses */
	__u64 file_offset;        /* of start in the file: vm_pgoff * page size */
	__u64 ino;                /* the file's inode number */
	__u32 dev;                /* its device, the kernel's encoding (major << 20 | minor) */
	__u32 pid;                /* tgid */
	__u8 when;                /* enum pm_when */
	__u8 ncomps;              /* components in comps; PM_DEPTH: the path may be cut */
	__u8 __pad[6];
	char comps[PM_DEPTH][PM_NAME];   /* the path's components, leaf first, across mounts */
};
_Static_assert(sizeof(struct pm_event) == 56 + PM_DEPTH * PM_NAME, "pm_event layout");

#endif
