/*
 * test_config.c: the schema-driven loader. Every row type with good and
 * hostile values, ranges, defaults, "did you mean", lists and nested
 * sections, every YAML-level refusal, all errors reported at once, help
 * text, and cfg_free leaving nothing behind (ASan checks the leaks).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "util.h"

/* ---- a schema with one row of every type ---- */

struct t_hex {
	uint8_t	*p;
	size_t	 n;
};

struct t_sub {
	int64_t	 depth;
	char	*label;
};

struct t_item {
	char		*name;
	int64_t		 weight;
	int		 on;
	struct cfg_mark	 mark;
};

struct t_user {
	char		*name;
	char		*password;
	struct t_sub	 limits;
	struct cfg_mark	 mark;
};

struct t_conf {
	int			 flag;
	int64_t			 count;
	uint64_t		 size;
	int64_t			 timeout;
	char			*name;
	int			 mode;
	int			 level;
	struct net_addr		 addr;
	struct cidr_list	 nets;
	struct cfg_strlist	 tags;
	struct t_sub		 sub;
	struct cfg_array	 items;
	struct cfg_array	 users;
	struct t_hex		 key;
	struct cfg_mark		 name_mark;
};

/* A custom row: hex text into allocated bytes (to prove free is called). */
static int
t_hex_parse(struct cfg_ctx *ctx, const struct cfg_key *key,
    const struct cfg_node *n, void *slot)
{
	struct t_hex *h = slot;
	unsigned int b;
	size_t i;

	if (n->type != CFG_NODE_SCALAR || n->len == 0 || n->len % 2 != 0) {
		cfg_error(ctx, n, "%s: expected an even number of hex digits",
		    ctx->path);
		return -1;
	}
	h->p = xmalloc(n->len / 2);
	for (i = 0; i < n->len / 2; i++) {
		if (sscanf(n->str + 2 * i, "%2x", &b) != 1) {
			cfg_error(ctx, n, "%s: not hex", ctx->path);
			return -1;
		}
		h->p[h->n++] = (uint8_t)b;
	}
	return 0;
}

static void
t_hex_free(const struct cfg_key *key, void *slot)
{
	struct t_hex *h = slot;

	free(h->p);
}

static const char *const t_modes[] = { "fast", "safe", "paranoid", NULL };
static const int t_levels[] = { 10, 20 };
static const char *const t_level_names[] = { "low", "high", NULL };

static const struct cfg_key t_sub_keys[] = {
	{ .name = "depth", .type = CFG_INT, .def = "3", .min = 1, .max = 9,
	  .off = offsetof(struct t_sub, depth), .help = "How deep." },
	{ .name = "label", .type = CFG_STRING, .def = "none",
	  .off = offsetof(struct t_sub, label), .help = "A label." },
	{ .name = NULL },
};
static const struct cfg_schema t_sub_schema = {
	"sub", t_sub_keys, sizeof(struct t_sub), 0,
};

static const struct cfg_key t_item_keys[] = {
	{ .name = "name", .type = CFG_STRING, .flags = CFG_F_REQUIRED |
	  CFG_F_SHORTHAND, .off = offsetof(struct t_item, name),
	  .help = "Item name." },
	{ .name = "weight", .type = CFG_INT, .def = "1", .min = 1, .max = 100,
	  .off = offsetof(struct t_item, weight), .help = "Weight." },
	{ .name = "on", .type = CFG_BOOL, .def = "yes",
	  .off = offsetof(struct t_item, on), .help = "Enabled." },
	{ .name = NULL },
};
static const struct cfg_schema t_item_schema = {
	"item", t_item_keys, sizeof(struct t_item),
	CFG_MARK(struct t_item, mark),
};

static const struct cfg_key t_user_keys[] = {
	{ .name = "name", .type = CFG_STRING, .flags = CFG_F_MAPKEY,
	  .max = 16, .off = offsetof(struct t_user, name),
	  .help = "User name." },
	{ .name = "password", .type = CFG_STRING, .flags = CFG_F_REQUIRED,
	  .off = offsetof(struct t_user, password), .help = "Hash." },
	{ .name = "limits", .type = CFG_SECTION, .sub = &t_sub_schema,
	  .off = offsetof(struct t_user, limits), .help = "Limits." },
	{ .name = NULL },
};
static const struct cfg_schema t_user_schema = {
	"user", t_user_keys, sizeof(struct t_user),
	CFG_MARK(struct t_user, mark),
};

static const struct cfg_key t_keys[] = {
	{ .name = "flag", .type = CFG_BOOL, .def = "false",
	  .off = offsetof(struct t_conf, flag), .help = "A flag." },
	{ .name = "count", .type = CFG_INT, .def = "4", .min = 1, .max = 256,
	  .off = offsetof(struct t_conf, count), .help = "A count." },
	{ .name = "size", .type = CFG_SIZE, .def = "64k", .min = 1024,
	  .max = 1LL << 30, .off = offsetof(struct t_conf, size),
	  .help = "A size." },
	{ .name = "timeout", .type = CFG_DURATION, .def = "30s", .min = 1,
	  .max = 86400000, .off = offsetof(struct t_conf, timeout),
	  .help = "A timeout." },
	{ .name = "name", .type = CFG_STRING, .max = 8,
	  .off = offsetof(struct t_conf, name),
	  .mark = CFG_MARK(struct t_conf, name_mark), .help = "A name." },
	{ .name = "mode", .type = CFG_ENUM, .names = t_modes, .def = "safe",
	  .off = offsetof(struct t_conf, mode), .help = "A mode." },
	{ .name = "level", .type = CFG_ENUM, .names = t_level_names,
	  .values = t_levels, .off = offsetof(struct t_conf, level),
	  .help = "A level." },
	{ .name = "addr", .type = CFG_ADDRESS, .host = "127.0.0.1",
	  .def = "8080", .off = offsetof(struct t_conf, addr),
	  .help = "An address." },
	{ .name = "nets", .type = CFG_CIDRS, .flags = CFG_F_SCALAR_OK,
	  .def = "[127.0.0.0/8, '::1']", .off = offsetof(struct t_conf, nets),
	  .help = "Networks." },
	{ .name = "tags", .type = CFG_STRINGS, .max = 3,
	  .off = offsetof(struct t_conf, tags), .help = "Tags." },
	{ .name = "sub", .type = CFG_SECTION, .sub = &t_sub_schema,
	  .off = offsetof(struct t_conf, sub), .help = "A section." },
	{ .name = "items", .type = CFG_SECTIONS, .sub = &t_item_schema,
	  .flags = CFG_F_SCALAR_OK, .off = offsetof(struct t_conf, items),
	  .help = "Items." },
	{ .name = "users", .type = CFG_MAP, .sub = &t_user_schema,
	  .off = offsetof(struct t_conf, users), .help = "Users." },
	{ .name = "key", .type = CFG_CUSTOM, .parse = t_hex_parse,
	  .free = t_hex_free, .type_name = "hex", .def = "00ff",
	  .off = offsetof(struct t_conf, key), .help = "A key." },
	{ .name = NULL },
};
static const struct cfg_schema t_schema = {
	"test", t_keys, sizeof(struct t_conf), 0,
};

/* ---- helpers ---- */

/* Loads text; returns the printed errors ("" when none), to be freed. */
static char *
load(const char *text, struct t_conf *c)
{
	struct cfg_errors errs;
	char *s;

	memset(&errs, 0, sizeof(errs));
	if (cfg_load_mem("t.yaml", text, strlen(text), &t_schema, c,
	    &errs) == 0) {
		assert_int_equal(cfg_errors_count(&errs), 0);
		return xstrdup("");
	}
	assert_true(cfg_errors_count(&errs) > 0);
	s = cfg_errors_join(&errs);
	cfg_errors_clear(&errs);
	return s;
}

/* text must load with no error. */
static void
load_ok(const char *text, struct t_conf *c)
{
	char *s = load(text, c);

	if (*s != '\0')
		fail_msg("unexpected errors:\n%s", s);
	free(s);
}

/* text must fail with exactly the errors want (one per line). */
static void
load_err(const char *text, const char *want)
{
	struct t_conf c;
	char *s = load(text, &c), zero[sizeof(c)];

	if (strcmp(s, want) != 0)
		fail_msg("errors differ:\n--- got\n%s--- want\n%s", s, want);
	free(s);
	/* A failed load leaves nothing to free. */
	memset(zero, 0, sizeof(zero));
	assert_memory_equal(&c, zero, sizeof(c));
}

/* ---- values ---- */

static void
test_bool(void **state)
{
	static const char *const yes[] = { "true", "yes", "on", "TRUE", "On" };
	static const char *const no[] = { "false", "no", "off", "False" };
	static const char *const bad[] = { "", "1", "0", "y", "tru", "yes ",
	    "enable" };
	char *cause;
	size_t i;
	int v;

	for (i = 0; i < nitems(yes); i++) {
		assert_int_equal(cfg_parse_bool(yes[i], &v, &cause), 0);
		assert_int_equal(v, 1);
	}
	for (i = 0; i < nitems(no); i++) {
		assert_int_equal(cfg_parse_bool(no[i], &v, &cause), 0);
		assert_int_equal(v, 0);
	}
	for (i = 0; i < nitems(bad); i++) {
		assert_int_equal(cfg_parse_bool(bad[i], &v, &cause), -1);
		assert_non_null(strstr(cause, "expected true or false"));
		free(cause);
	}
}

static void
test_int(void **state)
{
	static const struct {
		const char	*in;
		int64_t		 v;
	} good[] = {
		{ "0", 0 }, { "42", 42 }, { "-7", -7 }, { "007", 7 },
		{ "9223372036854775807", INT64_MAX },
		{ "-9223372036854775808", INT64_MIN },
	};
	static const struct {
		const char	*in, *want;
	} bad[] = {
		{ "", "expected an integer, got ''" },
		{ "-", "expected an integer" },
		{ "+5", "expected an integer" },
		{ "1.5", "expected an integer" },
		{ "12abc", "expected an integer" },
		{ "0x10", "expected an integer" },
		{ " 1", "expected an integer" },
		{ "1e3", "expected an integer" },
		{ "9223372036854775808", "out of range" },
		{ "-9223372036854775809", "out of range" },
		{ "99999999999999999999999999", "out of range" },
	};
	char *cause;
	int64_t v;
	size_t i;

	for (i = 0; i < nitems(good); i++) {
		assert_int_equal(cfg_parse_int(good[i].in, &v, &cause), 0);
		assert_true(v == good[i].v);
	}
	for (i = 0; i < nitems(bad); i++) {
		assert_int_equal(cfg_parse_int(bad[i].in, &v, &cause), -1);
		if (strstr(cause, bad[i].want) == NULL)
			fail_msg("'%s': %s", bad[i].in, cause);
		free(cause);
	}
}

static void
test_size(void **state)
{
	static const struct {
		const char	*in;
		uint64_t	 v;
	} good[] = {
		{ "0", 0 }, { "512", 512 }, { "64k", 65536 }, { "64K", 65536 },
		{ "1m", 1048576 }, { "2g", 2147483648ULL },
		{ "1t", 1099511627776ULL },
		{ "18446744073709551615", UINT64_MAX },
		{ "16777215t", 16777215ULL << 40 },
	};
	static const struct {
		const char	*in, *want;
	} bad[] = {
		{ "", "expected a size like 64k, got ''" },
		{ "abc", "expected a size like 64k, got 'abc'" },
		{ "k", "expected a size" },
		{ "-1", "expected a size" },
		{ "64kb", "expected a size" },
		{ "64kk", "expected a size" },
		{ "1mb", "expected a size" },
		{ "1.5m", "expected a size" },
		{ "64 k", "expected a size" },
		{ "64x", "expected a size" },
		{ "1p", "expected a size" },
		{ "18446744073709551616", "too large" },
		{ "16777216t", "too large" },
		{ "18014398509481984k", "too large" },
	};
	char *cause;
	uint64_t v;
	size_t i;

	for (i = 0; i < nitems(good); i++) {
		if (cfg_parse_size(good[i].in, &v, &cause) != 0)
			fail_msg("'%s': %s", good[i].in, cause);
		assert_true(v == good[i].v);
	}
	for (i = 0; i < nitems(bad); i++) {
		assert_int_equal(cfg_parse_size(bad[i].in, &v, &cause), -1);
		if (strstr(cause, bad[i].want) == NULL)
			fail_msg("'%s': %s", bad[i].in, cause);
		free(cause);
	}
}

static void
test_duration(void **state)
{
	static const struct {
		const char	*in;
		int64_t		 ms;
	} good[] = {
		{ "0", 0 }, { "500ms", 500 }, { "30s", 30000 },
		{ "5m", 300000 }, { "1h", 3600000 }, { "2d", 172800000 },
		{ "1m30s", 90000 }, { "1h30m", 5400000 },
		{ "1d2h3m4s5ms", 93784005 }, { "0s", 0 },
		{ "9223372036854775807ms", INT64_MAX },
	};
	static const struct {
		const char	*in, *want;
	} bad[] = {
		{ "30", "needs a unit" },
		{ "", "expected a duration" },
		{ "s", "expected a duration" },
		{ "-5s", "expected a duration" },
		{ "5 s", "expected a duration" },
		{ "5sec", "expected a duration" },
		{ "5S", "expected a duration" },
		{ "1.5s", "expected a duration" },
		{ "5w", "expected a duration" },
		{ "5mss", "expected a duration" },
		{ "1m30", "expected a duration" },
		{ "30s1m", "expected a duration" },
		{ "1m1m", "expected a duration" },
		{ "106751991167301d", "too large" },
		{ "9223372036854775808ms", "too large" },
		{ "9223372036854775807ms1ms", "expected a duration" },
		{ "106751991167d1d", "expected a duration" },
		{ "106751991167d23h59m59s808ms", "too large" },
	};
	char *cause;
	int64_t v;
	size_t i;

	for (i = 0; i < nitems(good); i++) {
		if (cfg_parse_duration(good[i].in, &v, &cause) != 0)
			fail_msg("'%s': %s", good[i].in, cause);
		assert_true(v == good[i].ms);
	}
	for (i = 0; i < nitems(bad); i++) {
		assert_int_equal(cfg_parse_duration(bad[i].in, &v, &cause),
		    -1);
		if (strstr(cause, bad[i].want) == NULL)
			fail_msg("'%s': %s", bad[i].in, cause);
		free(cause);
	}
}

static void
test_format(void **state)
{
	char buf[64];
	int64_t ms;
	uint64_t v;
	char *cause;

	assert_string_equal(cfg_format_size(0, buf, sizeof(buf)), "0");
	assert_string_equal(cfg_format_size(1000, buf, sizeof(buf)), "1000");
	assert_string_equal(cfg_format_size(65536, buf, sizeof(buf)), "64k");
	assert_string_equal(cfg_format_size(1ULL << 30, buf, sizeof(buf)),
	    "1g");
	assert_string_equal(cfg_format_size(3ULL << 40, buf, sizeof(buf)),
	    "3t");
	assert_string_equal(cfg_format_duration(0, buf, sizeof(buf)), "0");
	assert_string_equal(cfg_format_duration(500, buf, sizeof(buf)),
	    "500ms");
	assert_string_equal(cfg_format_duration(90000, buf, sizeof(buf)),
	    "1m30s");
	assert_string_equal(cfg_format_duration(86400000, buf, sizeof(buf)),
	    "1d");
	/* Printed values read back to themselves. */
	cfg_format_duration(93784005, buf, sizeof(buf));
	assert_int_equal(cfg_parse_duration(buf, &ms, &cause), 0);
	assert_true(ms == 93784005);
	cfg_format_size(123ULL << 20, buf, sizeof(buf));
	assert_int_equal(cfg_parse_size(buf, &v, &cause), 0);
	assert_true(v == 123ULL << 20);
}

static void
test_distance(void **state)
{
	static const char *const keys[] = { "balance", "retries", "servers",
	    "timeout", "on" };
	char longw[100];

	assert_int_equal(cfg_distance("balance", "balance"), 0);
	assert_int_equal(cfg_distance("balence", "balance"), 1);
	assert_int_equal(cfg_distance("blaance", "balance"), 1);	/* swap */
	assert_int_equal(cfg_distance("Balance", "balance"), 0);
	assert_int_equal(cfg_distance("", "abc"), 3);
	assert_int_equal(cfg_distance("kitten", "sitting"), 3);
	memset(longw, 'a', sizeof(longw) - 1);
	longw[sizeof(longw) - 1] = '\0';
	assert_true(cfg_distance(longw, "a") == UINT32_MAX);
	assert_string_equal(cfg_suggest("balence", keys, nitems(keys)),
	    "balance");
	assert_string_equal(cfg_suggest("retires", keys, nitems(keys)),
	    "retries");
	assert_string_equal(cfg_suggest("servres", keys, nitems(keys)),
	    "servers");
	assert_string_equal(cfg_suggest("TIMEOUT", keys, nitems(keys)),
	    "timeout");
	assert_null(cfg_suggest("zzz", keys, nitems(keys)));
	assert_null(cfg_suggest("weight", keys, nitems(keys)));
	assert_null(cfg_suggest(longw, keys, nitems(keys)));
	assert_null(cfg_suggest("x", keys, 0));
}

/* ---- schemas ---- */

static void
test_defaults(void **state)
{
	struct t_conf c;
	char buf[NET_ADDR_STRLEN];

	load_ok("{}", &c);
	assert_int_equal(c.flag, 0);
	assert_int_equal(c.count, 4);
	assert_true(c.size == 65536);
	assert_int_equal(c.timeout, 30000);
	assert_null(c.name);
	assert_int_equal(c.name_mark.line, 0);
	assert_int_equal(c.mode, 1);
	assert_int_equal(c.level, 0);
	assert_string_equal(addr_format(&c.addr, buf, sizeof(buf)),
	    "127.0.0.1:8080");
	assert_int_equal(c.nets.n, 2);
	assert_int_equal(c.tags.n, 0);
	assert_int_equal(c.sub.depth, 3);
	assert_string_equal(c.sub.label, "none");
	assert_int_equal(c.items.n, 0);
	assert_int_equal(c.users.n, 0);
	assert_int_equal(c.key.n, 2);
	assert_int_equal(c.key.p[1], 0xff);
	cfg_free(&t_schema, &c);
	assert_null(c.sub.label);
}

static void
test_every_type(void **state)
{
	static const char text[] =
	    "flag: yes\n"
	    "count: 256\n"
	    "size: 1g\n"
	    "timeout: 1h30m\n"
	    "name: \"short\"\n"
	    "mode: paranoid\n"
	    "level: high\n"
	    "addr: \"[::1]:99\"\n"
	    "nets: 10.0.0.0/8\n"
	    "tags: [a, 'b c', \"\"]\n"
	    "sub: { depth: 9 }\n"
	    "items:\n"
	    "  - one\n"
	    "  - { name: two, weight: 100, on: off }\n"
	    "users:\n"
	    "  alice: { password: x1, limits: { label: L } }\n"
	    "  bob:\n"
	    "    password: x2\n"
	    "key: 0a0B\n";
	struct t_conf c;
	struct t_item *it;
	struct t_user *u;
	char buf[NET_ADDR_STRLEN];
	char *s;

	/* An empty string in a list of strings is refused. */
	s = load(text, &c);
	assert_string_equal(s, "t.yaml:10:18: tags[2] must not be empty\n");
	free(s);
	s = xstrdup(text);
	memcpy(strstr(s, "\"\"]"), "cc]", 3);
	load_ok(s, &c);
	free(s);
	assert_int_equal(c.flag, 1);
	assert_int_equal(c.count, 256);
	assert_true(c.size == 1ULL << 30);
	assert_int_equal(c.timeout, 5400000);
	assert_string_equal(c.name, "short");
	assert_int_equal(c.name_mark.line, 5);
	assert_int_equal(c.name_mark.col, 7);
	assert_int_equal(c.mode, 2);
	assert_int_equal(c.level, 20);
	assert_string_equal(addr_format(&c.addr, buf, sizeof(buf)),
	    "[::1]:99");
	assert_int_equal(c.nets.n, 1);
	assert_int_equal(c.tags.n, 3);
	assert_string_equal(c.tags.v[1], "b c");
	assert_int_equal(c.tags.marks[2].line, 10);
	assert_int_equal(c.tags.marks[2].col, 18);
	assert_int_equal(c.sub.depth, 9);
	assert_string_equal(c.sub.label, "none");
	assert_int_equal(c.items.n, 2);
	it = c.items.v;
	assert_string_equal(it[0].name, "one");
	assert_int_equal(it[0].weight, 1);
	assert_int_equal(it[0].on, 1);
	assert_int_equal(it[0].mark.line, 13);
	assert_string_equal(it[1].name, "two");
	assert_int_equal(it[1].weight, 100);
	assert_int_equal(it[1].on, 0);
	assert_int_equal(c.users.n, 2);
	u = c.users.v;
	assert_string_equal(u[0].name, "alice");
	assert_string_equal(u[0].password, "x1");
	assert_string_equal(u[0].limits.label, "L");
	assert_int_equal(u[0].limits.depth, 3);
	assert_int_equal(u[0].mark.line, 16);
	assert_int_equal(u[0].mark.col, 3);
	assert_string_equal(u[1].name, "bob");
	assert_string_equal(u[1].password, "x2");
	assert_int_equal(c.key.n, 2);
	assert_int_equal(c.key.p[0], 0x0a);
	assert_int_equal(c.key.p[1], 0x0b);
	cfg_free(&t_schema, &c);
	assert_null(c.users.v);
	assert_null(c.key.p);
}

static void
test_ranges(void **state)
{
	load_err("count: 0\n",
	    "t.yaml:1:8: count must be between 1 and 256\n");
	load_err("count: 257\n",
	    "t.yaml:1:8: count must be between 1 and 256\n");
	load_err("size: 1023\n",
	    "t.yaml:1:7: size must be between 1k and 1g\n");
	load_err("size: 2g\n",
	    "t.yaml:1:7: size must be between 1k and 1g\n");
	load_err("timeout: 0\n",
	    "t.yaml:1:10: timeout must be between 1ms and 1d\n");
	load_err("timeout: 1d1ms\n",
	    "t.yaml:1:10: timeout must be between 1ms and 1d\n");
	load_err("name: longer-than-8\n",
	    "t.yaml:1:7: name is too long (13 bytes, at most 8)\n");
	load_err("tags: [a, b, c, d]\n",
	    "t.yaml:1:7: tags must have between 0 and 3 items, not 4\n");
	load_err("sub: { depth: 10 }\n",
	    "t.yaml:1:15: sub.depth must be between 1 and 9\n");
	load_err("items: [{ name: x, weight: 0 }]\n",
	    "t.yaml:1:28: items[0].weight must be between 1 and 100\n");
}

static void
test_wrong_types(void **state)
{
	load_err("count: [1]\n",
	    "t.yaml:1:8: count: expected a value, got a list\n");
	load_err("flag: { a: 1 }\n",
	    "t.yaml:1:7: flag: expected a value, got a mapping\n");
	load_err("count:\n", "t.yaml:1:7: count: missing value\n");
	load_err("count: ~\n", "t.yaml:1:8: count: missing value\n");
	load_err("sub: [1]\n",
	    "t.yaml:1:6: sub: expected a mapping, got a list\n");
	load_err("tags: a\n",
	    "t.yaml:1:7: tags: expected a list, got a scalar\n");
	load_err("users: [a]\n",
	    "t.yaml:1:8: users: expected a mapping, got a list\n");
	load_err("addr: 70000\n",
	    "t.yaml:1:7: addr: port 70000 out of range (1-65535)\n");
	load_err("nets: [10.0.0.0/8, 10.1.0.0/8]\n", "t.yaml:1:20: nets[1]: "
	    "'10.1.0.0/8' has host bits set, did you mean 10.0.0.0/8?\n");
	load_err("key: abc\n",
	    "t.yaml:1:6: key: expected an even number of hex digits\n");
	load_err("mode: fsat\n", "t.yaml:1:7: mode: unknown value 'fsat', "
	    "did you mean 'fast'? (one of: fast, safe, paranoid)\n");
	load_err("level: 10\n", "t.yaml:1:8: level: unknown value '10' "
	    "(one of: low, high)\n");
	/* A null section is an empty one: all defaults. */
	load_err("sub:\ncount: x\n",
	    "t.yaml:2:8: count: expected an integer, got 'x'\n");
}

static void
test_keys(void **state)
{
	load_err("cuont: 1\n", "t.yaml:1:1: unknown key 'cuont' in test, "
	    "did you mean 'count'?\n");
	load_err("sub: { dpeth: 1 }\n", "t.yaml:1:8: unknown key 'dpeth' in "
	    "sub, did you mean 'depth'?\n");
	load_err("zzzzzz: 1\n", "t.yaml:1:1: unknown key 'zzzzzz' in test\n");
	load_err("count: 1\ncount: 2\n", "t.yaml:2:1: duplicate key 'count' "
	    "in test (first at line 1)\n");
	load_err("users: { a: { password: x }, a: { password: y } }\n",
	    "t.yaml:1:30: duplicate key 'a' in users (first at line 1)\n");
	load_err("users: { a: {} }\n", "t.yaml:1:13: missing required key "
	    "'password' in users.a\n");
	load_err("items: [{ weight: 2 }]\n", "t.yaml:1:9: missing required "
	    "key 'name' in items[0]\n");
	/* The map key row is not a key one may write. */
	load_err("users: { a: { password: x, name: b } }\n",
	    "t.yaml:1:28: unknown key 'name' in users.a\n");
	load_err("users: { verylongusername12345: { password: x } }\n",
	    "t.yaml:1:10: users.verylongusername12345 is too long (21 "
	    "bytes, at most 16)\n");
	load_err("[a]: 1\n",
	    "t.yaml:1:1: keys must be plain names, not a list\n");
}

static void
test_all_errors(void **state)
{
	struct t_conf c;
	char *s;

	/* Three mistakes, three lines, in file order. */
	s = load("timeout: 30\ncount: lots\nsize: 1x\nmode: safe\n", &c);
	assert_string_equal(s,
	    "t.yaml:1:10: timeout: duration '30' needs a unit (ms, s, m, h "
	    "or d)\n"
	    "t.yaml:2:8: count: expected an integer, got 'lots'\n"
	    "t.yaml:3:7: size: expected a size like 64k, got '1x'\n");
	free(s);
	/* Errors of nested rows come back in file order too. */
	s = load("users: { b: {} }\nsub: { depth: 0 }\ncuont: 1\n", &c);
	assert_string_equal(s,
	    "t.yaml:1:13: missing required key 'password' in users.b\n"
	    "t.yaml:2:15: sub.depth must be between 1 and 9\n"
	    "t.yaml:3:1: unknown key 'cuont' in test, did you mean 'count'?\n");
	free(s);
}

static void
test_error_cap(void **state)
{
	struct t_conf c;
	char *text, *s, *p;
	size_t i, lines = 0;

	/* 150 unknown keys: 100 kept, the rest counted. */
	text = xstrdup("");
	for (i = 0; i < 150; i++) {
		xasprintf(&p, "%sk%zu: 1\n", text, i);
		free(text);
		text = p;
	}
	s = load(text, &c);
	for (p = s; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	assert_int_equal(lines, CFG_MAX_ERRORS + 1);
	assert_non_null(strstr(s, "(50 more errors not shown)\n"));
	free(s);
	free(text);
}

static void
test_error_text(void **state)
{
	struct cfg_errors errs;
	struct cfg_mark m = { 3, 4 };
	char *s;

	memset(&errs, 0, sizeof(errs));
	assert_null(cfg_errors_join(&errs));
	cfg_errors_add(&errs, "f", &m, "b\nc%d", 1);
	cfg_errors_add(&errs, "f", NULL, "no place");
	cfg_errors_add(&errs, NULL, NULL, "bare");
	cfg_errors_sort(&errs);
	s = cfg_errors_join(&errs);
	/* A value cannot break the one-error-per-line rule. */
	assert_string_equal(s, "f: no place\nbare\nf:3:4: b?c1\n");
	free(s);
	cfg_errors_clear(&errs);
	assert_int_equal(cfg_errors_count(&errs), 0);
}

/* ---- YAML level ---- */

static void
test_yaml_refusals(void **state)
{
	struct t_conf c;
	char *big, *s;
	size_t i;

	load_err("", "t.yaml:1:1: the file is empty\n");
	load_err("# nothing\n\n", "t.yaml:1:1: the file is empty\n");
	load_err("---\n", "t.yaml:1:1: the file is empty\n");
	load_err("- a\n- b\n",
	    "t.yaml:1:1: test: expected a mapping, got a list\n");
	load_err("just text\n",
	    "t.yaml:1:1: test: expected a mapping, got a scalar\n");
	load_err("count: 1\n---\ncount: 2\n",
	    "t.yaml:2:1: only one YAML document is allowed\n");
	load_err("a: &x 1\nb: *x\n",
	    "t.yaml:2:4: YAML aliases are not supported ('*x')\n");
	load_err("sub:\n\tdepth: 1\n",
	    "t.yaml:2:1: tab character: YAML indents with spaces only\n");
	load_err("count: [1, 2\n", "t.yaml:2:1: YAML syntax error: did not "
	    "find expected ',' or ']' (while parsing a flow sequence at "
	    "line 1)\n");
	load_err("name: \"a\\0b\"\n",
	    "t.yaml:1:7: NUL character in a value\n");
	load_err("name: \"a\xff\"\n",
	    "t.yaml:1:9: invalid leading UTF-8 octet (byte 0xff)\n");
	/* Nesting and size are bounded before anything is built. */
	big = xmalloc(CFG_MAX_FILE + 2);
	memset(big, '[', 100);
	memset(big + 100, ']', 100);
	big[200] = '\0';
	load_err(big, "t.yaml:1:65: lists and mappings nested deeper than "
	    "64 levels\n");
	memset(big, ' ', CFG_MAX_FILE + 1);
	big[CFG_MAX_FILE + 1] = '\0';
	load_err(big, "t.yaml: larger than 1048576 bytes\n");
	/* 100001 list items: the node cap ends the read. */
	memcpy(big, "tags: [", 7);
	for (i = 0; i < 100001; i++)
		memcpy(big + 7 + 2 * i, "1,", 2);
	memcpy(big + 7 + 2 * i, "1]", 3);
	s = load(big, &c);
	assert_non_null(strstr(s, "more than 100000 YAML nodes"));
	free(s);
	free(big);
}

static void
test_alias_bomb(void **state)
{
	static const char bomb[] =
	    "a: &a [x, x, x, x, x, x, x, x, x]\n"
	    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
	    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
	    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
	    "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
	    "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
	    "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n";

	load_err(bomb, "t.yaml:2:8: YAML aliases are not supported ('*a')\n");
}

static void
test_files(void **state)
{
	struct cfg_errors errs;
	struct t_conf c;
	char *s;

	memset(&errs, 0, sizeof(errs));
	assert_int_equal(cfg_load_file("/nonexistent/triad.yaml", &t_schema,
	    &c, &errs), -1);
	s = cfg_errors_join(&errs);
	assert_string_equal(s, "/nonexistent/triad.yaml: cannot open: No "
	    "such file or directory\n");
	free(s);
	cfg_errors_clear(&errs);
	assert_int_equal(cfg_load_file("/", &t_schema, &c, &errs), -1);
	s = cfg_errors_join(&errs);
	assert_string_equal(s, "/: cannot read: Is a directory\n");
	free(s);
	cfg_errors_clear(&errs);
	assert_int_equal(cfg_load_file(TRIAD_SOURCE_DIR
	    "/tests/config/good/minimal.yaml", &t_schema, &c, &errs), -1);
	s = cfg_errors_join(&errs);
	assert_non_null(strstr(s, "minimal.yaml:1:1: unknown key 'hosts' in "
	    "test\n"));
	free(s);
	cfg_errors_clear(&errs);
}

static void
test_nodes(void **state)
{
	static const char text[] = "a: 1\nb: [x, ~]\nc: {d: ''}\n";
	struct cfg_errors errs;
	struct cfg_doc *doc;
	const struct cfg_node *n;

	memset(&errs, 0, sizeof(errs));
	doc = cfg_doc_load_mem("n", text, strlen(text), &errs);
	assert_non_null(doc);
	assert_int_equal(doc->root->type, CFG_NODE_MAP);
	n = cfg_node_get(doc->root, "b");
	assert_non_null(n);
	assert_string_equal(cfg_node_kind(n), "a list");
	assert_int_equal(n->mark.line, 2);
	assert_int_equal(n->mark.col, 4);
	assert_int_equal(n->kids[1]->null, 1);
	n = cfg_node_get(cfg_node_get(doc->root, "c"), "d");
	assert_non_null(n);
	/* A quoted empty string is a value, not a null. */
	assert_int_equal(n->null, 0);
	assert_null(cfg_node_get(doc->root, "z"));
	assert_null(cfg_node_get(n, "z"));
	cfg_doc_free(doc);
}

static void
test_help(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&buf, &len);
	assert_non_null(f);
	cfg_help(f, &t_schema, "x");
	fclose(f);
	assert_non_null(strstr(buf, "x.count: int, 1 to 256, default 4\n"
	    "    A count.\n"));
	assert_non_null(strstr(buf, "x.size: size, 1k to 1g, default 64k\n"));
	assert_non_null(strstr(buf, "x.timeout: duration, 1ms to 1d, "
	    "default 30s\n"));
	assert_non_null(strstr(buf, "x.mode: one of fast|safe|paranoid, "
	    "default safe\n"));
	assert_non_null(strstr(buf, "x.sub.depth: int, 1 to 9, default 3\n"));
	assert_non_null(strstr(buf, "x.items[].name: string, required\n"));
	assert_non_null(strstr(buf, "x.users.NAME.name: string, at most 16 "
	    "bytes, the entry's name\n"));
	assert_non_null(strstr(buf, "x.users.NAME.limits.label: string, "
	    "default none\n"));
	assert_non_null(strstr(buf, "x.key: hex, default 00ff\n"));
	assert_non_null(strstr(buf, "x.tags: list of strings, at most 3 "
	    "items\n"));
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_int),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_distance),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_type),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_all_errors),
		cmocka_unit_test(test_error_cap),
		cmocka_unit_test(test_error_text),
		cmocka_unit_test(test_yaml_refusals),
		cmocka_unit_test(test_alias_bomb),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_nodes),
		cmocka_unit_test(test_help),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
