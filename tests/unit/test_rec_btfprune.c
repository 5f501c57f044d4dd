/* test_rec_btfprune.c - the BTF a capture stores, cut to its streams'
 * types (schema/btfcut.h: the recorder's cut, and a bundle's), without
 * root: bpfreplay's decoder (btfv, evtype) reads every record the same from
 * the cut BTF as from the whole one: the same columns (names, kinds,
 * offsets, sizes, what they are: address, stack, uid/gid, trailing array)
 * and the same text for every value, on records of zeros, of 0xff and of
 * random bytes.  libbpf, an independent reader, parses each cut and finds
 * every root's types, by value, as in the source (a pointer to a left-out
 * type is a pointer to a forward declaration of it, or to void), and each
 * cut cut again is the very same bytes.
 *
 * The recorder's call (record__cut_btf) gives the same bytes, and for BTF
 * it cannot cut warns with the object's name and the reason.
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
#include "btfv.h"
#include "evtype.h"
#include "record.h"
#include "fixtures/btfgen.h"

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

/* A pointer's target through typedefs and modifiers, in libbpf's view: a
 * named struct, union or forward declaration gives its name (*is_union
 * set), anything else NULL. */
static const char *pointee(const struct btf *btf, uint32_t id, int *is_union)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	int depth;

	for (depth = 0; t && depth < 32 && (btf_is_mod(t) || btf_is_typedef(t)); depth++)
		t = btf__type_by_id(btf, t->type);
	if (!t || !(btf_is_composite(t) || btf_is_fwd(t)) || !t->name_off)
		return NULL;
	*is_union = btf_is_union(t) || (btf_is_fwd(t) && btf_kflag(t));
	return btf__name_by_offset(btf, t->name_off);
}

/* Type sid of src and cid of the cut (libbpf's views of both) are the same
 * type by value: kind, name, size, encoding, members and their offsets,
 * enumerators, array lengths, and the same again for every type they are
 * made of, cid being the cut's id of sid.  A pointer keeps its target's id
 * when the target was kept, else it points to a forward declaration of
 * the named struct or union it pointed to, or to void.  done[sid]: compared
 * already. */
static void same_type(const struct btf *src, uint32_t sid, const struct btf *dst, uint32_t cid,
		      const struct btfcut *cut, uint8_t *done, const char *what)
{
	const struct btf_type *s, *d;
	uint32_t i;

	if (!sid) {
		CHECK_EQ_INT(cid, 0);
		return;
	}
	if (btfcut__id(cut, sid) != cid) {
		fprintf(stderr, "%s: type %u is %u in the cut, reached as %u\n", what, sid,
			btfcut__id(cut, sid), cid);
		exit(1);
	}
	if (done[sid])
		return;
	done[sid] = 1;
	s = btf__type_by_id(src, sid);
	d = btf__type_by_id(dst, cid);
	CHECK(s && d);
	CHECK_EQ_INT(btf_kind(d), btf_kind(s));
	CHECK_EQ_INT(btf_kflag(d), btf_kflag(s));
	CHECK_EQ_INT(btf_vlen(d), btf_vlen(s));
	CHECK_STR(btf__name_by_offset(dst, d->name_off), btf__name_by_offset(src, s->name_off));
	switch (btf_kind(s)) {
	case BTF_KIND_INT:
		CHECK_EQ_INT(d->size, s->size);
		CHECK_EQ_INT(*(const uint32_t *)(d + 1), *(const uint32_t *)(s + 1));
		break;
	case BTF_KIND_FLOAT:
		CHECK_EQ_INT(d->size, s->size);
		break;
	case BTF_KIND_ENUM:
		CHECK_EQ_INT(d->size, s->size);
		for (i = 0; i < btf_vlen(s); i++) {
			CHECK_STR(btf__name_by_offset(dst, btf_enum(d)[i].name_off),
				  btf__name_by_offset(src, btf_enum(s)[i].name_off));
			CHECK_EQ_INT(btf_enum(d)[i].val, btf_enum(s)[i].val);
		}
		break;
	case BTF_KIND_ENUM64:
		CHECK_EQ_INT(d->size, s->size);
		for (i = 0; i < btf_vlen(s); i++) {
			CHECK_STR(btf__name_by_offset(dst, btf_enum64(d)[i].name_off),
				  btf__name_by_offset(src, btf_enum64(s)[i].name_off));
			CHECK_EQ_U64(btf_enum64_value(btf_enum64(d) + i), btf_enum64_value(btf_enum64(s) + i));
		}
		break;
	case BTF_KIND_FWD:
		break;
	case BTF_KIND_PTR: {
		const char *name;
		int is_union = 0;
		const struct btf_type *f;

		if (btfcut__id(cut, s->type)) {
			same_type(src, s->type, dst, d->type, cut, done, what);
			break;
		}
		name = s->type ? pointee(src, s->type, &is_union) : NULL;
		if (!name) {
			CHECK_EQ_INT(d->type, 0);
			break;
		}
		f = btf__type_by_id(dst, d->type);
		CHECK(f && btf_is_fwd(f) && d->type > cid);
		CHECK_STR(btf__name_by_offset(dst, f->name_off), name);
		CHECK_EQ_INT(btf_kflag(f), is_union);
		break;
	}
	case BTF_KIND_VAR:
		CHECK_EQ_INT(btf_var(d)->linkage, btf_var(s)->linkage);
		same_type(src, s->type, dst, d->type, cut, done, what);
		break;
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_CONST:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		same_type(src, s->type, dst, d->type, cut, done, what);
		break;
	case BTF_KIND_ARRAY:
		CHECK_EQ_INT(btf_array(d)->nelems, btf_array(s)->nelems);
		same_type(src, btf_array(s)->type, dst, btf_array(d)->type, cut, done, what);
		same_type(src, btf_array(s)->index_type, dst, btf_array(d)->index_type, cut, done, what);
		break;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		CHECK_EQ_INT(d->size, s->size);
		for (i = 0; i < btf_vlen(s); i++) {
			CHECK_STR(btf__name_by_offset(dst, btf_members(d)[i].name_off),
				  btf__name_by_offset(src, btf_members(s)[i].name_off));
			CHECK_EQ_INT(btf_members(d)[i].offset, btf_members(s)[i].offset);
			same_type(src, btf_members(s)[i].type, dst, btf_members(d)[i].type, cut, done,
				  what);
		}
		break;
	default:
		fprintf(stderr, "%s: type %u of kind %u is in the cut\n", what, sid, btf_kind(s));
		exit(1);
	}
}

/* Cuts src (libbpf's) to roots through the validated reader, as the
 * recorder does; checks that the cut is well formed and no larger, holds
 * no function, prototype, DATASEC or decl tag, that libbpf finds each
 * root's types in it as in src and nothing else (the kept types in src's
 * order, then forward declarations), that the cut of the cut is the same
 * bytes, and that each root decodes alike.  The cut's size. */
static uint32_t check_cut(const struct btf *src, const uint32_t *roots, size_t n, const char *what)
{
	uint32_t src_len, i, kept = 0, last = 0, *again_roots;
	const void *src_raw = btf__raw_data(src, &src_len), *raw, *raw2;
	struct btfv *a = parse(src_raw, src_len), *b;
	struct btfcut *cut = btfcut__new(a, roots, n), *cut2;
	uint8_t *done = calloc(btf__type_cnt(src), 1);
	struct btf *dst;
	size_t len, len2;

	CHECK(done != NULL);
	if (!cut) {
		fprintf(stderr, "%s: btfcut: %s\n", what, strerror(errno));
		exit(1);
	}
	raw = btfcut__raw(cut, &len);
	CHECK(len <= src_len);
	dst = btf__new(raw, (uint32_t)len);
	CHECK(dst != NULL);
	for (i = 1; i < btf__type_cnt(src); i++) {
		uint32_t id = btfcut__id(cut, i);

		if (!id)
			continue;
		CHECK_EQ_INT(id, last + 1);     /* the source's order, no gap */
		last = id;
		kept++;
	}
	for (i = 1; i < btf__type_cnt(dst); i++) {
		int k = btf_kind(btf__type_by_id(dst, i));

		CHECK(k != BTF_KIND_FUNC && k != BTF_KIND_FUNC_PROTO && k != BTF_KIND_DATASEC &&
		      k != BTF_KIND_DECL_TAG);
		CHECK(i <= kept || k == BTF_KIND_FWD);
	}
	for (i = 0; i < n; i++) {
		CHECK(btfcut__id(cut, roots[i]) != 0);
		same_type(src, roots[i], dst, btfcut__id(cut, roots[i]), cut, done, what);
	}
	for (i = 1; i < btf__type_cnt(src); i++)    /* every kept type some root's */
		CHECK(!btfcut__id(cut, i) || done[i]);
	b = parse(raw, (uint32_t)len);
	for (i = 0; i < n; i++)
		same_decoding(a, roots[i], b, btfcut__id(cut, roots[i]), what);
	/* a fixed point: the cut of the cut to the same roots, byte for byte */
	again_roots = calloc(n ? n : 1, sizeof(*again_roots));
	CHECK(again_roots != NULL);
	for (i = 0; i < n; i++)
		again_roots[i] = btfcut__id(cut, roots[i]);
	cut2 = btfcut__new(b, again_roots, n);
	CHECK(cut2 != NULL);
	raw2 = btfcut__raw(cut2, &len2);
	CHECK_EQ_INT(len2, len);
	CHECK(!memcmp(raw2, raw, len));
	btfcut__free(cut2);
	free(again_roots);
	btf__free(dst);
	btfv__free(a);
	btfv__free(b);
	btfcut__free(cut);
	free(done);
	return (uint32_t)len;
}

/* The cut of a libbpf BTF (its raw bytes validated first); NULL with errno
 * set as btfcut__new sets it. */
static struct btfcut *cut_of(const struct btf *btf, const uint32_t *roots, size_t n)
{
	uint32_t len;
	const void *raw = btf__raw_data(btf, &len);
	struct btfv *b = parse(raw, len);
	struct btfcut *c = btfcut__new(b, roots, n);
	int saved = errno;

	btfv__free(b);          /* the cut keeps nothing of it */
	errno = saved;
	return c;
}

/* ---- a BTF built here ---- */

static void synthetic(void)
{
	struct btf *btf = btf__new_empty();
	int u8, u32, s64, chr, uid, cuid, big, bigp, ev, evp, arr, carr, e, anon, fp, fn, ds, var,
	    tdef, flt, bool_, ipaddr, u8x16, uarr, ustack, fnp, tdefp, sint, uval, uvalp;
	uint32_t roots[1], len;
	struct btfcut *p;
	const struct btf_type *t;
	struct btf *again;
	const void *raw;
	size_t nb;

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
	/* a union only pointed to: a forward declaration of a union */
	uval = btf__add_union(btf, "uval", 8);
	CHECK(!btf__add_field(btf, "v", s64, 0, 0));
	uvalp = btf__add_ptr(btf, uval);
	/* ev's pointer to itself, ahead of it (BTF allows it) */
	evp = btf__add_ptr(btf, btf__type_cnt(btf) + 1);
	ev = btf__add_struct(btf, "ev", 112);
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
	CHECK(!btf__add_field(btf, "up", uvalp, 832, 0));
	CHECK(!btf__add_field(btf, "tail", uarr, 896, 0));
	var = btf__add_var(btf, "bpfrec_event__ev", BTF_VAR_GLOBAL_ALLOCATED, evp);
	ds = btf__add_datasec(btf, ".bss", 8);
	CHECK(!btf__add_datasec_var_info(btf, var, 0, 8));
	CHECK(fn > 0 && ds > 0 && btf__add_decl_tag(btf, "bpfrec_event", ev, -1) > 0);

	roots[0] = (uint32_t)ev;
	len = check_cut(btf, roots, 1, "synthetic ev");
	p = cut_of(btf, roots, 1);
	CHECK(p != NULL);
	raw = btfcut__raw(p, &nb);
	CHECK_EQ_INT(nb, len);
	again = btf__new(raw, (uint32_t)nb);
	CHECK(again != NULL);
	/* big_task is out (a forward declaration), ev's self pointer points at ev */
	CHECK(btf__find_by_name_kind(again, "big_task", BTF_KIND_STRUCT) < 0);
	CHECK(btf__find_by_name_kind(again, "big_task", BTF_KIND_FWD) > 0);
	CHECK(btf__find_by_name_kind(again, "handler", BTF_KIND_FUNC) < 0);
	CHECK(btf__find_by_name_kind(again, "bpfrec_event__ev", BTF_KIND_VAR) < 0);
	CHECK(btf__find_by_name_kind(again, "long long", BTF_KIND_INT) > 0);   /* the union's */
	CHECK(btf__find_by_name_kind(again, "bpfrec_ipaddr", BTF_KIND_TYPEDEF) > 0);
	t = btf__type_by_id(again, btfcut__id(p, (uint32_t)ev));
	CHECK(btf_is_struct(t) && btf_vlen(t) == 15);
	CHECK_EQ_INT(btf__type_by_id(again, btf_members(t)[4].type)->type, btfcut__id(p, (uint32_t)ev));
	CHECK(btf_is_fwd(btf__type_by_id(again, btf__type_by_id(again, btf_members(t)[3].type)->type)));
	CHECK(btf_is_fwd(btf__type_by_id(again, btf__type_by_id(again, btf_members(t)[10].type)->type)));
	CHECK_EQ_INT(btf__type_by_id(again, btf_members(t)[5].type)->type, 0);  /* fn: void * */
	CHECK_EQ_INT(btf__resolve_size(again, btfcut__id(p, (uint32_t)ev)), 112);
	/* uval is out too: its pointer points to a union's forward declaration */
	CHECK(btf__find_by_name_kind(again, "uval", BTF_KIND_UNION) < 0);
	CHECK_EQ_INT(btf__type_by_id(again, btf_members(t)[13].type)->type,
		     btf__find_by_name_kind(again, "uval", BTF_KIND_FWD));
	CHECK(btf_kflag(btf__type_by_id(again, btf__find_by_name_kind(again, "uval", BTF_KIND_FWD))));
	CHECK_EQ_INT(btfcut__id(p, (uint32_t)big), 0);
	CHECK_EQ_INT(btfcut__id(p, 0), 0);
	btf__free(again);
	btfcut__free(p);
	btf__free(btf);

	/* Nothing to keep: a valid empty BTF. */
	btf = btf__new_empty();
	p = cut_of(btf, NULL, 0);
	CHECK(p != NULL);
	raw = btfcut__raw(p, &nb);
	again = btf__new(raw, (uint32_t)nb);
	CHECK(again != NULL && btf__type_cnt(again) == 1);
	btf__free(again);
	btfcut__free(p);
	/* A root that is no type, or a function: refused. */
	roots[0] = 7;
	CHECK(!cut_of(btf, roots, 1) && errno == EINVAL);
	fn = btf__add_func(btf, "f", BTF_FUNC_GLOBAL, btf__add_func_proto(btf, 0));
	roots[0] = (uint32_t)fn;
	CHECK(!cut_of(btf, roots, 1) && errno == EINVAL);
	btf__free(btf);
	(void)u8;
}

/* ---- the whole BTF, its strings cut to its types' names ---- */

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The names libbpf finds in btf's types (theirs, their members',
 * enumerators', parameters'), sorted; *n set. */
static const char **names_used(const struct btf *btf, size_t *n)
{
	size_t cap = 16;
	const char **v = malloc(cap * sizeof(*v));

	CHECK(v != NULL);
	*n = 0;
	for (uint32_t id = 1; id < btf__type_cnt(btf); id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		uint32_t vlen = btf_vlen(t), offs[1 + 65535], k = 0;

		offs[k++] = t->name_off;
		for (uint32_t i = 0; i < vlen; i++) {
			if (btf_is_composite(t))
				offs[k++] = btf_members(t)[i].name_off;
			else if (btf_is_enum(t))
				offs[k++] = btf_enum(t)[i].name_off;
			else if (btf_is_enum64(t))
				offs[k++] = btf_enum64(t)[i].name_off;
			else if (btf_is_func_proto(t))
				offs[k++] = btf_params(t)[i].name_off;
		}
		for (uint32_t i = 0; i < k; i++) {
			if (*n == cap) {
				cap *= 2;
				v = realloc(v, cap * sizeof(*v));
				CHECK(v != NULL);
			}
			v[(*n)++] = btf__name_by_offset(btf, offs[i]);
		}
	}
	qsort(v, *n, sizeof(*v), cmp_str);
	return v;
}

/* btfcut__names of src (libbpf's, validated first): libbpf reads every
 * type as in src (the same ids, kinds, names, sizes, members, enumerators,
 * parameters ...), the string section holds nothing but names its types
 * use (and each once), roots decode alike, and a second pass gives the
 * same bytes.  The result's size. */
static uint32_t check_names(const struct btf *src, const uint32_t *roots, size_t n, const char *what)
{
	uint32_t src_len, i, k;
	const void *src_raw = btf__raw_data(src, &src_len);
	struct btfv *a = parse(src_raw, src_len), *b;
	struct btfcut *c = btfcut__names(a), *c2;
	const struct btf_header *h;
	const char **used;
	const uint8_t *raw;
	struct btf *dst;
	size_t len, len2, nused;

	if (!c) {
		fprintf(stderr, "%s: btfcut__names: %s\n", what, strerror(errno));
		exit(1);
	}
	raw = btfcut__raw(c, &len);
	CHECK(len <= src_len);
	dst = btf__new(raw, (uint32_t)len);
	CHECK(dst != NULL);
	CHECK_EQ_INT(btf__type_cnt(dst), btf__type_cnt(src));
	for (i = 1; i < btf__type_cnt(src); i++) {
		const struct btf_type *x = btf__type_by_id(src, i), *y = btf__type_by_id(dst, i);

		CHECK_EQ_INT(btfcut__id(c, i), i);
		CHECK(x->info == y->info && x->size == y->size);
		CHECK_STR(btf__name_by_offset(src, x->name_off), btf__name_by_offset(dst, y->name_off));
		for (k = 0; k < btf_vlen(x); k++) {
			if (btf_is_composite(x)) {
				const struct btf_member *mx = btf_members(x) + k, *my = btf_members(y) + k;

				CHECK(mx->type == my->type && mx->offset == my->offset);
				CHECK_STR(btf__name_by_offset(src, mx->name_off),
					  btf__name_by_offset(dst, my->name_off));
			} else if (btf_is_enum(x)) {
				CHECK(btf_enum(x)[k].val == btf_enum(y)[k].val);
				CHECK_STR(btf__name_by_offset(src, btf_enum(x)[k].name_off),
					  btf__name_by_offset(dst, btf_enum(y)[k].name_off));
			} else if (btf_is_enum64(x)) {
				CHECK(btf_enum64(x)[k].val_lo32 == btf_enum64(y)[k].val_lo32 &&
				      btf_enum64(x)[k].val_hi32 == btf_enum64(y)[k].val_hi32);
				CHECK_STR(btf__name_by_offset(src, btf_enum64(x)[k].name_off),
					  btf__name_by_offset(dst, btf_enum64(y)[k].name_off));
			} else if (btf_is_func_proto(x)) {
				CHECK(btf_params(x)[k].type == btf_params(y)[k].type);
				CHECK_STR(btf__name_by_offset(src, btf_params(x)[k].name_off),
					  btf__name_by_offset(dst, btf_params(y)[k].name_off));
			} else if (btf_is_datasec(x)) {
				CHECK(!memcmp(btf_var_secinfos(x) + k, btf_var_secinfos(y) + k,
					      sizeof(struct btf_var_secinfo)));
			}
		}
		if (btf_is_array(x))
			CHECK(!memcmp(btf_array(x), btf_array(y), sizeof(struct btf_array)));
		if (btf_is_int(x) || btf_is_var(x) || btf_is_decl_tag(x))
			CHECK(!memcmp(x + 1, y + 1, 4));
	}
	/* every string of the section a name of a type, once */
	used = names_used(dst, &nused);
	h = (const void *)raw;
	CHECK(h->str_len && raw[h->hdr_len + h->str_off] == 0);
	for (k = 1; k < h->str_len; k += (uint32_t)strlen((const char *)raw + h->hdr_len + h->str_off + k) + 1) {
		const char *str = (const char *)raw + h->hdr_len + h->str_off + k;

		if (!bsearch(&str, used, nused, sizeof(*used), cmp_str)) {
			fprintf(stderr, "%s: \"%s\" in the string section, no type's name\n", what, str);
			exit(1);
		}
	}
	free(used);
	b = parse(raw, (uint32_t)len);
	for (i = 0; i < n; i++)
		same_decoding(a, roots[i], b, roots[i], what);
	c2 = btfcut__names(b);
	CHECK(c2 != NULL);
	CHECK(btfcut__raw(c2, &len2) && len2 == len && !memcmp(btfcut__raw(c2, &len2), raw, len));
	btfcut__free(c2);
	btfv__free(a);
	btfv__free(b);
	btf__free(dst);
	btfcut__free(c);
	return (uint32_t)len;
}

/* btfcut__names on BTF the validator accepts but no compiler writes: a
 * name inside another string, names shared by several types, a typedef
 * chain too deep to use, every kind that has names, strings no type names
 * (a source path and line, as .BTF.ext's line info leaves them), and
 * nothing but void. */
static void names_hostile(void)
{
	static struct btfgen g;
	struct btfv *b;
	struct btfcut *c;
	const void *raw;
	size_t len;
	uint32_t path, u32, prev, i, fp, ev;

	bg_init(&g);
	path = bg_str(&g, "/home/alice/proj/x.bpf.c");
	bg_str(&g, "\tint alice_line = 1;");
	u32 = bg_int(&g, "", 4, 0, 32);
	memcpy(g.types + g.tlen - 16, &(uint32_t){ path + 17 }, 4);   /* "x.bpf.c" */
	prev = u32;
	for (i = 0; i < BTFV_MAX_DEPTH + 8; i++)
		prev = bg_type(&g, i % 2 ? "deep" : "also_deep", BTF_KIND_TYPEDEF, 0, 0, prev);
	fp = bg_type(&g, "", BTF_KIND_FUNC_PROTO, 2, 0, u32);
	bg_u32(&g, bg_str(&g, "ctx")), bg_u32(&g, u32);
	bg_u32(&g, 0), bg_u32(&g, 0);                          /* ... */
	bg_type(&g, "handler", BTF_KIND_FUNC, 0, 0, fp);
	ev = bg_type(&g, "ev", BTF_KIND_STRUCT, 2, 0, 8);
	bg_member(&g, "a", u32, 0);
	bg_member(&g, "", u32, 32);
	bg_type(&g, "user_tag", BTF_KIND_DECL_TAG, 0, 0, ev), bg_u32(&g, (uint32_t)-1);
	bg_type(&g, "g_ev", BTF_KIND_VAR, 0, 0, ev), bg_u32(&g, 1);
	bg_type(&g, ".data", BTF_KIND_DATASEC, 1, 0, 8);
	bg_u32(&g, ev + 2), bg_u32(&g, 0), bg_u32(&g, 8);
	bg_type(&g, "e64", BTF_KIND_ENUM64, 1, 0, 8);
	bg_u32(&g, bg_str(&g, "BIG")), bg_u32(&g, 1), bg_u32(&g, 2);
	bg_type(&g, "opaque", BTF_KIND_FWD, 0, 1, 0);
	bg_type(&g, "ev", BTF_KIND_TYPEDEF, 0, 0, ev);         /* a name twice */
	b = bg_parse(&g);
	c = btfcut__names(b);
	CHECK(c != NULL);
	raw = btfcut__raw(c, &len);
	CHECK(!memmem(raw, len, "/home", 5) && !memmem(raw, len, "alice", 5));
	CHECK(memmem(raw, len, "x.bpf.c", 8) && memmem(raw, len, "user_tag", 9));
	btfcut__free(c);
	{
		uint8_t *blob = bg_blob(&g, &len);
		struct btf *lb = btf__new(blob, (uint32_t)len);   /* libbpf's view */
		uint32_t root = ev;

		free(blob);
		CHECK(lb != NULL);
		btfv__free(b);
		check_names(lb, &root, 1, "hostile names");
		btf__free(lb);
	}
	/* nothing but void, and strings */
	bg_init(&g);
	bg_str(&g, "/home/alice/proj/x.bpf.c");
	b = bg_parse(&g);
	c = btfcut__names(b);
	CHECK(c != NULL);
	raw = btfcut__raw(c, &len);
	CHECK_EQ_INT(len, sizeof(struct btf_header) + 1);
	CHECK_EQ_INT(btfcut__id(c, 0), 0);
	CHECK_EQ_INT(btfcut__id(c, 5), 0);
	btfcut__free(c);
	btfv__free(b);
}

/* ---- the recorder's call: record__cut_btf ---- */

/* The one cut's bytes; for BTF it cannot cut, NULL and a warning that
 * names the object and the reason (the capture then stores it whole). */
static void recorder_cut(void)
{
	struct btf *btf = btf__new_empty();
	int u32 = btf__add_int(btf, "unsigned int", 4, 0), ev, fn;
	uint32_t roots[1], len;
	const void *raw;
	struct btfcut *c, *ref;
	const void *a, *b;
	size_t na, nb;
	uint8_t *bad;
	char msg[2048];

	ev = btf__add_struct(btf, "ev", 4);
	CHECK(ev > 0 && !btf__add_field(btf, "x", u32, 0, 0));
	fn = btf__add_func(btf, "f", BTF_FUNC_GLOBAL, btf__add_func_proto(btf, 0));
	CHECK(fn > 0);
	raw = btf__raw_data(btf, &len);
	roots[0] = (uint32_t)ev;
	c = record__cut_btf("u.bpf.o", raw, len, roots, 1);
	ref = cut_of(btf, roots, 1);
	CHECK(c && ref);
	a = btfcut__raw(c, &na);
	b = btfcut__raw(ref, &nb);
	CHECK(na == nb && !memcmp(a, b, na) && na < len);
	CHECK_EQ_INT(btfcut__id(c, (uint32_t)ev), 2);     /* after its member's int */
	btfcut__free(c);
	btfcut__free(ref);
	/* a function as a stream's type */
	roots[0] = (uint32_t)fn;
	test_stderr_begin();
	c = record__cut_btf("u.bpf.o", raw, len, roots, 1);
	test_stderr_end(msg, sizeof(msg));
	CHECK(c == NULL);
	CHECK(strstr(msg, "u.bpf.o: cannot cut its BTF to its streams' types (a stream's type id "
		      "names no value type, or the cut BTF failed its check): the capture stores "
		      "all of it") != NULL);
	/* BTF the validator refuses, with its reason */
	bad = malloc(len);
	CHECK(bad != NULL);
	memcpy(bad, raw, len);
	bad[0] ^= 0xff;
	roots[0] = (uint32_t)ev;
	test_stderr_begin();
	c = record__cut_btf("u.bpf.o", bad, len, roots, 1);
	test_stderr_end(msg, sizeof(msg));
	CHECK(c == NULL);
	CHECK(strstr(msg, "u.bpf.o: cannot cut its BTF to its streams' types (BTF: bad magic 0x") != NULL);
	bad[0] ^= 0xff;
	test_stderr_begin();
	c = record__cut_btf("u.bpf.o", bad, len - 1, roots, 1);
	test_stderr_end(msg, sizeof(msg));
	CHECK(c == NULL);
	CHECK(strstr(msg, "u.bpf.o: cannot cut its BTF to its streams' types (BTF: sections") != NULL);
	free(bad);
	btf__free(btf);
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
		check_cut(btf, &roots[id], 1, what);
		decoded++;
	}
	snprintf(what, sizeof(what), "%s: every struct", path);
	len = check_cut(btf, roots, n, what);
	snprintf(what, sizeof(what), "%s: names only", path);
	check_names(btf, roots, n, what);
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
	names_hostile();
	recorder_cut();
	if (build) {
		snprintf(dir, sizeof(dir), "%s/bpf", build);
		ntypes += objects_in(dir, &nobjs, &before, &after);
		snprintf(dir, sizeof(dir), "%s/tests/bpf", build);
		ntypes += objects_in(dir, &nobjs, &before, &after);
	}
	if (!nobjs)
		fprintf(stderr, "no built BPF objects under $BPFREC_BUILD: synthetic BTF only\n");
	printf("ok: %u types of %u objects decode alike from the cut BTF "
	       "(every struct kept: %u -> %u bytes)\n", ntypes, nobjs, before, after);
	return 0;
}
