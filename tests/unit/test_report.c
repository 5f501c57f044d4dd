/* test_report - bpfreplay report on fixture captures (procfix.h), opened in
 * headless Chromium as a person would open it: the page runs without an
 * error (the page's own error box, and Chromium's console log), every chart
 * is drawn with the number of points, bars, nodes, frames and events the
 * fixture implies, tables show the fixture's values; a capture whose names
 * hold markup stays text (no element made of it); a report of a redacted
 * bundle holds none of the values redacted; the page loads nothing.  A
 * screenshot is left in the test's directory for a person to look at
 * (printed at the end).  Skipped (77) without Chromium: tools/setup.sh
 * installs it. */
#include "testutil.h"
#include "fixtures/procfix.h"
#include "fixtures/clirun.h"

static char tmp[PATH_MAX / 2], browser[256];

static int find_browser(void)
{
	static const char *const names[] = { "chromium", "chromium-browser", "google-chrome", NULL };

	for (size_t i = 0; names[i]; i++) {
		char cmd[256];
		snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", names[i]);
		if (!system(cmd)) {
			snprintf(browser, sizeof(browser), "%s", names[i]);
			return 0;
		}
	}
	return -1;
}

/* Opens html in headless Chromium: the DOM after the scripts ran, and its
 * log (console messages) as strings; a screenshot when png is given. */
static char *open_page(const char *html, const char *png, char **log)
{
	char cmd[16384], dom[PATH_MAX], logp[PATH_MAX];
	int st;

	snprintf(dom, sizeof(dom), "%s/dom.html", tmp);
	snprintf(logp, sizeof(logp), "%s/chromium.log", tmp);
	snprintf(cmd, sizeof(cmd),
		 "timeout 120 %s --headless --no-sandbox --disable-gpu --hide-scrollbars "
		 "--no-first-run --user-data-dir='%s/profile' --window-size=1000,3400 "
		 "--enable-logging=stderr --v=0 %s%s%s --dump-dom 'file://%s' >'%s' 2>'%s'",
		 browser, tmp, png ? "--screenshot='" : "", png ? png : "", png ? "'" : "", html,
		 dom, logp);
	st = system(cmd);
	*log = clirun_slurp(logp, NULL);
	if (st) {
		fprintf(stderr, "%s: exit %d\n%s\n", cmd, st, *log);
		exit(1);
	}
	return clirun_slurp(dom, NULL);
}

/* data-n of the charts named name, in page order; returns how many. */
static int chart_ns(const char *dom, const char *name, long *ns, int max)
{
	char pat[128];
	int n = 0;

	snprintf(pat, sizeof(pat), "data-chart=\"%s\" data-n=\"", name);
	for (const char *p = strstr(dom, pat); p && n < max; p = strstr(p + 1, pat))
		ns[n++] = strtol(p + strlen(pat), NULL, 10);
	return n;
}

static long chart_n(const char *dom, const char *name)
{
	long n = -1;

	if (chart_ns(dom, name, &n, 1) != 1) {
		fprintf(stderr, "chart %s: not on the page\n", name);
		exit(1);
	}
	return n;
}

/* The page ran to its end without an error, in its own box or the console. */
static void check_clean(const char *dom, const char *log, int ncharts)
{
	char want[64];

	if (!strstr(dom, "data-errors=\"0\"") || strstr(log, "CONSOLE") ||
	    strstr(log, "Uncaught") || strstr(log, "Content Security Policy")) {
		const char *e = strstr(dom, "id=\"report-errors\"");
		fprintf(stderr, "page errors: %.2000s\n--- chromium log:\n%.4000s\n", e ? e : dom, log);
		exit(1);
	}
	snprintf(want, sizeof(want), "data-charts=\"%d\" data-state=\"done\"", ncharts);
	if (!strstr(dom, want)) {
		fprintf(stderr, "expected %s in the page\n", want);
		exit(1);
	}
}

static void test_page(const char *cap, const char *png)
{
	char html[PATH_MAX], *dom, *log, *page;
	long lat[4];

	snprintf(html, sizeof(html), "%s/report.html", tmp);
	EXPECT(CLIRUN("report", cap, "-o", html), 0, NULL, NULL);
	page = clirun_slurp(html, NULL);
	/* nothing to fetch: no URL the browser would load */
	CHECK(!strstr(page, "src=\"http") && !strstr(page, "href=\"http") && !strstr(page, "url("));
	CHECK(strstr(page, "default-src 'none'"));
	free(page);

	dom = open_page(html, png, &log);
	check_clean(dom, log, 10);
	/* 5 streams * 600 time buckets */
	CHECK_EQ_INT(chart_n(dom, "rate"), 3000);
	/* losses at T0, T0 + 200 us, T0 + 2 ms: three buckets of 4.451 ms / 600 */
	CHECK_EQ_INT(chart_n(dom, "losses"), 3);
	/* pids 999, 1000..1004; comms init bash curl make cc1 old */
	CHECK_EQ_INT(chart_n(dom, "top-processes"), 6);
	CHECK_EQ_INT(chart_n(dom, "top-commands"), 6);
	/* sys ENOENT, connect ECONNREFUSED */
	CHECK_EQ_INT(chart_n(dom, "errors"), 2);
	/* connect and sys, each in one power-of-two bin */
	CHECK_EQ_INT(chart_ns(dom, "latency", lat, 4), 2);
	CHECK_EQ_INT(lat[0], 1);
	CHECK_EQ_INT(lat[1], 1);
	CHECK_EQ_INT(chart_n(dom, "tree"), 5);
	/* all, then per comm (5): the comm, main, run, work, io, read, vfs_read_[k] */
	CHECK_EQ_INT(chart_n(dom, "flame"), 36);
	CHECK(strstr(dom, "<title>vfs_read_[k]: 4 (10.0%)</title>"));
	/* every event (140 < the sample's 4000), 5 stream lanes + 5 lifetimes */
	CHECK_EQ_INT(chart_n(dom, "timeline"), 140);
	CHECK(strstr(dom, "data-lanes=\"10\""));

	/* values, as the fixture made them */
	CHECK(strstr(dom, "<dd>prochost</dd>"));
	CHECK(strstr(dom, "<dd>bpfrec record -o p -- ./run.sh</dd>"));
	CHECK(strstr(dom, "<tr><td>sys</td><td>sys_event</td><td class=\"num\">80</td>"
			  "<td class=\"num\">12</td><td class=\"num\">20</td></tr>"));
	CHECK(strstr(dom, "<tr><td>connect</td><td>ECONNREFUSED</td><td class=\"num\">111</td>"
			  "<td>Connection refused</td><td class=\"num\">4</td></tr>"));
	CHECK(strstr(dom, "<tr><td>sys</td><td>ENOENT</td><td class=\"num\">2</td>"
			  "<td>No such file or directory</td><td class=\"num\">20</td></tr>"));
	/* exact p50 20000, p90 30000: within 1/64, the max exact */
	CHECK(strstr(dom, "<tr><td>connect</td><td>latency_ns</td><td class=\"num\">10</td>"
			  "<td class=\"num\">20.2 \xc2\xb5s</td><td class=\"num\">30.0 \xc2\xb5s</td>"
			  "<td class=\"num\">30.0 \xc2\xb5s</td><td class=\"num\">30.0 \xc2\xb5s</td></tr>"));
	/* the tree: init (pid 1000) holds the four others */
	CHECK(strstr(dom, "<li><span class=\"proc\"><b>init</b> pid 1000, from +0.000 s, ran 900 \xc2\xb5s,"
			  " exit 0</span><ul><li><span class=\"proc\"><b>bash</b> pid 1001"));
	CHECK(strstr(dom, "<b>cc1</b> pid 1004, from +0.004 s, no exit seen"));
	free(dom);
	free(log);
}

/* Markup in names stays text, and the page still runs to its end. */
static void test_hostile(const char *cap)
{
	char html[PATH_MAX], *dom, *log;

	snprintf(html, sizeof(html), "%s/hostile.html", tmp);
	EXPECT(CLIRUN("report", cap, "-o", html), 0, NULL, NULL);
	dom = open_page(html, NULL, &log);
	check_clean(dom, log, 10);
	CHECK(!strstr(dom, "<img"));
	CHECK(!strstr(dom, "<b>x</b>"));
	CHECK(!strstr(dom, "<i>"));
	CHECK(strstr(dom, "<td>sys&lt;/script&gt;&lt;i&gt;</td>"));
	CHECK(strstr(dom, "&lt;img onerror=x&gt; (1001) b&gt;</text>"));   /* a process bar */
	CHECK(strstr(dom, "text-anchor=\"end\">&lt;img onerror=x&gt;</text>"));   /* a command bar */
	free(dom);
	free(log);
}

/* A report of a redacted bundle holds none of the redacted values. */
static void test_redacted(const char *cap)
{
	char bundle[PATH_MAX], html[PATH_MAX], *page, *json;

	snprintf(bundle, sizeof(bundle), "%s/red.bpfrec", tmp);
	snprintf(html, sizeof(html), "%s/red.html", tmp);
	EXPECT(CLIRUN("bundle", cap, "-o", bundle, "--redact=default,comm"), 0, NULL, NULL);
	EXPECT(CLIRUN("report", bundle, "-o", html), 0, NULL, NULL);
	page = clirun_slurp(html, NULL);
	json = strstr(page, "id=\"report-data\">");
	CHECK(json);
	CHECK(strstr(json, "</script>"));
	*strstr(json, "</script>") = 0;
	CHECK(!strstr(json, "/usr/bin"));
	CHECK(!strstr(json, "run.sh"));
	for (uint32_t p = 0; p < 5; p++) {
		char q[64];
		snprintf(q, sizeof(q), "\"%s\"", procfix_comm(p, 0));
		CHECK(!strstr(json, q));
	}
	/* what the bundle says it redacted is on the page */
	CHECK(strstr(json, "[\"redacted\",\""));
	/* and the figures are those of the capture */
	CHECK(strstr(json, "{\"name\":\"sys\",\"type\":\"sys_event\",\"events\":80,\"lost\":12,"
			   "\"failed\":20,"));
	free(page);
}

int main(void)
{
	char btf[PATH_MAX + 8], cap[PATH_MAX], hcap[PATH_MAX], png[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", test_tmpdir("report"));
	snprintf(cap, sizeof(cap), "%s/cap", tmp);
	snprintf(hcap, sizeof(hcap), "%s/hostile", tmp);
	snprintf(btf, sizeof(btf), "%s/btf", tmp);
	snprintf(png, sizeof(png), "%s/report.png", tmp);
	procfix_build(cap, btf, (struct procfix_opts){ .stacks = 1 });
	procfix_build(hcap, btf, (struct procfix_opts){ .stacks = 1, .hostile = 1 });
	clirun_init(tmp);

	test_redacted(cap);
	if (find_browser()) {
		fprintf(stderr, "SKIPPED: no chromium to open the report in (tools/setup.sh installs it)\n");
		return 77;
	}
	test_page(cap, png);
	{
		size_t len = 0;
		char *img = clirun_slurp(png, &len);
		CHECK(len > 10000 && !memcmp(img, "\x89PNG", 4));
		free(img);
	}
	test_hostile(hcap);
	printf("test_report: ok; screenshot: %s\n", png);
	return 0;
}
