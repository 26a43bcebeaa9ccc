/*
 * test_appd_conf.c: the topology's appd section through appd_conf_schema
 * (defaults, every kind, the database address), the checks the schema
 * cannot make (each one's message, all reported together), routing by
 * longest prefix, and the SQL parameter substitution of the module DB API.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "appd.h"
#include "conf.h"
#include "config.h"
#include "db.h"
#include "topology.h"

#include "appd_conf_fixture.h"

#define HEAD	"site: t\nhosts:\n  h1: { address: 127.0.0.1 }\n" \
		"appd:\n  on: [h1]\n  listen: 8090\n"

/* Loads text; returns the topology or NULL with *errors (schema level). */
static struct topology *
load(const char *text, char **errors)
{
	return appd_fixture_load("/etc/triad/t.yaml", text, errors);
}

/* text must load and pass the checks. */
static struct topology *
good(const char *text)
{
	struct topology *t;
	char *errors = NULL;

	if ((t = load(text, &errors)) == NULL)
		fail_msg("schema errors:\n%s", errors);
	if (appd_conf_check(&conf, t, "/etc/triad/t.yaml", "h1", &errors) != 0)
		fail_msg("check errors:\n%s", errors);
	return t;
}

/* text must fail (schema or checks) with every string of want. */
static void
bad(const char *text, const char *const *want)
{
	struct topology *t;
	char *errors = NULL;

	if ((t = load(text, &errors)) != NULL) {
		assert_int_equal(appd_conf_check(&conf, t, "/etc/triad/t.yaml",
		    "h1", &errors), -1);
		appd_fixture_unload(t);
	}
	assert_non_null(errors);
	for (; *want != NULL; want++)
		if (strstr(errors, *want) == NULL)
			fail_msg("\"%s\" is not in:\n%s", *want, errors);
	free(errors);
}

static void
test_defaults(void **state)
{
	struct topology *t = good(HEAD "  apps:\n    - { name: a, routes: /a/, "
	    "module: a.so }\n");
	const struct appd_app *a = conf.apps.v;

	assert_int_equal(conf.apps.n, 1);
	assert_int_equal(a->kind, APPD_MODULE);
	assert_int_equal(a->pm, APPD_PM_STATIC);
	assert_int_equal(a->max_children, 4);
	assert_int_equal(a->max_requests, 0);
	assert_int_equal(a->request_timeout_ms, 30000);
	assert_int_equal(a->kill_grace_ms, 2000);
	assert_int_equal(a->queue, 128);
	assert_int_equal(a->client_max_body_size, 1024 * 1024);
	assert_string_equal(a->module_path, "/etc/triad/a.so");
	assert_string_equal(conf.database.address, "dbproxyd");
	assert_int_equal(conf.database.addr.len, 0);	/* no dbproxyd */
	appd_fixture_unload(t);
}

static void
test_every_kind(void **state)
{
	struct topology *t = good(HEAD
	    "  database: { address: \"127.0.0.1:3306\", user: u, password: p, "
	    "db: d, pool: 3 }\n"
	    "  apps:\n"
	    "    - { name: m, routes: [/m/, /n/], module: /x/m.so, pm: dynamic,"
	    " min_spare: 1, max_spare: 2, max_children: 5 }\n"
	    "    - { name: f, kind: fastcgi, routes: /f/, command: [php-cgi],"
	    " root: www, script: index.php, pm: ondemand, idle_timeout: 5s }\n"
	    "    - { name: e, kind: fastcgi, routes: /e/, address: \"unix:/s\","
	    " root: /srv }\n"
	    "    - name: c\n      kind: cgi\n      routes: /c/\n      root: /srv\n"
	    "      user: nobody\n      env: [A=b]\n"
	    "      rlimits: { memory: 256m, cpu: 10s, nofile: 64 }\n");
	const struct appd_app *a = conf.apps.v;

	assert_int_equal(conf.apps.n, 4);
	assert_int_equal(a[1].kind, APPD_FASTCGI);
	assert_string_equal(a[1].root_path, "/etc/triad/www");
	assert_int_equal(a[1].idle_timeout_ms, 5000);
	assert_int_equal(a[2].fcgi_addr.len > 0, 1);
	assert_int_equal(a[3].rlimits.as, 256ULL << 20);
	assert_int_equal(a[3].rlimits.cpu_ms, 10000);
	assert_int_equal(conf.database.pool, 3);
	assert_true(conf.database.addr.len > 0);
	appd_fixture_unload(t);
}

static void
test_dbproxyd_of_this_host(void **state)
{
	struct topology *t = good(HEAD "  apps: [{ name: a, routes: /, "
	    "module: a.so }]\ndbproxyd:\n  on: [h1]\n  listen: 6033\n");

	assert_true(conf.database.addr.len > 0);
	appd_fixture_unload(t);
}

static void
test_check_errors_all_reported(void **state)
{
	static const char *const want[] = {
	    "app m: kind module needs 'module'",
	    "app f: kind fastcgi needs either 'command'",
	    "app f: kind fastcgi needs 'root'",
	    "app c: kind cgi needs 'root'",
	    "app d: dynamic needs min_spare <= max_spare <= max_children",
	    "app x: route 'nope' does not start with /",
	    "app y: route '/a/' is also app x's",
	    "app y: name used twice",
	    NULL };

	bad(HEAD "  apps:\n"
	    "    - { name: m, routes: /m/ }\n"
	    "    - { name: f, kind: fastcgi, routes: /f/ }\n"
	    "    - { name: c, kind: cgi, routes: /c/ }\n"
	    "    - { name: d, routes: /d/, module: d.so, pm: dynamic,"
	    " min_spare: 3, max_spare: 2 }\n"
	    "    - { name: x, routes: [nope, /a/], module: x.so }\n"
	    "    - { name: y, routes: [/a/], module: y.so }\n"
	    "    - { name: y, routes: [/b/], module: y.so }\n", want);
}

static void
test_schema_errors(void **state)
{
	static const char *const kind[] = { "kind", "module, fastcgi, cgi",
	    NULL };
	static const char *const typo[] = { "max_childs", "max_children",
	    NULL };
	static const char *const range[] = { "max_children", NULL };
	static const char *const addr[] = { "database.address", NULL };

	bad(HEAD "  apps: [{ name: a, kind: java, routes: /, module: a }]\n",
	    kind);
	bad(HEAD "  apps: [{ name: a, routes: /, module: a, max_childs: 3 }]\n",
	    typo);
	bad(HEAD "  apps: [{ name: a, routes: /, module: a, max_children: 0 "
	    "}]\n", range);
	bad(HEAD "  database: { address: \"nohost:port\" }\n  apps: [{ name: "
	    "a, routes: /, module: a }]\n", addr);
}

static void
test_longest_prefix(void **state)
{
	struct topology *t = good(HEAD "  apps:\n"
	    "    - { name: all, routes: /, module: a.so }\n"
	    "    - { name: api, routes: [/api/], module: a.so }\n"
	    "    - { name: posts, routes: [/api/posts], module: a.so }\n");

	assert_string_equal(appd_conf_app(&conf, "/x", 2)->name, "all");
	assert_string_equal(appd_conf_app(&conf, "/api/", 5)->name, "api");
	assert_string_equal(appd_conf_app(&conf, "/api/posts/1", 12)->name,
	    "posts");
	/* Only len bytes count: the query is not part of the path. */
	assert_string_equal(appd_conf_app(&conf, "/api/posts", 5)->name,
	    "api");
	appd_fixture_unload(t);
}

/* A stand-in for mysql_real_escape_string: backslash before ' and \. */
static unsigned long
esc(void *arg, char *to, const char *from, unsigned long len)
{
	unsigned long i, o = 0;

	for (i = 0; i < len; i++) {
		if (from[i] == '\'' || from[i] == '\\')
			to[o++] = '\\';
		to[o++] = from[i];
	}
	to[o] = '\0';
	return o;
}

static void
test_build_sql(void **state)
{
	const char *p[] = { "a'b", NULL, "c\\" };
	char *s, *cause = NULL;

	s = db_build_sql("SELECT ?, ?, ? FROM t WHERE x = '?' AND y = \"?\"",
	    p, 3, esc, NULL, &cause);
	assert_string_equal(s, "SELECT 'a\\'b', NULL, 'c\\\\' FROM t WHERE "
	    "x = '?' AND y = \"?\"");
	free(s);
	/* A quote escaped inside a literal does not end it. */
	s = db_build_sql("SELECT 'it\\'s ?', ?", p, 1, esc, NULL, &cause);
	assert_string_equal(s, "SELECT 'it\\'s ?', 'a\\'b'");
	free(s);
	assert_null(db_build_sql("SELECT ?, ?", p, 1, esc, NULL, &cause));
	assert_non_null(strstr(cause, "more placeholders"));
	free(cause);
	cause = NULL;
	assert_null(db_build_sql("SELECT ?", p, 2, esc, NULL, &cause));
	assert_non_null(strstr(cause, "fewer placeholders"));
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_kind),
		cmocka_unit_test(test_dbproxyd_of_this_host),
		cmocka_unit_test(test_check_errors_all_reported),
		cmocka_unit_test(test_schema_errors),
		cmocka_unit_test(test_longest_prefix),
		cmocka_unit_test(test_build_sql),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
