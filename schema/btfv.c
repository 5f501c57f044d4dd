/* btfv.c - a validating parser for raw BTF (see btfv.h for the contract).
 *
 * The blob is untrusted.  Parsing is in four steps, and nothing is looked at
 * before the step that validates it:
 *   1. the header: magic, version, hdr_len, both sections inside the blob,
 *      not overlapping, the string section starting and ending with NUL;
 *   2. a walk over the type section: every record (with its kind's trailing
 *      data) inside the section, unknown kinds rejected;
 *   3. per type: name offsets inside the string section, referenced ids
 *      below the type count, kind-specific fields (int encoding, sizes);
 *   4. an iterative depth-first walk over the "by value" edges (typedef,
 *      modifiers, type tags, var -> type, array -> element, struct/union ->
 *      member; pointers are leaves): cycles reject the blob; the height of
 *      each type (longest chain below it) is computed, and a type higher than
 *      BTFV_MAX_DEPTH is kept but unusable (btfv__size -1, btfv__resolve 0);
 *      sizes are multiplied out in 64 bits and capped at BTFV_MAX_SIZE; every
 *      struct member must lie inside its struct.
 * The sections are copied, so the caller's buffer may go away, and the type
 * section copy is 4-byte aligned whatever the blob's alignment was.
 */
#include "btfv.h"
#include "cap_internal.h"   /* cap_seterr */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct btfv {
	int refs;                       /* btfv__get/btfv__free; atomic */
	uint32_t count;                 /* types including void (id 0) */
	uint32_t str_len;               /* bytes in strs, strs[str_len-1] == 0 */
	char *strs;                     /* copy of the string section */
	uint8_t *tsec;                  /* copy of the type section, aligned */
	const struct btf_type **types;  /* [count]; types[0] is NULL (void) */
	int64_t *sizes;                 /* [count]; -1: no size or unusable */
	uint32_t *resolved;             /* [count]; 0: void or unusable */
	uint8_t *height;                /* [count]; capped at BTFV_MAX_DEPTH+1 */
};

static int kind_of(const struct btf_type *t)
{
	return BTF_INFO_KIND(t->info);
}

/* Bytes that follow struct btf_type for this record; -1 for unknown kinds. */
static int64_t extra_len(const struct btf_type *t)
{
	uint64_t vlen = BTF_INFO_VLEN(t->info);

	switch (kind_of(t)) {
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return 4;
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return 0;
	case BTF_KIND_ARRAY:
		return sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return vlen * sizeof(struct btf_enum);
	case BTF_KIND_ENUM64:
		return vlen * sizeof(struct btf_enum64);
	case BTF_KIND_FUNC_PROTO:
		return vlen * sizeof(struct btf_param);
	case BTF_KIND_DATASEC:
		return vlen * sizeof(struct btf_var_secinfo);
	default:
		return -1;
	}
}

static int name_ok(const struct btfv *b, uint32_t off)
{
	/* The section ends with NUL (checked), so any offset inside it is a
	 * NUL-terminated string inside it. */
	return off < b->str_len;
}

static int id_ok(const struct btfv *b, uint32_t id)
{
	return id < b->count;
}

static int is_pow2_size(uint32_t s)
{
	return s == 1 || s == 2 || s == 4 || s == 8;
}

/* Step 3: one type's own fields. */
static int check_type(const struct btfv *b, uint32_t id, char *err, size_t errlen)
{
	const struct btf_type *t = b->types[id];
	uint32_t vlen = BTF_INFO_VLEN(t->info), i;
	int kind = kind_of(t);

	if (!name_ok(b, t->name_off)) {
		cap_seterr(err, errlen, "BTF type %u: name offset %u outside the string section (%u bytes)",
		     id, t->name_off, b->str_len);
		return -1;
	}
	switch (kind) {
	case BTF_KIND_INT: {
		uint32_t meta = *(const uint32_t *)(t + 1);
		uint32_t bits = BTF_INT_BITS(meta), off = BTF_INT_OFFSET(meta);
		uint32_t enc = BTF_INT_ENCODING(meta);

		if (vlen || (meta & 0xf0000000u) || !(is_pow2_size(t->size) || t->size == 16) ||
		    !bits || bits > 128 || off + bits > t->size * 8 ||
		    (enc && enc != BTF_INT_SIGNED && enc != BTF_INT_CHAR && enc != BTF_INT_BOOL)) {
			cap_seterr(err, errlen, "BTF type %u: invalid int (size %u, data 0x%08x)", id, t->size, meta);
			return -1;
		}
		return 0;
	}
	case BTF_KIND_PTR:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		if (vlen)
			break;
		if (!id_ok(b, t->type))
			goto bad_ref;
		return 0;
	case BTF_KIND_FWD:
		if (vlen)
			break;
		return 0;
	case BTF_KIND_FUNC:
		if (vlen > BTF_FUNC_EXTERN)
			break;
		if (!id_ok(b, t->type))
			goto bad_ref;
		return 0;
	case BTF_KIND_VAR:
		if (vlen || !t->type)
			break;
		if (!id_ok(b, t->type))
			goto bad_ref;
		return 0;
	case BTF_KIND_DECL_TAG:
		if (vlen || *(const int32_t *)(t + 1) < -1)
			break;
		if (!id_ok(b, t->type))
			goto bad_ref;
		return 0;
	case BTF_KIND_FLOAT:
		if (vlen || !(t->size == 2 || t->size == 4 || t->size == 8 || t->size == 12 || t->size == 16))
			break;
		return 0;
	case BTF_KIND_ARRAY: {
		const struct btf_array *a = (const void *)(t + 1);

		if (vlen || !a->type)
			break;
		if (!id_ok(b, a->type) || !id_ok(b, a->index_type))
			goto bad_ref;
		return 0;
	}
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: {
		const struct btf_member *m = (const void *)(t + 1);

		for (i = 0; i < vlen; i++) {
			if (!name_ok(b, m[i].name_off)) {
				cap_seterr(err, errlen, "BTF type %u member %u: name offset %u outside the string section",
				     id, i, m[i].name_off);
				return -1;
			}
			if (!m[i].type) {
				cap_seterr(err, errlen, "BTF type %u member %u: void member", id, i);
				return -1;
			}
			if (!id_ok(b, m[i].type))
				goto bad_ref;
		}
		return 0;
	}
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64: {
		size_t step = kind == BTF_KIND_ENUM ? sizeof(struct btf_enum) : sizeof(struct btf_enum64);
		const uint8_t *e = (const void *)(t + 1);

		if (!is_pow2_size(t->size))
			break;
		for (i = 0; i < vlen; i++, e += step) {
			if (!name_ok(b, *(const uint32_t *)e)) {
				cap_seterr(err, errlen, "BTF type %u enumerator %u: name offset outside the string section",
				     id, i);
				return -1;
			}
		}
		return 0;
	}
	case BTF_KIND_FUNC_PROTO: {
		const struct btf_param *p = (const void *)(t + 1);

		if (!id_ok(b, t->type))
			goto bad_ref;
		for (i = 0; i < vlen; i++) {
			if (!name_ok(b, p[i].name_off)) {
				cap_seterr(err, errlen, "BTF type %u param %u: name offset outside the string section", id, i);
				return -1;
			}
			if (!id_ok(b, p[i].type))
				goto bad_ref;
		}
		return 0;
	}
	case BTF_KIND_DATASEC: {
		const struct btf_var_secinfo *v = (const void *)(t + 1);

		/* Offsets and sizes are not checked: in an object file they
		 * are 0 until libbpf fixes them up at load. */
		for (i = 0; i < vlen; i++)
			if (!id_ok(b, v[i].type))
				goto bad_ref;
		return 0;
	}
	}
	cap_seterr(err, errlen, "BTF type %u: invalid kind %d record (vlen %u, size %u)", id, kind, vlen, t->size);
	return -1;
bad_ref:
	cap_seterr(err, errlen, "BTF type %u: refers to a type id >= %u", id, b->count);
	return -1;
}

/* The by-value edges of the size graph: child k of id, 0 when none left. */
static uint32_t child(const struct btfv *b, uint32_t id, uint32_t k)
{
	const struct btf_type *t = b->types[id];

	switch (kind_of(t)) {
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
	case BTF_KIND_VAR:
		return k == 0 ? t->type : 0;
	case BTF_KIND_ARRAY:
		return k == 0 ? ((const struct btf_array *)(t + 1))->type : 0;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return k < BTF_INFO_VLEN(t->info) ? ((const struct btf_member *)(t + 1))[k].type : 0;
	default:
		return 0;
	}
}

static int is_modifier(int kind)
{
	return kind == BTF_KIND_TYPEDEF || kind == BTF_KIND_VOLATILE || kind == BTF_KIND_CONST ||
	       kind == BTF_KIND_RESTRICT || kind == BTF_KIND_TYPE_TAG;
}

/* Step 4, once all children of id are done: height, size, resolved id, and
 * the member layout of structs and unions. */
static int finish(struct btfv *b, uint32_t id, char *err, size_t errlen)
{
	const struct btf_type *t = b->types[id];
	int kind = kind_of(t);
	unsigned h = 0, k;
	uint32_t c;
	int64_t size = -1;

	for (k = 0; (c = child(b, id, k)) != 0; k++)
		if (b->height[c] > h)
			h = b->height[c];
	h++;
	if (h > BTFV_MAX_DEPTH)
		h = BTFV_MAX_DEPTH + 1;
	b->height[id] = h;
	if (h > BTFV_MAX_DEPTH) {
		/* Too deep to use; not an error in the blob as a whole. */
		b->sizes[id] = -1;
		b->resolved[id] = 0;
		return 0;
	}

	switch (kind) {
	case BTF_KIND_INT:
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
	case BTF_KIND_FLOAT:
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_DATASEC:
		size = t->size;
		break;
	case BTF_KIND_PTR:
		size = 8;       /* BPF is a 64-bit target */
		break;
	case BTF_KIND_VAR:
		size = b->sizes[t->type];
		break;
	case BTF_KIND_ARRAY: {
		const struct btf_array *a = (const void *)(t + 1);
		int64_t esz = b->sizes[a->type];

		if (esz < 0) {
			cap_seterr(err, errlen, "BTF type %u: array of a type without a size", id);
			return -1;
		}
		if (esz && a->nelems > BTFV_MAX_SIZE / esz) {
			cap_seterr(err, errlen, "BTF type %u: array of %u x %lld bytes is too large",
			     id, a->nelems, (long long)esz);
			return -1;
		}
		size = esz * a->nelems;
		break;
	}
	default:
		if (is_modifier(kind))
			size = t->type ? b->sizes[t->type] : -1;
		break;
	}
	if (size > BTFV_MAX_SIZE) {
		cap_seterr(err, errlen, "BTF type %u: size %lld is too large", id, (long long)size);
		return -1;
	}
	b->sizes[id] = size;
	b->resolved[id] = is_modifier(kind) ? (t->type ? b->resolved[t->type] : 0) : id;

	if (kind == BTF_KIND_STRUCT || kind == BTF_KIND_UNION) {
		const struct btf_member *m = (const void *)(t + 1);
		uint32_t vlen = BTF_INFO_VLEN(t->info), i, kflag = BTF_INFO_KFLAG(t->info);
		uint64_t sbits = (uint64_t)t->size * 8;

		for (i = 0; i < vlen; i++) {
			uint64_t off = kflag ? BTF_MEMBER_BIT_OFFSET(m[i].offset) : m[i].offset;
			uint64_t bf = kflag ? BTF_MEMBER_BITFIELD_SIZE(m[i].offset) : 0;
			int64_t msz = b->sizes[m[i].type];
			uint32_t r = b->resolved[m[i].type];
			const struct btf_type *rt = r ? b->types[r] : NULL;
			int rk = rt ? kind_of(rt) : 0;
			int intlike = rk == BTF_KIND_INT || rk == BTF_KIND_ENUM || rk == BTF_KIND_ENUM64;

			if (msz < 0 || !rt) {
				cap_seterr(err, errlen, "BTF type %u member %u: member type %u has no size",
				     id, i, m[i].type);
				return -1;
			}
			if (bf) {
				if (!intlike || bf > (uint64_t)msz * 8 || off + bf > sbits) {
					cap_seterr(err, errlen, "BTF type %u member %u: invalid bitfield", id, i);
					return -1;
				}
			} else if (rk == BTF_KIND_INT) {
				uint32_t meta = *(const uint32_t *)(rt + 1);

				if (off + BTF_INT_OFFSET(meta) + BTF_INT_BITS(meta) > sbits) {
					cap_seterr(err, errlen, "BTF type %u member %u: outside the struct", id, i);
					return -1;
				}
			} else {
				if (off % 8 && !intlike) {
					cap_seterr(err, errlen, "BTF type %u member %u: not byte aligned", id, i);
					return -1;
				}
				if (off + (uint64_t)msz * 8 > sbits) {
					cap_seterr(err, errlen, "BTF type %u member %u: outside the struct", id, i);
					return -1;
				}
			}
		}
	}
	return 0;
}

/* Step 4: iterative DFS (hostile chains can be 10^6 long: no recursion). */
static int walk(struct btfv *b, char *err, size_t errlen)
{
	struct frame { uint32_t id, k; } *stack;
	uint8_t *state;         /* 0 new, 1 on the stack, 2 done */
	uint32_t root;
	int ret = -1;

	stack = malloc(sizeof(*stack) * b->count);
	state = calloc(b->count, 1);
	if (!stack || !state) {
		cap_seterr(err, errlen, "BTF: out of memory");
		goto out;
	}
	state[0] = 2;
	b->sizes[0] = -1;
	b->resolved[0] = 0;
	for (root = 1; root < b->count; root++) {
		size_t sp = 0;

		if (state[root])
			continue;
		stack[sp++] = (struct frame){ root, 0 };
		state[root] = 1;
		while (sp) {
			struct frame *f = &stack[sp - 1];
			uint32_t c = child(b, f->id, f->k);

			if (c) {
				f->k++;
				if (state[c] == 2)
					continue;
				if (state[c] == 1) {
					cap_seterr(err, errlen, "BTF type %u: cycle through type %u", f->id, c);
					goto out;
				}
				state[c] = 1;
				stack[sp++] = (struct frame){ c, 0 };  /* sp < count: each id once */
				continue;
			}
			if (finish(b, f->id, err, errlen))
				goto out;
			state[f->id] = 2;
			sp--;
		}
	}
	ret = 0;
out:
	free(stack);
	free(state);
	return ret;
}

struct btfv *btfv__parse(const void *data, size_t len, char *err, size_t errlen)
{
	const uint8_t *p = data;
	struct btf_header h;
	struct btfv *b = NULL;
	uint64_t body, ts, te, ss, se, off;
	uint32_t n, id;

	if (err && errlen)
		err[0] = 0;
	if (!data || len < sizeof(h)) {
		cap_seterr(err, errlen, "BTF: %zu bytes, shorter than its header", len);
		return NULL;
	}
	memcpy(&h, p, sizeof(h));
	if (h.magic == __builtin_bswap16(BTF_MAGIC)) {
		cap_seterr(err, errlen, "BTF: big-endian BTF is not supported");
		return NULL;
	}
	if (h.magic != BTF_MAGIC) {
		cap_seterr(err, errlen, "BTF: bad magic 0x%04x", h.magic);
		return NULL;
	}
	if (h.version != BTF_VERSION) {
		cap_seterr(err, errlen, "BTF: unsupported version %u", h.version);
		return NULL;
	}
	if (h.hdr_len < sizeof(h) || h.hdr_len > len) {
		cap_seterr(err, errlen, "BTF: header length %u invalid for a %zu-byte blob", h.hdr_len, len);
		return NULL;
	}
	body = len - h.hdr_len;
	ts = h.type_off, te = ts + h.type_len;
	ss = h.str_off, se = ss + h.str_len;
	if (te > body || se > body) {
		cap_seterr(err, errlen, "BTF: sections (types %u+%u, strings %u+%u) outside the %llu-byte body",
		     h.type_off, h.type_len, h.str_off, h.str_len, (unsigned long long)body);
		return NULL;
	}
	if (ts % 4 || h.type_len % 4) {
		cap_seterr(err, errlen, "BTF: type section not 4-byte aligned");
		return NULL;
	}
	if (h.type_len && h.str_len && ts < se && ss < te) {
		cap_seterr(err, errlen, "BTF: type and string sections overlap");
		return NULL;
	}
	if (!h.str_len || p[h.hdr_len + ss] || p[h.hdr_len + se - 1] || h.str_len > BTF_MAX_NAME_OFFSET + 1) {
		cap_seterr(err, errlen, "BTF: string section must start and end with NUL (%u bytes)", h.str_len);
		return NULL;
	}

	b = calloc(1, sizeof(*b));
	if (!b)
		goto nomem;
	b->refs = 1;
	b->str_len = h.str_len;
	b->strs = malloc(h.str_len);
	b->tsec = malloc(h.type_len ? h.type_len : 1);
	if (!b->strs || !b->tsec)
		goto nomem;
	memcpy(b->strs, p + h.hdr_len + ss, h.str_len);
	memcpy(b->tsec, p + h.hdr_len + ts, h.type_len);

	/* Step 2: count the records, each whole inside the section. */
	for (off = 0, n = 1; off < h.type_len; n++) {
		const struct btf_type *t = (const void *)(b->tsec + off);
		int64_t extra;

		if (n > BTF_MAX_TYPE) {
			cap_seterr(err, errlen, "BTF: more than %u types", BTF_MAX_TYPE);
			goto err;
		}
		if (h.type_len - off < sizeof(*t)) {
			cap_seterr(err, errlen, "BTF type %u: truncated record", n);
			goto err;
		}
		extra = extra_len(t);
		if (extra < 0) {
			cap_seterr(err, errlen, "BTF type %u: unknown kind %u", n, kind_of(t));
			goto err;
		}
		if ((uint64_t)extra > h.type_len - off - sizeof(*t)) {
			cap_seterr(err, errlen, "BTF type %u: record runs past the type section", n);
			goto err;
		}
		off += sizeof(*t) + extra;
	}
	b->count = n;
	b->types = calloc(n, sizeof(*b->types));
	b->sizes = calloc(n, sizeof(*b->sizes));
	b->resolved = calloc(n, sizeof(*b->resolved));
	b->height = calloc(n, 1);
	if (!b->types || !b->sizes || !b->resolved || !b->height)
		goto nomem;
	for (off = 0, id = 1; id < n; id++) {
		b->types[id] = (const void *)(b->tsec + off);
		off += sizeof(struct btf_type) + extra_len(b->types[id]);
	}

	/* Step 3 and 4. */
	for (id = 1; id < n; id++)
		if (check_type(b, id, err, errlen))
			goto err;
	if (walk(b, err, errlen))
		goto err;
	return b;
nomem:
	cap_seterr(err, errlen, "BTF: out of memory");
err:
	btfv__free(b);
	errno = EINVAL;
	return NULL;
}

struct btfv *btfv__get(const struct btfv *cb)
{
	struct btfv *b = (struct btfv *)cb;

	if (b)
		__atomic_add_fetch(&b->refs, 1, __ATOMIC_RELAXED);
	return b;
}

void btfv__free(struct btfv *b)
{
	if (!b || __atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	free(b->strs);
	free(b->tsec);
	free(b->types);
	free(b->sizes);
	free(b->resolved);
	free(b->height);
	free(b);
}

uint32_t btfv__type_count(const struct btfv *b)
{
	return b ? b->count : 0;
}

const struct btf_type *btfv__type(const struct btfv *b, uint32_t id)
{
	if (!b || !id || id >= b->count)
		return NULL;
	return b->types[id];
}

const char *btfv__name(const struct btfv *b, uint32_t name_off)
{
	if (!b || name_off >= b->str_len)
		return "";
	return b->strs + name_off;
}

size_t btfv__type_len(const struct btf_type *t)
{
	int64_t extra = extra_len(t);

	return extra < 0 ? 0 : sizeof(*t) + (size_t)extra;
}

uint32_t btfv__resolve(const struct btfv *b, uint32_t id)
{
	if (!b || id >= b->count)
		return 0;
	return b->resolved[id];
}

int64_t btfv__size(const struct btfv *b, uint32_t id)
{
	if (!b || id >= b->count)
		return -1;
	return b->sizes[id];
}

int btfv__usable(const struct btfv *b, uint32_t id)
{
	return b && id && id < b->count && b->height[id] <= BTFV_MAX_DEPTH;
}

uint32_t btfv__find_struct(const struct btfv *b, const char *name)
{
	uint32_t id;

	if (!b || !name)
		return 0;
	for (id = 1; id < b->count; id++) {
		int k = kind_of(b->types[id]);

		if ((k == BTF_KIND_STRUCT || k == BTF_KIND_UNION) &&
		    !strcmp(b->strs + b->types[id]->name_off, name))
			return id;
	}
	return 0;
}

uint32_t btfv__find_var(const struct btfv *b, const char *name, uint32_t *type)
{
	uint32_t id;

	if (!b || !name)
		return 0;
	for (id = 1; id < b->count; id++) {
		if (kind_of(b->types[id]) == BTF_KIND_VAR &&
		    !strcmp(b->strs + b->types[id]->name_off, name)) {
			if (type)
				*type = b->types[id]->type;
			return id;
		}
	}
	return 0;
}

uint32_t btfv__next_decl_tag(const struct btfv *b, uint32_t after, const char *value)
{
	uint32_t id;

	if (!b)
		return 0;
	for (id = after + 1; id < b->count && id > after; id++) {
		if (kind_of(b->types[id]) == BTF_KIND_DECL_TAG &&
		    (!value || !strcmp(b->strs + b->types[id]->name_off, value)))
			return id;
	}
	return 0;
}
