/* test_regress_fuzz - the fuzz targets' code (tests/fuzz/TARGET.c) in the unit
 * tier, on every input that once crashed one (tests/fuzz/regress/TARGET/)
 * and every seed (tests/fuzz/corpus/TARGET/).  Built by any compiler; the
 * ASan/UBSan build (tools/test.sh) catches what libFuzzer caught; an input
 * named timeout-* must run in under 0.2 s. */
#include "testutil.h"

#include <dirent.h>
#include <limits.h>
#include <malloc.h>
#include <time.h>

#define LLVMFuzzerTestOneInput fuzz_block_one
#include "../fuzz/fuzz_block.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_index_one
#include "../fuzz/fuzz_index.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_evtype_one
#include "../fuzz/fuzz_evtype.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_bundle_one
#include "../fuzz/fuzz_bundle.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_schema_one
#include "../fuzz/fuzz_schema.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_perfmap_one
#include "../fuzz/fuzz_perfmap.c"
#undef LLVMFuzzerTestOneInput

static const struct {
	const char *name;
	int (*one)(const uint8_t *data, size_t size);
} targets[] = {
	{ "fuzz_block", fuzz_block_one },
	{ "fuzz_index", fuzz_index_one },
	{ "fuzz_evtype", fuzz_evtype_one },
	{ "fuzz_bundle", fuzz_bundle_one },
	{ "fuzz_schema", fuzz_schema_one },
	{ "fuzz_perfmap", fuzz_perfmap_one },
};

/* Feeds every file of dir to one; returns the count. */
static int run_dir(const char *dir, int (*one)(const uint8_t *, size_t))
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char path[PATH_MAX];
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		FILE *f = fopen(path, "rb");
		CHECK(f);
		uint8_t *buf = malloc(1 << 20);
		CHECK(buf);
		size_t len = fread(buf, 1, 1 << 20, f);
		fclose(f);
		/* Exactly len bytes, so that ASan sees a read past the input. */
		uint8_t *in = malloc(len ? len : 1);
		CHECK(in);
		memcpy(in, buf, len);
		free(buf);
		fprintf(stderr, "%s\n", path);
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		one(in, len);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
		if (strstr(de->d_name, "timeout-") && s > 0.2) {
			/* Once took seconds: it must stay fast (also under ASan). */
			fprintf(stderr, "%s: %.2f s: the timeout is back\n", path, s);
			exit(1);
		}
		free(in);
		n++;
	}
	closedir(d);
	return n;
}

int main(void)
{
	const char *src = getenv("BPFREC_SRC");
	char dir[PATH_MAX];
	int total = 0, regress = 0;

	if (!src || !*src)
		src = ".";
#ifdef M_PERTURB
	/* New memory is not zero: a decoder handing out bytes it never wrote
	 * then fails fuzz_block's checks, as it does under ASan. */
	mallopt(M_PERTURB, 0x42);
#endif
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/regress/%s", src, targets[i].name);
		regress += run_dir(dir, targets[i].one);
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", src, targets[i].name);
		int n = run_dir(dir, targets[i].one);
		if (!n) {
			fprintf(stderr, "%s: no seeds (set BPFREC_SRC)\n", dir);
			return 1;
		}
		total += n;
	}
	printf("test_regress_fuzz: ok (%d regression inputs, %d seeds)\n", regress, total);
	return 0;
}
