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

void verifier__reset(void)
{
	kept_len = 0;
	kept[0] = 0;
}

void verifier__keep(const char *line)
{
	size_t n = strlen(line);

	if (n >= KEEP_BYTES / 2)
		n = KEEP_BYTES / 2 - 1;
	if (kept_len + n + 1 > KEEP_BYTES) {
		/* drop the older half */
		memmove(kept, kept + kept_len / 2, kept_len - kept_len / 2);
		kept_len -= kept_len / 2;
	}
	memcpy(kept + kept_len, line, n);
	kept_len += n;
	kept[kept_len] = 0;
}

const char *verifier__log(void)
{
	return kept;
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

	while ((p = strstr(p, "-- BEGIN PROG LOAD LOG --"))) {
		begin = p;
		p++;
	}
	if (!begin)
		return;
	begin = strchr(begin, '\n');
	if (!begin)
		return;
	begin++;
	end = strstr(begin, "-- END PROG LOAD LOG --");
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

void verifier__explain(struct bpf_object *obj, const char *objname, int err)
{
	char prog[128];

	if (failed_prog(prog, sizeof(prog))) {
		struct bpf_program *p = obj ? bpf_object__find_program_by_name(obj, prog) : NULL;

		fprintf(stderr, "  program %s (SEC %s) was rejected by the verifier\n", prog,
			p ? bpf_program__section_name(p) : "?");
		print_log_tail(12);
	}
	if (has("failed to resolve CO-RE relocation") || has("target candidate search failed") ||
	    has("bad CO-RE relocation") || has("failed to relocate")) {
		print_lines_with("relo #", 4);
		fprintf(stderr, "  hint: a CO-RE relocation names a type or field this kernel's BTF "
				"does not have (a struct renamed or a field removed): fix the name in "
				"the program, or guard it with bpf_core_field_exists()/"
				"bpf_core_type_exists()\n");
	} else if (has("failed to find valid kernel BTF") || has("Error loading vmlinux BTF") ||
		   has("failed to find kernel BTF")) {
		fprintf(stderr, "  hint: btf: not found: CO-RE needs the kernel's BTF and "
				"/sys/kernel/btf/vmlinux is missing: give --kernel-btf FILE (a BTF "
				"or ELF file for this kernel, e.g. from BTFHub)\n");
	} else if (has("invalid bpf_context access")) {
		print_lines_with("invalid bpf_context access", 2);
		fprintf(stderr, "  hint: the program reads a context field this attach point does "
				"not allow: in cgroup/sock programs, src_ip4 is readable only at "
				"post_bind4, src_ip6 only at post_bind6, src_port only at post_bind4/6; "
				"family, type and protocol everywhere\n");
	} else if (has("GPL-restricted") || has("GPL compatible")) {
		fprintf(stderr, "  hint: the program calls a GPL-only helper but declares no GPL "
				"license: add  char LICENSE[] SEC(\"license\") = \"GPL\";\n");
	} else if (has("failed to create") || has("map create")) {
		print_lines_with("failed to create", 3);
		if (has("max_entries") || err == -EINVAL)
			fprintf(stderr, "  hint: a map was refused at creation: max_entries must be > 0; "
					"a ringbuf's size must be a power of 2 and a multiple of the "
					"page size (4096)\n");
	} else if (!failed_prog(prog, sizeof(prog))) {
		/* Nothing recognised: show libbpf's own last lines. */
		print_lines_with("libbpf: ", 6);
	}
	(void)objname;
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

static int parse_int(const char *text, int is_signed, unsigned size, uint64_t *out,
		     const char *name, const char *tname)
{
	char *end;
	int bits = size * 8;

	errno = 0;
	if (is_signed) {
		long long v = strtoll(text, &end, 0);
		long long lo = bits == 64 ? INT64_MIN : -(1ll << (bits - 1));
		long long hi = bits == 64 ? INT64_MAX : (1ll << (bits - 1)) - 1;

		if (errno || end == text || *end || v < lo || v > hi) {
			warn_msg("--set %s=%s: %s takes an integer from %lld to %lld", name, text,
				 tname, lo, hi);
			return -ERANGE;
		}
		*out = (uint64_t)v;
	} else {
		unsigned long long v = strtoull(text, &end, 0);
		unsigned long long hi = bits == 64 ? UINT64_MAX : (1ull << bits) - 1;

		if (errno || end == text || *end || v > hi || text[0] == '-') {
			warn_msg("--set %s=%s: %s takes an integer from 0 to %llu", name, text, tname, hi);
			return -ERANGE;
		}
		*out = v;
	}
	return 0;
}

int verifier__parse_value(const struct btf *btf, uint32_t type_id, const char *name,
			  const char *text, void *dst, size_t avail)
{
	const struct btf_type *t = btf__type_by_id(btf, type_id);
	const char *tname;
	uint64_t v = 0;
	int err, i;

	while (t && (btf_is_mod(t) || btf_is_typedef(t)))
		t = btf__type_by_id(btf, t->type);
	if (!t)
		return -EINVAL;
	tname = btf__name_by_offset(btf, t->name_off);
	if (btf_is_int(t)) {
		uint8_t enc = btf_int_encoding(t);

		if (t->size > avail)
			return -EINVAL;
		if (enc & BTF_INT_BOOL) {
			if (!strcmp(text, "true") || !strcmp(text, "1"))
				v = 1;
			else if (!strcmp(text, "false") || !strcmp(text, "0"))
				v = 0;
			else {
				warn_msg("--set %s=%s: bool takes true, false, 1 or 0", name, text);
				return -EINVAL;
			}
		} else {
			err = parse_int(text, enc & BTF_INT_SIGNED, t->size, &v, name, tname);
			if (err)
				return err;
		}
		memcpy(dst, &v, t->size);   /* little endian: the low bytes */
		return 0;
	}
	if (btf_is_enum(t)) {
		const struct btf_enum *e = btf_enum(t);

		for (i = 0; i < btf_vlen(t); i++, e++) {
			if (!strcmp(btf__name_by_offset(btf, e->name_off), text)) {
				int32_t val = e->val;

				memcpy(dst, &val, t->size < 4 ? t->size : 4);
				return 0;
			}
		}
		err = parse_int(text, 1, t->size, &v, name, "enum");
		if (err)
			return err;
		memcpy(dst, &v, t->size);
		return 0;
	}
	if (btf_is_array(t)) {
		const struct btf_array *a = btf_array(t);
		const struct btf_type *et = btf__type_by_id(btf, a->type);

		while (et && (btf_is_mod(et) || btf_is_typedef(et)))
			et = btf__type_by_id(btf, et->type);
		if (et && btf_is_int(et) && et->size == 1) {
			size_t n = strlen(text);

			if (n + 1 > a->nelems || a->nelems > avail) {
				warn_msg("--set %s=%s: char[%u] holds at most %u characters", name, text,
					 a->nelems, a->nelems ? a->nelems - 1 : 0);
				return -ERANGE;
			}
			memset(dst, 0, a->nelems);
			memcpy(dst, text, n);
			return 0;
		}
	}
	warn_msg("--set %s: its type (%s) is not settable: integers, bool, enums and char arrays are",
		 name, tname[0] ? tname : "anonymous");
	return -EINVAL;
}
