/* test_rec_tplayout.c - recorder/tplayout.c without root: a tracepoint's
 * record layout, and its BTF decoded by bpfreplay's own decoder (evtype)
 * column by column from records built as bpf/tp.bpf.c builds them: the
 * capture needs nothing but that BTF. */
#include <bpf/btf.h>
#include <stdlib.h>
#include "testutil.h"
#include "fixtures/tpfix.h"
#include "btfv.h"
#include "evtype.h"
#include "tplayout.h"

/* The columns of type id in btf, "name=value ..." for rec. */
static void decode(struct btf *btf, int id, const void *rec, uint32_t len, char *out, size_t outlen)
{
	uint32_t raw_len;
	const void *raw = btf__raw_data(btf, &raw_len);
	char err[256], val[4096];
	struct btfv *b = btfv__parse(raw, raw_len, err, sizeof(err));
	struct evtype *t;
	size_t i, n = 0;

	if (!b) {
		fprintf(stderr, "btfv: %s\n", err);
		exit(1);
	}
	t = evtype__new(b, (uint32_t)id, err, sizeof(err));
	if (!t) {
		fprintf(stderr, "evtype: %s\n", err);
		exit(1);
	}
	CHECK_EQ_INT(evtype__size(t), len);
	out[0] = 0;
	for (i = 0; i < evtype__ncols(t); i++) {
		CHECK(evtype__format(t, i, rec, len, val, sizeof(val)) >= 0);
		/* NAME*=: an address (a pointer), which show prints in hex */
		n += snprintf(out + n, outlen - n, "%s%s%s=%s", i ? " " : "", evtype__col(t, i)->name,
			      evtype__col(t, i)->addr ? "*" : "", val);
	}
	evtype__free(t);
	btfv__free(b);
}

static void put(uint8_t *rec, uint32_t off, const void *v, size_t n)
{
	memcpy(rec + TPLAYOUT_RAW_OFFSET + off, v, n);
}

int main(void)
{
	struct btf *btf = btf__new_empty();
	struct tpformat *f;
	struct tplayout *l;
	struct tp_conf c;
	uint8_t rec[TP_MAX_REC];
	char err[512], cols[8192];
	int id;

	CHECK(btf != NULL);

	/* A __data_loc string: a slot after the fixed part, text. */
	f = tpfix_load("sched", "sched_process_exec");
	l = tplayout__new(f, 64, err, sizeof(err));
	CHECK(l != NULL);
	CHECK_EQ_INT(tplayout__rec_size(l), 32 + 64);
	memset(&c, 0, sizeof(c));
	tplayout__conf(l, &c);
	CHECK_EQ_INT(c.id, 365);
	CHECK_EQ_INT(c.fixed_size, 20);
	CHECK_EQ_INT(c.rec_size, 96);
	CHECK_EQ_INT(c.nlocs, 1);
	CHECK_EQ_INT(c.locs[0].field_off, 8);
	CHECK_EQ_INT(c.locs[0].dst_off, 32);
	CHECK_EQ_INT(c.locs[0].dst_max, 64);
	CHECK_EQ_INT(c.locs[0].flags, 0);
	id = tplayout__add_btf(l, btf, "sched:sched_process_exec");
	CHECK(id > 0);
	memset(rec, 0, sizeof(rec));
	*(uint64_t *)rec = 123456789;
	put(rec, 0, &(uint16_t){ 365 }, 2);
	put(rec, 2, &(uint8_t){ 1 }, 1);
	put(rec, 4, &(int32_t){ 4242 }, 4);
	put(rec, 8, &(uint32_t){ (10u << 16) | 20 }, 4);   /* as the kernel left it */
	put(rec, 12, &(int32_t){ 4242 }, 4);
	put(rec, 16, &(int32_t){ -1 }, 4);
	memcpy(rec + 32, "/bin/true", 10);
	decode(btf, id, rec, c.rec_size, cols, sizeof(cols));
	CHECK_STR(cols, "common_type=365 common_pid=4242 "
			"filename=/bin/true pid=4242 old_pid=-1");
	tplayout__free(l);

	/* -g: the stack slot after the strings, its ids typed as bpfrec.h's. */
	l = tplayout__new(f, 64, err, sizeof(err));
	CHECK(l != NULL);
	CHECK_EQ_INT(tplayout__add_stacks(l, err, sizeof(err)), 0);
	CHECK_EQ_INT(tplayout__add_stacks(l, err, sizeof(err)), 0);   /* once */
	CHECK_EQ_INT(tplayout__rec_size(l), 96 + 16);
	memset(&c, 0, sizeof(c));
	tplayout__conf(l, &c);
	CHECK_EQ_INT(c.stack_off, 96);
	CHECK_EQ_INT(c.rec_size, 112);
	id = tplayout__add_btf(l, btf, "sched:sched_process_exec_g");
	CHECK(id > 0);
	memcpy(rec + 96, &(uint32_t){ 4242 }, 4);
	memcpy(rec + 100, &(int32_t){ 7 }, 4);
	memcpy(rec + 104, &(int32_t){ -14 }, 4);
	decode(btf, id, rec, c.rec_size, cols, sizeof(cols));
	CHECK_STR(cols, "common_type=365 common_pid=4242 "
			"filename=/bin/true pid=4242 old_pid=-1 tgid=4242 ustack_id=7 kstack_id=-14");
	{
		const struct btf_type *t = btf__type_by_id(btf, (uint32_t)id);
		const struct btf_member *m = btf_members(t) + btf_vlen(t) - 2;
		const struct btf_type *td = btf__type_by_id(btf, m->type);

		CHECK(btf_is_typedef(td));
		CHECK_STR(btf__name_by_offset(btf, td->name_off), "bpfrec_ustack_id");
	}
	tplayout__free(l);
	tpformat__free(f);

	/* Fixed char arrays as text, a signed long. */
	f = tpfix_load("sched", "sched_switch");
	l = tplayout__new(f, 256, err, sizeof(err));
	CHECK(l != NULL);
	CHECK_EQ_INT(tplayout__rec_size(l), 72);
	id = tplayout__add_btf(l, btf, "sched:sched_switch");
	CHECK(id > 0);
	memset(rec, 0, sizeof(rec));
	put(rec, 0, &(uint16_t){ 372 }, 2);
	put(rec, 8, "ping", 5);
	put(rec, 24, &(int32_t){ 100 }, 4);
	put(rec, 28, &(int32_t){ 120 }, 4);
	put(rec, 32, &(int64_t){ 1 }, 8);
	put(rec, 40, "pong", 5);
	put(rec, 56, &(int32_t){ 101 }, 4);
	put(rec, 60, &(int32_t){ 120 }, 4);
	decode(btf, id, rec, 72, cols, sizeof(cols));
	CHECK_STR(cols, "common_type=372 common_pid=0 "
			"prev_comm=ping prev_pid=100 prev_prio=120 prev_state=1 next_comm=pong "
			"next_pid=101 next_prio=120");
	tplayout__free(l);
	tpformat__free(f);

	/* A dynamic array: its element count over the loc word, the elements
	 * in the slot (8-byte unsigned longs); pointers as BTF pointers. */
	f = tpfix_load("ipi", "ipi_send_cpumask");
	l = tplayout__new(f, 20, err, sizeof(err));   /* 20 bytes: two whole elements */
	CHECK(l != NULL);
	memset(&c, 0, sizeof(c));
	tplayout__conf(l, &c);
	CHECK_EQ_INT(c.locs[0].dst_max, 16);
	CHECK_EQ_INT(c.locs[0].elem_shift, 3);
	CHECK_EQ_INT(c.locs[0].flags, 1);
	CHECK_EQ_INT(c.locs[0].dst_off, 40);
	CHECK_EQ_INT(c.rec_size, 56);
	id = tplayout__add_btf(l, btf, "ipi:ipi_send_cpumask");
	CHECK(id > 0);
	memset(rec, 0, sizeof(rec));
	put(rec, 8, &(uint32_t){ 1 }, 4);
	put(rec, 16, &(uint64_t){ 0xffffffff81000000ull }, 8);
	*(uint64_t *)(rec + 40) = 3;
	decode(btf, id, rec, c.rec_size, cols, sizeof(cols));
	CHECK_STR(cols, "common_type=0 common_pid=0 "
			"cpumask_len=1 cpumask=[3,0] callsite*=18446744071578845184 callback*=0");
	tplayout__free(l);
	tpformat__free(f);

	/* __rel_loc, an array bound that is an expression, a struct by value */
	f = tpfix_load("fake", "rel_loc");
	l = tplayout__new(f, 8, err, sizeof(err));
	CHECK(l != NULL);
	memset(&c, 0, sizeof(c));
	tplayout__conf(l, &c);
	CHECK_EQ_INT(c.locs[0].flags, 3);
	CHECK_EQ_INT(c.locs[0].elem_shift, 2);
	id = tplayout__add_btf(l, btf, "fake:rel_loc");
	CHECK(id > 0);
	memset(rec, 0, sizeof(rec));
	put(rec, 8, "\x01\x02", 2);
	put(rec, 60, &(uint32_t){ 2 }, 4);
	*(uint32_t *)(rec + c.locs[0].dst_off) = 7;
	*(uint32_t *)(rec + c.locs[0].dst_off + 4) = 9;
	decode(btf, id, rec, c.rec_size, cols, sizeof(cols));
	/* byte arrays decode as the hex of their bytes */
	CHECK_STR(cols, "common_type=0 common_pid=0 "
			"saddr=01020000000000000000000000000000000000000000000000000000 ptr*=0 "
			"value=000000000000000000000000 vals_len=2 vals=[7,9]");
	tplayout__free(l);
	tpformat__free(f);

	/* Fields the format declares uid_t / gid_t: their integers behind a
	 * typedef of that name (one per name and size), which bpfreplay shows
	 * with the recording host's names; a plain __u32 "group" (ext4's block
	 * group) is not one. */
	f = tpformat__parse("name: ids\nID: 1\nformat:\n"
			    "\tfield:uid_t user;\toffset:0;\tsize:8;\tsigned:0;\n"
			    "\tfield:gid_t group;\toffset:8;\tsize:8;\tsigned:0;\n"
			    "\tfield:uid_t uid;\toffset:16;\tsize:4;\tsigned:0;\n"
			    "\tfield:__u32 grp;\toffset:20;\tsize:4;\tsigned:0;\n"
			    "\tfield:uid_t euid;\toffset:24;\tsize:8;\tsigned:0;\n", "fake", "ids", err,
			    sizeof(err));
	CHECK(f != NULL);
	l = tplayout__new(f, 8, err, sizeof(err));
	CHECK(l != NULL);
	id = tplayout__add_btf(l, btf, "fake:ids");
	CHECK(id > 0);
	{
		uint32_t raw_len;
		const void *raw = btf__raw_data(btf, &raw_len);
		struct btfv *b = btfv__parse(raw, raw_len, err, sizeof(err));
		struct evtype *t = b ? evtype__new(b, (uint32_t)id, err, sizeof(err)) : NULL;
		static const struct { const char *name; int kind; } want[] = {
			{ "user", EVCOL_ID_UID }, { "group", EVCOL_ID_GID }, { "uid", EVCOL_ID_UID },
			{ "grp", 0 }, { "euid", EVCOL_ID_UID },
		};
		size_t found = 0;

		CHECK(t != NULL);
		for (size_t i = 0; i < evtype__ncols(t); i++)
			for (size_t w = 0; w < sizeof(want) / sizeof(want[0]); w++)
				if (!strcmp(evtype__col(t, i)->name, want[w].name)) {
					CHECK_EQ_INT(evtype__col(t, i)->id_kind, want[w].kind);
					found++;
				}
		CHECK_EQ_INT(found, 5);
		/* user and euid (8 bytes) share one typedef, uid (4 bytes) has its own */
		const struct btf_type *st = btf__type_by_id(btf, (uint32_t)id);
		const struct btf_member *m = btf_members(st);
		int user_t = -1, uid_t4 = -1, euid_t = -1;
		for (uint16_t k = 0; k < btf_vlen(st); k++) {
			const char *mn = btf__name_by_offset(btf, m[k].name_off);
			if (!strcmp(mn, "user"))
				user_t = (int)m[k].type;
			else if (!strcmp(mn, "uid"))
				uid_t4 = (int)m[k].type;
			else if (!strcmp(mn, "euid"))
				euid_t = (int)m[k].type;
		}
		CHECK(user_t > 0 && user_t == euid_t && uid_t4 != user_t);
		evtype__free(t);
		btfv__free(b);
	}
	tplayout__free(l);
	tpformat__free(f);

	/* Too large: refused with the reason. */
	f = tpformat__parse("name: big\nID: 1\nformat:\n"
			    "\tfield:char a[5000];\toffset:0;\tsize:5000;\tsigned:0;\n", "s", "big", err,
			    sizeof(err));
	CHECK(f != NULL);
	CHECK(tplayout__new(f, 256, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "s:big: its record's fixed part is 5000 bytes") != NULL);
	tpformat__free(f);
	f = tpformat__parse("name: locs\nID: 1\nformat:\n"
			    "\tfield:__data_loc char[] a;\toffset:0;\tsize:4;\tsigned:0;\n"
			    "\tfield:__data_loc char[] b;\toffset:4;\tsize:4;\tsigned:0;\n"
			    "\tfield:__data_loc char[] c;\toffset:8;\tsize:4;\tsigned:0;\n",
			    "s", "locs", err, sizeof(err));
	CHECK(f != NULL);
	CHECK(tplayout__new(f, 4096, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "--string-size") != NULL);
	tpformat__free(f);
	btf__free(btf);
	puts("test_rec_tplayout: ok");
	return 0;
}
