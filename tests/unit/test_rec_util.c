/* test_rec_util.c - recorder/util.c without root: the duration and size
 * grammars of bpfrec's command line.  (Recorder modules link from
 * recorderlib; tests/CMakeLists.txt links it into every test_rec_*.c.) */
#include <errno.h>
#include "testutil.h"
#include "util.h"
#include "timefmt.h"

static int dropped;

static void count_drop(void *elem)
{
	dropped++;
}

int main(void)
{
	uint64_t v;

	CHECK_EQ_INT(parse_duration_ns("10", &v), 0);
	CHECK_EQ_U64(v, 10000000000ull);
	CHECK_EQ_INT(parse_duration_ns("1.5s", &v), 0);
	CHECK_EQ_U64(v, 1500000000ull);
	CHECK_EQ_INT(parse_duration_ns("500ms", &v), 0);
	CHECK_EQ_U64(v, 500000000ull);
	CHECK_EQ_INT(parse_duration_ns("2m", &v), 0);
	CHECK_EQ_U64(v, 120000000000ull);
	CHECK_EQ_INT(parse_duration_ns("", &v), -EINVAL);
	CHECK_EQ_INT(parse_duration_ns("ten", &v), -EINVAL);
	CHECK_EQ_INT(parse_duration_ns("5 parsecs", &v), -EINVAL);
	CHECK_EQ_INT(parse_duration_ns("1000000ns", &v), 0);   /* refused before: issue 16 */
	CHECK_EQ_U64(v, 1000000);

	/* One grammar (schema/duration.c) for bpfrec and bpfreplay: every input
	 * gets the same answer from both. */
	static const char *const inputs[] = {
		"10", "1.5", "1.5s", "500ms", "250us", "1000000ns", "7ns", "2m", "2min", "1h",
		".5s", "0", "", "ten", "-2s", "+2s", " 2s", "2 s", "2x", "1e3", "0x10", "inf",
		"nan", "1..2", ".", "2S", "99999999999h",
	};
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		uint64_t rec = 1;
		int64_t rep = 2;
		int a = parse_duration_ns(inputs[i], &rec), b = timefmt__parse_duration(inputs[i], &rep);

		if (a != b || (!a && rec != (uint64_t)rep)) {
			fprintf(stderr, "duration '%s': bpfrec %d %llu, bpfreplay %d %lld\n", inputs[i],
				a, (unsigned long long)rec, b, (long long)rep);
			return 1;
		}
	}

	CHECK_EQ_INT(parse_size("4096", &v), 0);
	CHECK_EQ_U64(v, 4096);
	CHECK_EQ_INT(parse_size("64k", &v), 0);
	CHECK_EQ_U64(v, 65536);
	CHECK_EQ_INT(parse_size("4M", &v), 0);
	CHECK_EQ_U64(v, 4ull << 20);
	CHECK_EQ_INT(parse_size("1G", &v), 0);
	CHECK_EQ_U64(v, 1ull << 30);
	CHECK_EQ_INT(parse_size("lots", &v), -EINVAL);
	/* drop_repeated_offsets: the first of each run of equal offsets kept,
	 * the others handed to drop() */
	struct { uint64_t off; int id; } rows[] = {
		{ 1, 0 }, { 1, 1 }, { 2, 2 }, { 5, 3 }, { 5, 4 }, { 5, 5 }, { 9, 6 },
	};
	size_t left = drop_repeated_offsets(rows, 7, sizeof(rows[0]), count_drop);

	CHECK_EQ_U64(left, 4);
	CHECK_EQ_INT(dropped, 3);
	CHECK(rows[0].id == 0 && rows[1].id == 2 && rows[2].id == 3 && rows[3].id == 6);
	CHECK_EQ_U64(drop_repeated_offsets(rows, 0, sizeof(rows[0]), count_drop), 0);
	CHECK_EQ_U64(drop_repeated_offsets(rows, 1, sizeof(rows[0]), count_drop), 1);
	CHECK_EQ_INT(dropped, 3);
	puts("test_rec_util: ok");
	return 0;
}
