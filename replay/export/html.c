/* html.c - `bpfreplay report` (and --format html): one self-contained HTML
 * page about a capture, for a person to open in any browser and to send.
 *
 * The page is three parts: the figures as one JSON object (rstats.h), and
 * the script and style that draw them (report.js, report.css, inlined at
 * build time by embed.cmake).  Nothing is loaded from anywhere: the
 * Content-Security-Policy allows no network at all, and only the page's own
 * script (by its SHA-256), so that even markup that slipped through could
 * not run.
 *
 * A capture is hostile: no text from it is written as HTML.  It travels only
 * inside the JSON (strings escaped by print__json_string, then every '<',
 * '>' and '&' of the JSON written as \u003c, \u003e, \u0026 so that nothing
 * in it can close the <script> element that holds it), and the script puts
 * it on the page only as text (textContent, SVG text nodes, canvas
 * fillText), never as markup.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "export.h"
#include "hmac.h"
#include "rstats.h"

extern const char report_js[], report_css[];    /* report_assets.c (generated) */

static void base64(const uint8_t *in, size_t n, char *out)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
			     (i + 2 < n ? in[i + 2] : 0);
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? tab[v & 63] : '=';
	}
	out[o] = 0;
}

/* The JSON, with '<', '>' and '&' as \u escapes (they occur only inside
 * strings, where the escape means the same character). */
static int put_json(FILE *f, const struct strbuf *json)
{
	for (size_t i = 0; i < json->len; i++) {
		char c = json->buf[i];
		int rc = c == '<' ? fputs("\\u003c", f) : c == '>' ? fputs("\\u003e", f)
			 : c == '&' ? fputs("\\u0026", f) : fputc(c, f);
		if (rc == EOF)
			return -EIO;
	}
	return 0;
}

static int write_html(struct export *x)
{
	FILE *f = export__file(x);
	struct rstats *st = NULL;
	struct strbuf json = { 0 };
	struct sha256 sh;
	uint8_t digest[SHA256_BYTES];
	char hash[64];
	int rc;

	if ((rc = rstats__collect(x, &st)))
		return rc;
	if ((rc = rstats__json(st, &json)))
		goto out;
	sha256__init(&sh);
	sha256__update(&sh, report_js, strlen(report_js));
	sha256__final(&sh, digest);
	base64(digest, sizeof(digest), hash);

	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		"script-src 'sha256-%s'; style-src 'unsafe-inline'; img-src data:\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		"<meta name=\"generator\" content=\"bpfreplay report\">\n"
		"<title>bpfrec report</title>\n<style>\n%s</style>\n</head>\n<body>\n"
		"<noscript>This report draws its charts with JavaScript.</noscript>\n"
		"<div id=\"report-errors\" hidden></div>\n"
		"<main id=\"report\"></main>\n"
		"<script type=\"application/json\" id=\"report-data\">", hash, report_css);
	if ((rc = put_json(f, &json)))
		goto out;
	fprintf(f, "</script>\n<script>%s</script>\n</body>\n</html>\n", report_js);
	rc = ferror(f) ? -EIO : 0;
out:
	strbuf__free(&json);
	rstats__free(st);
	return rc;
}

const struct export_format export_html = {
	.name = "html",
	.summary = "a one-file report to open in a browser (as 'bpfreplay report')",
	.to = EXPORT_TO_FILE,
	.write = write_html,
};
