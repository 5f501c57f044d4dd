/* sysrec.c - syscalls by name: resolved against tracefs, configured per
 * syscall number, their record described in BTF. */
#include "sysrec.h"
#include "progtab.h"
#include "stackcap.h"
#include "tpformat.h"
#include "util.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fnmatch.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys.h"
#include "sys.skel.h"
#include "syscall_names.h"   /* generated: { "name", nr }, ... from <asm/unistd.h> */

struct syscall_name {
	const char *name;
	uint32_t nr;
};

static const struct syscall_name syscall_names[] = {
	SYSCALL_NAMES
	{ NULL, 0 },
};

struct sysrec {
	const char *tracing_dir;
	uint32_t string_size;
	enum sysrec_hook hook;
	struct sys_conf confs[SYS_MAX_NR];
	uint8_t known[SYS_MAX_NR];     /* has a name (for the enum) */
	size_t nselected;
	const char *list;
	int err;
};

/* SYS_ARG_UID / _GID for a uid or gid type as tracefs spells it (uid_t
 * ruid, old_gid_t group: the 16-bit calls), else SYS_ARG_INT. */
static uint8_t id_kind(const char *type)
{
	static const char *const uids[] = { "uid_t", "old_uid_t", "__kernel_uid_t",
					    "__kernel_uid32_t", "__kernel_old_uid_t", NULL };
	static const char *const gids[] = { "gid_t", "old_gid_t", "__kernel_gid_t",
					    "__kernel_gid32_t", "__kernel_old_gid_t", NULL };

	for (int i = 0; uids[i]; i++) {
		if (!strcmp(type, uids[i]))
			return SYS_ARG_UID;
		if (!strcmp(type, gids[i]))
			return SYS_ARG_GID;
	}
	return SYS_ARG_INT;
}

/* Argument kinds from syscalls:sys_enter_NAME's format. */
static void configure(struct sysrec *s, const struct syscall_name *n)
{
	struct sys_conf *c = &s->confs[n->nr];
	char sysname[TPFORMAT_NAME_MAX], err[512];
	struct tpformat *f;
	size_t i;
	int arg = -1;

	if (c->enabled)
		return;
	c->enabled = 1;
	c->len_arg = 0xff;
	c->noreturn = !strcmp(n->name, "exit") || !strcmp(n->name, "exit_group");
	s->nselected++;
	snprintf(sysname, sizeof(sysname), "sys_enter_%s", n->name);
	f = tpformat__load(s->tracing_dir, "syscalls", sysname, err, sizeof(err));
	if (!f)
		return;   /* recorded, its arguments as numbers */
	for (i = 0; i < tpformat__nfields(f); i++) {
		const struct tpfield *fl = tpformat__field(f, i);

		if (!strcmp(fl->name, "__syscall_nr")) {
			arg = 0;
			continue;
		}
		if (arg < 0 || arg >= 6)
			continue;
		/* const char *: a path or a name, but not a buffer (write's buf) */
		if (!strcmp(fl->type, "const char *") && !strstr(fl->name, "buf"))
			c->kind[arg] = SYS_ARG_STR;
		else if (strstr(fl->type, "struct sockaddr *"))
			c->kind[arg] = SYS_ARG_SOCKADDR;
		else if (!strcmp(fl->name, "addrlen") && !strchr(fl->type, '*'))
			c->len_arg = (uint8_t)arg;
		else
			c->kind[arg] = id_kind(fl->type);
		arg++;
	}
	/* A socket address with no length beside it (accept's is a pointer:
	 * an output) is left a number. */
	for (i = 0; i < 6; i++)
		if (c->kind[i] == SYS_ARG_SOCKADDR && c->len_arg == 0xff)
			c->kind[i] = SYS_ARG_INT;
	tpformat__free(f);
}

int sysrec__parse_hook(const char *arg, enum sysrec_hook *out)
{
	static const char *const names[] = { "auto", "raw", "classic" };

	for (int i = 0; i < 3; i++)
		if (!strcmp(arg, names[i])) {
			*out = (enum sysrec_hook)i;
			return 0;
		}
	return -EINVAL;
}

struct sysrec *sysrec__resolve(const char *list, uint32_t string_size, enum sysrec_hook hook,
			       const char *tracing_dir)
{
	struct sysrec *s = calloc(1, sizeof(*s));
	char *copy = strdup(list), *tok, *save = NULL;
	const struct syscall_name *n;

	if (!s || !copy) {
		free(s);
		free(copy);
		errno = ENOMEM;
		return NULL;
	}
	s->tracing_dir = tracing_dir;
	s->string_size = string_size;
	s->hook = hook;
	for (n = syscall_names; n->name; n++)
		if (n->nr < SYS_MAX_NR)
			s->known[n->nr] = 1;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const char *glob = strcmp(tok, "all") ? tok : "*";
		int hits = 0;

		for (n = syscall_names; n->name; n++) {
			char path[TPFORMAT_NAME_MAX + 16];

			if (n->nr >= SYS_MAX_NR || fnmatch(glob, n->name, 0))
				continue;
			/* Only what this kernel has (it lists its syscalls in tracefs). */
			snprintf(path, sizeof(path), "sys_enter_%s", n->name);
			if (glob != tok || strpbrk(tok, "*?[")) {
				char err[256];
				struct tpformat *f = tpformat__load(tracing_dir, "syscalls", path, err,
								    sizeof(err));

				if (!f)
					continue;
				tpformat__free(f);
			}
			configure(s, n);
			hits++;
		}
		if (!hits) {
			warn_msg("--syscalls %s: no such syscall%s", tok,
				 strpbrk(tok, "*?[") ? " matches" : " in this kernel");
			free(copy);
			free(s);
			errno = EINVAL;
			return NULL;
		}
	}
	free(copy);
	return s;
}

/* The record of sys.h in BTF: struct syscall, its number an enum of the
 * syscall names, its errno an enum of the errno names. */
static int add_btf(const struct sysrec *s, struct btf *btf, int stacks)
{
	/* the stack ids (with -g) come before the slots: bpf/sys.bpf.c sends
	 * a record up to its last string */
	uint32_t ids_end = (uint32_t)sizeof(struct sys_event) + (stacks ? 8 : 0);
	uint32_t strings_end = ids_end + 2 * s->string_size;
	int us = stacks ? stackcap__btf_id_type(btf, 0) : 0;
	int ks = stacks ? stackcap__btf_id_type(btf, 1) : 0;
	int u8 = btf__add_int(btf, "unsigned char", 1, 0);
	int u16 = btf__add_int(btf, "unsigned short", 2, 0);
	int u32 = btf__add_int(btf, "unsigned int", 4, 0);
	int u64 = btf__add_int(btf, "unsigned long", 8, 0);
	int s64 = btf__add_int(btf, "long", 8, BTF_INT_SIGNED);
	int chr = btf__add_int(btf, "char", 1, BTF_INT_SIGNED);
	int ip, comm, str, nr_enum, errno_enum, sid, i, err = 0;
	const struct syscall_name *n;
	char argname[8];

	if (u8 < 0 || u16 < 0 || u32 < 0 || u64 < 0 || s64 < 0 || chr < 0)
		return -ENOMEM;
	ip = btf__add_typedef(btf, "bpfrec_ipaddr", btf__add_array(btf, u32, u8, 16));
	comm = btf__add_array(btf, u32, chr, 16);
	str = btf__add_array(btf, u32, chr, s->string_size);
	nr_enum = btf__add_enum(btf, "syscall_nr", 4);
	for (n = syscall_names; n->name && nr_enum > 0 && !err; n++)
		err = btf__add_enum_value(btf, n->name, n->nr);
	errno_enum = btf__add_enum(btf, "errno", 4);
	for (i = 1; i < 4096 && errno_enum > 0 && !err; i++) {
		const char *name = strerrorname_np(i);

		if (name)
			err = btf__add_enum_value(btf, name, i);
	}
	if (ip < 0 || comm < 0 || str < 0 || nr_enum < 0 || errno_enum < 0 || us < 0 || ks < 0 ||
	    err)
		return -ENOMEM;
	sid = btf__add_struct(btf, "syscall", strings_end);
	if (sid < 0)
		return sid;
	/* ts_ns at 0 is the row's time: no column of its own */
	err = btf__add_field(btf, "syscall", nr_enum, 24 * 8, 0) ||
	      btf__add_field(btf, "pid", u32, 16 * 8, 0) ||
	      btf__add_field(btf, "tid", u32, 20 * 8, 0) ||
	      btf__add_field(btf, "comm", comm, 112 * 8, 0) ||
	      btf__add_field(btf, "ret", s64, 32 * 8, 0) ||
	      btf__add_field(btf, "errno", errno_enum, 28 * 8, 0) ||
	      btf__add_field(btf, "latency_ns", u64, 8 * 8, 0) ||
	      btf__add_field(btf, "returned", u8, 40 * 8, 0);
	for (i = 0; i < 6 && !err; i++) {
		snprintf(argname, sizeof(argname), "arg%d", i);
		err = btf__add_field(btf, argname, u64, (64 + 8 * i) * 8, 0);
	}
	if (!err)
		err = btf__add_field(btf, "path", str, ids_end * 8, 0) ||
		      btf__add_field(btf, "path2", str, (ids_end + s->string_size) * 8, 0) ||
		      btf__add_field(btf, "family", u16, 42 * 8, 0) ||
		      btf__add_field(btf, "port", u16, 44 * 8, 0) ||
		      btf__add_field(btf, "addr", ip, 48 * 8, 0);
	if (!err && stacks)
		err = btf__add_field(btf, "ustack_id", us, (uint32_t)sizeof(struct sys_event) * 8, 0) ||
		      btf__add_field(btf, "kstack_id", ks, ((uint32_t)sizeof(struct sys_event) + 4) * 8,
				     0);
	return err ? -ENOMEM : sid;
}

/* enum bpfrec_syscall_ids (schema/FORMAT.md): for a syscall with uid or
 * gid arguments, 2 bits per argument (bits 2i, 2i+1 for arg i: 1 a uid, 2
 * a gid), so that bpfreplay show can name those arguments row by row. */
static uint32_t ids_mask(const struct sys_conf *c)
{
	uint32_t mask = 0;

	for (int i = 0; i < 6; i++)
		if (c->kind[i] == SYS_ARG_UID || c->kind[i] == SYS_ARG_GID)
			mask |= (c->kind[i] == SYS_ARG_UID ? 1u : 2u) << (2 * i);
	return mask;
}

/* enum bpfrec_syscall_fields (schema/FORMAT.md): for a syscall with a
 * string or socket-address argument, 1 (path: a string), 2 (path2: a
 * second one), 4 (a socket address: family, port, addr), as sys.bpf.c
 * fills them from the kinds configure() set, so that bpfreplay show
 * prints only the columns a row's syscall has. */
static uint32_t fields_mask(const struct sys_conf *c)
{
	uint32_t mask = 0, nstr = 0;

	for (int i = 0; i < 6; i++) {
		if (c->kind[i] == SYS_ARG_STR && nstr < 2)
			mask |= 1u << nstr++;
		else if (c->kind[i] == SYS_ARG_SOCKADDR && c->len_arg < 6)
			mask |= 4;
	}
	return mask;
}

/* The enum ENUM_NAME: an enumerator per selected syscall whose mask_of is
 * not 0, named as in enum syscall_nr, its value that mask.  Its id, 0
 * when no selected syscall has one, or -ENOMEM. */
static int add_mask_enum(const struct sysrec *s, struct btf *btf, const char *enum_name,
			 uint32_t (*mask_of)(const struct sys_conf *c))
{
	const struct syscall_name *n;
	int id = 0;

	for (n = syscall_names; n->name; n++) {
		const struct sys_conf *c = n->nr < SYS_MAX_NR ? &s->confs[n->nr] : NULL;
		uint32_t mask = c && c->enabled ? mask_of(c) : 0;

		if (!mask)
			continue;
		if (!id && (id = btf__add_enum(btf, enum_name, 4)) < 0)
			return -ENOMEM;
		if (btf__add_enum_value(btf, n->name, mask))
			return -ENOMEM;
	}
	return id;
}

/* 1 if the running kernel's BTF has the raw tracepoints sys_enter and
 * sys_exit (their btf_trace_ typedefs): what tp_btf programs attach to.
 * Asked once: the kernel's BTF is megabytes. */
static int kernel_has_raw_hooks(void)
{
	static int found = -1;
	struct btf *vmlinux;

	if (found >= 0)
		return found;
	vmlinux = btf__load_vmlinux_btf();
	found = vmlinux &&
		btf__find_by_name_kind(vmlinux, "btf_trace_sys_enter", BTF_KIND_TYPEDEF) > 0 &&
		btf__find_by_name_kind(vmlinux, "btf_trace_sys_exit", BTF_KIND_TYPEDEF) > 0;
	btf__free(vmlinux);
	return found;
}

int sysrec__raw_hooks(enum sysrec_hook hook, uint32_t stack_flags, const char **why)
{
	if (hook == SYSREC_HOOK_CLASSIC) {
		*why = "--syscalls-hook classic";
		return 0;
	}
	if (hook == SYSREC_HOOK_AUTO && (stack_flags & STACKCAP_KERNEL)) {
		*why = "kernel stacks are taken: from the classic tracepoints they begin at the "
		       "syscall, from the raw ones in BPF's own frames (--syscalls-hook raw takes "
		       "them anyway)";
		return 0;
	}
	if (!kernel_has_raw_hooks()) {
		*why = "no tp_btf/sys_enter and sys_exit in this kernel's BTF";
		return 0;
	}
	*why = "the raw tracepoints (tp_btf/sys_enter, sys_exit) where the kernel's BTF has them";
	return 1;
}

/* The raw pair (tp_btf, x86-64) or the classic tracepoints, as
 * sysrec__raw_hooks says: one pair is loaded.  *left: the pair left out,
 * *why: why.  0, or -ENOTSUP (said). */
static int choose_programs(struct bpfobj *o, enum sysrec_hook hook, uint32_t stack_flags,
			   const char *const **left, const char **why)
{
	static const char *const raw[] = { "sys_enter_btf", "sys_exit_btf", NULL };
	static const char *const classic[] = { "sys_enter", "sys_exit", NULL };
	struct bpf_object *obj = bpfobj__bpf_object(o);
	int use_raw = bpf_object__find_program_by_name(obj, raw[0]) &&
		      bpf_object__find_program_by_name(obj, raw[1]);
	const char *const *off;

	if (!use_raw)
		*why = "no raw tracepoint programs for this architecture";
	else
		use_raw = sysrec__raw_hooks(hook, stack_flags, why);
	if (hook == SYSREC_HOOK_RAW && !use_raw) {
		warn_msg("--syscalls-hook raw: no tp_btf/sys_enter and sys_exit here (they need "
			 "x86-64 and the kernel's BTF, /sys/kernel/btf/vmlinux): give auto or classic");
		return -ENOTSUP;
	}
	off = use_raw ? classic : raw;

	for (int i = 0; off[i]; i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(obj, off[i]);

		if (p)
			bpf_program__set_autoload(p, false);
	}
	*left = off;
	return 0;
}

int sysrec__load(struct sysrec *s, const struct bpfobj_opts *opts,
		 int (*take)(struct bpfobj *o, void *ctx), void *ctx)
{
	const char *const *left, *why;
	const void *elf;
	struct bpfobj *o;
	struct btf *btf;
	size_t size;
	char val[16];
	int err, fd, id, ids, fields;
	__u32 nr;

	elf = sys_bpf__elf_bytes(&size);
	o = bpfobj__open_mem("syscalls", elf, size, opts);
	if (!o)
		return -errno;
	err = take(o, ctx);
	if (err)
		return err;
	err = choose_programs(o, s->hook, opts->stack_flags, &left, &why);
	if (err)
		return err;
	snprintf(val, sizeof(val), "%u", s->string_size);
	err = bpfobj__set_global(o, "sys_str_size", val);
	if (!err)
		err = bpfobj__load(o);
	if (err)
		return err;
	for (int i = 0; left[i]; i++)
		if (bpf_object__find_program_by_name(bpfobj__bpf_object(o), left[i]))
			progtab__note_left_out(o, left[i], why);
	fd = bpf_object__find_map_fd_by_name(bpfobj__bpf_object(o), "sys_confs");
	for (nr = 0; nr < SYS_MAX_NR && fd >= 0; nr++)
		if (s->confs[nr].enabled && bpf_map_update_elem(fd, &nr, &s->confs[nr], BPF_ANY))
			return -errno;
	btf = bpfobj__btf_extend(o);
	if (!btf || fd < 0)
		return -ENOMEM;
	id = add_btf(s, btf, opts->stack_flags != 0);
	if (id < 0)
		return id;
	ids = add_mask_enum(s, btf, "bpfrec_syscall_ids", ids_mask);
	if (ids < 0)
		return ids;
	if (ids && (err = bpfobj__add_btf_root(o, (uint32_t)ids)))
		return err;
	fields = add_mask_enum(s, btf, "bpfrec_syscall_fields", fields_mask);
	if (fields < 0)
		return fields;
	if (fields && (err = bpfobj__add_btf_root(o, (uint32_t)fields)))
		return err;
	err = bpfobj__set_stream_type(o, "sys_events", (uint32_t)id, 0);
	/* records end after their last string: the rest is zeros, restored */
	return err ? err : bpfobj__set_stream_zero_fill(o, "sys_events");
}

void sysrec__free(struct sysrec *s)
{
	free(s);
}
