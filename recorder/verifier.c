#include "verifier.h"
#include "util.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The tail of libbpf's output since the last reset: a load log can be long,
 * the useful part is at its end. */
#define KEEP_BYTES (512 * 1024)
static char kept[KEEP_BYTES];
static size_t kept_len;
static int kept_cut;          /* older text was dropped since the reset */

#define LOG_BEGIN "-- BEGIN PROG LOAD LOG --"
#define LOG_END "-- END PROG LOAD LOG --"

void verifier__reset(void)
{
	kept_len = 0;
	kept[0] = 0;
	kept_cut = 0;
}

static void keep_bytes(const char *text, size_t n)
{
	if (kept_len + n + 1 > KEEP_BYTES) {
		/* drop the older half */
		memmove(kept, kept + kept_len / 2, kept_len - kept_len / 2);
		kept_len -= kept_len / 2;
		kept_cut = 1;
	}
	memcpy(kept + kept_len, text, n);
	kept_len += n;
	kept[kept_len] = 0;
}

void verifier__keep(const char *line)
{
	size_t n = strlen(line);

	/* A verifier log comes in one message of up to megabytes, its error
	 * at its end: keep a long one's tail, from a line's start, under its
	 * start marker, which the digest looks for. */
	if (n >= KEEP_BYTES / 2) {
		const char *tail = line + n - (KEEP_BYTES / 2 - 256), *nl = strchr(tail, '\n');
		static const char marker[] = "libbpf: " LOG_BEGIN " (its start cut)\n";

		if (memmem(line, (size_t)(tail - line), LOG_BEGIN, strlen(LOG_BEGIN)))
			keep_bytes(marker, strlen(marker));
		if (nl)
			tail = nl + 1;
		n -= (size_t)(tail - line);
		line = tail;
		kept_cut = 1;
	}
	keep_bytes(line, n);
}

static int has(const char *needle)
{
	return strstr(kept, needle) != NULL;
}

/* The name in "prog 'NAME': BPF program load failed", or NULL. */
static int failed_prog(char *name, size_t len)
{
	const char *p = strstr(kept, "BPF program load failed");
	const char *q, *start;

	if (!p)
		return 0;
	for (q = p; q > kept && q[-1] != '\n'; q--)
		;
	start = strstr(q, "prog '");
	if (!start || start > p)
		return 0;
	start += 6;
	q = strchr(start, '\'');
	if (!q || (size_t)(q - start) >= len)
		return 0;
	memcpy(name, start, q - start);
	name[q - start] = 0;
	return 1;
}

int verifier__failed_program(char *name, size_t len)
{
	const char *p, *last = NULL, *start;

	/* libbpf: "prog 'NAME': failed to load: -95" for any program load
	 * failure (the verifier's, an unsupported attach type, a BTF id) */
	for (p = kept; (p = strstr(p, "': failed to load")); p++)
		last = p;
	if (!last)
		return failed_prog(name, len);
	for (start = last; start > kept && start[-1] != '\''; start--)
		;
	if (start == kept || (size_t)(last - start) >= len)
		return 0;
	memcpy(name, start, last - start);
	name[last - start] = 0;
	return 1;
}

static int boring(const char *line, size_t n)
{
	static const char *const skip[] = {
		"processed ", "verification time", "stack depth", "-- BEGIN", "-- END",
		"mark_precise", "last_idx", "regs=", "parent didn't have",
	};
	size_t i;

	if (n == 0)
		return 1;
	for (i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
		if (!strncmp(line, skip[i], strlen(skip[i])) || memmem(line, n, skip[i], strlen(skip[i])) == line)
			return 1;
	return 0;
}

/* Prints the last max useful lines of the verifier log between the markers. */
static void print_log_tail(int max)
{
	const char *begin = NULL, *end, *p = kept, *lines[256];
	size_t lens[256];
	int n = 0, i, first;

	while ((p = strstr(p, LOG_BEGIN))) {
		begin = p;
		p++;
	}
	/* A log whose start was dropped (it came in many pieces): what is
	 * left of it, up to its end. */
	if (!begin && kept_cut && strstr(kept, LOG_END))
		begin = kept;
	else if (!begin || !(begin = strchr(begin, '\n')))
		return;
	else
		begin++;
	end = strstr(begin, LOG_END);
	if (!end)
		end = kept + kept_len;
	for (p = begin; p < end;) {
		const char *nl = memchr(p, '\n', end - p);
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (!boring(p, len)) {
			lines[n % 256] = p;
			lens[n % 256] = len;
			n++;
		}
		p += len + 1;
	}
	first = n > max ? n - max : 0;
	if (first < n - 256)
		first = n - 256;
	fprintf(stderr, "  verifier log (last %d useful lines):\n", n - first);
	for (i = first; i < n; i++)
		fprintf(stderr, "    %.*s\n", (int)lens[i % 256], lines[i % 256]);
}

/* Prints every kept libbpf line that contains needle (a few at most). */
static void print_lines_with(const char *needle, int max)
{
	const char *p = kept;

	while (max > 0 && (p = strstr(p, needle))) {
		const char *s = p, *e = strchr(p, '\n');

		while (s > kept && s[-1] != '\n')
			s--;
		if (!e)
			e = kept + kept_len;
		fprintf(stderr, "  %.*s\n", (int)(e - s), s);
		p = e;
		max--;
	}
}

/* The quoted name in "<what> 'NAME': <tail>" on a kept line, or 0. */
static int quoted_before(const char *what, const char *tail, char *name, size_t len)
{
	const char *p = strstr(kept, tail), *q, *start;

	if (!p)
		return 0;
	for (q = p; q > kept && q[-1] != '\n'; q--)
		;
	start = strstr(q, what);
	if (!start || start > p)
		return 0;
	start += strlen(what);
	q = strchr(start, '\'');
	if (!q || q > p || (size_t)(q - start) >= len)
		return 0;
	memcpy(name, start, q - start);
	name[q - start] = 0;
	return 1;
}

/* The name right after marker (which ends with a quote), up to the next
 * quote: "type ID of 'NAME'" -> NAME.  0 if absent. */
static int quoted_after(const char *marker, char *name, size_t len)
{
	const char *p = strstr(kept, marker), *q;

	if (!p)
		return 0;
	p += strlen(marker);
	q = strchr(p, '\'');
	if (!q || memchr(p, '\n', q - p) || (size_t)(q - p) >= len)
		return 0;
	memcpy(name, p, q - p);
	name[q - p] = 0;
	return 1;
}

/* The context struct a program of section sec reads (NULL: unknown). */
static const char *ctx_struct(const char *sec)
{
	static const struct { const char *prefix, *type; } ctx[] = {
		{ "cgroup/sock", "bpf_sock" },       /* sock_create, sock_release, sock */
		{ "cgroup/post_bind", "bpf_sock" },
		{ "cgroup/connect", "bpf_sock_addr" }, { "cgroup/bind", "bpf_sock_addr" },
		{ "cgroup/sendmsg", "bpf_sock_addr" }, { "cgroup/recvmsg", "bpf_sock_addr" },
		{ "cgroup/getpeername", "bpf_sock_addr" }, { "cgroup/getsockname", "bpf_sock_addr" },
		{ "cgroup/getsockopt", "bpf_sockopt" }, { "cgroup/setsockopt", "bpf_sockopt" },
		{ "cgroup/sysctl", "bpf_sysctl" }, { "sockops", "bpf_sock_ops" },
		{ "cgroup_skb/", "__sk_buff" }, { "tc", "__sk_buff" }, { "classifier", "__sk_buff" },
		{ "socket", "__sk_buff" }, { "xdp", "xdp_md" },
	};
	size_t i;

	for (i = 0; sec && i < sizeof(ctx) / sizeof(ctx[0]); i++)
		if (!strncmp(sec, ctx[i].prefix, strlen(ctx[i].prefix)))
			return ctx[i].type;
	return NULL;
}

/* "member" or "member[i]" of struct type_name at byte offset off, from the
 * object's BTF (the program's context type is there: it reads it). */
static int ctx_member(const struct btf *btf, const char *type_name, unsigned off, char *out,
		      size_t len)
{
	int id = btf ? btf__find_by_name_kind(btf, type_name, BTF_KIND_STRUCT) : -1;
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	const struct btf_member *m;
	int i;

	for (i = 0, m = t ? btf_members(t) : NULL; t && i < btf_vlen(t); i++, m++) {
		unsigned start = btf_member_bit_offset(t, i) / 8;
		__s64 size = btf__resolve_size(btf, m->type);
		const struct btf_type *mt = btf__type_by_id(btf, m->type);
		const char *name = btf__name_by_offset(btf, m->name_off);

		if (!name[0] || size <= 0 || off < start || off >= start + size)
			continue;
		while (mt && (btf_is_mod(mt) || btf_is_typedef(mt)))
			mt = btf__type_by_id(btf, mt->type);
		if (mt && btf_is_array(mt) && btf_array(mt)->nelems)
			snprintf(out, len, "%s[%u]", name,
				 (unsigned)((off - start) / (size / btf_array(mt)->nelems)));
		else
			snprintf(out, len, "%s", name);
		return 1;
	}
	return 0;
}

/* The helper called just before "GPL-restricted" in the log: "call NAME#N". */
static int gpl_helper(char *name, size_t len)
{
	const char *gpl = strstr(kept, "GPL-restricted"), *p, *found = NULL;
	size_t n;

	if (!gpl)
		return 0;
	/* the last "call NAME#" (not the "cannot call GPL-restricted" itself) */
	for (p = kept; (p = strstr(p, "call ")) && p < gpl; p++) {
		n = strcspn(p + 5, "#\n (");
		if (n && p[5 + n] == '#')
			found = p + 5;
	}
	if (!found)
		return 0;
	n = strcspn(found, "#");
	if (n >= len)
		return 0;
	memcpy(name, found, n);
	name[n] = 0;
	return 1;
}

void verifier__explain(struct bpf_object *obj, int err)
{
	char prog[128] = "?", name[128], member[64];
	const char *sec = NULL;
	struct bpf_program *p = NULL;
	int rejected = failed_prog(prog, sizeof(prog));

	if (rejected || quoted_before("prog '", "failed to find kernel BTF type ID", prog,
				      sizeof(prog))) {
		p = obj ? bpf_object__find_program_by_name(obj, prog) : NULL;
		sec = p ? bpf_program__section_name(p) : NULL;
	}
	if (rejected) {
		/* No log at all: the kernel refused the program type or attach
		 * type before the verifier ran. */
		if (!strstr(kept, LOG_BEGIN) && !(kept_cut && strstr(kept, LOG_END)))
			fprintf(stderr, "  program %s (SEC %s) was refused by the kernel (%s), "
					"without a verifier log\n", prog, sec ? sec : "?",
				strerror(err < 0 ? -err : err));
		else
			fprintf(stderr, "  program %s (SEC %s) was rejected by the verifier\n", prog,
				sec ? sec : "?");
		print_log_tail(12);
	}
	if (has("failed to resolve CO-RE relocation") || has("target candidate search failed") ||
	    has("bad CO-RE relocation") || has("failed to relocate")) {
		print_lines_with("relo #", 4);
		fprintf(stderr, "  hint: a CO-RE relocation names a type or field this kernel's BTF "
				"does not have (a struct renamed or a field removed): fix the name in "
				"the program, or guard it with bpf_core_field_exists()/"
				"bpf_core_type_exists()\n");
	} else if (quoted_after("failed to find kernel BTF type ID of '", name, sizeof(name))) {
		/* Before "btf: not found": this is a missing attach target, not
		 * a missing kernel BTF. */
		fprintf(stderr, "  program %s (SEC %s): the kernel's BTF has no function or "
				"tracepoint '%s' to attach to\n", prog, sec ? sec : "?", name);
		fprintf(stderr, "  hint: fentry/fexit/fmod_ret/tp_btf/lsm programs attach by BTF "
				"name: '%s' must be in /sys/kernel/btf/vmlinux (static and inlined "
				"functions often are not; see bpftool btf dump file "
				"/sys/kernel/btf/vmlinux | grep \"FUNC '%s'\")\n", name, name);
	} else if (has("failed to find valid kernel BTF") || has("Error loading vmlinux BTF")) {
		fprintf(stderr, "  hint: btf: not found: CO-RE needs the kernel's BTF and "
				"/sys/kernel/btf/vmlinux is missing: give --kernel-btf FILE (a BTF "
				"or ELF file for this kernel, e.g. from BTFHub)\n");
	} else if (has("invalid bpf_context access")) {
		const char *ctx = ctx_struct(sec), *at = strstr(kept, "invalid bpf_context access off=");
		unsigned off = 0, size = 0;

		/* The log tail above shows the line already when there is one. */
		if (!failed_prog(prog, sizeof(prog)))
			print_lines_with("invalid bpf_context access", 2);
		if (ctx && at && sscanf(at, "invalid bpf_context access off=%u size=%u", &off,
					&size) == 2 &&
		    ctx_member(obj ? bpf_object__btf(obj) : NULL, ctx, off, member, sizeof(member)))
			fprintf(stderr, "  program %s reads %s.%s (offset %u, %u bytes), which SEC %s "
					"may not read\n", prog, ctx, member, off, size, sec);
		fprintf(stderr, "  hint: the program reads a context field this attach point does "
				"not allow: in cgroup/sock programs, src_ip4 is readable only at "
				"post_bind4, src_ip6 only at post_bind6, src_port only at post_bind4/6; "
				"family, type and protocol everywhere\n");
	} else if (has("GPL-restricted") || has("GPL compatible")) {
		if (gpl_helper(name, sizeof(name)))
			fprintf(stderr, "  program %s calls %s, a GPL-only helper\n", prog, name);
		fprintf(stderr, "  hint: the program calls a GPL-only helper but declares no GPL "
				"license: add  char LICENSE[] SEC(\"license\") = \"GPL\";\n");
	} else if (has("failed to create") || has("map create")) {
		struct bpf_map *m = NULL;

		print_lines_with("failed to create", 3);
		if (obj && quoted_before("map '", "': failed to create", name, sizeof(name)))
			m = bpf_object__find_map_by_name(obj, name);
		if (m && bpf_map__max_entries(m) == 0)
			fprintf(stderr, "  hint: map %s has max_entries 0: every map needs at least "
					"one entry (a ringbuf: a power of 2 multiple of the page "
					"size)\n", name);
		else if (has("max_entries") || err == -EINVAL)
			fprintf(stderr, "  hint: a map was refused at creation: max_entries must be > 0; "
					"a ringbuf's size must be a power of 2 and a multiple of the "
					"page size (4096)\n");
	} else if (rejected && sec && !strstr(kept, LOG_BEGIN) &&
		   (!strncmp(sec, "fentry", 6) || !strncmp(sec, "fexit", 5) ||
		    !strncmp(sec, "fmod_ret", 8))) {
		fprintf(stderr, "  hint: fentry/fexit programs need BPF trampolines, and this "
				"kernel refuses them before verifying (bpftool feature probe kernel: "
				"\"program_type tracing is NOT available\"): use a tracepoint, raw_tp "
				"or tp_btf program instead\n");
	} else if (!rejected) {
		/* Nothing recognised: show libbpf's own last lines. */
		print_lines_with("libbpf: ", 6);
	}
}

const char *verifier__attach_hint(const char *sec, int err)
{
	if (!strncmp(sec, "kprobe", 6) || !strncmp(sec, "kretprobe", 9) ||
	    !strncmp(sec, "ksyscall", 8))
		return " (this kernel has no kprobes: CONFIG_KPROBES / CONFIG_KPROBE_EVENTS are off)";
	if (!strncmp(sec, "fentry", 6) || !strncmp(sec, "fexit", 5) || !strncmp(sec, "fmod_ret", 8))
		return " (this kernel has no BPF trampolines for fentry/fexit)";
	if ((!strncmp(sec, "tp/", 3) || !strncmp(sec, "tracepoint/", 11)) && err == -ENOENT)
		return " (no such tracepoint under tracefs events/)";
	if (!strncmp(sec, "uprobe", 6) || !strncmp(sec, "uretprobe", 9))
		return " (uprobe sections need binary:function, e.g. uprobe//bin/bash:readline)";
	return "";
}
