/* events.h - the table `events`: the columns every stream has in common,
 * every stream's records in one table, in time order (module
 * "bpfrec_events"; the usage manual is at the top of events.c). */
#ifndef BPFREC_REPLAY_EVENTS_H
#define BPFREC_REPLAY_EVENTS_H

#include <sqlite3.h>

struct vtab_reg;
/* Registers the module on db; its tables read the captures reg holds (the
 * stream tables' snapshot).  SQLITE_OK or an SQLite code. */
int events__register(sqlite3 *db, struct vtab_reg *reg);

#endif
