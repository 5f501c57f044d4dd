/* sysenum.c - bounded look-ups in a --syscalls capture's enums and row
 * types (sysenum.h). */
#include "sysenum.h"

#include <string.h>

uint32_t sysenum__find(const struct btfv *b, const char *name)
{
	uint32_t n = b ? btfv__type_count(b) : 0;

	for (uint32_t id = 1; id < n; id++) {
		const struct btf_type *t = btfv__type(b, id);

		if (sysenum__kind(t) == BTF_KIND_ENUM && t->size == 4 &&
		    !strcmp(btfv__name(b, t->name_off), name))
			return id;
	}
	return 0;
}

long sysenum__col(const struct evtype *t, const char *name)
{
	for (size_t k = 0; k < evtype__ncols(t); k++)
		if (!strcmp(evtype__col(t, k)->name, name))
			return (long)k;
	return -1;
}

int64_t sysenum__value(const struct btfv *b, const struct btf_type *en, const char *name)
{
	const struct btf_enum *v = (const struct btf_enum *)(en + 1);
	uint32_t n = BTF_INFO_VLEN(en->info);

	if (n > SYSENUM_NAMES_MAX)
		n = SYSENUM_NAMES_MAX;
	for (uint32_t i = 0; i < n; i++)
		if (!strcmp(btfv__name(b, v[i].name_off), name))
			return (uint32_t)v[i].val;
	return -1;
}
