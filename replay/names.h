/* names.h - the names users think in for numbers a capture holds: errno,
 * signal, address family, socket type, IP protocol, and the recording
 * host's user and group names for uids and gids.  Presentation only:
 * SQL keeps the numbers (and has errno_name(), signal_name(), af_name() to
 * ask for the names); show and its csv/jsonl/table outputs print the names.
 *
 * Which columns get a name is decided by the column's name and kind alone
 * (no per-probe code): see names__hint().
 */
#ifndef BPFREC_REPLAY_NAMES_H
#define BPFREC_REPLAY_NAMES_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "print.h"

enum name_hint {
	NAME_NONE,
	NAME_ERRNO,     /* ret, err, error, errno, retval: a negative value is -errno */
	NAME_AF,        /* family, af, sa_family, *_family */
	NAME_SOCKTYPE,  /* type, sock_type (in a stream that has a family column) */
	NAME_PROTO,     /* protocol, proto (in a stream that has a family column) */
	NAME_SIGNAL,    /* sig, signal, signo, *_signal */
	NAME_HIDDEN,    /* __pad, __pad2, x___pad: explicit padding, never shown */
	NAME_UID,       /* a BTF uid_t; unsigned uid, euid, ruid, suid, fsuid, *_uid */
	NAME_GID,       /* a BTF gid_t; unsigned gid, egid, rgid, sgid, fsgid, *_gid */
};

/* The hint for column col (flattened name) of a stream whose columns are
 * cols[0..ncols-1]; integer columns only (is_int).  Not uids and gids:
 * names__id_hint. */
enum name_hint names__hint(const char *col, int is_int, const char *const *cols, size_t ncols);
/* NAME_UID / NAME_GID for an integer column that holds a uid or a gid, else
 * NAME_NONE.  By type first: its BTF type is a uid or gid typedef
 * (evcol.id_kind: uid_t, gid_t, __kernel_uid32_t, kuid_t's val, and the
 * fields a tracepoint's format declares uid_t/gid_t, such as chown's user
 * and group), whatever its name.  Else by name, for unsigned columns only
 * (is_unsigned): uid, euid, ruid, suid, fsuid or a name ending in _uid;
 * gid, egid, rgid, sgid, fsgid or ending in _gid (a probe's plain __u32
 * uid; tracepoints name syscall arguments so).  Not by the names user and
 * group, nor signed columns: ext4's "__u32 group" is a block group,
 * signal_generate's "int group" a flag, iommu's "int gid" a device
 * group. */
enum name_hint names__id_hint(const char *col, int is_unsigned, int id_kind);

/* Columns of a socket address that mean something for some families only,
 * in a stream with a family column (connect's): port and addr are an inet
 * address's, path an AF_UNIX one's.  show's line format leaves such a
 * column out of a line when it is all zero bytes and the line's family is
 * not its own (so it never hides a value). */
enum name_scope {
	SCOPE_ANY,
	SCOPE_INET,     /* port, addr, *_port, *_addr */
	SCOPE_UNIX,     /* path, sun_path */
};
enum name_scope names__scope(const char *col, const char *const *cols, size_t ncols);

/* Names, or NULL for a number without one.  errno: positive numbers. */
const char *names__errno(int64_t n);
const char *names__signal(int64_t n);
const char *names__af(int64_t n);
const char *names__proto(int64_t n);
/* SOCK_STREAM, with |SOCK_NONBLOCK|SOCK_CLOEXEC flags; into buf. */
const char *names__socktype(int64_t n, char *buf, size_t len);

/* *v (an integer pval) as text with its name for the hint, into buf:
 * errno: "-111 ECONNREFUSED" (with_number) or "ECONNREFUSED"; the others
 * "AF_INET".  Left as it is when the value has no name.  1 if changed. */
int names__apply(enum name_hint h, struct pval *v, int with_number, char *buf, size_t len);

/* A uid or gid (NAME_UID, NAME_GID) with the recording host's name from the
 * capture (ids, idnames.h; NULL: none): "1000(alice)" (with_number, as
 * id(1) prints it) or "alice", into buf.  Left as it is when the capture
 * has no name for it.  1 if changed. */
struct idnames;
#define NAMES_TEXT_MAX 320   /* room for what names__apply and names__apply_id write */
int names__apply_id(const struct idnames *ids, enum name_hint h, struct pval *v,
		    int with_number, char *buf, size_t len);

/* errno_name(n), signal_name(n), af_name(n) on db (n or -n for errno);
 * NULL for a number without a name.  SQLITE_OK or an SQLite code. */
int names__register_sql(sqlite3 *db);

#endif
