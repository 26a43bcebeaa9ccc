/*
 * test_webd_mime.c: the shipped etc/mime.types, lookups by file name, and
 * hostile types files (long lines, NUL bytes, no final newline, CRLF,
 * duplicates, bad types and extensions, too many errors, too big).
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mime.h"

#define SHIPPED		TRIAD_SOURCE_DIR "/etc/mime.types"
#define UTF8		"; charset=utf-8"

/* Parses text that must be accepted. */
static struct webd_mime *
good(const char *text, const char *def)
{
	struct webd_mime *m;
	char *cause = NULL;

	m = webd_mime_parse("t", text, strlen(text), def, &cause);
	if (m == NULL)
		fail_msg("%s", cause);
	assert_null(cause);
	return m;
}

/* text (len bytes) must be refused with want inside the message. */
static void
bad(const char *text, size_t len, const char *want)
{
	char *cause = NULL;

	assert_null(webd_mime_parse("t", text, len, NULL, &cause));
	assert_non_null(cause);
	if (strstr(cause, want) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", cause, want);
	free(cause);
}

static void
test_shipped(void **state)
{
	static const char *const want[][2] = {
		{ "index.html", "text/html" UTF8 },
		{ "a.htm", "text/html" UTF8 },
		{ "s.css", "text/css" UTF8 },
		{ "app.js", "text/javascript" UTF8 },
		{ "mod.mjs", "text/javascript" UTF8 },
		{ "d.json", "application/json" UTF8 },
		{ "app.js.map", "application/json" UTF8 },
		{ "feed.xml", "application/xml" UTF8 },
		{ "r.txt", "text/plain" UTF8 },
		{ "t.csv", "text/csv" UTF8 },
		{ "i.svg", "image/svg+xml" UTF8 },
		{ "site.webmanifest", "application/manifest+json" UTF8 },
		{ "i.png", "image/png" },
		{ "i.jpg", "image/jpeg" },
		{ "i.jpeg", "image/jpeg" },
		{ "i.gif", "image/gif" },
		{ "i.webp", "image/webp" },
		{ "i.avif", "image/avif" },
		{ "favicon.ico", "image/x-icon" },
		{ "f.woff", "font/woff" },
		{ "f.woff2", "font/woff2" },
		{ "f.ttf", "font/ttf" },
		{ "f.otf", "font/otf" },
		{ "m.wasm", "application/wasm" },
		{ "d.pdf", "application/pdf" },
		{ "a.zip", "application/zip" },
		{ "a.tar.gz", "application/gzip" },
		{ "a.br", "application/x-brotli" },
		{ "v.mp4", "video/mp4" },
		{ "v.webm", "video/webm" },
		{ "s.mp3", "audio/mpeg" },
		{ "s.ogg", "audio/ogg" },
		{ "s.wav", "audio/wav" },
	};
	struct webd_mime *m;
	char *cause = NULL;
	size_t i;

	(void)state;
	m = webd_mime_load(SHIPPED, NULL, &cause);
	if (m == NULL)
		fail_msg("%s", cause);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_string_equal(webd_mime_lookup(m, want[i][0]), want[i][1]);
	assert_true(webd_mime_count(m) >= sizeof(want) / sizeof(want[0]));
	webd_mime_free(m);
}

static void
test_lookup(void **state)
{
	struct webd_mime *m;
	const char *def = "application/octet-stream";

	(void)state;
	m = good("text/html html\nimage/png png\napplication/gzip gz\n", NULL);
	assert_int_equal(webd_mime_count(m), 3);
	assert_string_equal(webd_mime_lookup(m, "/a/b/index.html"),
	    "text/html" UTF8);
	/* Case does not matter on either side. */
	assert_string_equal(webd_mime_lookup(m, "/A.HTML"), "text/html" UTF8);
	assert_string_equal(webd_mime_lookup(m, "x.Png"), "image/png");
	/* The last "." of the last segment only. */
	assert_string_equal(webd_mime_lookup(m, "/a.tar.gz"),
	    "application/gzip");
	assert_string_equal(webd_mime_lookup(m, "/x.html/readme"), def);
	assert_string_equal(webd_mime_lookup(m, "/x.html/"), def);
	assert_string_equal(webd_mime_lookup(m, "/dir.png/.html"), def);
	/* No extension, a dotfile, a trailing dot, unknown, too long. */
	assert_string_equal(webd_mime_lookup(m, "/README"), def);
	assert_string_equal(webd_mime_lookup(m, "/.html"), def);
	assert_string_equal(webd_mime_lookup(m, "/a."), def);
	assert_string_equal(webd_mime_lookup(m, "/a.exe"), def);
	assert_string_equal(webd_mime_lookup(m, "/a.htmlhtmlhtmlhtmlhtmlhtmlh"
	    "tmlhtmlhtmlhtml"), def);
	assert_string_equal(webd_mime_lookup(m, ""), def);
	assert_string_equal(webd_mime_lookup(m, "."), def);
	assert_string_equal(webd_mime_lookup(m, "a.png"), "image/png");
	webd_mime_free(m);
	webd_mime_free(NULL);
}

/* The charset rule, the default type and types with parameters. */
static void
test_charset_default(void **state)
{
	struct webd_mime *m;
	char *cause = NULL;

	(void)state;
	m = good("text/x-anything a\napplication/ld+json b\n"
	    "application/rss+xml c\nimage/png d\n"
	    "text/html;charset=iso-8859-1 e\napplication/javascript f\n"
	    "application/jsonx g\nIMAGE/PNG h\n", "text/plain");
	assert_string_equal(webd_mime_lookup(m, "x.a"), "text/x-anything" UTF8);
	assert_string_equal(webd_mime_lookup(m, "x.b"),
	    "application/ld+json" UTF8);
	assert_string_equal(webd_mime_lookup(m, "x.c"),
	    "application/rss+xml" UTF8);
	assert_string_equal(webd_mime_lookup(m, "x.d"), "image/png");
	assert_string_equal(webd_mime_lookup(m, "x.e"),
	    "text/html;charset=iso-8859-1");
	assert_string_equal(webd_mime_lookup(m, "x.f"),
	    "application/javascript" UTF8);
	assert_string_equal(webd_mime_lookup(m, "x.g"), "application/jsonx");
	assert_string_equal(webd_mime_lookup(m, "x.h"), "IMAGE/PNG");
	assert_string_equal(webd_mime_lookup(m, "x"), "text/plain" UTF8);
	webd_mime_free(m);

	m = good("", "application/x-custom; q=1");
	assert_int_equal(webd_mime_count(m), 0);
	assert_string_equal(webd_mime_lookup(m, "a.html"),
	    "application/x-custom; q=1");
	webd_mime_free(m);

	/* A default that would split a header line is refused. */
	assert_null(webd_mime_parse("t", "", 0, "text/plain\r\nX-A: b",
	    &cause));
	assert_non_null(strstr(cause, "is not a media type"));
	free(cause);
	assert_null(webd_mime_parse("t", "", 0, "plain", &cause));
	free(cause);
}

/* Comments, blank lines, CRLF, tabs, no final newline, duplicates. */
static void
test_format(void **state)
{
	struct webd_mime *m;

	(void)state;
	m = good("# a comment\n\n   \t\n"
	    "text/html\thtml  htm # trailing comment png\r\n"
	    "image/png png#no space before the comment\r\n"
	    "image/gif gif", NULL);
	assert_int_equal(webd_mime_count(m), 4);
	assert_string_equal(webd_mime_lookup(m, "a.htm"), "text/html" UTF8);
	assert_string_equal(webd_mime_lookup(m, "a.png"), "image/png");
	assert_string_equal(webd_mime_lookup(m, "a.gif"), "image/gif");
	webd_mime_free(m);

	/* Duplicates: the last line wins, whatever the case. */
	m = good("text/plain txt js\napplication/x-one dup\n"
	    "text/javascript JS\napplication/x-two DUP\n"
	    "application/x-three dup\n", NULL);
	assert_int_equal(webd_mime_count(m), 3);
	assert_string_equal(webd_mime_lookup(m, "a.js"),
	    "text/javascript" UTF8);
	assert_string_equal(webd_mime_lookup(m, "a.dup"),
	    "application/x-three");
	assert_string_equal(webd_mime_lookup(m, "a.txt"), "text/plain" UTF8);
	webd_mime_free(m);
}

static void
test_errors(void **state)
{
	char *cause = NULL, *text;
	size_t n;

	(void)state;
	bad("text/html html\ntext/css\n", 24, "t:2: no extensions for text/css");
	bad("texthtml html\n", 14, "t:1: bad type \"texthtml\"");
	bad("text/ html\n", 11, "t:1: bad type");
	bad("/html html\n", 11, "t:1: bad type");
	bad("text/h(tml html\n", 16, "t:1: bad type");
	bad("text/html x/y\n", 14, "t:1: bad extension \"x/y\"");
	bad("text/html tar.gz\n", 17, "bad extension \"tar.gz\"");
	bad("text/html h\xc3\xa9\n", 14, "bad extension");
	bad("text/html abcdefghijklmnopqrstuvwxyz0123456789\n", 47,
	    "bad extension");
	bad("text/html html\ntext/css c\0ss\n", 28, "t:2: NUL byte");

	/* Every error is reported, each with its line. */
	assert_null(webd_mime_parse("f.types", "a b\n\ntext/css\nx/y a/b\n",
	    21, NULL, &cause));
	assert_string_equal(cause, "f.types:1: bad type \"a\"\n"
	    "f.types:3: no extensions for text/css\n"
	    "f.types:4: bad extension \"a/b\"");
	free(cause);

	/* A huge line is refused, and only named by its length. */
	n = WEBD_MIME_MAX_LINE * 4;
	text = malloc(n + 32);
	assert_non_null(text);
	memcpy(text, "image/png png\ntext/html ", 24);
	memset(text + 24, 'h', n);
	bad(text, n + 24, "t:2: line too long");
	/* The same bytes as many extensions, on lines of a sane length. */
	for (n = 24; n + 64 < WEBD_MIME_MAX_LINE * 4; n += 64)
		text[n] = '\n';
	bad(text, WEBD_MIME_MAX_LINE * 4, "bad type");
	free(text);
}

/* Past WEBD_MIME_MAX_ERRORS the rest is counted; too many extensions. */
static void
test_error_caps(void **state)
{
	char *cause = NULL, *text, want[64];
	size_t i, n, len = 0;

	(void)state;
	n = WEBD_MIME_MAX_ERRORS + 7;
	text = malloc(n * 8 + 1);
	assert_non_null(text);
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "bad\n");
	assert_null(webd_mime_parse("t", text, len, NULL, &cause));
	snprintf(want, sizeof(want), "t:%d: bad type", WEBD_MIME_MAX_ERRORS);
	assert_non_null(strstr(cause, want));
	snprintf(want, sizeof(want), "t:%d: bad", WEBD_MIME_MAX_ERRORS + 1);
	assert_null(strstr(cause, want));
	assert_non_null(strstr(cause, "\n7 more errors"));
	free(cause);
	free(text);

	/* WEBD_MIME_MAX_ENTRIES is the most a table holds. */
	n = WEBD_MIME_MAX_ENTRIES + 1;
	text = malloc(n * 16 + 32);
	assert_non_null(text);
	len = 0;
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, i % 100 == 0 ? "\na/b e%zu" :
		    " e%zu", i);
	bad(text, len, "too many extensions");
	free(text);
}

/* Writes len bytes into a fresh file under dir; returns its path. */
static char *
write_file(const char *dir, const char *name, const char *data, size_t len)
{
	static char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
	return path;
}

/* The file loader: missing, a directory, too big, errors named by path. */
static void
test_load(void **state)
{
	char dir[] = "/tmp/test_webd_mime.XXXXXX", *path, *cause = NULL;
	char *big, cmd[64];
	struct webd_mime *m;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "%s/missing", dir);
	assert_null(webd_mime_load(cmd, NULL, &cause));
	assert_non_null(strstr(cause, "No such file or directory"));
	assert_non_null(strstr(cause, "/missing"));
	free(cause);

	assert_null(webd_mime_load(dir, NULL, &cause));
	assert_non_null(strstr(cause, "not a regular file"));
	free(cause);

	path = write_file(dir, "ok.types", "image/png png", 13);
	assert_non_null(m = webd_mime_load(path, "text/plain", &cause));
	assert_null(cause);
	assert_string_equal(webd_mime_lookup(m, "a.png"), "image/png");
	webd_mime_free(m);

	path = write_file(dir, "bad.types", "image/png png\nimage/gif\n", 24);
	assert_null(webd_mime_load(path, NULL, &cause));
	assert_non_null(strstr(cause, "/bad.types:2: no extensions"));
	free(cause);

	big = malloc(WEBD_MIME_MAX_FILE + 1);
	assert_non_null(big);
	memset(big, '\n', WEBD_MIME_MAX_FILE + 1);
	path = write_file(dir, "big.types", big, WEBD_MIME_MAX_FILE);
	assert_non_null(m = webd_mime_load(path, NULL, &cause));
	webd_mime_free(m);
	path = write_file(dir, "big.types", big, WEBD_MIME_MAX_FILE + 1);
	assert_null(webd_mime_load(path, NULL, &cause));
	assert_non_null(strstr(cause, "larger than"));
	free(cause);
	free(big);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_charset_default),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_error_caps),
		cmocka_unit_test(test_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
