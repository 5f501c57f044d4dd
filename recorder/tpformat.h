/* tpformat.h - a tracepoint's raw record, as tracefs describes it in
 * events/SYSTEM/NAME/format, and the tracepoints tracefs has.
 *
 * The format file lists every field with its C declaration, offset, size
 * and signedness: the common_* fields first, then the event's own (for
 * syscalls: __syscall_nr, padding, then 8-byte args).  A __data_loc field is
 * a u32 (length << 16 | offset) locating its data inside the same record;
 * a __rel_loc field's offset counts from the end of the field itself.
 *
 * Parsing needs no kernel: tpformat__parse() reads the text, so unit tests
 * feed it fixture files.  Errors: NULL with errno set and a message in err
 * naming the tracepoint, the line and what is wrong: the one exception to
 * the recorder's "printed where it failed", because the caller prints it
 * with what it knows more (the -e spec it came from).
 */
#ifndef BPFREC_TPFORMAT_H
#define BPFREC_TPFORMAT_H

#include <stddef.h>
#include <stdint.h>

/* Names as tracefs has them (letters, digits, '_', '-', '.'): longer ones
 * are refused. */
#define TPFORMAT_NAME_MAX 128

enum tpfield_kind {
	TPF_INT,        /* an integer of 1, 2, 4 or 8 bytes (bool, enum, pid_t, ...) */
	TPF_POINTER,    /* a pointer: an address, 8 (or 4) bytes, unsigned */
	TPF_ARRAY,      /* fixed array: nelems elements of elem_size bytes */
	TPF_STRING,     /* fixed char array (char comm[16]) */
	TPF_LOC_STRING, /* __data_loc char[]: a NUL-terminated string in the record */
	TPF_LOC_ARRAY,  /* __data_loc T[] (or cpumask_t): elements of elem_size bytes */
	TPF_BYTES,      /* anything else (a struct by value): size raw bytes */
};

/* One field, read-only: owned by its tpformat. */
struct tpfield {
	char name[TPFORMAT_NAME_MAX];
	char type[TPFORMAT_NAME_MAX];  /* the C type as written, without the name */
	enum tpfield_kind kind;
	uint32_t offset, size;         /* in the raw record; a loc field: 4 */
	int is_signed;
	int is_common;                 /* common_type, common_pid, ... */
	int rel_loc;                   /* __rel_loc rather than __data_loc */
	uint32_t elem_size;            /* ARRAY, STRING, LOC_*: bytes per element */
	uint32_t nelems;               /* ARRAY, STRING: element count */
	int elem_signed;               /* ARRAY, LOC_ARRAY: element signedness */
};

struct tpformat;

/* Parses the text of a format file for SYSTEM:NAME (system and name are
 * used in messages, and checked against the file's name: line). */
struct tpformat *tpformat__parse(const char *text, const char *system, const char *name,
				 char *err, size_t errlen);
/* Reads and parses TRACING_DIR/events/SYSTEM/NAME/format.  errno ENOENT:
 * no such tracepoint; other errnos: it exists but cannot be read/parsed. */
struct tpformat *tpformat__load(const char *tracing_dir, const char *system, const char *name,
				char *err, size_t errlen);
void tpformat__free(struct tpformat *f);   /* NULL is fine */

const char *tpformat__system(const struct tpformat *f);
const char *tpformat__name(const struct tpformat *f);
uint32_t tpformat__id(const struct tpformat *f);          /* common_type's value */
size_t tpformat__nfields(const struct tpformat *f);
const struct tpfield *tpformat__field(const struct tpformat *f, size_t i);
const struct tpfield *tpformat__find(const struct tpformat *f, const char *name);
/* Bytes of the record's fixed part: the end of its last field. */
uint32_t tpformat__fixed_size(const struct tpformat *f);

/* A tracepoint spec "SYSTEM:NAME" (or SYSTEM/NAME), each part a glob
 * (fnmatch) for tpformat__expand.  0, or -EINVAL with a message in err. */
int tpformat__split(const char *spec, char *system, char *name, size_t len, char *err,
		    size_t errlen);
/* Calls fn for every tracepoint under TRACING_DIR/events whose system and
 * name match the globs, in sorted order.  Returns the count matched (fn
 * returning nonzero stops the walk and is returned), or -errno when the
 * events directory cannot be read. */
int tpformat__expand(const char *tracing_dir, const char *system_glob, const char *name_glob,
		     int (*fn)(const char *system, const char *name, void *ctx), void *ctx);

#endif
