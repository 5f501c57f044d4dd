#include "perfmap.h"

#include <string.h>

/* A hex number at *p (an optional 0x, 1 to 16 digits) and the blanks
 * after it: 0 and *v, *p past them; -1 if none, or if no blank follows. */
static int hex_field(const char **p, uint64_t *v)
{
	const char *s = *p;
	int nd = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (*v = 0;; s++, nd++) {
		int d = *s >= '0' && *s <= '9' ? *s - '0' :
			*s >= 'a' && *s <= 'f' ? *s - 'a' + 10 :
			*s >= 'A' && *s <= 'F' ? *s - 'A' + 10 : -1;

		if (d < 0)
			break;
		if (nd == 16)
			return -1;   /* past 64 bits */
		*v = *v << 4 | (uint64_t)d;
	}
	if (!nd || (*s != ' ' && *s != '\t'))
		return -1;
	while (*s == ' ' || *s == '\t')
		s++;
	*p = s;
	return 0;
}

int perfmap__next(FILE *f, char *buf, struct perfmap_entry *e, int *ended)
{
	size_t len = 0;
	int c, over = 0, nul = 0;
	const char *p = buf;

	e->name = NULL;
	*ended = 0;
	/* byte by byte: a NUL is seen as one, and a long line is read to its
	 * end without being kept */
	while ((c = getc_unlocked(f)) != EOF) {
		if (c == '\n') {
			*ended = 1;
			break;
		}
		if (len + 1 >= PERFMAP_LINE_MAX) {   /* room for the NUL */
			over = 1;
			continue;
		}
		nul |= !c;
		buf[len++] = (char)c;
	}
	buf[len] = 0;
	if (!len && !*ended && !over)
		return 0;
	if (over || nul || hex_field(&p, &e->start) || hex_field(&p, &e->size) || !*p ||
	    !e->size || e->start + e->size < e->start)
		return 1;
	e->name = p;
	return 1;
}
