/* test_addrsearch - the address tables' binary search (schema/addrsearch.h):
 * the count of entries at or below an address, for every address around
 * every key of tables of every small size (with aliases: equal keys),
 * checked against a linear count; the ends of the address space; a key
 * that is not the struct's first member, in a struct with other members
 * around it (the stride and the offset are the caller's). */
#include <stdint.h>
#include <stdio.h>

#include "addrsearch.h"
#include "testutil.h"

struct ent {
	uint32_t tag;             /* something before the key */
	uint64_t addr;
	uint16_t more[3];         /* and after it */
};

/* The linear answer. */
static size_t count_at_or_below(const struct ent *e, size_t n, uint64_t a)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += e[i].addr <= a;
	return k;
}

static void check(const struct ent *e, size_t n, uint64_t a)
{
	size_t got = CAP_ADDR_UPPER(e, n, addr, a), want = count_at_or_below(e, n, a);

	if (got != want)
		fprintf(stderr, "n %zu, a 0x%llx: %zu, want %zu\n", n, (unsigned long long)a, got,
			want);
	CHECK_EQ_U64(got, want);
	/* and the plain form says the same */
	CHECK_EQ_U64(cap_addr_upper(e, n, sizeof(*e), offsetof(struct ent, addr), a), want);
}

int main(void)
{
	struct ent e[40];
	uint64_t rng = 17;

	/* Empty: nothing at or below anything (and the table is not read). */
	CHECK_EQ_U64(CAP_ADDR_UPPER((const struct ent *)NULL, 0, addr, 0), 0);
	CHECK_EQ_U64(CAP_ADDR_UPPER((const struct ent *)NULL, 0, addr, UINT64_MAX), 0);

	/* Every size up to 40, keys ascending with runs of aliases, every
	 * address at, just below and just above each key. */
	for (size_t n = 1; n <= 40; n++) {
		for (int round = 0; round < 20; round++) {
			uint64_t a = 0x1000;

			for (size_t i = 0; i < n; i++) {
				uint64_t r = test_rand(&rng);

				a += r % 3 == 0 ? 0 : 1 + (r >> 8) % 64;   /* a third: an alias */
				e[i] = (struct ent){ .tag = 0xffffffffu, .addr = a,
						     .more = { 0xffff, 0xffff, 0xffff } };
			}
			check(e, n, 0);
			check(e, n, UINT64_MAX);
			for (size_t i = 0; i < n; i++) {
				check(e, n, e[i].addr - 1);
				check(e, n, e[i].addr);
				check(e, n, e[i].addr + 1);
			}
		}
	}

	/* The ends of the address space as keys. */
	e[0].addr = 0, e[1].addr = 0, e[2].addr = 5, e[3].addr = UINT64_MAX;
	CHECK_EQ_U64(CAP_ADDR_UPPER(e, 4, addr, 0), 2);         /* past both aliases */
	CHECK_EQ_U64(CAP_ADDR_UPPER(e, 4, addr, 4), 2);
	CHECK_EQ_U64(CAP_ADDR_UPPER(e, 4, addr, 5), 3);
	CHECK_EQ_U64(CAP_ADDR_UPPER(e, 4, addr, UINT64_MAX - 1), 3);
	CHECK_EQ_U64(CAP_ADDR_UPPER(e, 4, addr, UINT64_MAX), 4);
	/* n bounds what is read: entries past it do not count */
	CHECK_EQ_U64(CAP_ADDR_UPPER(e, 3, addr, UINT64_MAX), 3);

	printf("test_addrsearch: ok\n");
	return 0;
}
