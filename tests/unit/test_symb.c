/* test_symb - stacks and symbols read back from a capture (symb.c): frames
 * named only by a symbol that contains them, file offsets through the
 * mappings, return addresses looked up at address - 1, kernel symbols;
 * hostile rows (bad frame blobs, sizes, ranges, names with NUL or too long,
 * unknown files; line rows with bad ranges, line numbers or source paths,
 * or overlapping another) skipped and counted; source lines found by file
 * offset; folded stacks and the SVG escape what the names hold. */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capw.h"
#include "flame.h"
#include "capview.h"
#include "symb.h"
#include "testutil.h"

#define KBASE 0xffffffff81000000ull

static void write_capture(const char *dir)
{
	struct capw_opts o = { 0 };
	struct capw *w = capw__create(dir, &o);
	struct cap_session s = {
		.host = "h", .kernel_release = "6.1", .boot_id = "b", .cmdline = "bpfrec record -g",
		.tool_version = "t", .clock_boot_ns = 1, .clock_real_ns = 1, .start_ns = 1,
	};
	/* user: leaf in 'leaf', then a return address just past the end of
	 * 'outer' (its last byte is the call), then one in no symbol */
	uint64_t ustack[] = { 0x401010, 0x402008, 0x4050f0 };
	uint64_t kstack[] = { KBASE + 0x10, KBASE + 0x200 };
	struct cap_symfile elf = { "elf", "/usr/bin/prog", "00ff1234", 8192, -1, "copied" };
	struct cap_symfile kern = { "kernel", "[kernel.kallsyms]", NULL, -1, -1, "copied" };
	uint32_t fe, fk;

	CHECK(w);
	CHECK_EQ_INT(capw__set_session(w, &s), 0);
	CHECK_EQ_INT(capw__add_stack(w, 5, 0, ustack, 3), 0);
	CHECK_EQ_INT(capw__add_stack(w, 6, 1, kstack, 2), 0);
	CHECK_EQ_INT(capw__add_stack_pid(w, 5, 100), 0);
	CHECK_EQ_INT(capw__add_symfile(w, &elf, &fe), 0);
	CHECK_EQ_INT(capw__add_symfile(w, &kern, &fk), 0);
	/* mapped at 0x400000 from file offset 0x1000 */
	CHECK_EQ_INT(capw__add_mapping(w, 100, 0x400000, 0x406000, 0x1000, fe), 0);
	CHECK_EQ_INT(capw__add_symbol(w, fe, 0x1000 + 0x1000, 0x20, "leaf"), 0);
	CHECK_EQ_INT(capw__add_symbol(w, fe, 0x1000 + 0x2000, 8, "outer;x\x01<y>"), 0);
	CHECK_EQ_INT(capw__add_symbol(w, fk, KBASE, 0x100, "do_thing"), 0);
	/* line table rows: leaf's two lines, outer's call */
	CHECK_EQ_INT(capw__add_line(w, fe, 0x2000, 0x10, 42, "/src/prog.c"), 0);
	CHECK_EQ_INT(capw__add_line(w, fe, 0x2010, 0x10, 43, "/src/prog.c"), 0);
	CHECK_EQ_INT(capw__add_line(w, fe, 0x3000, 8, 7, "/src/outer.c"), 0);
	CHECK_EQ_INT(capw__close(w, 2), 0);
}

static void add_hostile_rows(const char *dir)
{
	char path[4200], *big = malloc(5001), sql[16384];
	sqlite3 *db;

	CHECK(big);
	memset(big, 'a', 5000);
	big[5000] = 0;
	snprintf(path, sizeof(path), "%s/index.db", dir);
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	snprintf(sql, sizeof(sql),
		 "INSERT INTO stack_traces VALUES (7, 'user', x'01020304050607');"   /* 7 bytes */
		 "INSERT INTO stack_traces VALUES (8, 'user', 'text, not a blob');"
		 "INSERT INTO symbols VALUES (1, 16, -5, 'negative');"
		 "INSERT INTO symbols VALUES (1, -100, 4096, 'wraps');"
		 "INSERT INTO symbols VALUES (1, 32, 8, CAST(x'61006263' AS TEXT));"  /* a NUL inside */
		 "INSERT INTO symbols VALUES (99, 0, 8, 'no such file');"
		 "INSERT INTO symbols VALUES (1, 64, 8, '%s');"
		 "INSERT INTO proc_maps VALUES (100, 9000, 8000, 0, 1);"            /* start > end */
		 "INSERT INTO proc_maps VALUES (100, 1, 2, 0, 42);"                 /* no file 42 */
		 "INSERT INTO sym_files VALUES (3, 'elf', CAST(x'2f00' AS TEXT), NULL, 1, NULL, 'x');"
		 "INSERT INTO lines VALUES (1, 16, 0, 1, 'a.c');"                    /* size 0 */
		 "INSERT INTO lines VALUES (1, -16, 8, 1, 'a.c');"                   /* negative */
		 "INSERT INTO lines VALUES (1, 9223372036854775800, 100, 1, 'a.c');" /* wraps */
		 "INSERT INTO lines VALUES (1, 48, 8, 0, 'a.c');"                    /* line 0 */
		 "INSERT INTO lines VALUES (1, 56, 8, 1000000000, 'a.c');"           /* too large */
		 "INSERT INTO lines VALUES (1, 64, 8, 1, CAST(x'61002e63' AS TEXT));" /* a NUL */
		 "INSERT INTO lines VALUES (1, 72, 8, 1, '');"                       /* empty */
		 "INSERT INTO lines VALUES (1, 80, 8, 1, '%s');"                     /* too long */
		 "INSERT INTO lines VALUES (1, 88, 8, 1, x'612e63');"                /* a blob */
		 "INSERT INTO lines VALUES (99, 0, 8, 1, 'a.c');"                    /* no file */
		 "INSERT INTO lines VALUES (2, 0, 8, 1, 'k.c');"                     /* kernel */
		 "INSERT INTO lines VALUES (1, 8200, 32, 9, 'overlaps.c');",         /* 0x2008 */
		 big, big);
	CHECK(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	free(big);
}

static int collect(void *ctx, const char *stack, uint64_t count)
{
	(void)ctx, (void)stack, (void)count;
	return 0;
}

int main(void)
{
	const char *dir = test_tmpdir("symb");
	char err[512] = "", path[4096];
	struct symb_frame f;
	struct strbuf b = { 0 };
	const uint64_t *ips;
	struct symb *sy;
	struct capview *c;
	uint32_t n;
	int kernel;

	snprintf(path, sizeof(path), "%s/cap", dir);
	write_capture(path);
	add_hostile_rows(path);
	c = capview__open(path, err, sizeof(err));
	if (!c)
		fprintf(stderr, "%s\n", err);
	CHECK(c);
	CHECK_EQ_INT(capview__symb(c, &sy, err, sizeof(err)), 0);
	CHECK_EQ_INT(symb__nstacks(sy), 2);         /* 7 and 8 skipped */
	CHECK_EQ_INT(symb__skipped(sy), 10 + 12);

	ips = symb__stack(sy, 5, &kernel, &n);
	CHECK(ips && n == 3 && !kernel);
	symb__frame(sy, 0, 100, ips, 0, &f);
	CHECK_STR(f.symbol, "leaf");
	CHECK_EQ_U64(f.offset, 0x10);
	CHECK_STR(f.file, "/usr/bin/prog");
	CHECK_STR(f.build_id, "00ff1234");
	CHECK_STR(f.src, "/src/prog.c");      /* file offset 0x2010: the second row */
	CHECK_EQ_INT(f.line, 43);
	/* 0x402008 is one past 'outer' (8 bytes at 0x402000): a return address,
	 * looked up at 0x402007 */
	symb__frame(sy, 0, 100, ips, 1, &f);
	CHECK_STR(f.symbol, "outer;x\x01<y>");
	CHECK_EQ_U64(f.offset, 8);
	CHECK_STR(f.src, "/src/outer.c");     /* looked up at the call, 0x3007 */
	CHECK_EQ_INT(f.line, 7);
	/* in the mapping but in no symbol: unknown, with its file */
	symb__frame(sy, 0, 100, ips, 2, &f);
	CHECK(f.symbol == NULL && f.src == NULL && f.line == 0);
	CHECK_STR(f.file, "/usr/bin/prog");
	CHECK_EQ_INT(symb__frame_text(&f, &b), 0);
	CHECK_STR(b.buf, "[unknown] (/usr/bin/prog)");
	/* another process: no mapping, nothing known */
	symb__frame(sy, 0, 101, ips, 0, &f);
	CHECK(f.symbol == NULL && f.file == NULL);

	ips = symb__stack(sy, 6, &kernel, &n);
	CHECK(ips && n == 2 && kernel);
	symb__frame(sy, 1, 0, ips, 0, &f);
	CHECK_STR(f.symbol, "do_thing");
	CHECK_EQ_U64(f.offset, 0x10);
	CHECK_STR(f.file, "[kernel.kallsyms]");
	symb__frame(sy, 1, 0, ips, 1, &f);          /* past do_thing's 0x100 bytes */
	CHECK(f.symbol == NULL);
	CHECK_STR(f.file, "[kernel.kallsyms]");
	CHECK(symb__stack(sy, 7, &kernel, &n) == NULL);

	/* folded: root first, ';' and control bytes inside a name become '_' */
	b.len = 0;
	CHECK_EQ_INT(symb__fold(sy, "pro;g", 100, 5, 6, &b), 0);
	CHECK_STR(b.buf, "pro_g;[unknown]_(prog);outer_x_<y>;leaf;[unknown]_([kernel.kallsyms])_[k];do_thing_[k]");

	/* SVG: names XML-escaped */
	{
		char *lines[] = { b.buf };
		uint64_t counts[] = { 3 };
		char *svg = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&svg, &len);

		CHECK(m);
		CHECK_EQ_INT(flame__svg(m, "t<i>tle", lines, counts, 1), 0);
		fclose(m);
		CHECK(strstr(svg, "outer_x_&lt;y&gt;"));
		CHECK(strstr(svg, "t&lt;i&gt;tle"));
		CHECK(!strstr(svg, "<y>"));
		free(svg);
	}
	/* a capture without stacks folds nothing */
	CHECK_EQ_INT(flame__folded(c, &(struct flame_opts){ .pid = -1 }, collect, NULL, NULL, err,
				   sizeof(err)), 0);
	strbuf__free(&b);
	capview__close(c);
	printf("ok\n");
	return 0;
}
