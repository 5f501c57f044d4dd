/* test_rec_perfspec.c - --perf-event's EVENT[:RATE] (recorder/perfspec.c):
 * perf's event names and aliases, a rate in Hz or a period of N events,
 * the default of 99 Hz, and what is refused, in words. */
#include "testutil.h"
#include "perfspec.h"

#include <errno.h>
#include <linux/perf_event.h>

int main(void)
{
	struct perfspec s;
	char err[1024], buf[64];

	CHECK_EQ_INT(perfspec__parse("cpu-clock:99Hz", &s, err, sizeof(err)), 0);
	CHECK_EQ_INT(s.type, PERF_TYPE_SOFTWARE);
	CHECK_EQ_U64(s.config, PERF_COUNT_SW_CPU_CLOCK);
	CHECK_EQ_INT(s.freq, 1);
	CHECK_EQ_U64(s.rate, 99);
	CHECK(!perfspec__is_hardware(&s));
	CHECK_STR(perfspec__str(&s, buf, sizeof(buf)), "cpu-clock:99Hz");

	CHECK_EQ_INT(perfspec__parse("cycles:1000", &s, err, sizeof(err)), 0);
	CHECK_EQ_INT(s.type, PERF_TYPE_HARDWARE);
	CHECK_EQ_U64(s.config, PERF_COUNT_HW_CPU_CYCLES);
	CHECK_EQ_INT(s.freq, 0);
	CHECK_EQ_U64(s.rate, 1000);
	CHECK(perfspec__is_hardware(&s));
	CHECK_STR(perfspec__str(&s, buf, sizeof(buf)), "cycles:1000");

	/* aliases, perf's names, the default rate, hz in any case */
	CHECK_EQ_INT(perfspec__parse("cpu-cycles", &s, err, sizeof(err)), 0);
	CHECK_STR(s.name, "cycles");
	CHECK(s.freq && s.rate == PERFSPEC_DEFAULT_HZ);
	CHECK_EQ_INT(perfspec__parse("faults:1", &s, err, sizeof(err)), 0);
	CHECK_EQ_U64(s.config, PERF_COUNT_SW_PAGE_FAULTS);
	CHECK(!s.freq && s.rate == 1);
	CHECK_EQ_INT(perfspec__parse("cs:10hz", &s, err, sizeof(err)), 0);
	CHECK_EQ_U64(s.config, PERF_COUNT_SW_CONTEXT_SWITCHES);
	CHECK(s.freq && s.rate == 10);
	CHECK_EQ_INT(perfspec__parse("cache-misses:100000Hz", &s, err, sizeof(err)), 0);
	CHECK_EQ_U64(s.config, PERF_COUNT_HW_CACHE_MISSES);

	/* refused: unknown names, empty or bad rates, too fast */
	CHECK_EQ_INT(perfspec__parse("cycels", &s, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "'cycels' is not an event bpfrec knows: software cpu-clock"));
	CHECK_EQ_INT(perfspec__parse("", &s, err, sizeof(err)), -EINVAL);
	CHECK_EQ_INT(perfspec__parse("cpu-clock:", &s, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "expected a sampling rate from 1 to 100000 Hz (cpu-clock:99Hz) or a "
			  "period of N events (cpu-clock:1000)"));
	CHECK_EQ_INT(perfspec__parse("cpu-clock:0", &s, err, sizeof(err)), -EINVAL);
	CHECK_EQ_INT(perfspec__parse("cpu-clock:-5", &s, err, sizeof(err)), -EINVAL);
	CHECK_EQ_INT(perfspec__parse("cpu-clock:100001Hz", &s, err, sizeof(err)), -EINVAL);
	CHECK_EQ_INT(perfspec__parse("cpu-clock:99kHz", &s, err, sizeof(err)), -EINVAL);
	CHECK_EQ_INT(perfspec__parse("cpu-clock:99Hz:1", &s, err, sizeof(err)), -EINVAL);
	CHECK_EQ_INT(perfspec__parse("cpu-clock:99999999999999999999999", &s, err, sizeof(err)),
		     -EINVAL);
	printf("test_rec_perfspec: ok\n");
	return 0;
}
