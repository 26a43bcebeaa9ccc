/*
 * test_topology.c: the site file. Instance lookup, peers, generic and
 * daemon-specific keys, every cross check, and the golden error files:
 * each tests/config/bad/NAME.yaml must print exactly NAME.expect, and each
 * tests/config/good/NAME.yaml must load clean.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../config/test_schema.h"
#include "util.h"

#define CONFIG_DIR	TRIAD_SOURCE_DIR "/tests/config"

static struct test_lbd lbd;
static struct test_webd webd;
static const struct topo_spec specs[] = {
	{ "lbd", &test_lbd_schema, &lbd },
	{ "webd", &test_webd_schema, &webd },
};

/* Loads text with both test specs; *errors gets the printed errors. */
static struct topology *
load(const char *text, char **errors)
{
	struct cfg_errors errs;
	struct topology *t;

	memset(&errs, 0, sizeof(errs));
	t = topo_load_mem("t.yaml", text, strlen(text), specs, nitems(specs),
	    &errs);
	*errors = cfg_errors_join(&errs);
	cfg_errors_clear(&errs);
	assert_true((t == NULL) == (*errors != NULL));
	return t;
}

/* text must load clean. */
static struct topology *
load_ok(const char *text)
{
	struct topology *t;
	char *errors;

	if ((t = load(text, &errors)) == NULL)
		fail_msg("unexpected errors:\n%s", errors);
	return t;
}

/* text must fail with exactly want; the specs are left empty. */
static void
load_err(const char *text, const char *want)
{
	char *errors, zero[sizeof(webd)];

	assert_null(load(text, &errors));
	if (strcmp(errors, want) != 0)
		fail_msg("errors differ:\n--- got\n%s--- want\n%s", errors,
		    want);
	free(errors);
	memset(zero, 0, sizeof(zero));
	assert_memory_equal(&webd, zero, sizeof(webd));
}

static void
unload(struct topology *t)
{
	topo_free(t);
	cfg_free(&test_lbd_schema, &lbd);
	cfg_free(&test_webd_schema, &webd);
}

/* The text of an address, in a rotating static buffer. */
static const char *
fmt(const struct net_addr *a)
{
	static char buf[4][NET_ADDR_STRLEN];
	static int i;

	i = (i + 1) % 4;
	return addr_format(a, buf[i], sizeof(buf[i]));
}

static const char three_hosts[] =
    "site: www.foobar.com\n"
    "hosts:\n"
    "  web1: { address: 10.10.0.11 }\n"
    "  web2: { address: 10.10.0.12 }\n"
    "  web3: { address: 'fd00::13' }\n"
    "lbd:\n"
    "  on: [web1, web2]\n"
    "  listen: [80, 443]\n"
    "  status: 9000\n"
    "  balance: source\n"
    "webd:\n"
    "  on: [web1, web2, { host: web3, listen: '[fd00::13]:8088' }]\n"
    "  listen: 8080\n"
    "  status: 9100\n"
    "  workers: 4\n"
    "  user: www\n"
    "  shutdown_timeout: 1m\n"
    "  log_level: debug\n"
    "  root: /srv/www\n"
    "appd:\n"
    "  on: [web1, web2, web3]\n"
    "  listen: 9001\n"
    "  apps: [whatever, appd, wants]\n"
    "mariadb: { primary: web1, replicas: [web2, web3] }\n";

static void
test_instances(void **state)
{
	const struct topo_instance *in;
	const struct topo_daemon *d;
	struct topology *t;
	char *cause;

	t = load_ok(three_hosts);
	assert_string_equal(t->site, "www.foobar.com");
	assert_string_equal(t->file, "t.yaml");
	in = topo_find(t, "webd", "web2", NULL, &cause);
	assert_non_null(in);
	assert_string_equal(in->daemon, "webd");
	assert_string_equal(in->name, "web2");
	assert_string_equal(in->host, "web2");
	assert_string_equal(fmt(&in->host_addr), "10.10.0.12:0");
	assert_int_equal(in->nlisten, 1);
	assert_string_equal(fmt(&in->listen[0]), "10.10.0.12:8080");
	assert_int_equal(in->listen_mark[0].line, 13);
	assert_string_equal(fmt(&in->status), "127.0.0.1:9100");
	assert_int_equal(in->workers, 4);
	assert_string_equal(in->user, "www");
	assert_null(in->group);
	assert_null(in->pidfile);
	assert_int_equal(in->shutdown_timeout_ms, 60000);
	assert_int_equal(in->log_level, 7);
	assert_int_equal(in->mark.line, 12);
	/* A per-instance listen wins; a v6 host's bare ports are v6. */
	in = topo_find(t, "webd", "web3", NULL, &cause);
	assert_non_null(in);
	assert_string_equal(fmt(&in->listen[0]), "[fd00::13]:8088");
	in = topo_find(t, "appd", "web3", NULL, &cause);
	assert_string_equal(fmt(&in->listen[0]), "[fd00::13]:9001");
	assert_int_equal(in->status.len, 0);
	assert_int_equal(in->workers, 0);
	assert_int_equal(in->shutdown_timeout_ms, 10000);
	assert_int_equal(in->log_level, 0);
	/* Two listen ports for lbd. */
	in = topo_find(t, "lbd", "web1", NULL, &cause);
	assert_int_equal(in->nlisten, 2);
	assert_string_equal(fmt(&in->listen[1]), "10.10.0.11:443");
	/* Absent daemons have no instance. */
	d = topo_daemon(t, "dbproxyd");
	assert_non_null(d);
	assert_int_equal(d->present, 0);
	assert_int_equal(d->ninst, 0);
	assert_null(topo_daemon(t, "nginx"));
	assert_int_equal(t->mariadb.port, 3306);
	assert_int_equal(t->mariadb.replicas.n, 2);
	assert_int_equal(t->admin_networks.n, 2);
	unload(t);
}

static void
test_peers(void **state)
{
	const struct topo_daemon *d;
	struct topology *t;

	t = load_ok(three_hosts);
	/* webd's upstreams: every appd instance, in `on` order. */
	d = topo_daemon(t, "appd");
	assert_int_equal(d->present, 1);
	assert_int_equal(d->ninst, 3);
	assert_string_equal(fmt(&d->inst[0].listen[0]), "10.10.0.11:9001");
	assert_string_equal(fmt(&d->inst[1].listen[0]), "10.10.0.12:9001");
	assert_string_equal(fmt(&d->inst[2].listen[0]), "[fd00::13]:9001");
	/* lbd's servers: every webd instance. */
	d = topo_daemon(t, "webd");
	assert_int_equal(d->ninst, 3);
	assert_string_equal(d->inst[2].name, "web3");
	unload(t);
}

static void
test_specs(void **state)
{
	struct test_route *r;
	struct topology *t;

	t = load_ok(three_hosts);
	/* Specific keys of the specs' sections. */
	assert_string_equal(webd.root, "/srv/www");
	assert_true(webd.client_max_body_size == 1048576);
	assert_int_equal(webd.index.n, 1);
	assert_string_equal(fmt(&webd.admin), "127.0.0.1:8999");
	assert_int_equal(lbd.balance, 2);
	assert_int_equal(lbd.health.rise, 2);
	unload(t);
	/* A spec's section may be absent: its defaults are applied. */
	t = load_ok("hosts: { h: { address: 10.0.0.1 } }\nwebd:\n  root: /r\n"
	    "  routes: [{ prefix: /api/, to: appd }]\n");
	assert_int_equal(lbd.retries, 3);
	assert_int_equal(lbd.connect_timeout_ms, 5000);
	assert_string_equal(lbd.servers, "webd");
	assert_string_equal(lbd.health.path, "/health");
	assert_int_equal(webd.routes.n, 1);
	r = webd.routes.v;
	assert_string_equal(r->to, "appd");
	unload(t);
}

static void
test_other_sections(void **state)
{
	static const struct cfg_key bad_keys[] = {
		{ .name = "workers", .type = CFG_INT, .help = "Mine." },
		{ .name = NULL },
	};
	static const struct cfg_schema bad_schema = {
		"bad", bad_keys, sizeof(int64_t), 0,
	};
	int64_t bad;
	struct cfg_errors errs;
	struct topology *t;
	struct topo_spec s[] = { { "appd", NULL, NULL } };
	char *e;

	/* Without a spec, appd's own keys are not checked... */
	t = load_ok(three_hosts);
	unload(t);
	/* ...but its generic keys are. */
	load_err("hosts: { h: { address: 10.0.0.1 } }\n"
	    "appd: { on: h, wrokers: 2, workers: x, anything: 1 }\n",
	    "t.yaml:2:37: appd.workers: expected an integer, got 'x'\n");
	/* With a spec (here: no specific keys), unknown keys are errors. */
	memset(&errs, 0, sizeof(errs));
	t = topo_load_mem("t.yaml", three_hosts, strlen(three_hosts), s, 1,
	    &errs);
	assert_null(t);
	e = cfg_errors_join(&errs);
	assert_string_equal(e, "t.yaml:23:3: unknown key 'apps' in appd\n");
	free(e);
	cfg_errors_clear(&errs);
	/* A daemon schema may not shadow a generic key. */
	s[0].daemon = "lbd";
	s[0].schema = &bad_schema;
	s[0].dst = &bad;
	t = topo_load_mem("t.yaml", three_hosts, strlen(three_hosts), s, 1,
	    &errs);
	assert_null(t);
	e = cfg_errors_join(&errs);
	assert_string_equal(e, "t.yaml: lbd's schema redefines the generic "
	    "key 'workers'\nt.yaml:10:3: unknown key 'balance' in lbd\n");
	free(e);
	cfg_errors_clear(&errs);
	/* A spec for a daemon that does not exist is reported. */
	s[0].daemon = "nginx";
	s[0].schema = NULL;
	t = topo_load_mem("t.yaml", three_hosts, strlen(three_hosts), s, 1,
	    &errs);
	assert_null(t);
	e = cfg_errors_join(&errs);
	assert_string_equal(e, "t.yaml: no daemon is called 'nginx'\n");
	free(e);
	cfg_errors_clear(&errs);
}

static const char one_host[] =
    "hosts:\n"
    "  local: { address: 127.0.0.1 }\n"
    "  other: { address: 127.0.0.2 }\n"
    "webd:\n"
    "  on:\n"
    "    - { host: local, name: webd1, listen: 8081, status: 9101 }\n"
    "    - { host: local, name: webd2, listen: 8082, status: 9102 }\n"
    "    - { host: other, listen: 8081 }\n"
    "  root: /srv\n";

static void
test_find(void **state)
{
	const struct topo_instance *in;
	struct topology *t;
	char *cause;

	t = load_ok(one_host);
	assert_null(topo_find(t, "webd", "local", NULL, &cause));
	assert_string_equal(cause, "host local runs 2 webd instances "
	    "(webd1, webd2): pick one with --instance");
	free(cause);
	in = topo_find(t, "webd", "local", "webd2", &cause);
	assert_non_null(in);
	assert_string_equal(fmt(&in->listen[0]), "127.0.0.1:8082");
	assert_string_equal(fmt(&in->status), "127.0.0.1:9102");
	in = topo_find(t, "webd", "other", NULL, &cause);
	assert_non_null(in);
	assert_string_equal(in->name, "other");
	assert_int_equal(in->status.len, 0);
	/* Without --host, the instance name alone decides. */
	in = topo_find(t, "webd", NULL, "webd1", &cause);
	assert_non_null(in);
	assert_null(topo_find(t, "webd", NULL, NULL, &cause));
	assert_string_equal(cause, "host (any) runs 3 webd instances "
	    "(webd1, webd2, other): pick one with --instance");
	free(cause);
	assert_null(topo_find(t, "webd", "nowhere", NULL, &cause));
	assert_string_equal(cause, "no webd instance on host 'nowhere' "
	    "(instances: webd1, webd2, other)");
	free(cause);
	assert_null(topo_find(t, "webd", "other", "webd1", &cause));
	assert_string_equal(cause, "webd instance 'webd1' runs on host "
	    "'local', not 'other'");
	free(cause);
	assert_null(topo_find(t, "webd", "local", "webd3", &cause));
	assert_string_equal(cause, "no webd instance is named 'webd3' "
	    "(instances: webd1, webd2, other)");
	free(cause);
	assert_null(topo_find(t, "appd", "local", NULL, &cause));
	assert_string_equal(cause, "no appd instance on host 'local' "
	    "(instances: none)");
	free(cause);
	assert_null(topo_find(t, "sshd", "local", NULL, &cause));
	assert_string_equal(cause, "no daemon is called 'sshd'");
	free(cause);
	unload(t);
}

static void
test_cross_checks(void **state)
{
	static const char head[] = "hosts:\n  a: { address: 10.0.0.1 }\n"
	    "  b: { address: 10.0.0.2 }\n";
	char *text;

	/* Ports clash per host, whatever the daemon or the address. */
	xasprintf(&text, "%swebd: { on: [a, b], listen: 80, root: /r }\n"
	    "appd: { on: [b], listen: 80 }\n"
	    "lbd: { on: [a], listen: 81, status: 80 }\n", head);
	load_err(text, "t.yaml:5:26: port 80 on host 'b': appd 'b' listen "
	    "clashes with webd 'b' listen at line 4\n"
	    "t.yaml:6:37: port 80 on host 'a': lbd 'a' status clashes with "
	    "webd 'a' listen at line 4\n");
	free(text);
	/* Same port on two hosts, or two unix paths: fine. */
	xasprintf(&text, "%swebd: { on: [a, b], listen: 80, root: /r }\n"
	    "appd: { on: [{host: a, name: x, listen: 'unix:/x'},"
	    " {host: a, name: y, listen: 'unix:/y'}] }\n", head);
	unload(load_ok(text));
	free(text);
	/* Two instances on one host without names. */
	xasprintf(&text, "%swebd: { on: [a, a], root: /r }\n", head);
	load_err(text, "t.yaml:4:17: duplicate webd instance name 'a' (first "
	    "at line 4): give each a name\n");
	free(text);
	/* Unknown hosts, everywhere a host is named. */
	xasprintf(&text, "%swebd: { on: [c], root: /r }\n"
	    "mariadb: { primary: d, replicas: [a, e] }\n", head);
	load_err(text, "t.yaml:4:14: unknown host 'c' in webd.on[0], did you "
	    "mean 'a'?\n"
	    "t.yaml:5:21: unknown host 'd' in mariadb.primary, did you mean "
	    "'a'?\n"
	    "t.yaml:5:38: unknown host 'e' in mariadb.replicas, did you mean "
	    "'a'?\n");
	free(text);
	/* A replica that is the primary. */
	xasprintf(&text, "%smariadb: { primary: a, replicas: [b, a] }\n",
	    head);
	load_err(text, "t.yaml:4:38: mariadb.replicas: 'a' is the primary\n");
	free(text);
	/* Host names and addresses. */
	load_err("hosts: { 'a b': { address: 10.0.0.300 } }\n",
	    "t.yaml:1:10: host name 'a b' must be letters, digits, '.', '_' "
	    "or '-'\n"
	    "t.yaml:1:28: hosts.a b.address: '10.0.0.300' is not a numeric "
	    "IPv4 or IPv6 address\n");
	load_err("site: x\n", "t.yaml:1:1: missing required key 'hosts' in "
	    "topology\n");
	load_err("hosts: {}\n", "t.yaml:1:8: hosts must have between 1 and "
	    "4096 entries, not 0\n");
}

/* Reads a whole file into a string (the test fails if it cannot). */
static char *
slurp(const char *path)
{
	char *buf = xmalloc(65536);
	size_t n;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		fail_msg("%s: cannot open", path);
	n = fread(buf, 1, 65535, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* The names in dir ending in .yaml, sorted; returns their count. */
static int
yaml_files(const char *dir, struct dirent ***list)
{
	struct dirent **all;
	int i, n, kept = 0;
	size_t len;

	if ((n = scandir(dir, &all, NULL, alphasort)) < 0)
		fail_msg("%s: cannot list", dir);
	*list = xcalloc((size_t)n + 1, sizeof(**list));
	for (i = 0; i < n; i++) {
		len = strlen(all[i]->d_name);
		if (len > 5 && strcmp(all[i]->d_name + len - 5, ".yaml") == 0)
			(*list)[kept++] = all[i];
		else
			free(all[i]);
	}
	free(all);
	return kept;
}

static void
test_bad_files(void **state)
{
	struct cfg_errors errs;
	struct dirent **list;
	struct topology *t;
	char path[512], *got, *want;
	int i, n;

	/* Paths in messages are as given: relative to tests/config. */
	assert_int_equal(chdir(CONFIG_DIR), 0);
	n = yaml_files("bad", &list);
	assert_true(n >= 15);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "bad/%s", list[i]->d_name);
		memset(&errs, 0, sizeof(errs));
		t = topo_load_file(path, specs, nitems(specs), &errs);
		if (t != NULL)
			fail_msg("%s loaded without an error", path);
		got = cfg_errors_join(&errs);
		cfg_errors_clear(&errs);
		memcpy(path + strlen(path) - 5, ".expect", 8);
		want = slurp(path);
		if (strcmp(got, want) != 0)
			fail_msg("%s:\n--- got\n%s--- want\n%s", path, got,
			    want);
		free(got);
		free(want);
		free(list[i]);
	}
	free(list);
}

static void
test_good_files(void **state)
{
	struct cfg_errors errs;
	struct dirent **list;
	struct topology *t;
	char path[512], *got;
	int i, n;

	assert_int_equal(chdir(CONFIG_DIR), 0);
	n = yaml_files("good", &list);
	assert_true(n >= 3);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "good/%s", list[i]->d_name);
		memset(&errs, 0, sizeof(errs));
		t = topo_load_file(path, specs, nitems(specs), &errs);
		got = cfg_errors_join(&errs);
		if (t == NULL)
			fail_msg("%s:\n%s", path, got);
		cfg_errors_clear(&errs);
		unload(t);
		free(list[i]);
	}
	free(list);
}

static void
test_help(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&buf, &len);
	topo_help(f, specs, nitems(specs));
	fclose(f);
	assert_non_null(strstr(buf, "\nhosts.NAME.address: string, "
	    "required\n"));
	assert_non_null(strstr(buf, "\nDAEMON.workers: int, 0 to 256, "
	    "default 0\n"));
	assert_non_null(strstr(buf, "\nDAEMON.on[].host: string, at most 63 "
	    "bytes, required\n"));
	assert_non_null(strstr(buf, "\nlbd.balance: one of "
	    "roundrobin|leastconn|source|uri|random, default roundrobin\n"));
	assert_non_null(strstr(buf, "\nwebd.root: string, required\n"));
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_instances),
		cmocka_unit_test(test_peers),
		cmocka_unit_test(test_specs),
		cmocka_unit_test(test_other_sections),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_cross_checks),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_good_files),
		cmocka_unit_test(test_help),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
