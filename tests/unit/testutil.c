#include "testutil.h"

#include <errno.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

const char *test_tmpdir(const char *name)
{
	static char path[4096];
	const char *base = getenv("BPFREC_TEST_TMP");

	if (!base || !*base)
		base = "/tmp";
	mkdir(base, 0755);
	snprintf(path, sizeof(path), "%s/%s.%d", base, name, (int)getpid());
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	if (mkdir(path, 0755) && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	return path;
}

uint64_t test_rand(uint64_t *state)
{
	uint64_t x = *state ? *state : 0x9E3779B97F4A7C15ull;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1Dull;
}
