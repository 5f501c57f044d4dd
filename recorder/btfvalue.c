/* btfvalue.c - text given on the command line (--set NAME=VALUE, --map-put
 * KEY=VALUE) as a value of a BTF type, checked against it. */
#include "btfvalue.h"
#include "util.h"

#include <bpf/btf.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
			warn_msg("%s=%s: %s takes an integer from %lld to %lld", name, text,
				 tname, lo, hi);
			return -ERANGE;
		}
		*out = (uint64_t)v;
	} else {
		unsigned long long v = strtoull(text, &end, 0);
		unsigned long long hi = bits == 64 ? UINT64_MAX : (1ull << bits) - 1;

		if (errno || end == text || *end || v > hi || text[0] == '-') {
			warn_msg("%s=%s: %s takes an integer from 0 to %llu", name, text, tname, hi);
			return -ERANGE;
		}
		*out = v;
	}
	return 0;
}

int btfvalue__parse(const struct btf *btf, uint32_t type_id, const char *name, const char *text,
		     void *dst, size_t avail)
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
				warn_msg("%s=%s: bool takes true, false, 1 or 0", name, text);
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
				warn_msg("%s=%s: char[%u] holds at most %u characters", name, text,
					 a->nelems, a->nelems ? a->nelems - 1 : 0);
				return -ERANGE;
			}
			memset(dst, 0, a->nelems);
			memcpy(dst, text, n);
			return 0;
		}
	}
	warn_msg("%s: its type (%s) is not settable: integers, bool, enums and char arrays are",
		 name, tname[0] ? tname : "anonymous");
	return -EINVAL;
}
