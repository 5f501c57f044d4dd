/* test_damagesay - the first reports of damage per key said, the rest
 * counted (replay/damagesay.h): verdict by verdict over keys that come
 * and go, the global limit, the notes, a flood of keys that costs no
 * memory beyond the struct, and keys of two scopes apart. */
#include "testutil.h"

#include "damagesay.h"

int main(void)
{
	struct damagesay d = { 0 };
	char note[128];
	uint32_t said = 0;

	/* key 7: five said, the fifth the last of its key; then counted */
	for (int i = 0; i < 4; i++)
		CHECK_EQ_INT(damagesay__take(&d, 0, 7), DAMAGESAY_SAY);
	CHECK_EQ_INT(damagesay__take(&d, 0, 7), DAMAGESAY_LAST_OF_KEY);
	CHECK_EQ_INT(damagesay__take(&d, 0, 7), DAMAGESAY_QUIET);
	CHECK_EQ_INT(damagesay__unsaid(&d), 1);
	/* other keys still said, interleaved; key 7 stays quiet */
	CHECK_EQ_INT(damagesay__take(&d, 0, -3), DAMAGESAY_SAY);
	CHECK_EQ_INT(damagesay__take(&d, 0, 7), DAMAGESAY_QUIET);
	CHECK_EQ_INT(damagesay__take(&d, 0, 0), DAMAGESAY_SAY);
	CHECK_EQ_INT(damagesay__take(&d, 0, -3), DAMAGESAY_SAY);
	CHECK_EQ_INT(damagesay__unsaid(&d), 2);
	said = 5 + 3;
	/* new keys until DAMAGESAY_MAX are said: the last one says so */
	for (int64_t k = 100; said < DAMAGESAY_MAX - 1; k++, said++)
		CHECK_EQ_INT(damagesay__take(&d, 0, k), DAMAGESAY_SAY);
	CHECK_EQ_INT(damagesay__take(&d, 0, 0), DAMAGESAY_LAST);
	/* then nothing more, of any key, however many */
	for (int64_t k = 0; k < 1000000; k++)
		CHECK_EQ_INT(damagesay__take(&d, 0, k * 7919), DAMAGESAY_QUIET);
	CHECK_EQ_INT(damagesay__unsaid(&d), 2 + 1000000);
	/* the notes */
	CHECK_STR(damagesay__note(DAMAGESAY_SAY, "blocks", "segment", "3", note, sizeof(note)), "");
	CHECK_STR(damagesay__note(DAMAGESAY_LAST_OF_KEY, "blocks", "segment", "3", note, sizeof(note)),
		  "; further damaged blocks of segment 3 are only counted");
	CHECK_STR(damagesay__note(DAMAGESAY_LAST, "records", "stream", "exec", note, sizeof(note)),
		  "; further damaged records are only counted");
	CHECK_STR(damagesay__note(DAMAGESAY_LAST, "records", "stream", "exec", note, 10),
		  "; further");
	/* the closing line's */
	CHECK_STR(damagesay__unsaid_note(0, note, sizeof(note)), "");
	CHECK_STR(damagesay__unsaid_note(55, note, sizeof(note)), ", 55 of them only counted");
	CHECK_STR(damagesay__unsaid_note(UINT64_MAX, note, sizeof(note)),
		  ", 18446744073709551615 of them only counted");
	/* a block's report, keyed by its segment, its note naming it */
	{
		struct damagesay b = { 0 };

		for (int i = 0; i < 4; i++)
			CHECK_STR(damagesay__block(&b, 0, 3, note, sizeof(note)), "");
		CHECK_STR(damagesay__block(&b, 0, 3, note, sizeof(note)),
			  "; further damaged blocks of segment 3 are only counted");
		CHECK(damagesay__block(&b, 0, 3, note, sizeof(note)) == NULL);
		CHECK_STR(damagesay__block(&b, 0, 4, note, sizeof(note)), "");
		CHECK_EQ_INT(damagesay__unsaid(&b), 1);
	}
	/* a record's, keyed by its stream's id; a record of no stream by its
	 * own id, apart from every stream's (stream 2 and "id 2" are two keys) */
	{
		struct damagesay r = { 0 };

		for (int i = 0; i < 4; i++)
			CHECK_STR(damagesay__record(&r, 0, "exec", 2, 9, note, sizeof(note)), "");
		CHECK_STR(damagesay__record(&r, 0, "exec", 2, 2, note, sizeof(note)),
			  "; further damaged records of stream exec are only counted");
		CHECK(damagesay__record(&r, 0, "exec", 2, 2, note, sizeof(note)) == NULL);
		for (int i = 0; i < 4; i++)
			CHECK_STR(damagesay__record(&r, 0, NULL, 0, 2, note, sizeof(note)), "");
		CHECK_STR(damagesay__record(&r, 0, NULL, 0, 2, note, sizeof(note)),
			  "; further damaged records of stream id 2 are only counted");
		CHECK(damagesay__record(&r, 0, NULL, 0, 2, note, sizeof(note)) == NULL);
		CHECK_EQ_INT(damagesay__unsaid(&r), 2);
	}
	/* a key of two scopes (two captures' segment 1) is two keys */
	{
		struct damagesay b = { 0 };

		for (int i = 0; i < 4; i++) {
			CHECK_STR(damagesay__block(&b, 0, 1, note, sizeof(note)), "");
			CHECK_STR(damagesay__block(&b, 1, 1, note, sizeof(note)), "");
		}
		CHECK_STR(damagesay__block(&b, 1, 1, note, sizeof(note)),
			  "; further damaged blocks of segment 1 are only counted");
		CHECK(damagesay__block(&b, 1, 1, note, sizeof(note)) == NULL);
		CHECK_STR(damagesay__block(&b, 0, 1, note, sizeof(note)),
			  "; further damaged blocks of segment 1 are only counted");
		CHECK_EQ_INT(damagesay__take(&b, 2, 1), DAMAGESAY_SAY);
		CHECK_EQ_INT(damagesay__take(&b, 0, 2), DAMAGESAY_SAY);
		CHECK_EQ_INT(damagesay__unsaid(&b), 1);
	}
	puts("test_damagesay: ok");
	return 0;
}
