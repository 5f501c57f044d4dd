/* test_rec_perfmap - the lines of /tmp/perf-PID.map as the recorder reads
 * them (recorder/perfmap.h): entries "START SIZE NAME" in hex; a line is
 * read whole or left out.  A line longer than PERFMAP_LINE_MAX bytes is
 * left out, and its tail, which here reads as an entry of its own at
 * another address, is not taken for one (a runtime's long name, or a
 * hostile map, must not name the wrong code); a line of exactly the
 * maximum is read.  Not entries: a sign, no size, a size of 0, a range
 * past 2^64, more than 16 digits, no name, a NUL inside.  A last line
 * without its newline is read and said to be unended (perhaps still
 * being written); the line after a left-out one is read as ever. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "perfmap.h"
#include "testutil.h"

struct got {
	uint64_t start, size;
	char name[PERFMAP_LINE_MAX];
	int entry, ended;
};

/* The lines of text, as perfmap__next reads them (up to max). */
static size_t read_all(const char *text, size_t len, struct got *g, size_t max)
{
	FILE *f = tmpfile();
	char *buf = malloc(PERFMAP_LINE_MAX);
	struct perfmap_entry e;
	size_t n = 0;
	int ended;

	CHECK(f && buf);
	CHECK(fwrite(text, 1, len, f) == len && !fflush(f));
	rewind(f);
	while (n < max && perfmap__next(f, buf, &e, &ended)) {
		g[n].entry = e.name != NULL;
		g[n].ended = ended;
		g[n].start = e.name ? e.start : 0;
		g[n].size = e.name ? e.size : 0;
		snprintf(g[n].name, sizeof(g[n].name), "%s", e.name ? e.name : "");
		n++;
	}
	fclose(f);
	free(buf);
	return n;
}

static void expect_entry(const struct got *g, uint64_t start, uint64_t size, const char *name)
{
	if (!g->entry || g->start != start || g->size != size || strcmp(g->name, name))
		fprintf(stderr, "want %llx %llx %s, got entry %d %llx %llx %.60s\n",
			(unsigned long long)start, (unsigned long long)size, name, g->entry,
			(unsigned long long)g->start, (unsigned long long)g->size, g->name);
	CHECK(g->entry);
	CHECK_EQ_U64(g->start, start);
	CHECK_EQ_U64(g->size, size);
	CHECK_STR(g->name, name);
}

int main(void)
{
	static struct got g[16];
	static char text[4 * PERFMAP_LINE_MAX];
	size_t n, len;

	/* What runtimes write. */
	static const char plain[] = "7f0012340000 8 bpfrec_jit_stub\n"
				    "0x3ef414c0 398 LazyCompile:~main /a b/c.js:12:3\n"
				    "abc\t10\tJava name with\ttab\n";
	n = read_all(plain, sizeof(plain) - 1, g, 16);
	CHECK_EQ_INT(n, 3);
	expect_entry(&g[0], 0x7f0012340000ull, 8, "bpfrec_jit_stub");
	expect_entry(&g[1], 0x3ef414c0, 0x398, "LazyCompile:~main /a b/c.js:12:3");
	expect_entry(&g[2], 0xabc, 0x10, "Java name with\ttab");
	CHECK(g[0].ended && g[1].ended && g[2].ended);

	/* A line past the maximum whose bytes from PERFMAP_LINE_MAX - 1 on
	 * read as an entry: left out whole; the next line is read. */
	len = (size_t)snprintf(text, sizeof(text), "1000 10 ");
	while (len < PERFMAP_LINE_MAX - 1)
		text[len++] = 'a';
	len += (size_t)snprintf(text + len, sizeof(text) - len, "2000 10 evil\n3000 20 next\n");
	n = read_all(text, len, g, 16);
	CHECK_EQ_INT(n, 2);
	CHECK(!g[0].entry && g[0].ended);
	expect_entry(&g[1], 0x3000, 0x20, "next");

	/* ...and far past it (a hostile map's one line of 3 buffers) */
	len = (size_t)snprintf(text, sizeof(text), "1000 10 ");
	for (; len < 3 * PERFMAP_LINE_MAX; len++) {
		size_t at = len % (PERFMAP_LINE_MAX - 1);   /* wherever a 4 KiB read would start */

		text[len] = at < 12 ? "4000 10 bad "[at] : 'b';
	}
	len += (size_t)snprintf(text + len, sizeof(text) - len, "\n5000 8 after\n");
	n = read_all(text, len, g, 16);
	CHECK_EQ_INT(n, 2);
	CHECK(!g[0].entry);
	expect_entry(&g[1], 0x5000, 8, "after");

	/* The longest line read: PERFMAP_LINE_MAX bytes with its newline. */
	len = (size_t)snprintf(text, sizeof(text), "1000 10 ");
	while (len < PERFMAP_LINE_MAX - 1)
		text[len++] = 'c';
	text[len++] = '\n';
	n = read_all(text, len, g, 16);
	CHECK_EQ_INT(n, 1);
	CHECK(g[0].entry && g[0].ended);
	CHECK_EQ_U64(strlen(g[0].name), PERFMAP_LINE_MAX - 1 - 8);
	/* one byte more: left out */
	text[len - 1] = 'c';
	text[len++] = '\n';
	n = read_all(text, len, g, 16);
	CHECK_EQ_INT(n, 1);
	CHECK(!g[0].entry && g[0].ended);

	/* Not entries; the good line after each is read. */
	static const char *const bad[] = {
		"-10 8 signed\n", "10 -8 signed\n", "10 8\n", "10 8 \n", "10\n", "10 0 empty\n",
		"ffffffffffffff00 100 wraps\n", "11111111111111111 8 seventeen\n", "g0 8 notHex\n",
		"10x 8 junk\n", " 10 8 leading\n", "\n", "0x 8 nodigits\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = (size_t)snprintf(text, sizeof(text), "%s10 8 good\n", bad[i]);
		n = read_all(text, len, g, 16);
		if (n != 2 || g[0].entry)
			fprintf(stderr, "taken: %s", bad[i]);
		CHECK_EQ_INT(n, 2);
		CHECK(!g[0].entry && g[0].ended);
		expect_entry(&g[1], 0x10, 8, "good");
	}
	/* a NUL inside the name */
	static const char nul[] = "10 8 na\0me\n20 8 good\n";
	n = read_all(nul, sizeof(nul) - 1, g, 16);
	CHECK_EQ_INT(n, 2);
	CHECK(!g[0].entry);
	expect_entry(&g[1], 0x20, 8, "good");
	/* the largest range that does not wrap */
	static const char top[] = "ffffffffffffff00 ff top\n";
	n = read_all(top, sizeof(top) - 1, g, 16);
	CHECK_EQ_INT(n, 1);
	expect_entry(&g[0], 0xffffffffffffff00ull, 0xff, "top");

	/* A last line without its newline: read, unended. */
	static const char tail[] = "10 8 one\n20 8 two";
	n = read_all(tail, sizeof(tail) - 1, g, 16);
	CHECK_EQ_INT(n, 2);
	CHECK(g[0].ended && !g[1].ended);
	expect_entry(&g[1], 0x20, 8, "two");
	/* an empty file: no line */
	CHECK_EQ_INT(read_all("", 0, g, 16), 0);

	printf("test_rec_perfmap: ok\n");
	return 0;
}
