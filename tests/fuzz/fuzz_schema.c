/* fuzz_schema - a capture's index.db as an attacker writes it (its schema:
 * names, declared types, DDL text, views, triggers, virtual and generated
 * columns; its metadata rows: stream names, counts), opened and attached
 * into a host connection the way the extension and `bpfreplay sql` do
 * (replay/vtab.c over schema/capr.c and schema/capschema.c).
 *
 * Beyond the sanitizers, each run checks what a capture must never do to
 * the machine that opens it (README, "Reliability"), and aborts if it did:
 *   - the host connection holds only bpfrec's own tables: the metadata
 *     tables and one virtual table per stream (no other table, view,
 *     trigger or index), and no database is attached;
 *   - no file appeared in the working directory (the target runs in its
 *     scratch directory, so a payload's VACUUM INTO or ATTACH of a
 *     relative name would land there).
 * The input is written as index.db beside the small valid segment of
 * fuzzcap.h.  Seeds: fuzz_index's, and indexes holding the payloads of
 * tests/unit/test_hostile.c (tests/fuzz/mkschemaseeds.py).
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzzcap.h"
#include "fuzzutil.h"
#include "vtab.h"
#include "capview.h"
#include "idnames.h"

static char fs_cap[512], fs_idx[600];

static void fs_quiet(void *ctx, const char *msg)
{
}

/* Entries of the scratch directory (cap and template only, normally). */
static int fs_count_files(void)
{
	DIR *d = opendir(".");
	struct dirent *e;
	int n = 0;

	if (!d)
		abort();
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static int fs_known_table(struct capview *c, const char *name)
{
	static const char *const meta[] = {   /* vtab.c's metadata tables, events.c's table */
		"sessions", "streams", "losses", "blocks", "block_streams", "objects", "stacks",
		"frames", "events", "all_events",
		"programs", "stream_loss", "loss_windows", "users", "groups", NULL,
	};

	for (size_t i = 0; meta[i]; i++)
		if (!strcmp(name, meta[i]))
			return 1;
	for (size_t i = 0; c && i < capview__nstreams(c); i++)
		if (!strcmp(name, capview__stream(c, i)->table))
			return 1;
	return 0;
}

/* Attaches the capture into a fresh host connection, reads every table,
 * and checks the host holds bpfrec's tables only. */
static void fs_attach_check(void)
{
	struct vtab_opts opts = { .strict = 0, .warn = fs_quiet };
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	struct vtab_reg *reg;
	char *err = NULL;

	if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		abort();
	reg = vtab__register(db, &opts);
	if (!reg)
		abort();
	int attached = vtab__attach(reg, fs_cap, "main", &err) == SQLITE_OK;
	struct capview *c = attached ? vtab__capture(reg, fs_cap) : NULL;

	/* the user and group names the loader keeps: printable, ids in range,
	 * ascending (idnames.h) */
	struct idnames *names = NULL;
	char nerr[256];
	if (c && !capview__idnames(c, &names, nerr, sizeof(nerr)))
		for (int k = IDNAMES_USER; k <= IDNAMES_GROUP; k++) {
			const char *nm;
			uint32_t id, prev = 0;
			for (size_t i = 0; (nm = idnames__at(names, k, i, &id)); i++) {
				if ((i && id <= prev) || id == UINT32_MAX || !*nm ||
				    strlen(nm) > IDNAMES_NAME_MAX ||
				    idnames__name(names, k, id) != nm)
					abort();
				for (const unsigned char *p = (const unsigned char *)nm; *p; p++)
					if (*p < 0x20 || *p == 0x7f)
						abort();
				prev = id;
			}
		}

	/* every object in the host's schemas is one bpfrec made */
	if (sqlite3_prepare_v2(db, "SELECT type, name FROM sqlite_schema UNION ALL"
			       " SELECT type, name FROM sqlite_temp_schema", -1, &st, NULL) != SQLITE_OK)
		abort();
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *type = (const char *)sqlite3_column_text(st, 0);
		const char *name = (const char *)sqlite3_column_text(st, 1);
		if (!type || !name || strcmp(type, "table") || !fs_known_table(c, name)) {
			fprintf(stderr, "fuzz_schema: the host holds %s '%s' after attach\n",
				type ? type : "?", name ? name : "?");
			abort();
		}
		/* read it all: the virtual tables decode, the copies are rows */
		char *q = sqlite3_mprintf("SELECT * FROM \"%w\"", name);
		sqlite3_stmt *rd = NULL;
		if (q && sqlite3_prepare_v2(db, q, -1, &rd, NULL) == SQLITE_OK)
			while (sqlite3_step(rd) == SQLITE_ROW)
				;
		sqlite3_finalize(rd);
		sqlite3_free(q);
	}
	sqlite3_finalize(st);
	st = NULL;
	/* no database attached */
	if (sqlite3_prepare_v2(db, "SELECT name FROM pragma_database_list WHERE name NOT IN"
			       " ('main', 'temp')", -1, &st, NULL) != SQLITE_OK)
		abort();
	if (sqlite3_step(st) == SQLITE_ROW) {
		fprintf(stderr, "fuzz_schema: database '%s' attached to the host\n",
			(const char *)sqlite3_column_text(st, 0));
		abort();
	}
	sqlite3_finalize(st);
	sqlite3_free(err);
	sqlite3_close(db);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int files;

	if (!fs_cap[0]) {
		char tmpl[512], seg[600], dst[600];
		snprintf(tmpl, sizeof(tmpl), "%s/schema-template", fuzz_tmpdir());
		snprintf(fs_cap, sizeof(fs_cap), "%s/schema-cap", fuzz_tmpdir());
		if (fuzzcap_build(tmpl, NULL, 0) || mkdir(fs_cap, 0755))
			abort();
		snprintf(seg, sizeof(seg), "%s/seg-000001.bpfrec", tmpl);
		snprintf(dst, sizeof(dst), "%s/seg-000001.bpfrec", fs_cap);
		if (link(seg, dst))
			abort();
		snprintf(fs_idx, sizeof(fs_idx), "%s/index.db", fs_cap);
	}
	/* relative names in a payload resolve here: watched below */
	char cwd[4096];
	if (!getcwd(cwd, sizeof(cwd)) || chdir(fuzz_tmpdir()))
		abort();
	if (!files)
		files = fs_count_files();
	fuzz_write(fs_idx, data, size);
	fs_attach_check();
	if (fs_count_files() != files) {
		fprintf(stderr, "fuzz_schema: a file appeared in %s\n", fuzz_tmpdir());
		abort();
	}
	if (chdir(cwd))
		abort();
	return 0;
}
