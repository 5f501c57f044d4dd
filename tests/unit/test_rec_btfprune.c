/* test_rec_btfprune.c - recorder/btfprune.c without root: the BTF a
 * capture stores is cut to its streams' types, and bpfreplay's decoder
 * (btfv, evtype) reads every record the same from the cut BTF as from the
 * whole one: the same columns (names, kinds, offsets, sizes, what they are:
 * address, stack, uid/gid, trailing array) and the same text for every
 * value, on records of zeros, of 0xff and of random bytes.
 *
 * First a BTF built here with what a probe's BTF holds beside its event
 * (a large struct behind a pointer, functions, DATASEC, a self pointer,
 * anonymous members, bitfields, enums, typedef chains); then every named
 * struct and union of every BPF object the build made (the built-in
 * probes, whose tp.bpf.o carries task_struct's closure, and the tests'
 * user objects), one root at a time and all at once. */
#include <bpf/btf.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include "testutil.h"
#include "btfcut.h"
#include "btfprune.h"
#include "btfv.h"
#include "evtype.h"

#define MAX_REC (64u << 10)

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint8_t recs[3][MAX_REC];
static char va[1 << 16], vb[1 << 16];

static struct btfv *parse(const void *raw, uint32_t len)
{
	char err[256];
	struct btfv *b = btfv__parse(raw, len, err, sizeof(err));

	if (!b) {
		fprintf(stderr, "btfv: %s\n", err);
		exit(1);
	}
	return b;
}

/* Type ida of a and idb of b decode alike (both fail, or the same columns
 * and the same text for each of the three records).  1 if they decoded. */
static int same_decoding(const struct btfv *a, uint32_t ida, const struct btfv *b, uint32_t idb,
			 const char *what)
{
	char ea[256], eb[256];
	struct evtype *ta = evtype__new(a, ida, ea, sizeof(ea));
	struct evtype *tb = evtype__new(b, idb, eb, sizeof(eb));
	uint32_t size, r;
	size_t i;

	if (!ta || !tb) {
		if (!!ta != !!tb)
			fprintf(stderr, "%s: decodes from one BTF only: %s / %s\n", what,
				ta ? "ok" : ea, tb ? "ok" : eb);
		CHECK(!ta && !tb);
		return 0;
	}
	CHECK_STR(evtype__name(ta), evtype__name(tb));
	CHECK_EQ_INT(evtype__size(ta), evtype__size(tb));
	CHECK_EQ_INT(evtype__min_size(ta), evtype__min_size(tb));
	CHECK_EQ_INT(evtype__ncols(ta), evtype__ncols(tb));
	for (i = 0; i < evtype__ncols(ta); i++) {
		const struct evcol *x = evtype__col(ta, i), *y = evtype__col(tb, i);

		CHECK_STR(x->name, y->name);
		CHECK_EQ_INT(x->kind, y->kind);
		CHECK_EQ_INT(x->bit_offset, y->bit_offset);
		CHECK_EQ_INT(x->bit_size, y->bit_size);
		CHECK_EQ_INT(x->byte_size, y->byte_size);
		CHECK_EQ_INT(x->trailing, y->trailing);
		CHECK_EQ_INT(x->addr, y->addr);
		CHECK_EQ_INT(x->stack, y->stack);
		CHECK_EQ_INT(x->id_kind, y->id_kind);
	}
	size = evtype__size(ta);
	for (r = 0; size <= MAX_REC && r < 3; r++) {
		for (i = 0; i < evtype__ncols(ta); i++) {
			int na = evtype__format(ta, i, recs[r], size, va, sizeof(va));
			int nb = evtype__format(tb, i, recs[r], size, vb, sizeof(vb));

			CHECK_EQ_INT(na, nb);
			if (na >= 0 && strcmp(va, vb)) {
				fprintf(stderr, "%s: column %s: \"%s\" != \"%s\"\n", what,
					evtype__col(ta, i)->name, va, vb);
				exit(1);
			}
		}
	}
	evtype__free(ta);
	evtype__free(tb);
	return 1;
}

/* Prunes src to roots, checks that the pruned BTF is well formed and no
 * larger, that it holds no function, DATASEC or decl tag, and that each
 * root decodes alike.  The pruned BTF's size, or 0 when pruning refused. */
static uint32_t check_prune(const struct btf *src, const uint32_t *roots, size_t n, const char *what)
{
	uint32_t src_len, len, i, ok = 0;
	const void *src_raw = btf__raw_data(src, &src_len), *raw;
	struct btfprune *p = btfprune__new(src, roots, n);
	struct btfv *a, *b;
	struct btf *again;
	struct btfcut *cut;
	const void *cut_raw;
	size_t cut_len;

	if (!p) {
		fprintf(stderr, "%s: btfprune: %s\n", what, strerror(errno));
		exit(1);
	}
	raw = btfprune__raw(p, &len);
	CHECK(len <= src_len);
	again = btf__new(raw, len);
	CHECK(again != NULL);
	CHECK_EQ_INT(btf__type_cnt(again), btfprune__ntypes(p) + 1);
	for (i = 1; i < btf__type_cnt(again); i++) {
		int k = btf_kind(btf__type_by_id(again, i));

		CHECK(k != BTF_KIND_FUNC && k != BTF_KIND_FUNC_PROTO && k != BTF_KIND_DATASEC &&
		      k != BTF_KIND_DECL_TAG);
	}
	btf__free(again);
	a = parse(src_raw, src_len);
	b = parse(raw, len);
	for (i = 0; i < n; i++) {
		CHECK(btfprune__id(p, roots[i]) != 0);
		ok += same_decoding(a, roots[i], b, btfprune__id(p, roots[i]), what);
	}
	/* bpfreplay's own cut (bundles of captures with the whole BTF) makes
	 * the very same bytes and ids from the validated source */
	cut = btfcut__new(a, roots, n);
	if (!cut) {
		fprintf(stderr, "%s: btfcut: %s\n", what, strerror(errno));
		exit(1);
	}
	cut_raw = btfcut__raw(cut, &cut_len);
	CHECK_EQ_INT(cut_len, len);
	CHECK(!memcmp(cut_raw, raw, len));
	for (i = 0; i < n; i++)
		CHECK_EQ_INT(btfcut__id(cut, roots[i]), btfprune__id(p, roots[i]));
	btfcut__free(cut);
	(void)ok;
	btfv__free(a);
	btfv__free(b);
	btfprune__free(p);
	return len;
}

/* ---- a BTF built here ---- */

static void synthetic(void)
{
	struct btf *btf = btf__new_empty();
	int u8, u32, s64, chr, uid, cuid, big, bigp, ev, evp, arr, carr, e, anon, fp, fn, ds, var,
	    tdef, flt, bool_, ipaddr, u8x16, uarr, ustack, fnp, tdefp, sint;
	uint32_t roots[1], len, nb;
	struct btfprune *p;
	const struct btf_type *t;
	struct btf *again;
	const void *raw;

	CHECK(btf != NULL);
	u8 = btf__add_int(btf, "unsigned char", 1, 0);
	u32 = btf__add_int(btf, "unsigned int", 4, 0);
	s64 = btf__add_int(btf, "long long", 8, BTF_INT_SIGNED);
	chr = btf__add_int(btf, "char", 1, BTF_INT_SIGNED);
	flt = btf__add_float(btf, "double", 8);
	bool_ = btf__add_int(btf, "_Bool", 1, BTF_INT_BOOL);
	uid = btf__add_typedef(btf, "uid_t", u32);
	cuid = btf__add_const(btf, uid);
	u8x16 = btf__add_array(btf, u32, u8, 16);
	ipaddr = btf__add_typedef(btf, "bpfrec_ipaddr", u8x16);
	sint = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	ustack = btf__add_typedef(btf, "bpfrec_ustack_id", sint);
	/* a large struct only pointed to: left out, a forward declaration instead */
	arr = btf__add_array(btf, u32, s64, 512);
	big = btf__add_struct(btf, "big_task", 4096);
	CHECK(!btf__add_field(btf, "x", arr, 0, 0));
	bigp = btf__add_ptr(btf, big);
	tdef = btf__add_typedef(btf, "big_task_t", big);
	e = btf__add_enum(btf, "kind", 4);
	CHECK(!btf__add_enum_value(btf, "K_ONE", 1) && !btf__add_enum_value(btf, "K_TWO", 2));
	anon = btf__add_union(btf, NULL, 8);
	CHECK(!btf__add_field(btf, "as_int", s64, 0, 0) && !btf__add_field(btf, "as_real", flt, 0, 0));
	fp = btf__add_func_proto(btf, u32);
	CHECK(!btf__add_func_param(btf, "t", bigp));
	fn = btf__add_func(btf, "handler", BTF_FUNC_GLOBAL, fp);
	fnp = btf__add_ptr(btf, fp);
	arr = btf__add_array(btf, u32, chr, 16);
	carr = btf__add_array(btf, u32, u32, 3);
	uarr = btf__add_array(btf, u32, chr, 0);
	tdefp = btf__add_ptr(btf, tdef);
	/* ev's pointer to itself, ahead of it (BTF allows it) */
	evp = btf__add_ptr(btf, btf__type_cnt(btf) + 1);
	ev = btf__add_struct(btf, "ev", 104);
	CHECK(ev > 0 && evp > 0);
	CHECK(!btf__add_field(btf, "uid", cuid, 0, 0));
	CHECK(!btf__add_field(btf, "kind", e, 32, 0));
	CHECK(!btf__add_field(btf, "comm", arr, 64, 0));
	CHECK(!btf__add_field(btf, "task", bigp, 192, 0));
	CHECK(!btf__add_field(btf, "next", evp, 256, 0));
	CHECK(!btf__add_field(btf, "fn", fnp, 320, 0));
	CHECK(!btf__add_field(btf, "", anon, 384, 0));
	CHECK(!btf__add_field(btf, "counts", carr, 448, 0));
	CHECK(!btf__add_field(btf, "flag", bool_, 544, 0));
	CHECK(!btf__add_field(btf, "bits", u32, 552, 3));
	CHECK(!btf__add_field(btf, "tpp", tdefp, 576, 0));
	CHECK(!btf__add_field(btf, "addr", ipaddr, 640, 0));
	CHECK(!btf__add_field(btf, "stack", ustack, 768, 0));
	CHECK(!btf__add_field(btf, "tail", uarr, 832, 0));
	var = btf__add_var(btf, "bpfrec_event__ev", BTF_VAR_GLOBAL_ALLOCATED, evp);
	ds = btf__add_datasec(btf, ".bss", 8);
	CHECK(!btf__add_datasec_var_info(btf, var, 0, 8));
	CHECK(fn > 0 && ds > 0 && btf__add_decl_tag(btf, "bpfrec_event", ev, -1) > 0);

	roots[0] = (uint32_t)ev;
	len = check_prune(btf, roots, 1, "synthetic ev");
	p = btfprune__new(btf, roots, 1);
	CHECK(p != NULL);
	raw = btfprune__raw(p, &nb);
	CHECK_EQ_INT(nb, len);
	again = btf__new(raw, nb);
	CHECK(again != NULL);
	/* big_task is out (a forward declaration), ev's self pointer points at ev */
	CHECK(btf__find_by_name_kind(again, "big_task", BTF_KIND_STRUCT) < 0);
	CHECK(btf__find_by_name_kind(again, "big_task", BTF_KIND_FWD) > 0);
	CHECK(btf__find_by_name_kind(again, "handler", BTF_KIND_FUNC) < 0);
	CHECK(btf__find_by_name_kind(again, "bpfrec_event__ev", BTF_KIND_VAR) < 0);
	CHECK(btf__find_by_name_kind(again, "long long", BTF_KIND_INT) > 0);   /* the union's */
	CHECK(btf__find_by_name_kind(again, "bpfrec_ipaddr", BTF_KIND_TYPEDEF) > 0);
	t = btf__type_by_id(again, btfprune__id(p, (uint32_t)ev));
	CHECK(btf_is_struct(t) && btf_vlen(t) == 14);
	CHECK_EQ_INT(btf__type_by_id(again, btf_members(t)[4].type)->type, btfprune__id(p, (uint32_t)ev));
	CHECK(btf_is_fwd(btf__type_by_id(again, btf__type_by_id(again, btf_members(t)[3].type)->type)));
	CHECK(btf_is_fwd(btf__type_by_id(again, btf__type_by_id(again, btf_members(t)[10].type)->type)));
	CHECK_EQ_INT(btf__type_by_id(again, btf_members(t)[5].type)->type, 0);  /* fn: void * */
	CHECK_EQ_INT(btf__resolve_size(again, btfprune__id(p, (uint32_t)ev)), 104);
	CHECK_EQ_INT(btfprune__id(p, (uint32_t)big), 0);
	CHECK_EQ_INT(btfprune__id(p, 0), 0);
	btf__free(again);
	btfprune__free(p);
	btf__free(btf);

	/* Nothing to keep: a valid empty BTF. */
	btf = btf__new_empty();
	p = btfprune__new(btf, NULL, 0);
	CHECK(p != NULL && btfprune__ntypes(p) == 0);
	btfprune__free(p);
	/* A root that is no type, or a function: refused. */
	roots[0] = 7;
	CHECK(!btfprune__new(btf, roots, 1) && errno == EINVAL);
	fn = btf__add_func(btf, "f", BTF_FUNC_GLOBAL, btf__add_func_proto(btf, 0));
	roots[0] = (uint32_t)fn;
	CHECK(!btfprune__new(btf, roots, 1) && errno == EINVAL);
	btf__free(btf);
	(void)u8;
}

/* ---- the build's BPF objects ---- */

/* Every named struct and union of path's BTF, alone and all together.
 * The number of types that decoded; 0 if path has no BTF. */
static unsigned every_struct(const char *path, unsigned *bytes_before, unsigned *bytes_after)
{
	struct btf *btf = btf__parse(path, NULL);
	uint32_t *roots, n = 0, id, len;
	unsigned decoded = 0;
	char what[4200];

	if (!btf)
		return 0;
	roots = calloc(btf__type_cnt(btf), sizeof(*roots));
	CHECK(roots != NULL);
	for (id = 1; id < btf__type_cnt(btf); id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		if (btf_is_composite(t) && t->name_off && btf__resolve_size(btf, id) <= MAX_REC)
			roots[n++] = id;
	}
	for (id = 0; id < n; id++) {
		snprintf(what, sizeof(what), "%s: %s", path,
			 btf__name_by_offset(btf, btf__type_by_id(btf, roots[id])->name_off));
		check_prune(btf, &roots[id], 1, what);
		decoded++;
	}
	snprintf(what, sizeof(what), "%s: every struct", path);
	len = check_prune(btf, roots, n, what);
	btf__raw_data(btf, &id);
	*bytes_before += id;
	*bytes_after += len;
	free(roots);
	btf__free(btf);
	return decoded;
}

static unsigned objects_in(const char *dir, unsigned *nobjs, unsigned *before, unsigned *after)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned n = 0;
	char path[4096];

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);

		if (l < 7 || strcmp(e->d_name + l - 6, ".bpf.o"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		n += every_struct(path, before, after);
		++*nobjs;
	}
	closedir(d);
	return n;
}

int main(void)
{
	const char *build = getenv("BPFREC_BUILD");
	unsigned nobjs = 0, ntypes = 0, before = 0, after = 0, r, i;
	char dir[4096];

	for (r = 0; r < 3; r++)
		for (i = 0; i < MAX_REC; i++)
			recs[r][i] = r == 0 ? 0 : r == 1 ? 0xff : (uint8_t)test_rand(&rng);
	synthetic();
	if (build) {
		snprintf(dir, sizeof(dir), "%s/bpf", build);
		ntypes += objects_in(dir, &nobjs, &before, &after);
		snprintf(dir, sizeof(dir), "%s/tests/bpf", build);
		ntypes += objects_in(dir, &nobjs, &before, &after);
	}
	if (!nobjs)
		fprintf(stderr, "no built BPF objects under $BPFREC_BUILD: synthetic BTF only\n");
	printf("ok: %u types of %u objects decode alike from the pruned BTF "
	       "(every struct kept: %u -> %u bytes)\n", ntypes, nobjs, before, after);
	return 0;
}
