/* capload.h - the end-to-end tests' view of a capture: every record decoded
 * to text through the same libraries bpfreplay uses (capr, btfv, evtype). */
#ifndef BPFREC_TEST_CAPLOAD_H
#define BPFREC_TEST_CAPLOAD_H

#include <stddef.h>
#include <stdint.h>

struct ev {
	char stream[64];
	uint64_t ts_ns;
	uint32_t cpu;
	uint32_t len;
	int damaged;            /* shorter than its type: not decoded */
	int nf;
	char **names, **vals;
	uint8_t *raw;           /* the record's len bytes, as recorded */
};

struct evlist {
	struct ev *v;
	size_t n;
	uint64_t lost;          /* sum of the losses table */
};

int capload(const char *dir, struct evlist *out);   /* 0 or -errno, message printed */
void capload_free(struct evlist *l);
/* Puts the events in time order (stable: events of one time keep their
 * capture order).  A capture's records are not sorted by time: a staged
 * ringbuf's batches of one CPU can follow another CPU's later ones. */
void capload_sort_time(struct evlist *l);
const char *ev_get(const struct ev *e, const char *field);  /* NULL if absent */
long long ev_int(const struct ev *e, const char *field);    /* aborts the test if absent */
/* Events of one stream whose field equals value (NULL: any). */
size_t ev_count(const struct evlist *l, const char *stream, const char *field, const char *value);
const struct ev *ev_find(const struct evlist *l, const char *stream, const char *field,
			 const char *value);
void ev_dump(const struct evlist *l, const char *stream);   /* to stderr, for failures */

/* Runs argv (NULL-terminated); returns its exit status, or -1. */
int run_cmd(char *const argv[]);
/* The same, with its stderr in err (NUL-terminated, also echoed). */
int run_cmd_err(char *const argv[], char *err, size_t errlen);
/* Runs argv with its stdout in out (NUL-terminated, cut to len - 1 bytes
 * but read to the end); its exit status, or 128 + the signal. */
int run_cmd_out(char *const argv[], char *out, size_t len);
/* Runs the build's bpfrec with args (NULL-terminated): its stderr in err
 * (NUL-terminated, also echoed), its stdout to /dev/null; as_nobody: as
 * uid/gid 65534 (exit 126 if that fails).  Its exit status, or 128 + the
 * signal that ended it. */
int run_bpfrec_as(char *err, size_t errlen, char *const args[], int as_nobody);
int run_bpfrec(char *err, size_t errlen, char *const args[]);
/* key=value file written by the actor; returns the value or aborts. */
long long kv_get(const char *path, const char *key);
/* The one line of text (a command's output) that has every string of
 * has[] (NULL-terminated) in it, into buf; aborts the test if none or
 * several do. */
const char *out_line(const char *text, const char *const *has, char *buf, size_t len);
/* The cell of column col in row, a line of CSV whose header is text's
 * first line, into buf as written: "" for an empty text, nothing for none
 * (no other quoted cell: aborts on one, on a missing column or on a row of
 * another width). */
const char *csv_cell(const char *text, const char *row, const char *col, char *buf, size_t len);

#endif
