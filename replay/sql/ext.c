/* ext.c - bpfrec's virtual tables as a loadable SQLite extension,
 * libbpfrec_sqlite.so.
 *
 *   sqlite3 shell:   .load /path/to/libbpfrec_sqlite
 *                    SELECT bpfrec_attach('/path/to/capture');
 *                    SELECT comm, count(*) FROM exec GROUP BY comm;
 *   Python:          con.enable_load_extension(True)
 *                    con.load_extension('/path/to/libbpfrec_sqlite')
 *                    con.execute("SELECT bpfrec_attach('/path/to/capture')")
 *
 * The entry point is the one SQLite derives from the file name: "sqlite3_"
 * + the lower-case letters of the name after any "lib" and before the first
 * dot + "_init": sqlite3_bpfrecsqlite_init.  sqlite3_extension_init is also
 * exported for hosts that are given no name.
 *
 * bpfrec_attach(PATH [, SCHEMA [, MODE]]) makes the tables (in temp by
 * default); CREATE VIRTUAL TABLE t USING bpfrec(PATH, STREAM [, MODE]) makes
 * one.  The manual is at the top of vtab.c.  Here a damaged block or record
 * fails the statement (SQLITE_CORRUPT, naming the block) unless MODE is
 * 'skip_damaged' (then sqlite3_log reports it).
 *
 * vtab.c is compiled into this file with BPFREC_SQLITE_EXT, so that every
 * call it makes on the host's connection goes through the host's SQLite
 * API (sqlite3_api); the capture's own index is read by capview.c on a
 * separate connection of the library this module links.
 */
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#define BPFREC_SQLITE_EXT 1
#include "vtab.c"

#ifdef _WIN32
__declspec(dllexport)
#endif
int sqlite3_bpfrecsqlite_init(sqlite3 *db, char **err, const sqlite3_api_routines *api)
{
	struct vtab_opts opts = { .strict = 1 };

	SQLITE_EXTENSION_INIT2(api);
	if (!vtab__register(db, &opts)) {
		*err = sqlite3_mprintf("bpfrec: cannot register the module: %s", sqlite3_errmsg(db));
		return SQLITE_ERROR;
	}
	return SQLITE_OK;
}

int sqlite3_extension_init(sqlite3 *db, char **err, const sqlite3_api_routines *api)
{
	return sqlite3_bpfrecsqlite_init(db, err, api);
}
