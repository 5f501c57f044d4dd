/* names.c - see names.h.  errno and signal names come from the C library
 * (strerrorname_np, sigabbrev_np: glibc 2.32); families, socket types and
 * protocols from the system headers' own constants. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "names.h"
#include "evtype.h"
#include "idnames.h"

#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

struct num_name {
	int64_t n;
	const char *name;
};

#define NN(x) { x, #x }
static const struct num_name afs[] = {
	NN(AF_UNSPEC), NN(AF_UNIX), NN(AF_INET), NN(AF_AX25), NN(AF_IPX), NN(AF_APPLETALK),
	NN(AF_NETROM), NN(AF_BRIDGE), NN(AF_ATMPVC), NN(AF_X25), NN(AF_INET6), NN(AF_ROSE),
	NN(AF_DECnet), NN(AF_NETBEUI), NN(AF_SECURITY), NN(AF_KEY), NN(AF_NETLINK),
	NN(AF_PACKET), NN(AF_ASH), NN(AF_ECONET), NN(AF_ATMSVC), NN(AF_RDS), NN(AF_SNA),
	NN(AF_IRDA), NN(AF_PPPOX), NN(AF_WANPIPE), NN(AF_LLC), NN(AF_IB), NN(AF_MPLS),
	NN(AF_CAN), NN(AF_TIPC), NN(AF_BLUETOOTH), NN(AF_IUCV), NN(AF_RXRPC), NN(AF_ISDN),
	NN(AF_PHONET), NN(AF_IEEE802154), NN(AF_CAIF), NN(AF_ALG), NN(AF_NFC), NN(AF_VSOCK),
	NN(AF_KCM), NN(AF_QIPCRTR), NN(AF_SMC), NN(AF_XDP), { 0, NULL },
};
static const struct num_name protos[] = {
	{ IPPROTO_IP, "IPPROTO_IP" }, NN(IPPROTO_ICMP), NN(IPPROTO_IGMP), NN(IPPROTO_IPIP),
	NN(IPPROTO_TCP), NN(IPPROTO_EGP), NN(IPPROTO_PUP), NN(IPPROTO_UDP), NN(IPPROTO_IDP),
	NN(IPPROTO_TP), NN(IPPROTO_DCCP), NN(IPPROTO_IPV6), NN(IPPROTO_RSVP), NN(IPPROTO_GRE),
	NN(IPPROTO_ESP), NN(IPPROTO_AH), NN(IPPROTO_ICMPV6), NN(IPPROTO_MTP), NN(IPPROTO_BEETPH),
	NN(IPPROTO_ENCAP), NN(IPPROTO_PIM), NN(IPPROTO_COMP), NN(IPPROTO_SCTP),
	NN(IPPROTO_UDPLITE), NN(IPPROTO_MPLS), NN(IPPROTO_ETHERNET), NN(IPPROTO_RAW),
	NN(IPPROTO_MPTCP), { 0, NULL },
};
static const struct num_name socktypes[] = {
	NN(SOCK_STREAM), NN(SOCK_DGRAM), NN(SOCK_RAW), NN(SOCK_RDM), NN(SOCK_SEQPACKET),
	NN(SOCK_DCCP), NN(SOCK_PACKET), { 0, NULL },
};
#undef NN

static const char *lookup(const struct num_name *t, int64_t n)
{
	for (; t->name; t++)
		if (t->n == n)
			return t->name;
	return NULL;
}

const char *names__errno(int64_t n)
{
	return n > 0 && n < 4096 ? strerrorname_np((int)n) : NULL;
}

const char *names__signal(int64_t n)
{
	static char names[65][16];
	const char *abbrev;

	if (n <= 0 || n > 64)
		return NULL;
	if (names[n][0])
		return names[n];
	if (n >= SIGRTMIN && n <= SIGRTMAX)
		snprintf(names[n], sizeof(names[n]), n == SIGRTMIN ? "SIGRTMIN" : "SIGRTMIN+%d",
			 (int)n - SIGRTMIN);
	else if ((abbrev = sigabbrev_np((int)n)))
		snprintf(names[n], sizeof(names[n]), "SIG%s", abbrev);
	else
		return NULL;
	return names[n];
}

const char *names__af(int64_t n)
{
	return lookup(afs, n);
}

const char *names__proto(int64_t n)
{
	return lookup(protos, n);
}

const char *names__socktype(int64_t n, char *buf, size_t len)
{
	const char *base = lookup(socktypes, n & 0xf);

	if (!base || (n & ~(int64_t)(0xf | SOCK_NONBLOCK | SOCK_CLOEXEC)))
		return NULL;
	snprintf(buf, len, "%s%s%s", base, n & SOCK_NONBLOCK ? "|SOCK_NONBLOCK" : "",
		 n & SOCK_CLOEXEC ? "|SOCK_CLOEXEC" : "");
	return buf;
}

/* name is suffix, or ends in "_" suffix. */
static int named(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	if (!strcasecmp(name, suffix))
		return 1;
	return n > s && name[n - s - 1] == '_' && !strcasecmp(name + n - s, suffix);
}

/* A socket address's struct: some column names its family. */
static int has_family(const char *const *cols, size_t ncols)
{
	for (size_t i = 0; i < ncols; i++)
		if (named(cols[i], "family"))
			return 1;
	return 0;
}

enum name_hint names__hint(const char *col, int is_int, const char *const *cols, size_t ncols)
{
	static const char *const errs[] = { "ret", "err", "error", "errno", "retval", NULL };
	int sock;

	if (!strncmp(col, "__pad", 5) || strstr(col, "___pad"))
		return NAME_HIDDEN;
	if (!is_int)
		return NAME_NONE;
	for (int i = 0; errs[i]; i++)
		if (!strcasecmp(col, errs[i]))
			return NAME_ERRNO;
	if (named(col, "family") || !strcasecmp(col, "af"))
		return NAME_AF;
	if (!strcasecmp(col, "sig") || !strcasecmp(col, "signo") || named(col, "signal"))
		return NAME_SIGNAL;
	sock = has_family(cols, ncols);
	if (sock && (!strcasecmp(col, "type") || named(col, "sock_type")))
		return NAME_SOCKTYPE;
	if (sock && (!strcasecmp(col, "protocol") || !strcasecmp(col, "proto")))
		return NAME_PROTO;
	return NAME_NONE;
}

enum name_scope names__scope(const char *col, const char *const *cols, size_t ncols)
{
	if (!has_family(cols, ncols))
		return SCOPE_ANY;
	if (named(col, "port") || named(col, "addr"))
		return SCOPE_INET;
	if (!strcasecmp(col, "path") || !strcasecmp(col, "sun_path"))
		return SCOPE_UNIX;
	return SCOPE_ANY;
}

enum name_hint names__id_hint(const char *col, int is_unsigned, int id_kind)
{
	static const char *const uids[] = { "uid", "euid", "ruid", "suid", "fsuid", NULL };
	static const char *const gids[] = { "gid", "egid", "rgid", "sgid", "fsgid", NULL };

	if (id_kind == EVCOL_ID_UID)
		return NAME_UID;
	if (id_kind == EVCOL_ID_GID)
		return NAME_GID;
	if (!is_unsigned)
		return NAME_NONE;   /* iommu's "int gid" is a group of devices */
	for (int i = 0; uids[i]; i++)
		if (!strcasecmp(col, uids[i]))
			return NAME_UID;
	for (int i = 0; gids[i]; i++)
		if (!strcasecmp(col, gids[i]))
			return NAME_GID;
	if (named(col, "uid"))
		return NAME_UID;
	if (named(col, "gid"))
		return NAME_GID;
	return NAME_NONE;
}

/* An integer pval's value as int64 (1), or 0 for anything else. */
static int pval_int(const struct pval *v, int64_t *n)
{
	if (v->kind == PV_INT)
		*n = v->i;
	else if (v->kind == PV_UINT && v->u <= INT64_MAX)
		*n = (int64_t)v->u;
	else
		return 0;
	return 1;
}

int names__apply_id(const struct idnames *ids, enum name_hint h, struct pval *v,
		    int with_number, char *buf, size_t len)
{
	const char *name;
	int64_t n;

	if (!pval_int(v, &n))
		return 0;
	if (h != NAME_UID && h != NAME_GID)
		return 0;
	name = idnames__name(ids, h == NAME_UID ? IDNAMES_USER : IDNAMES_GROUP, n);
	if (!name)
		return 0;
	if (with_number)
		snprintf(buf, len, "%lld(%s)", (long long)n, name);
	else
		snprintf(buf, len, "%s", name);
	v->kind = PV_TEXT;
	v->s = buf;
	v->len = strlen(buf);
	return 1;
}

int names__apply(enum name_hint h, struct pval *v, int with_number, char *buf, size_t len)
{
	const char *name = NULL;
	int64_t n;

	if (!pval_int(v, &n))
		return 0;
	switch (h) {
	case NAME_ERRNO:
		name = n < 0 ? names__errno(-n) : NULL;
		break;
	case NAME_AF: name = names__af(n); break;
	case NAME_SOCKTYPE: name = names__socktype(n, buf, len); break;
	case NAME_PROTO: name = names__proto(n); break;
	case NAME_SIGNAL: name = n ? names__signal(n) : NULL; break;
	default: break;
	}
	if (!name)
		return 0;
	if (h == NAME_ERRNO && with_number)
		snprintf(buf, len, "%lld %s", (long long)n, name);
	else if (name != buf)
		snprintf(buf, len, "%s", name);
	v->kind = PV_TEXT;
	v->s = buf;
	v->len = strlen(buf);
	return 1;
}

static void name_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *(*fn)(int64_t) = (const char *(*)(int64_t))sqlite3_user_data(ctx);
	const char *name;
	int64_t n;

	(void)argc;
	if (sqlite3_value_numeric_type(argv[0]) != SQLITE_INTEGER)
		return;   /* NULL */
	n = sqlite3_value_int64(argv[0]);
	if (fn == names__errno && n < 0 && n != INT64_MIN)
		n = -n;
	name = fn(n);
	if (name)
		sqlite3_result_text(ctx, name, -1, SQLITE_TRANSIENT);
}

int names__register_sql(sqlite3 *db)
{
	static const struct { const char *sql; const char *(*fn)(int64_t); } fns[] = {
		{ "errno_name", names__errno }, { "signal_name", names__signal },
		{ "af_name", names__af },
	};
	int rc = SQLITE_OK;

	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]) && rc == SQLITE_OK; i++)
		rc = sqlite3_create_function_v2(db, fns[i].sql, 1,
						SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
						(void *)fns[i].fn, name_fn, NULL, NULL, NULL);
	return rc;
}
