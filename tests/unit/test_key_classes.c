/* test_key_classes - cap_key_classes (GRP_KEY_LO: each key value's class is
 * the smallest index whose value has the same low 32 bits) against a plain
 * reference, value by value: dictionaries of every size around the
 * radix sort's cut-overs, low halves that repeat a lot or never, that
 * differ only in their lowest or their highest byte, and hostile ones
 * (all the same, all distinct, every byte spread). */
#include "testutil.h"

#include "block_internal.h"

/* The reference: for each index, the first earlier index with the same
 * low half, found through a sorted copy of (low half, index). */
static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static void reference(const uint64_t *dict, uint32_t nd, uint32_t *cls)
{
	uint64_t *t = malloc((nd + 1) * sizeof(*t));
	uint32_t first = 0;

	CHECK(t);
	for (uint32_t i = 0; i < nd; i++)
		t[i] = (dict[i] & 0xffffffffull) << 32 | i;
	qsort(t, nd, sizeof(*t), cmp_u64);
	for (uint32_t i = 0; i < nd; i++) {
		if (!i || t[i] >> 32 != t[i - 1] >> 32)
			first = (uint32_t)t[i];
		cls[(uint32_t)t[i]] = first;
	}
	free(t);
}

/* Value i of a dictionary of the given shape. */
static uint64_t value(int shape, uint32_t i, uint32_t nd, uint64_t *rs)
{
	uint64_t hi = test_rand(rs) << 32;   /* the high half never matters */
	uint64_t r = test_rand(rs);

	switch (shape) {
	case 0: return hi | (r % 3000 + 1000);                 /* pids, tids above */
	case 1: return hi | (uint32_t)r;                       /* mostly distinct */
	case 2: return hi | 42;                                /* one class */
	case 3: return hi | i;                                 /* all distinct, in order */
	case 4: return hi | (nd - i);                          /* all distinct, reversed */
	case 5: return hi | (uint32_t)(r % 7) << 24;           /* the top byte only */
	case 6: return hi | (r % 5);                           /* the lowest byte only */
	case 7: return hi | (uint32_t)(r % 4) << (8 * (r / 4 % 4)); /* any one byte */
	default: return hi | (uint32_t)(r % (nd / 3 + 1)) * 0x01010101u; /* every byte */
	}
}

int main(void)
{
	static const uint32_t sizes[] = { 0, 1, 2, 3, 23, 24, 25, 26, 100, 255, 256, 257,
					  1000, 4097, 30000, 100000 };
	uint64_t rs = 3;
	size_t checked = 0;

	for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
		uint32_t nd = sizes[z];
		uint64_t *dict = malloc((nd + 1) * sizeof(*dict));
		uint64_t *tmp = malloc((nd + 1) * sizeof(*tmp));
		uint32_t *cls = malloc((nd + 1) * sizeof(*cls));
		uint32_t *want = malloc((nd + 1) * sizeof(*want));

		CHECK(dict && tmp && cls && want);
		for (int shape = 0; shape < 9; shape++) {
			for (uint32_t i = 0; i < nd; i++)
				dict[i] = value(shape, i, nd, &rs);
			memset(cls, 0xff, (nd + 1) * sizeof(*cls));
			cap_key_classes(dict, nd, tmp, cls);
			reference(dict, nd, want);
			for (uint32_t i = 0; i < nd; i++) {
				if (cls[i] != want[i]) {
					fprintf(stderr, "nd %u shape %d: value %u (low half %#x): class %u, "
						"expected %u\n", nd, shape, i, (unsigned)dict[i], cls[i],
						want[i]);
					CHECK(0);
				}
				checked++;
			}
			CHECK_EQ_U64(cls[nd], 0xffffffffu);   /* nothing past nd */
		}
		free(dict);
		free(tmp);
		free(cls);
		free(want);
	}
	CHECK(checked > 1000000);
	printf("test_key_classes: ok (%zu values)\n", checked);
	return 0;
}
