/* cmd_show.c - bpfreplay show: every event in time order across streams.
 *
 * Which records, and in what order: slice.h (the options are parsed there,
 * shared with export).  A damaged record is printed as DAMAGED (table) or
 * reported on stderr (csv, jsonl), never decoded; a damaged block is
 * reported and skipped.  Either makes the exit status 3 once everything else
 * has been printed.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "evtype.h"
#include "idnames.h"
#include "names.h"
#include "print.h"
#include "capview.h"
#include "showline.h"
#include "damagesay.h"
#include "slice.h"
#include "symb.h"
#include "rowlacks.h"
#include "sysids.h"

static void help(void)
{
	printf("Usage: bpfreplay show [OPTIONS] CAPTURE...\n"
	       "\n"
	       "Several captures (or a directory holding them) are shown one after the\n"
	       "other, each under a '== CAPTURE ==' line (line and table formats).\n"
	       "\n"
	       "Print every event of a capture in time order, one per line: wall time\n"
	       "(UTC, ISO 8601 with ns), stream, then the event's fields as name=value,\n"
	       "decoded with the BTF stored in the capture.  Numbers users know by name\n"
	       "print as names: an errno (ret=-111 ECONNREFUSED), address family, socket\n"
	       "type, protocol, signal, and uids and gids as the user and group names of\n"
	       "the host that recorded, which the capture carries (uid=1000(alice); csv and\n"
	       "jsonl print the name alone); SQL keeps the numbers (errno_name(),\n"
	       "signal_name(), af_name(), user_name(), group_name() there).  Explicit\n"
	       "padding (__pad) and the event's own timestamp\n"
	       "member (it is the line's time) are left out.  So is what a row does not\n"
	       "have: a socket address's empty columns of another family (an AF_UNIX\n"
	       "connect's port and addr, an inet one's path), an address not recorded (a\n"
	       "socket's create and release have none yet), and in --syscalls rows the\n"
	       "path, path2 and socket address the syscall does not take; table and csv\n"
	       "leave such a cell empty, jsonl leaves the key out.  On a terminal the line\n"
	       "is coloured (not with NO_COLOR set, nor on a pipe).\n"
	       "\n"
	       "Options:\n"
	       SLICE_HELP
	       "  -o, --output FMT    line (the default: one line per event), table (aligned\n"
	       "                      columns with a header), csv (a header with the columns\n"
	       "                      of all the streams shown), jsonl\n"
	       "  -r, --relative      time in seconds since the first event shown (+0.000123456)\n"
	       "  -h, --help          this text\n"
	       "\n"
	       "Examples:\n"
	       "  bpfreplay show ./cap\n"
	       "  bpfreplay show ./cap --stream exec,exit --since +1s --until +1.5s\n"
	       "  bpfreplay show ./cap --pid 4242 -o jsonl\n"
	       "  bpfreplay show ./cap --where \"comm = 'curl' AND ret < 0\"\n"
	       "\n"
	       "Exit status: 0 ok, 1 bad --where, 2 usage, 3 bad or damaged capture\n"
	       "(damaged blocks and records are reported; everything else is printed).\n"
	       "\n"
	       "Events with stacks (bpfrec record -g, --probe profile) are followed by their\n"
	       "frames, innermost first, one a line: address, function+offset (file), named\n"
	       "from the symbols the capture carries ([unknown] where it has none).\n");
}

#define NO_UCOL ((size_t)-1)   /* a column not shown (padding, the ts member) */

struct sel {
	struct capview_stream *s;
	size_t *ucol;               /* evtype column -> union column (table/csv/jsonl) */
	enum name_hint *hint;       /* per evtype column: its name kind (names.h) */
	uint8_t *is_bool;           /* per evtype column: _Bool (JSON true/false) */
	uint8_t *is_enum;           /* per evtype column: an enum (JSON: a number
				       when its value has no name) */
	uint8_t *is_addr;           /* per evtype column: an address, shown in hex */
	uint8_t *is_stack;          /* per evtype column: a stack id (-1: none asked) */
	struct rowlacks *lacks;     /* what a row does not have: left out */
	int ts_col;                 /* evtype column that may hold the record's ts, or -1 */
	struct showline_col *plan;  /* line format: the shown columns, in order */
	size_t nplan;
	char *head;                 /* line format: what follows the time (name, colours) */
	size_t headlen;
	size_t room;                /* line format: the most bytes the fast ops write */
	struct sysids *sysids;      /* --syscalls rows: which args are ids, or NULL */
	int8_t *sysarg;             /* per evtype column: i for arg<i> named by row
				       (sysids), else -1 */
};

/* SGR sequences of the line format on a terminal. */
#define C_TIME   "\033[2m"
#define C_STREAM "\033[36m"
#define C_ERR    "\033[31m"
#define C_OFF    "\033[0m"

struct show {
	struct capview *c;
	struct slice *sl;
	struct sel *sel;            /* by stream index; sel[i].s NULL if not shown */
	struct capview_stream *stream0;   /* stream index 0 (the index's base) */
	size_t nstreams;
	enum print_fmt fmt;
	int oneline;                /* the one-line format (no -o, or -o line) */
	int color;                  /* line format on a terminal without NO_COLOR */
	int relative;               /* -r: seconds since the first event shown */
	uint64_t first_ts;          /* of the first event shown (-r) */
	int have_first;
	struct printer *pr;         /* table/csv/jsonl */
	char **ucols;               /* union columns: common + every shown stream's */
	size_t nucols;
	struct pval *uvals;
	int namew;                  /* widest stream name shown */
	struct strbuf line;
	int batch;                  /* stdout is no terminal: lines leave in batches */
	struct showline_time tcache;
	uint64_t printed;
	int out_err;
	struct symb *symb;          /* the capture's stacks (owned by c), NULL: none */
	struct idnames *ids;        /* its user and group names (owned by c), NULL: none */
	uint32_t row_ids;           /* the record printed: its id arguments (sysids__row) */
};

/* Lines leave once LINE_BATCH bytes are waiting (one line at a time on a
 * terminal); show_one writes the rest at the end.  They go straight to the
 * descriptor with write(2): through stdio a batch was copied in part into
 * its 4 KiB buffer and left in two calls.  stdio's own buffer (the "==
 * CAPTURE ==" headers, a printer's rows) is flushed first, so the order on
 * stdout stays the order of the calls. */
#ifndef LINE_BATCH
#define LINE_BATCH (256 * 1024)
#endif

static void flush_lines(struct show *sh)
{
	const char *p = sh->line.buf;
	size_t left = sh->line.len;

	sh->line.len = 0;
	if (sh->out_err || !left)
		return;
	if (fflush(stdout)) {
		sh->out_err = -EIO;
		return;
	}
	while (left) {
		ssize_t n = write(STDOUT_FILENO, p, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			sh->out_err = -EIO;
			return;
		}
		p += n;
		left -= (size_t)n;
	}
}

static void emit_line(struct show *sh)
{
	if (!sh->batch || sh->line.len >= LINE_BATCH)
		flush_lines(sh);
}

/* A stream's name, escaped (it is the capture's text), padded to namew. */
static void add_name(struct strbuf *b, int namew, const char *name)
{
	struct pval v = { .kind = PV_TEXT, .s = name, .len = strlen(name) };
	size_t at = b->len;

	print__value(b, &v, 1);
	for (size_t n = b->len - at; n < (size_t)namew; n++)
		strbuf__add(b, " ", 1);
}

/* Width of a stream's name as add_name prints it. */
static int name_width(const char *name)
{
	struct pval v = { .kind = PV_TEXT, .s = name, .len = strlen(name) };
	struct strbuf b = { 0 };
	int w;

	print__value(&b, &v, 1);
	w = (int)b.len;
	strbuf__free(&b);
	return w;
}

static void print_damaged(struct show *sh, const struct cap_rec *rec, struct capview_stream *s)
{
	char tb[TIMEFMT_LEN + 1], nb[160];
	const char *note;
	const struct capview_session *se = capview__session(sh->c);
	const char *name = s ? s->name : "?";

	timefmt__iso(timeclock__wall(&se->clock, rec->ts_ns), tb, sizeof(tb));
	if (sh->oneline) {
		strbuf__addf(&sh->line, "%s ", tb);
		add_name(&sh->line, sh->namew, name);
		strbuf__add(&sh->line, " DAMAGED: ", 10);
		if (s) {
			/* the type's name is the capture's BTF text */
			struct pval tn = { .kind = PV_TEXT, .s = evtype__name(s->et),
					   .len = strlen(evtype__name(s->et)) };
			strbuf__addf(&sh->line, "record of %" PRIu32 " bytes, type ", rec->len);
			print__value(&sh->line, &tn, 1);
			strbuf__addf(&sh->line, " needs %" PRIu32 "\n", evtype__min_size(s->et));
		} else {
			strbuf__addf(&sh->line, "record of unknown stream id %" PRIu32 "\n",
				     rec->stream);
		}
		emit_line(sh);
	} else if (!(note = slice__say_record(sh->sl, s, rec->stream, nb, sizeof(nb)))) {
		return;   /* counted: the closing line says how many */
	} else if (s) {
		cli__warn("%s %s: damaged record: %" PRIu32 " bytes, type %s needs %" PRIu32 "%s", tb,
			  name, rec->len, evtype__name(s->et), evtype__min_size(s->et), note);
	} else {
		cli__warn("%s: damaged record: unknown stream id %" PRIu32 "%s", tb, rec->stream,
			  note);
	}
}

/* Under an event with stack ids (table format): its stacks, one frame a
 * line, innermost first, as perf script prints them. */
static void add_stacks(struct show *sh, struct capview_stream *s, const struct cap_rec *rec)
{
	uint32_t pid = 0;
	struct evval v;

	if (s->pid_col >= 0 && !evtype__decode(s->et, (size_t)s->pid_col, rec->data, rec->len, &v) &&
	    !v.is_null)
		pid = (uint32_t)v.i;
	for (size_t k = 0; k < s->ncols; k++) {
		const struct evcol *col = evtype__col(s->et, k);
		const uint64_t *ips;
		uint32_t n;
		int kernel;

		if (!col->stack || evtype__decode(s->et, k, rec->data, rec->len, &v) || v.is_null ||
		    v.i < 0)
			continue;
		ips = symb__stack(sh->symb, v.i, &kernel, &n);
		if (!ips) {
			strbuf__addf(&sh->line, "    [stack %lld: not in the capture]\n", (long long)v.i);
			continue;
		}
		for (uint32_t d = 0; d < n; d++) {
			struct symb_frame f;
			struct strbuf t = { 0 };
			struct pval pv = { .kind = PV_TEXT };

			symb__frame(sh->symb, col->stack == EVCOL_STACK_KERNEL, pid, ips, d, &f);
			symb__frame_text(&f, &t);
			if (f.symbol && f.file)
				strbuf__addf(&t, " (%s)", f.file);
			if (f.src)
				strbuf__addf(&t, " %s:%u", f.src, f.line);
			pv.s = t.buf ? t.buf : "";
			pv.len = t.len;
			strbuf__addf(&sh->line, "    %016llx ", (unsigned long long)f.addr);
			print__value(&sh->line, &pv, 1);   /* escaped: names come from the capture */
			strbuf__add(&sh->line, "\n", 1);
			strbuf__free(&t);
		}
	}
}

/* The time column as shown: the wall time, or with -r the seconds since
 * the first event shown, into buf. */
static void shown_time(struct show *sh, const struct cap_rec *rec, struct pval *v, char *buf,
		       size_t len)
{
	if (!sh->relative)
		return;
	if (!sh->have_first) {
		sh->first_ts = rec->ts_ns;
		sh->have_first = 1;
	}
	int64_t d = (int64_t)(rec->ts_ns - sh->first_ts);
	snprintf(buf, len, "%s%lld.%09lld", d < 0 ? "-" : "+", (long long)(d < 0 ? -d : d) / 1000000000,
		 (long long)(d < 0 ? -d : d) % 1000000000);
	v->kind = PV_TEXT;
	v->s = buf;
	v->len = strlen(buf);
}

/* Value k of the evtype columns as shown: named (names.h), booleans as
 * JSON booleans.  namebuf holds the text. */
/* An enum's value that no enumerator names is its number's text
 * (evtype.c), which every format prints as it is: jsonl then prints the
 * number, not a string of digits ("errno":0 for a --syscalls row that
 * succeeded, as errno=0 and the 0 of table and csv), and a name stays a
 * string. */
static void enum_number(struct pval *v)
{
	char num[24];
	size_t i = v->len && v->s[0] == '-';

	if (v->len <= i || v->len >= sizeof(num) || strspn(v->s + i, "0123456789") != v->len - i ||
	    (v->len - i > 1 && v->s[i] == '0'))
		return;
	memcpy(num, v->s, v->len);
	num[v->len] = 0;
	errno = 0;
	if (i) {
		long long n = strtoll(num, NULL, 10);
		if (errno)
			return;
		v->kind = PV_INT;
		v->i = n;
	} else {
		unsigned long long n = strtoull(num, NULL, 10);
		if (errno)
			return;
		v->kind = PV_UINT;
		v->u = n;
		v->i = (int64_t)n;
	}
}

static void shown_value(struct show *sh, const struct sel *se, size_t k, struct pval *v,
			char *namebuf, size_t len)
{
	if (se->is_stack[k] && v->kind == PV_INT && v->i == -1) {
		v->kind = PV_NULL;      /* recorded without -g: no stack, not a number */
	} else if (se->is_addr[k] && (v->kind == PV_UINT || v->kind == PV_INT)) {
		/* the same 64 bits in every format: 0x and hex (a JSON string) */
		snprintf(namebuf, len, "0x%" PRIx64, v->kind == PV_UINT ? v->u : (uint64_t)v->i);
		v->kind = PV_TEXT;
		v->s = namebuf;
		v->len = strlen(namebuf);
	} else if (se->hint[k] == NAME_UID || se->hint[k] == NAME_GID) {
		/* uid=1000(alice): the recording host's name, from the capture */
		names__apply_id(sh->ids, se->hint[k], v, sh->oneline || sh->fmt == PRINT_TABLE,
				namebuf, len);
	} else if (se->sysarg && se->sysarg[k] >= 0 && sysids__kind(sh->row_ids, se->sysarg[k])) {
		/* a syscall's argument that is a uid or gid in this row (setresuid's
		 * arg0, chown's arg1): named as such columns are */
		names__apply_id(sh->ids, sysids__kind(sh->row_ids, se->sysarg[k]) == EVCOL_ID_UID ?
				NAME_UID : NAME_GID, v, sh->oneline || sh->fmt == PRINT_TABLE,
				namebuf, len);
	} else if (se->hint[k] != NAME_NONE && se->hint[k] != NAME_HIDDEN) {
		names__apply(se->hint[k], v, sh->oneline || sh->fmt == PRINT_TABLE, namebuf, len);
	} else if (se->is_bool[k] && sh->fmt == PRINT_JSONL && v->kind == PV_INT) {
		v->kind = PV_JSON;
		v->s = v->i ? "true" : "false";
		v->len = strlen(v->s);
	} else if (se->is_enum[k] && sh->fmt == PRINT_JSONL && v->kind == PV_TEXT) {
		enum_number(v);
	}
}

/* A KEY=VALUE pair is padded to at most this many columns: a long path or
 * argument list does not push every later line right. */
#define LINE_COL_MAX SHOWLINE_COL_MAX

/* Terminal columns of s: UTF-8 code points (the text is escaped already). */
static size_t display_width(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

/* Room for n more bytes at the line's end (and a NUL); NULL if out of memory. */
static char *line_room(struct strbuf *b, size_t n)
{
	if (b->len + n + 1 > b->cap && strbuf__grow(b, n))
		return NULL;
	return b->buf + b->len;
}

/* Column k's pair by the general path: " ", the pad owed, KEY=VALUE (names,
 * addresses, escapes...).  Its display width, or -1 when it is not shown. */
static long pair_general(struct show *sh, struct sel *se, const struct cap_rec *rec, size_t k,
			 size_t pad)
{
	struct capview_stream *s = se->s;
	char tb[TIMEFMT_LEN + 1], nb[NAMES_TEXT_MAX];
	struct pval v;

	if (capview__value(sh->c, s, rec, CAPVIEW_NCOMMON + k, &v, tb))
		v.kind = PV_NULL;
	/* the member the line's time came from: one timestamp per line */
	if ((int)k == se->ts_col && ((v.kind == PV_UINT && v.u == rec->ts_ns) ||
				     (v.kind == PV_INT && (uint64_t)v.i == rec->ts_ns)))
		return -1;
	/* no stack asked for (-1): nothing to say */
	if (se->is_stack[k] && v.kind == PV_INT && v.i == -1)
		return -1;
	for (strbuf__add(&sh->line, " ", 1); pad; pad--)
		strbuf__add(&sh->line, " ", 1);
	size_t start = sh->line.len, ctl = 0;
	if (se->hint[k] == NAME_ERRNO) {
		/* ret=-111 ECONNREFUSED: the number, then its name */
		struct pval num = v;
		int named = names__apply(NAME_ERRNO, &v, 0, nb, sizeof(nb));

		if (named && sh->color)
			strbuf__add(&sh->line, C_ERR, strlen(C_ERR));
		print__logfmt_pair(&sh->line, s->cols[k], &num);
		if (named)
			strbuf__addf(&sh->line, " %.*s%s", (int)v.len, v.s, sh->color ? C_OFF : "");
		if (named && sh->color)
			ctl = strlen(C_ERR) + strlen(C_OFF);
	} else {
		shown_value(sh, se, k, &v, nb, sizeof(nb));
		print__logfmt_pair(&sh->line, s->cols[k], &v);
	}
	return (long)(display_width(sh->line.buf + start, sh->line.len - start) - ctl);
}


/* Whether the row lacks column k (rowlacks.h): it is left out of the line,
 * its cell left empty in table and csv, its key out of jsonl. */
static inline int row_lacks(const struct sel *se, const struct cap_rec *rec, size_t k)
{
	return rowlacks__col(se->lacks, rec, k);
}

/* The line format: time, stream, then each shown column's KEY=VALUE from
 * the stream's line plan (showline.h): the plain columns straight from the
 * record, the others by pair_general. */
static int print_line(struct show *sh, const struct cap_rec *rec, struct sel *se)
{
	struct strbuf *b = &sh->line;
	size_t pad = 0;                 /* spaces owed before the next pair */
	/* the fast ops write through p, within room reserved once */
	char *p = line_room(b, se->room);

	if (!p)
		return -ENOMEM;
	if (sh->color) {
		memcpy(p, C_TIME, strlen(C_TIME));
		p += strlen(C_TIME);
	}
	if (sh->relative) {
		if (!sh->have_first) {
			sh->first_ts = rec->ts_ns;
			sh->have_first = 1;
		}
		p += showline__rel(p, (int64_t)(rec->ts_ns - sh->first_ts));
	} else {
		p += showline__time(&sh->tcache,
				    timeclock__wall(&capview__session(sh->c)->clock, rec->ts_ns), p);
	}
	/* in whole pieces: the head's allocation and the room allow it */
	for (size_t i = 0; i < se->headlen; i += SHOWLINE_KEY_CHUNK)
		memcpy(p + i, se->head + i, SHOWLINE_KEY_CHUNK);
	p += se->headlen;
	for (struct showline_col *op = se->plan, *end = op + se->nplan; op < end; op++) {
		size_t k, n;
		long w;

		/* the common case first: fast ops, nothing else to look at */
		if (!op->slow) {
			p = showline__run(&op, end, rec->data, p, &pad);
			if (op == end)
				break;
			if (!op->slow) {   /* a value the fast op declined */
				k = op->col;
				goto general;
			}
		}
		k = op->col;
		if (row_lacks(se, rec, k))
			continue;
		if (op->kind != SHOWLINE_GENERAL) {
			uint64_t iv = op->kind == SHOWLINE_TEXT ? 0 : showline__int(op, rec->data);

			if ((int)k == se->ts_col && iv == rec->ts_ns)
				continue;
			memcpy(p, showline_spaces, SHOWLINE_SPACES);
			n = showline__put_last(op, rec->data, iv, p + 1 + pad);
			if (n) {
				p += 1 + pad + n;
				w = (long)n;
				goto aligned;
			}
		}
general:
		b->len = (size_t)(p - b->buf);
		w = pair_general(sh, se, rec, k, pad);
		if (!(p = line_room(b, se->room)))
			return -ENOMEM;
		if (w < 0)
			continue;
aligned:
		/* Aligned: each pair padded to the widest of its column so far
		 * (the pad is written before the next pair, so no line ends in
		 * blanks); colour codes are not counted. */
		if (w > LINE_COL_MAX)
			w = LINE_COL_MAX;
		if (w > op->width)
			op->width = (int)w;
		pad = (size_t)(op->width - w);
	}
	*p++ = '\n';
	*p = 0;
	b->len = (size_t)(p - b->buf);
	if (sh->symb)
		add_stacks(sh, se->s, rec);
	emit_line(sh);
	return sh->out_err;
}

/* The line plan of a shown stream (after namew is known): what follows the
 * time, and an op per shown column. */
static int plan_line(struct show *sh, struct sel *se)
{
	struct capview_stream *s = se->s;
	struct strbuf h = { 0 };
	uint32_t min_size = evtype__min_size(s->et);

	strbuf__add(&h, sh->color ? C_OFF " " C_STREAM : " ", sh->color ? strlen(C_OFF " " C_STREAM) : 1);
	add_name(&h, sh->namew, s->name);
	if (sh->color)
		strbuf__add(&h, C_OFF, strlen(C_OFF));
	if (!h.buf)
		return -ENOMEM;
	/* copied in SHOWLINE_KEY_CHUNK pieces: its allocation rounded up */
	se->head = calloc(1, (h.len + SHOWLINE_KEY_CHUNK) / SHOWLINE_KEY_CHUNK * SHOWLINE_KEY_CHUNK);
	se->headlen = h.len;
	if (se->head)
		memcpy(se->head, h.buf, h.len);
	strbuf__free(&h);
	if (!se->head)
		return -ENOMEM;
	se->plan = calloc(s->ncols + 1, sizeof(*se->plan));
	if (!se->plan)
		return -ENOMEM;
	for (size_t k = 0; k < s->ncols && k < evtype__ncols(s->et); k++) {
		int special = se->hint[k] != NAME_NONE || se->is_addr[k] || se->is_stack[k] ||
			      (se->sysarg && se->sysarg[k] >= 0);

		if (se->hint[k] == NAME_HIDDEN)
			continue;
		if (showline__col(&se->plan[se->nplan], k, evtype__col(s->et, k), s->cols[k], min_size,
				  special, se->hint[k] == NAME_ERRNO))
			return -ENOMEM;
		/* with colour the name is wrapped in codes: the general way */
		if (se->plan[se->nplan].kind == SHOWLINE_ERRNO && !sh->color)
			se->plan[se->nplan].errname = names__errno;
		se->plan[se->nplan].slow = se->plan[se->nplan].kind == SHOWLINE_GENERAL ||
					   rowlacks__may(se->lacks, k) || (int)k == se->ts_col;
		se->room += SHOWLINE_SPACES + showline__max(&se->plan[se->nplan]);
		se->nplan++;
	}
	se->room += strlen(C_TIME) + 48 + se->headlen + SHOWLINE_KEY_CHUNK + 1;
	return 0;
}

static int print_rec(struct show *sh, const struct cap_rec *rec, struct capview_stream *s)
{
	struct sel *se = &sh->sel[s - sh->stream0];
	char tb[TIMEFMT_LEN + 1], rb[48], nb[NAMES_TEXT_MAX];

	sh->printed++;
	sh->row_ids = se->sysids ? sysids__row(se->sysids, rec->data, rec->len) : 0;
	rowlacks__row(se->lacks, rec);
	if (sh->oneline)
		return print_line(sh, rec, se);
	for (size_t k = 0; k < sh->nucols; k++)
		sh->uvals[k].kind = PV_ABSENT;
	for (size_t k = 0; k < CAPVIEW_NCOMMON + s->ncols; k++) {
		/* text points into evtype scratch (one value at a time): copy */
		size_t uk = k < CAPVIEW_NCOMMON ? k : se->ucol[k - CAPVIEW_NCOMMON];
		struct pval *u;

		if (uk == NO_UCOL)
			continue;
		u = &sh->uvals[uk];
		if (k >= CAPVIEW_NCOMMON && row_lacks(se, rec, k - CAPVIEW_NCOMMON))
			continue;   /* PV_ABSENT: as the line format leaves it out */
		if (capview__value(sh->c, s, rec, k, u, tb))
			u->kind = PV_NULL;
		if (k == 1)
			shown_time(sh, rec, u, rb, sizeof(rb));
		else if (k >= CAPVIEW_NCOMMON)
			shown_value(sh, se, k - CAPVIEW_NCOMMON, u, nb, sizeof(nb));
		if ((u->kind == PV_TEXT || u->kind == PV_JSON || u->kind == PV_BLOB) && u->len) {
			char *copy = malloc(u->len);
			if (!copy)
				return -ENOMEM;
			memcpy(copy, u->s, u->len);
			u->s = copy;
		} else if (u->kind == PV_TEXT || u->kind == PV_JSON || u->kind == PV_BLOB) {
			u->s = "";
		}
	}
	int rc = printer__row(sh->pr, sh->uvals);
	for (size_t k = 0; k < CAPVIEW_NCOMMON + s->ncols; k++) {
		size_t uk = k < CAPVIEW_NCOMMON ? k : se->ucol[k - CAPVIEW_NCOMMON];
		struct pval *u;

		if (uk == NO_UCOL)
			continue;
		u = &sh->uvals[uk];
		if ((u->kind == PV_TEXT || u->kind == PV_JSON || u->kind == PV_BLOB) && u->len)
			free((void *)u->s);
	}
	return rc;
}

/* What show makes of each column of s: names, hidden padding, the ts member. */
static int plan_stream(struct show *sh, struct sel *se)
{
	struct capview_stream *s = se->s;

	se->hint = calloc(s->ncols + 1, sizeof(*se->hint));
	se->is_bool = calloc(s->ncols + 1, 1);
	se->is_enum = calloc(s->ncols + 1, 1);
	se->is_addr = calloc(s->ncols + 1, 1);
	se->is_stack = calloc(s->ncols + 1, 1);
	se->lacks = rowlacks__new(capview__object_btf(sh->c, s->object_id), s);
	if (!se->hint || !se->is_bool || !se->is_enum || !se->is_addr || !se->is_stack ||
	    !se->lacks)
		return -ENOMEM;
	se->sysids = sysids__new(capview__object_btf(sh->c, s->object_id), s->et);
	if (!se->sysids && errno == ENOMEM)
		return -ENOMEM;
	if (se->sysids && !(se->sysarg = calloc(s->ncols + 1, sizeof(*se->sysarg))))
		return -ENOMEM;
	se->ts_col = -1;
	for (size_t k = 0; k < s->ncols && k < evtype__ncols(s->et); k++) {
		const struct evcol *c = evtype__col(s->et, k);

		se->hint[k] = names__hint(s->cols[k], c->kind == EVCOL_INT || c->kind == EVCOL_UINT,
					  (const char *const *)s->cols, s->ncols);
		if (se->hint[k] == NAME_NONE && (c->kind == EVCOL_INT || c->kind == EVCOL_UINT))
			se->hint[k] = names__id_hint(s->cols[k], c->kind == EVCOL_UINT, c->id_kind);
		if (se->sysarg)
			se->sysarg[k] = se->hint[k] == NAME_NONE ?
					(int8_t)sysids__arg(se->sysids, k) : -1;
		se->is_bool[k] = c->kind == EVCOL_BOOL;
		se->is_enum[k] = c->kind == EVCOL_ENUM;
		se->is_addr[k] = c->addr;
		se->is_stack[k] = c->stack != 0;
		/* the member the record's time may come from (a perf sample's
		 * own time may differ): the line format leaves it out when it
		 * holds the line's time */
		if (s->ts_offset >= 0 && c->bit_offset == (uint32_t)s->ts_offset * 8 &&
		    c->byte_size == 8 && c->bit_size == 64 && se->ts_col < 0 &&
		    (c->kind == EVCOL_UINT || c->kind == EVCOL_INT))
			se->ts_col = (int)k;
	}
	return 0;
}

static int run(struct show *sh)
{
	struct slice_rec r;
	int rc;

	while ((rc = slice__next(sh->sl, &r)) == 1) {
		if (r.damaged)
			print_damaged(sh, &r.rec, r.s);
		else if ((rc = print_rec(sh, &r.rec, r.s)))
			return rc;
	}
	return rc;
}

/* Union of the shown streams' columns, for csv/jsonl. */
static int build_union(struct show *sh)
{
	size_t cap = CAPVIEW_NCOMMON;

	for (size_t i = 0; i < sh->nstreams; i++)
		if (sh->sel[i].s)
			cap += sh->sel[i].s->ncols;
	sh->ucols = calloc(cap, sizeof(*sh->ucols));
	sh->uvals = calloc(cap, sizeof(*sh->uvals));
	if (!sh->ucols || !sh->uvals)
		return -ENOMEM;
	for (size_t k = 0; k < CAPVIEW_NCOMMON; k++)
		sh->ucols[sh->nucols++] = (char *)capview_common_cols[k];
	for (size_t i = 0; i < sh->nstreams; i++) {
		struct sel *se = &sh->sel[i];
		if (!se->s)
			continue;
		se->ucol = calloc(se->s->ncols + 1, sizeof(*se->ucol));
		if (!se->ucol)
			return -ENOMEM;
		for (size_t k = 0; k < se->s->ncols; k++) {
			size_t u;
			if (se->hint[k] == NAME_HIDDEN) {
				se->ucol[k] = NO_UCOL;
				continue;
			}
			for (u = CAPVIEW_NCOMMON; u < sh->nucols; u++)
				if (!strcmp(sh->ucols[u], se->s->cols[k]))
					break;
			if (u == sh->nucols)
				sh->ucols[sh->nucols++] = se->s->cols[k];
			se->ucol[k] = u;
		}
	}
	sh->pr = printer__new(stdout, sh->fmt, sh->nucols, (const char *const *)sh->ucols);
	return sh->pr ? 0 : -ENOMEM;
}

/* The capture's user and group names, when a shown column is a uid or a
 * gid.  Names that cannot be used are said once; the ids then print as
 * numbers.  -ENOMEM only. */
static int load_ids(struct show *sh)
{
	char err[512];
	uint64_t bad;
	int want = 0, rc;

	for (size_t i = 0; i < sh->nstreams && !want; i++)
		for (size_t k = 0; sh->sel[i].s && k < sh->sel[i].s->ncols; k++)
			want |= sh->sel[i].hint[k] == NAME_UID || sh->sel[i].hint[k] == NAME_GID ||
				sh->sel[i].sysids != NULL;
	if (!want)
		return 0;
	rc = capview__idnames(sh->c, &sh->ids, err, sizeof(err));
	if (rc == -ENOMEM) {
		cli__warn("out of memory");
		return rc;
	}
	if (rc) {
		cli__warn("note: uids and gids shown as numbers: %s", err);
		sh->ids = NULL;
		return 0;
	}
	bad = idnames__skipped(sh->ids, IDNAMES_USER) + idnames__skipped(sh->ids, IDNAMES_GROUP);
	if (bad)
		cli__warn("note: %" PRIu64 " user or group names of the capture are not usable "
			  "(control bytes, invalid UTF-8, too long, a bad or repeated id): those "
			  "ids are shown as numbers", bad);
	return 0;
}

/* Shows one capture; the exit status. */
static int show_one(const char *path, const struct show *opt, const struct slice_args *sa)
{
	struct show sh = { .fmt = opt->fmt, .oneline = opt->oneline, .relative = opt->relative };
	char err[512];
	int rc = 0;

	if ((rc = cli__open(path, &sh.c)) || (rc = slice__open(sh.c, sa, "show", &sh.sl)))
		goto out;
	if (sh.oneline && capview__symb(sh.c, &sh.symb, err, sizeof(err))) {
		cli__warn("note: stacks not named: %s", err);
		sh.symb = NULL;
	}
	if (sh.symb && !symb__nstacks(sh.symb))
		sh.symb = NULL;
	sh.nstreams = capview__nstreams(sh.c);
	sh.stream0 = sh.nstreams ? capview__stream(sh.c, 0) : NULL;
	sh.sel = calloc(sh.nstreams + 1, sizeof(*sh.sel));
	if (!sh.sel) {
		rc = EXIT_CAPTURE;
		goto out;
	}
	for (size_t i = 0; i < sh.nstreams; i++) {
		struct capview_stream *s = capview__stream(sh.c, i);
		if (!slice__has_stream(sh.sl, s))
			continue;
		sh.sel[i].s = s;
		if (name_width(s->name) > sh.namew)
			sh.namew = name_width(s->name);
		if (plan_stream(&sh, &sh.sel[i])) {
			cli__warn("out of memory");
			rc = EXIT_CAPTURE;
			goto out;
		}
	}
	if (load_ids(&sh)) {
		rc = EXIT_CAPTURE;
		goto out;
	}
	{
		const char *nc = getenv("NO_COLOR");

		sh.color = sh.oneline && isatty(STDOUT_FILENO) && !(nc && *nc);
		sh.batch = !isatty(STDOUT_FILENO);
	}
	for (size_t i = 0; sh.oneline && i < sh.nstreams; i++) {
		if (sh.sel[i].s && plan_line(&sh, &sh.sel[i])) {
			cli__warn("out of memory");
			rc = EXIT_CAPTURE;
			goto out;
		}
	}
	if (!sh.oneline && build_union(&sh)) {
		cli__warn("out of memory");
		rc = EXIT_CAPTURE;
		goto out;
	}

	int r = run(&sh);
	flush_lines(&sh);
	if (sh.pr && printer__end(sh.pr))
		r = r ? r : -EIO;
	fflush(stdout);
	uint64_t dblocks = slice__damaged_blocks(sh.sl), drecs = slice__damaged_records(sh.sl);
	if (r == -EINVAL) {
		rc = EXIT_QUERY;     /* --where failed; SQLite's message is printed */
	} else if (r == -EIO || sh.out_err) {
		rc = EXIT_CAPTURE;   /* stdout failed: nothing more to say there */
		cli__warn("write error on standard output");
	} else if (r) {
		cli__warn("%s", strerror(-r));
		rc = EXIT_CAPTURE;
	} else if (dblocks || drecs) {
		char unsaid[64];

		cli__warn("%s: %" PRIu64 " damaged blocks, %" PRIu64 " damaged records (reported "
			  "above%s); everything else was printed", path, dblocks, drecs,
			  damagesay__unsaid_note(slice__damage_unsaid(sh.sl), unsaid, sizeof(unsaid)));
		rc = EXIT_CAPTURE;
	}
out:
	if (sh.sel)
		for (size_t i = 0; i < sh.nstreams; i++) {
			free(sh.sel[i].ucol);
			free(sh.sel[i].hint);
			free(sh.sel[i].is_bool);
			free(sh.sel[i].is_enum);
			free(sh.sel[i].is_addr);
			free(sh.sel[i].is_stack);
			sysids__free(sh.sel[i].sysids);
			rowlacks__free(sh.sel[i].lacks);
			free(sh.sel[i].sysarg);
			for (size_t j = 0; j < sh.sel[i].nplan; j++)
				showline__col_free(&sh.sel[i].plan[j]);
			free(sh.sel[i].plan);
			free(sh.sel[i].head);
		}
	free(sh.sel);
	free(sh.ucols);
	free(sh.uvals);
	printer__free(sh.pr);
	strbuf__free(&sh.line);
	slice__close(sh.sl);
	capview__close(sh.c);
	return rc;
}

/* -o line|table|csv|jsonl and -r (cli_cmd.take). */
static int take_option(void *ctx, int ch, const char *arg)
{
	struct show *opt = ctx;

	switch (ch) {
	case 'o':
		opt->oneline = !strcmp(arg, "line");
		if (!opt->oneline && print__parse_fmt(arg, &opt->fmt))
			return cli__usage_error("show", "-o '%s': not a format (line, table, csv, "
						"jsonl)", arg);
		return 0;
	case 'r':
		opt->relative = 1;
		return 0;
	}
	return CLI_NOT_MINE;
}

int cmd_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "relative", no_argument, NULL, 'r' },
		{ NULL },
	};
	struct show opt = { .fmt = PRINT_TABLE, .oneline = 1 };
	struct slice_args sa = { 0 };
	const struct cli_cmd cmd = {
		.name = "show", .help = help, .shortopts = "o:r", .longopts = opts,
		.take = take_option, .ctx = &opt, .slice = &sa, .captures = CLI_CAPTURES,
	};
	struct cli_args a;
	int rc = cli__parse(&cmd, argc, argv, &a);

	for (size_t i = 0; i < a.npaths && (!rc || rc == EXIT_CAPTURE); i++) {
		if (a.npaths > 1 && (opt.oneline || opt.fmt == PRINT_TABLE)) {
			printf("%s== ", i ? "\n" : "");
			cli__fputs_safe(a.paths[i], stdout);
			printf(" ==\n");
		}
		int r = show_one(a.paths[i], &opt, &sa);
		if (r && (!rc || r != EXIT_CAPTURE))
			rc = r;
	}
	cli__args_free(&a);
	slice_args__free(&sa);
	return rc;
}
