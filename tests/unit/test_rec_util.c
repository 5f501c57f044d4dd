/* test_rec_util.c - recorder/util.c without root: the duration and size
 * grammars of bpfrec's command line.  (Recorder modules link from
 * recorderlib; tests/CMakeLists.txt links it into every test_rec_*.c.) */
#include <errno.h>
#include "testutil.h"
#include "util.h"

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

	CHECK_EQ_INT(parse_size("4096", &v), 0);
	CHECK_EQ_U64(v, 4096);
	CHECK_EQ_INT(parse_size("64k", &v), 0);
	CHECK_EQ_U64(v, 65536);
	CHECK_EQ_INT(parse_size("4M", &v), 0);
	CHECK_EQ_U64(v, 4ull << 20);
	CHECK_EQ_INT(parse_size("1G", &v), 0);
	CHECK_EQ_U64(v, 1ull << 30);
	CHECK_EQ_INT(parse_size("lots", &v), -EINVAL);
	puts("test_rec_util: ok");
	return 0;
}
