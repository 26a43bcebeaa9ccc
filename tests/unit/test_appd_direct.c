/*
 * test_appd_direct.c: the pieces of appd's own-listener path that can be
 * checked without processes: an app's `listen` in the configuration (its
 * addresses, a bare port on the host's address, the errors), routing
 * that leaves such an app to its workers, the scoreboard's slots, and the
 * CGI params both paths share (golden pairs).
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>

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
#include "fcgi.h"
#include "http1.h"
#include "params.h"
#include "scoreboard.h"
#include "topology.h"

#include "appd_conf_fixture.h"

#define HEAD	"site: t\nhosts:\n  h1: { address: 127.0.0.2 }\n" \
		"appd:\n  on: [h1]\n  listen: 8090\n  apps:\n"

/* Loads text and runs the checks; returns the check's result. */
static int
check(const char *text, struct topology **tp, char **errors)
{
	*tp = appd_fixture_load("/etc/t.yaml", text, errors);
	if (*tp == NULL)
		return -2;
	free(*errors);
	return appd_conf_check(&conf, *tp, "/etc/t.yaml", "h1", errors);
}

static void
test_listen_parsed(void **state)
{
	struct topology *t;
	char *errors = NULL;
	const struct appd_app *a;
	char buf[NET_ADDR_STRLEN];

	assert_int_equal(check(HEAD "    - { name: a, routes: /a/, module: a.so, "
	    "listen: [9001, 'unix:/run/a.sock', '[::1]:9002'] }\n"
	    "    - { name: b, routes: /b/, module: a.so }\n", &t, &errors), 0);
	a = conf.apps.v;
	assert_int_equal(a[0].nladdrs, 3);
	assert_string_equal(addr_format(&a[0].laddrs[0], buf, sizeof(buf)),
	    "127.0.0.2:9001");		/* a bare port: the host's address */
	assert_string_equal(addr_format(&a[0].laddrs[1], buf, sizeof(buf)),
	    "unix:/run/a.sock");
	assert_string_equal(addr_format(&a[0].laddrs[2], buf, sizeof(buf)),
	    "[::1]:9002");
	assert_int_equal(a[0].lfds[0], -1);
	assert_int_equal(a[1].nladdrs, 0);
	/* The master routes /b/ only: /a/ is its workers'. */
	assert_null(appd_conf_app(&conf, "/a/x", 4));
	assert_ptr_equal(appd_conf_app(&conf, "/b/x", 4), &a[1]);
	free(errors);
	appd_fixture_unload(t);
}

static void
test_listen_errors(void **state)
{
	static const struct {
		const char	*apps;
		const char	*want;
	} cases[] = {
		{ "    - { name: a, kind: cgi, root: /s, routes: /a/, "
		  "listen: 9 }\n", "t.yaml:8:7: app a: listen: only a module app" },
		{ "    - { name: a, module: a.so, routes: /a/, listen: 9 }\n"
		  "    - { name: b, module: a.so, routes: /b/, listen: "
		  "'0.0.0.0:9' }\n", "app b: listen: 0.0.0.0:9 is also app a's" },
		{ "    - { name: a, module: a.so, routes: /a/, listen: "
		  "['unix:/x', 'unix:/x'] }\n", "app a: listen: unix:/x is also "
		  "app a's" },
		{ "    - { name: a, module: a.so, routes: /a/, listen: 'x:y' }\n",
		  "app a: listen: " },
	};
	struct topology *t;
	char *errors = NULL;
	size_t i;
	char text[1024];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "%s%s", HEAD, cases[i].apps);
		assert_int_not_equal(check(text, &t, &errors), 0);
		assert_non_null(errors);
		if (strstr(errors, cases[i].want) == NULL)
			fail_msg("\"%s\" is not in:\n%s", cases[i].want, errors);
		free(errors);
		if (t != NULL)
			appd_fixture_unload(t);
	}
}

static void
test_scoreboard(void **state)
{
	struct scoreboard sb;
	char *cause = NULL;
	char longpath[300];

	assert_int_equal(sb_create(&sb, 3, &cause), 0);
	assert_int_equal(sb.slots[2].state, SB_FREE);
	assert_int_equal(sizeof(struct sb_slot) % 64, 0);
	sb_begin(&sb.slots[1], "GET", 3, "/t/x?a=1", 8, 1000);
	assert_int_equal(sb.slots[1].state, SB_BUSY);
	assert_string_equal(sb.slots[1].what, "GET /t/x?a=1");
	assert_int_equal(sb.slots[1].seq, 1);
	sb_end(&sb.slots[1], 1000 + 300);
	assert_int_equal(sb.slots[1].state, SB_IDLE);
	assert_int_equal(sb.slots[1].requests, 1);
	assert_int_equal(sb.slots[1].hist[sb_bucket(300)], 1);
	/* Buckets follow the metrics' bounds; past the last, the last. */
	assert_int_equal(sb_bucket(0), 0);
	assert_int_equal(sb_bucket(50), 0);
	assert_int_equal(sb_bucket(51), 1);
	assert_true(sb_bucket(UINT64_MAX / 2) < SB_BUCKETS);
	/* A long target is cut, NUL-terminated. */
	memset(longpath, 'p', sizeof(longpath));
	sb_begin(&sb.slots[0], "POST", 4, longpath, sizeof(longpath), 5);
	assert_int_equal(strlen(sb.slots[0].what), SB_WHAT - 1);
	sb_free(&sb);
}

/* The value of name in a PARAMS body, or NULL. */
static char *
param(const struct fcgi_buf *b, const char *name)
{
	static char v[512];
	const uint8_t *n, *val;
	uint32_t nl, vl;
	size_t off = 0;

	while (fcgi_nv_next(b->p, b->len, &off, &n, &nl, &val, &vl) == 1)
		if (nl == strlen(name) && memcmp(n, name, nl) == 0 &&
		    vl < sizeof(v)) {
			memcpy(v, val, vl);
			v[vl] = '\0';
			return v;
		}
	return NULL;
}

static void
test_params_shared(void **state)
{
	static const char head[] = "POST /t/e?a=1 HTTP/1.1\r\nHost: h\r\n"
	    "Content-Type: text/plain\r\nX-Forwarded-For: 203.0.113.9, "
	    "198.51.100.7\r\nX-Forwarded-Proto: https\r\nProxy: evil\r\n"
	    "Content-Length: 3\r\n\r\n";
	struct http1_limits lim;
	struct http1_parser p;
	struct http1_msg m;
	struct net_addr peer;
	struct sockaddr_in *sin = (struct sockaddr_in *)&peer.ss;
	struct cidr_list trusted = { NULL, 0 };
	struct cidr c;
	struct fcgi_buf b = { 0 };
	char *cause = NULL;
	struct params_in in = { &m, 3, &peer, 0, &trusted, NULL, NULL };

	http1_limits_default(&lim);
	http1_parser_init(&p, HTTP1_REQUEST, &lim);
	assert_int_equal(http1_parse_head(&p, &m, head, sizeof(head) - 1),
	    HTTP1_DONE);
	memset(&peer, 0, sizeof(peer));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(0x7f000001);
	sin->sin_port = htons(4444);
	peer.len = sizeof(*sin);
	/* An untrusted peer: its own address, no HTTPS. */
	params_build(&in, &b);
	assert_string_equal(param(&b, "REMOTE_ADDR"), "127.0.0.1");
	assert_null(param(&b, "HTTPS"));
	assert_string_equal(param(&b, "QUERY_STRING"), "a=1");
	assert_string_equal(param(&b, "DOCUMENT_URI"), "/t/e");
	assert_string_equal(param(&b, "CONTENT_LENGTH"), "3");
	assert_string_equal(param(&b, "CONTENT_TYPE"), "text/plain");
	assert_null(param(&b, "HTTP_PROXY"));		/* httpoxy */
	assert_null(param(&b, "SCRIPT_FILENAME"));	/* a module */
	/* Trusted: the last X-Forwarded-For hop and the scheme. */
	assert_int_equal(cidr_parse("127.0.0.0/8", &c, &cause), 0);
	cidr_list_add(&trusted, &c);
	b.len = 0;
	params_build(&in, &b);
	assert_string_equal(param(&b, "REMOTE_ADDR"), "198.51.100.7");
	assert_string_equal(param(&b, "HTTPS"), "on");
	assert_string_equal(param(&b, "REQUEST_SCHEME"), "https");
	cidr_list_free(&trusted);
	fcgi_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listen_parsed),
		cmocka_unit_test(test_listen_errors),
		cmocka_unit_test(test_scoreboard),
		cmocka_unit_test(test_params_shared),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
