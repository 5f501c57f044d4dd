/* test_rowlacks - what a row does not have (replay/rowlacks.h), the rule
 * show leaves columns out by and export writes NULL by: a socket address's
 * columns of another family, an address not recorded (inet, inet6), a
 * unix path on an inet row; nothing lacking in a stream with no socket
 * address; and hostile records: too short for the family or for a column,
 * read within their length (a column not within it is not known to be
 * empty: never lacking). */
#include "testutil.h"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"   /* the helpers this test does not use */
#include "fixtures/btfgen.h"
#pragma GCC diagnostic pop

#include <sys/stat.h>

#include "evtype.h"
#include "rowlacks.h"

#define LDEFINE(...) __VA_ARGS__ static const char ltypes_src[] = #__VA_ARGS__;
LDEFINE(
typedef unsigned int __u32; typedef unsigned short __u16; typedef unsigned char __u8;
typedef __u8 bpfrec_ipaddr[16];
struct sev { __u32 pid; __u16 family; __u16 port; bpfrec_ipaddr addr; char path[8]; };
struct plain { __u32 pid; __u16 port; __u16 pad2; bpfrec_ipaddr addr; };
struct sev g_sev; struct plain g_plain;
)

enum { PID, FAMILY, PORT, ADDR, PATH };

struct fix {
	struct btfv *b;
	struct evtype *et;
	struct capview_stream s;
	struct rowlacks *rl;
};

static void fix_open(struct fix *f, struct btfv *b, const char *type)
{
	char err[256];

	memset(f, 0, sizeof(*f));
	f->b = b;
	f->et = evtype__new(b, btfv__find_struct(b, type), err, sizeof(err));
	CHECK(f->et != NULL);
	f->s.et = f->et;
	f->s.ncols = evtype__ncols(f->et);
	f->s.cols = calloc(f->s.ncols + 1, sizeof(*f->s.cols));
	CHECK(f->s.cols != NULL);
	for (size_t i = 0; i < f->s.ncols; i++)
		f->s.cols[i] = (char *)evtype__col(f->et, i)->name;
	f->rl = rowlacks__new(b, &f->s);
	CHECK(f->rl != NULL);
}

static void fix_close(struct fix *f)
{
	rowlacks__free(f->rl);
	evtype__free(f->et);
	free(f->s.cols);
}

/* Which of the columns rec's first len bytes lack, as bits by column. */
static unsigned lacks(struct fix *f, const struct sev *e, uint32_t len)
{
	/* the record in a buffer of its own length: ASan sees an overread */
	uint8_t *copy = malloc(len ? len : 1);
	unsigned bits = 0;

	CHECK(copy != NULL);
	memcpy(copy, e, len);
	struct cap_rec rec = { .data = copy, .len = len };
	rowlacks__row(f->rl, &rec);
	for (size_t k = 0; k < f->s.ncols + 2; k++)
		if (rowlacks__col(f->rl, &rec, k))
			bits |= 1u << k;
	free(copy);
	return bits;
}

#define BIT(k) (1u << (k))

int main(void)
{
	const char *tmp = test_tmpdir("rowlacks");
	char dir[4096];
	size_t blen;
	uint8_t *raw;
	char err[256];
	struct fix f;

	snprintf(dir, sizeof(dir), "%s/btf", tmp);
	CHECK(mkdir(dir, 0755) == 0);
	raw = btfgen_compile(dir, ltypes_src, &blen);
	struct btfv *b = btfv__parse(raw, blen, err, sizeof(err));
	CHECK(b != NULL);
	free(raw);

	fix_open(&f, b, "sev");
	CHECK_EQ_INT(f.s.ncols, 5);
	CHECK(!rowlacks__may(f.rl, PID) && !rowlacks__may(f.rl, FAMILY));
	CHECK(rowlacks__may(f.rl, PORT) && rowlacks__may(f.rl, ADDR) && rowlacks__may(f.rl, PATH));
	CHECK(!rowlacks__may(f.rl, 5) && !rowlacks__may(f.rl, 1000));

	struct sev e = { .pid = 7, .family = 2 };
	/* an inet socket's create: no address yet, and no unix path */
	CHECK_EQ_INT(lacks(&f, &e, sizeof(e)), BIT(PORT) | BIT(ADDR) | BIT(PATH));
	/* a connect to 10.1.2.3:80 (v4-mapped) */
	e.port = 80;
	e.addr[10] = e.addr[11] = 0xff;
	e.addr[12] = 10, e.addr[13] = 1, e.addr[14] = 2, e.addr[15] = 3;
	CHECK_EQ_INT(lacks(&f, &e, sizeof(e)), BIT(PATH));
	/* AF_INET with the port only: its all-zero address is none */
	memset(e.addr, 0, sizeof(e.addr));
	CHECK_EQ_INT(lacks(&f, &e, sizeof(e)), BIT(ADDR) | BIT(PATH));
	/* AF_INET6 [::]:443: "::" is an address there; without a port neither */
	e.family = 10, e.port = 443;
	CHECK_EQ_INT(lacks(&f, &e, sizeof(e)), BIT(PATH));
	e.port = 0;
	CHECK_EQ_INT(lacks(&f, &e, sizeof(e)), BIT(PORT) | BIT(ADDR) | BIT(PATH));
	/* AF_UNIX: its path, not the inet columns; AF_UNSPEC: nothing of either */
	e.family = 1;
	memcpy(e.path, "/s", 3);
	CHECK_EQ_INT(lacks(&f, &e, sizeof(e)), BIT(PORT) | BIT(ADDR));
	e.family = 0;
	CHECK_EQ_INT(lacks(&f, &e, sizeof(e)), BIT(PORT) | BIT(ADDR));
	memset(e.path, 0, sizeof(e.path));
	CHECK_EQ_INT(lacks(&f, &e, sizeof(e)), BIT(PORT) | BIT(ADDR) | BIT(PATH));

	/* Hostile lengths: the family cut (no family: nothing known to be
	 * lacking), a column cut (not known to be empty), nothing at all. */
	e = (struct sev){ .pid = 7, .family = 2 };
	for (uint32_t len = 0; len <= 6; len++)
		CHECK_EQ_INT(lacks(&f, &e, len), 0);
	CHECK_EQ_INT(lacks(&f, &e, 7), 0);          /* family half there */
	CHECK_EQ_INT(lacks(&f, &e, 8), 0);          /* port cut: not known zero */
	CHECK_EQ_INT(lacks(&f, &e, 10), 0);         /* addr cut: port not known lacking */
	CHECK_EQ_INT(lacks(&f, &e, 26), BIT(PORT) | BIT(ADDR));    /* path cut */
	CHECK_EQ_INT(lacks(&f, &e, sizeof(e)), BIT(PORT) | BIT(ADDR) | BIT(PATH));
	fix_close(&f);

	/* No family column: no socket address, nothing ever lacking. */
	fix_open(&f, b, "plain");
	for (size_t k = 0; k < f.s.ncols + 1; k++)
		CHECK(!rowlacks__may(f.rl, k));
	struct sev zero = { 0 };
	CHECK_EQ_INT(lacks(&f, &zero, 24), 0);
	fix_close(&f);

	btfv__free(b);
	rowlacks__free(NULL);
	puts("test_rowlacks: ok");
	return 0;
}
