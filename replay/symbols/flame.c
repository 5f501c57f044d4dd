#include "flame.h"
#include "capview.h"
#include "symb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- counting distinct stacks: open addressing on the text ---- */

struct fent {
	char *text;
	uint64_t count;
};

struct ftab {
	struct fent *v;
	size_t n, cap;
};

static uint64_t hash_text(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

static int ftab_add(struct ftab *t, const char *s, size_t len)
{
	size_t i;

	if (t->n * 2 >= t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		struct fent *v = calloc(cap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		for (size_t k = 0; k < t->cap; k++) {
			if (!t->v[k].text)
				continue;
			for (i = hash_text(t->v[k].text, strlen(t->v[k].text)) & (cap - 1); v[i].text;
			     i = (i + 1) & (cap - 1))
				;
			v[i] = t->v[k];
		}
		free(t->v);
		t->v = v;
		t->cap = cap;
	}
	for (i = hash_text(s, len) & (t->cap - 1); t->v[i].text; i = (i + 1) & (t->cap - 1))
		if (strlen(t->v[i].text) == len && !memcmp(t->v[i].text, s, len)) {
			t->v[i].count++;
			return 0;
		}
	t->v[i].text = strndup(s, len);
	if (!t->v[i].text)
		return -ENOMEM;
	t->v[i].count = 1;
	t->n++;
	return 0;
}

static int cmp_fent(const void *a, const void *b)
{
	const struct fent *x = a, *y = b;

	return strcmp(x->text, y->text);
}

/* The columns of s that fold: its stack ids, comm and pid (-1: none). */
struct fcols {
	int ustack, kstack, comm, pid;
};

static int stream_cols(struct capview_stream *s, struct fcols *fc)
{
	fc->ustack = fc->kstack = fc->comm = -1;
	fc->pid = s->pid_col;
	for (size_t k = 0; k < s->ncols; k++) {
		const struct evcol *col = evtype__col(s->et, k);

		if (col->stack == EVCOL_STACK_USER && fc->ustack < 0)
			fc->ustack = (int)k;
		else if (col->stack == EVCOL_STACK_KERNEL && fc->kstack < 0)
			fc->kstack = (int)k;
		else if (col->kind == EVCOL_TEXT && !strcmp(col->name, "comm") && fc->comm < 0)
			fc->comm = (int)k;
	}
	return fc->ustack >= 0 || fc->kstack >= 0;
}

static int64_t col_int(struct capview_stream *s, int k, const struct cap_rec *rec)
{
	struct evval v;

	if (k < 0 || evtype__decode(s->et, (size_t)k, rec->data, rec->len, &v) || v.is_null)
		return -1;
	return v.i;
}

static int wanted(const struct flame_opts *o, const char *name)
{
	if (!o->streams)
		return 1;
	for (size_t i = 0; o->streams[i]; i++)
		if (!strcmp(o->streams[i], name))
			return 1;
	return 0;
}

int flame__folded(struct capview *c, const struct flame_opts *o,
		  int (*fn)(void *ctx, const char *stack, uint64_t count), void *ctx,
		  uint64_t *damaged, char *err, size_t errlen)
{
	size_t nblocks, i, ns = capview__nstreams(c);
	const struct cap_block_info *blocks = capview__blocks(c, &nblocks);
	struct fcols *fcs = calloc(ns ? ns : 1, sizeof(*fcs));
	unsigned char *want = calloc(nblocks ? nblocks : 1, 1);
	int do_user = !o->user && !o->kernel ? 1 : o->user;
	int do_kernel = !o->user && !o->kernel ? 1 : o->kernel;
	struct strbuf line = { 0 };
	struct ftab t = { 0 };
	struct symb *sy;
	int rc = 0, any = 0;

	if (damaged)
		*damaged = 0;
	if (!fcs || !want) {
		rc = -ENOMEM;
		goto out;
	}
	if ((rc = capview__symb(c, &sy, err, errlen)))
		goto out;
	for (i = 0; i < ns; i++) {
		struct capview_stream *s = capview__stream(c, i);

		if (!wanted(o, s->name) || !stream_cols(s, &fcs[i])) {
			fcs[i].ustack = fcs[i].kstack = -1;
			continue;
		}
		any = 1;
		for (size_t k = 0; k < s->nblocks; k++)
			want[s->blocks[k].idx] = 1;
	}
	for (i = 0; any && i < nblocks && !rc; i++) {
		const struct cap_rec *recs;
		uint32_t n;
		char e[512];

		if (!want[i])
			continue;
		if (capr__read_block(capview__capr(c), &blocks[i], &recs, &n, e, sizeof(e))) {
			if (damaged)
				(*damaged)++;
			continue;
		}
		for (uint32_t r = 0; r < n && !rc; r++) {
			struct capview_stream *s = capview__stream_by_id(c, recs[r].stream);
			struct fcols *fc;
			int64_t pid, us, ks;
			struct evval v;
			char comm[64] = "";

			if (!s)
				continue;
			fc = &fcs[s - capview__stream(c, 0)];
			if ((fc->ustack < 0 && fc->kstack < 0) || evtype__check(s->et, recs[r].len))
				continue;
			pid = col_int(s, fc->pid, &recs[r]);
			if (o->pid >= 0 && pid != o->pid)
				continue;
			us = do_user ? col_int(s, fc->ustack, &recs[r]) : -1;
			ks = do_kernel ? col_int(s, fc->kstack, &recs[r]) : -1;
			if (fc->comm >= 0 &&
			    !evtype__decode(s->et, (size_t)fc->comm, recs[r].data, recs[r].len, &v) &&
			    !v.is_null)
				snprintf(comm, sizeof(comm), "%.*s", (int)(v.text_len < 63 ? v.text_len : 63),
					 v.text);
			line.len = 0;
			rc = symb__fold(sy, comm, (uint32_t)pid, us, ks, &line);
			if (!rc && us < 0 && ks < 0)
				rc = strbuf__add(&line, ";[no stack]", 11);
			if (!rc)
				rc = ftab_add(&t, line.buf, line.len);
		}
	}
	if (rc)
		goto out;
	/* compact and sort: the output is the same for the same capture */
	for (i = 0, t.n = 0; i < t.cap; i++)
		if (t.v[i].text)
			t.v[t.n++] = t.v[i];
	if (t.n)
		qsort(t.v, t.n, sizeof(*t.v), cmp_fent);
	t.cap = t.n;
	for (i = 0; i < t.n && !rc; i++)
		rc = fn(ctx, t.v[i].text, t.v[i].count);
out:
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	for (i = 0; i < t.cap; i++)
		free(t.v[i].text);
	free(t.v);
	strbuf__free(&line);
	free(fcs);
	free(want);
	return rc;
}

/* ---- SVG ---- */

struct node {
	char *name;
	uint64_t count;            /* events at or above this frame */
	struct node *kids, *next;  /* first child, next sibling */
};

static struct node *child(struct node *p, const char *name, size_t len)
{
	struct node *k;

	for (k = p->kids; k; k = k->next)
		if (strlen(k->name) == len && !memcmp(k->name, name, len))
			return k;
	k = calloc(1, sizeof(*k));
	if (!k || !(k->name = strndup(name, len))) {
		free(k);
		return NULL;
	}
	k->next = p->kids;
	p->kids = k;
	return k;
}

static void free_tree(struct node *n)
{
	while (n) {
		struct node *next = n->next;

		free_tree(n->kids);
		free(n->name);
		free(n);
		n = next;
	}
}

static void xml_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		switch (ch) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&apos;", out); break;
		default:
			if (ch < 0x20 || ch == 0x7f || ch >= 0x80)
				fputc('_', out);   /* not valid XML, or not known to be UTF-8 */
			else
				fputc(ch, out);
		}
	}
}

#define SVG_W 1200
#define SVG_FRAME_H 16
#define SVG_PAD 10

static int depth_of(const struct node *n)
{
	int d = 0;

	for (const struct node *k = n->kids; k; k = k->next) {
		int kd = depth_of(k);

		if (kd > d)
			d = kd;
	}
	return d + 1;
}

static void draw(FILE *out, const struct node *n, double x, int depth, int maxdepth,
		 double per_count, uint64_t total)
{
	double w = n->count * per_count;
	double y = SVG_PAD + (maxdepth - depth - 1) * SVG_FRAME_H + 20;
	uint32_t h = 2166136261u;

	if (w < 0.1)
		return;
	for (const char *p = n->name; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	fprintf(out, "<g><title>");
	xml_text(out, n->name);
	fprintf(out, " (%llu samples, %.2f%%)</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		"height=\"%d\" fill=\"rgb(%u,%u,%u)\" rx=\"2\"/>", (unsigned long long)n->count,
		100.0 * n->count / total, x, y, w, SVG_FRAME_H - 1,
		strstr(n->name, "_[k]") ? 200 + h % 55 : 205 + h % 50,
		strstr(n->name, "_[k]") ? 90 + h % 80 : 80 + h % 120, 40 + (h >> 8) % 40);
	if (w > 30) {
		size_t fit = (size_t)((w - 6) / 7), len = strlen(n->name);
		char *cut = strndup(n->name, fit < len ? (fit > 2 ? fit - 2 : 0) : len);

		fprintf(out, "<text x=\"%.1f\" y=\"%.1f\">", x + 3, y + SVG_FRAME_H - 4);
		if (cut) {
			xml_text(out, cut);
			if (fit < len)
				fputs("..", out);
		}
		fputs("</text>", out);
		free(cut);
	}
	fputs("</g>\n", out);
	for (const struct node *k = n->kids; k; k = k->next) {
		draw(out, k, x, depth + 1, maxdepth, per_count, total);
		x += k->count * per_count;
	}
}

static int cmp_node(const void *a, const void *b)
{
	const struct node *x = *(struct node *const *)a, *y = *(struct node *const *)b;

	return strcmp(x->name, y->name);
}

/* Children in name order, as flamegraph.pl draws them. */
static void sort_tree(struct node *n)
{
	struct node *v[4096], *k;
	size_t cnt = 0;

	for (k = n->kids; k && cnt < 4096; k = k->next)
		v[cnt++] = k;
	if (k)
		return;   /* too many to sort here: drawn as they come */
	qsort(v, cnt, sizeof(*v), cmp_node);
	n->kids = NULL;
	while (cnt--) {
		v[cnt]->next = n->kids;
		n->kids = v[cnt];
	}
	for (k = n->kids; k; k = k->next)
		sort_tree(k);
}

int flame__svg(FILE *out, const char *title, char *const *lines, const uint64_t *counts,
	       size_t n)
{
	struct node root = { .name = (char *)"all" };
	int depth, height;

	for (size_t i = 0; i < n; i++) {
		struct node *p = &root;
		const char *s = lines[i];

		root.count += counts[i];
		while (p && *s) {
			size_t len = strcspn(s, ";");

			p = child(p, s, len);
			if (p)
				p->count += counts[i];
			s += len + (s[len] == ';');
		}
		if (!p) {
			free_tree(root.kids);
			return -ENOMEM;
		}
	}
	sort_tree(&root);
	depth = depth_of(&root);
	height = depth * SVG_FRAME_H + 2 * SVG_PAD + 30;
	fprintf(out, "<?xml version=\"1.0\" standalone=\"no\"?>\n"
		"<svg version=\"1.1\" width=\"%d\" height=\"%d\" xmlns=\"http://www.w3.org/2000/svg\" "
		"font-family=\"Verdana\" font-size=\"12\">\n"
		"<rect x=\"0\" y=\"0\" width=\"100%%\" height=\"100%%\" fill=\"#f8f8f8\"/>\n"
		"<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"17\">", SVG_W, height,
		SVG_W / 2, SVG_PAD + 12);
	xml_text(out, title);
	fputs("</text>\n", out);
	if (root.count)
		draw(out, &root, SVG_PAD, 0, depth, (SVG_W - 2.0 * SVG_PAD) / root.count, root.count);
	fputs("</svg>\n", out);
	free_tree(root.kids);
	return ferror(out) ? -EIO : 0;
}
