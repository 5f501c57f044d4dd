/* test_install.c - `cmake --install` installs a usable tool: bpfrec and
 * bpfreplay, the SQLite extension (it loads and has the tables' functions),
 * bpfrec.h, the man pages bpfrec(1), bpfreplay(1), bpfrec-format(5) (each
 * record option and each bpfreplay command in them; groff finds nothing to
 * warn about when it is there) and bash completion (it completes); and
 * tools/package.sh makes a .deb of all that with its Depends. */
#include "testutil.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char out[1 << 16];

/* Runs a shell command line; its stdout in out; the exit status. */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[16384];
	va_list ap;
	FILE *p;
	size_t n;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	CHECK(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = 0;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 1 << 20);

	CHECK(f && buf);
	buf[fread(buf, 1, (1 << 20) - 1, f)] = 0;
	fclose(f);
	return buf;
}

/* Every long option of src's getopt table appears in the man page as \-\-NAME. */
static void options_in_man(const char *src, const char *man)
{
	char *s = slurp(src), *m = slurp(man), *p = s;
	int n = 0;

	while ((p = strstr(p, "{ \""))) {
		char name[128], kind[32], opt[160];

		if (sscanf(p, "{ \"%127[^\"]\", %31[a-z_]", name, kind) == 2 &&
		    strstr(kind, "_argument")) {
			char *d = opt;

			d += sprintf(d, "\\-\\-");
			for (const char *c = name; *c; c++)
				d += *c == '-' ? sprintf(d, "\\-") : sprintf(d, "%c", *c);
			if (!strstr(m, opt)) {
				fprintf(stderr, "%s: option --%s (%s) is not in the man page\n", man, name,
					src);
				exit(1);
			}
			n++;
		}
		p += 3;
	}
	CHECK(n > 5);
	free(s);
	free(m);
}

/* The installed completion of tool, given the words after the program
 * (the last one is completed), offers exactly want. */
static void completes(const char *root, const char *tool, const char *words, const char *want)
{
	char line[256];
	int cword = 1;

	for (const char *c = words; *c; c++)
		cword += *c == ' ';
	CHECK_EQ_INT(sh("bash -c 'source \"%s/share/bash-completion/completions/%s\"; "
			"COMP_WORDS=(\"%s/bin/%s\" %s); COMP_CWORD=%d; _%s; echo \"${COMPREPLY[@]}\"'",
			root, tool, root, tool, words, cword, tool), 0);
	snprintf(line, sizeof(line), "%s\n", want);
	CHECK_STR(out, line);
}

int main(void)
{
	const char *build = getenv("BPFREC_BUILD"), *src = getenv("BPFREC_SRC");
	const char *tmp = test_tmpdir("install");
	char root[4096], path[8192], ext[4096];
	int has_rec;
	sqlite3 *db;
	char *err = NULL;

	if (!build || !src) {
		fprintf(stderr, "SKIPPED: run under ctest (BPFREC_BUILD, BPFREC_SRC)\n");
		return 77;
	}
	snprintf(root, sizeof(root), "%s/usr", tmp);
	CHECK_EQ_INT(sh("cmake --install '%s' --prefix '%s' 2>&1", build, root), 0);
	snprintf(path, sizeof(path), "%s/recorder/bpfrec", build);
	has_rec = access(path, X_OK) == 0;

	static const char *const files[] = {
		"bin/bpfreplay", "include/bpfrec/bpfrec.h", "include/bpfrec/bpfrec_batch.h",
		"share/man/man1/bpfreplay.1",
		"share/man/man1/bpfrec.1", "share/man/man5/bpfrec-format.5",
		"share/bash-completion/completions/bpfreplay",
		"share/bash-completion/completions/bpfrec", NULL,
	};
	for (int i = 0; files[i]; i++) {
		snprintf(path, sizeof(path), "%s/%s", root, files[i]);
		if (access(path, R_OK)) {
			fprintf(stderr, "not installed: %s\n", files[i]);
			return 1;
		}
	}
	if (has_rec) {
		snprintf(path, sizeof(path), "%s/bin/bpfrec", root);
		CHECK(access(path, X_OK) == 0);
		CHECK_EQ_INT(sh("'%s' version", path), 0);
		CHECK(!strncmp(out, "bpfrec ", 7));
	}
	CHECK_EQ_INT(sh("'%s/bin/bpfreplay' version", root), 0);
	CHECK(!strncmp(out, "bpfreplay ", 10));

	/* The extension: found under lib*, loads, has the functions. */
	CHECK_EQ_INT(sh("find '%s' -name libbpfrec_sqlite.so", root), 0);
	CHECK(sscanf(out, "%4095s", ext) == 1 && strstr(ext, "/bpfrec/libbpfrec_sqlite.so"));
	CHECK_EQ_INT(sqlite3_open(":memory:", &db), SQLITE_OK);
	sqlite3_enable_load_extension(db, 1);
	if (sqlite3_load_extension(db, ext, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", ext, err ? err : "?");
		return 1;
	}
	{
		sqlite3_stmt *st;

		CHECK_EQ_INT(sqlite3_prepare_v2(db, "SELECT errno_name(-111)", -1, &st, NULL), SQLITE_OK);
		CHECK_EQ_INT(sqlite3_step(st), SQLITE_ROW);
		CHECK_STR((const char *)sqlite3_column_text(st, 0), "ECONNREFUSED");
		sqlite3_finalize(st);
	}
	sqlite3_close(db);

	/* The man pages: every record option, every bpfreplay command. */
	snprintf(path, sizeof(path), "%s/share/man/man1/bpfrec.1", root);
	{
		char s[4096];

		snprintf(s, sizeof(s), "%s/recorder/record_opts.c", src);
		options_in_man(s, path);
	}
	snprintf(path, sizeof(path), "%s/share/man/man1/bpfreplay.1", root);
	{
		char *m = slurp(path);
		static const char *const cmds[] = { "info", "show", "sql", "verify", "recover",
						    "bundle", "export", NULL };

		for (int i = 0; cmds[i]; i++) {
			char want[64];

			snprintf(want, sizeof(want), ".B %s\n", cmds[i]);
			CHECK(strstr(m, want));
		}
		free(m);
	}
	if (!sh("command -v groff >/dev/null")) {
		CHECK_EQ_INT(sh("for m in '%s'/share/man/man1/*.1 '%s'/share/man/man5/*.5; do "
				"groff -man -Tutf8 -ww -z \"$m\" 2>&1; done", root, root), 0);
		if (out[0]) {
			fprintf(stderr, "groff warns:\n%s\n", out);
			return 1;
		}
	}

	/* Bash completion completes commands and options, read from the
	 * installed programs' --help: commands added since the script was
	 * written (export, flame, report) and options of every command. */
	completes(root, "bpfreplay", "sh", "show");
	completes(root, "bpfreplay", "ex", "export");
	completes(root, "bpfreplay", "show --si", "--since");
	completes(root, "bpfreplay", "flame --sv", "--svg");
	if (has_rec) {
		completes(root, "bpfrec", "record --ring-t", "--ring-time");
		completes(root, "bpfrec", "record --no-user", "--no-user-names");
	}

	/* tools/package.sh: a .deb with the files and the libraries' packages. */
	if (sh("command -v dpkg-deb >/dev/null") == 0 && has_rec) {
		char deb[4096];

		CHECK_EQ_INT(sh("'%s/tools/package.sh' '%s' '%s'", src, build, tmp), 0);
		CHECK(sscanf(out, "%4095s", deb) == 1);
		CHECK_EQ_INT(sh("dpkg-deb -c '%s'", deb), 0);
		CHECK(strstr(out, "./usr/bin/bpfrec\n") && strstr(out, "./usr/bin/bpfreplay\n"));
		CHECK(strstr(out, "/bpfrec/libbpfrec_sqlite.so\n"));
		CHECK(strstr(out, "./usr/share/man/man5/bpfrec-format.5"));
		CHECK(strstr(out, "./usr/include/bpfrec/bpfrec.h\n"));
		CHECK(strstr(out, "root/root"));
		CHECK_EQ_INT(sh("dpkg-deb -f '%s' Package Depends", deb), 0);
		CHECK(strstr(out, "Package: bpfrec\n"));
		CHECK(strstr(out, "libsqlite3-0") && strstr(out, "libzstd1") && strstr(out, "libbpf1") &&
		      strstr(out, "libedit2"));
	}
	puts("test_install: ok");
	return 0;
}
