/* usernames.c - see usernames.h.
 *
 * Through NSS (getpwent/getgrent), not a parse of /etc/passwd and
 * /etc/group: the names the recording host's own tools (ls -l, ps) print
 * come from every source nsswitch.conf names (files, LDAP, sssd,
 * systemd's dynamic users), and those are the names the capture's reader
 * should see.  An enumeration of a large directory can be long and large,
 * so each read stops at CAP_ID_NAMES_MAX entries a database (about 3 MiB of
 * index at most) and says so in meta (users_truncated / groups_truncated):
 * the ids past it print as numbers.  (sssd does not enumerate by default:
 * there only local users come back, and the same is true of their names in
 * ls.)  Not only the ids seen in events: the recorder does not decode
 * events, and names are small. */
#include "usernames.h"
#include "util.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

struct names_read {
	struct cap_id_name *v;
	size_t n, cap;
	size_t limit;              /* CAP_ID_NAMES_MAX, or a test's */
	int truncated;             /* stopped at the limit */
};

static int take(struct names_read *r, uint32_t id, const char *name)
{
	char *copy;

	if (r->n >= r->limit) {
		r->truncated = 1;
		return 0;
	}
	if (!name || !*name || strlen(name) > CAP_ID_NAME_MAX || id == UINT32_MAX)
		return 0;   /* nothing a reader would print (capw.h) */
	if (r->n == r->cap) {
		size_t ncap = r->cap ? 2 * r->cap : 64;
		struct cap_id_name *nv = realloc(r->v, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		r->v = nv;
		r->cap = ncap;
	}
	if (!(copy = strdup(name)))
		return -ENOMEM;
	r->v[r->n].id = id;
	r->v[r->n++].name = copy;
	return 0;
}

static void names_read__free(struct names_read *r)
{
	for (size_t i = 0; i < r->n; i++)
		free((char *)r->v[i].name);
	free(r->v);
	memset(r, 0, sizeof(*r));
}

/* One database, enumerated to its end or to the limit. */
static int read_users(struct names_read *r)
{
	struct passwd *pw;
	int err = 0;

	setpwent();
	while (!err && !r->truncated && (pw = getpwent()))
		err = take(r, (uint32_t)pw->pw_uid, pw->pw_name);
	endpwent();
	return err;
}

static int read_groups(struct names_read *r)
{
	struct group *gr;
	int err = 0;

	setgrent();
	while (!err && !r->truncated && (gr = getgrent()))
		err = take(r, (uint32_t)gr->gr_gid, gr->gr_name);
	endgrent();
	return err;
}

int usernames__record(struct capw *cap)
{
	return usernames__record_at_most(cap, CAP_ID_NAMES_MAX);
}

int usernames__record_at_most(struct capw *cap, size_t limit)
{
	struct names_read users = { .limit = limit }, groups = { .limit = limit };
	int err;

	if ((err = read_users(&users)) || (err = read_groups(&groups)))
		goto out;
	if ((err = capw__add_id_names(cap, 0, users.v, users.n, users.truncated)) ||
	    (err = capw__add_id_names(cap, 1, groups.v, groups.n, groups.truncated)))
		goto out;
	static int said;
	if ((users.truncated || groups.truncated) && !said++)
		info_msg("this host has more than %zu %s: the capture names the first %zu, the "
			 "others print as numbers", limit,
			 users.truncated && groups.truncated ? "users and groups" :
			 users.truncated ? "users" : "groups", limit);
out:
	if (err == -ENOMEM)
		warn_msg("user and group names: out of memory");
	names_read__free(&users);
	names_read__free(&groups);
	return err == -ENOMEM ? 0 : err;
}
