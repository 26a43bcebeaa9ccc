/*
 * test_upstream_balance.c: golden vectors for lbd's balancing algorithms
 * (HAProxy's balance-rr.vtc style: the exact order, not only "it works"):
 * source and uri consistent hashing (fixed keys to fixed servers, only the
 * keys of a removed server move, ~1/n move to an added one), random with a
 * fixed seed (a fixed sequence, the power of two choices), slowstart
 * weights at the start, middle and end of the ramp, first or all backups,
 * and distributions over 10000 picks against the weights. Clocks are
 * injected: nothing here waits.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "addr.h"
#include "upstream.h"
#include "util.h"

#define NKEYS	2000


/* A group of servers named by the letters of names, with weights. */
static struct upstream_group *
group(enum upstream_algo algo, const char *names, const int *weights,
    const int *backup)
{
	struct upstream_group *g;
	struct net_addr a;
	char *cause = NULL, name[2] = "a";
	size_t i;

	assert_int_equal(addr_parse("127.0.0.1:9", NULL, &a, &cause), 0);
	g = upstream_group_new("test", algo, 3, 1000);
	for (i = 0; names[i] != '\0'; i++) {
		name[0] = names[i];
		upstream_group_add(g, name, &a, weights != NULL ? weights[i] : 1,
		    backup != NULL ? backup[i] : 0);
	}
	return g;
}

/* The IPv4 client 192.0.2.x, or a spread one for i >= 256. */
static struct sockaddr_in
ip4(uint32_t i)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(i < 256 ? 0xc0000200U + i :
	    0x0a000000U + i * 7919U);
	return sin;
}

/* One pick for key, as the server's letter or '-'. */
static char
pick(struct upstream_group *g, struct upstream_sel *sel,
    const struct upstream_server *avoid, uint64_t now,
    const struct upstream_key *key)
{
	struct upstream_server *s;

	s = upstream_select_key(g, sel, avoid, now, key);
	return s == NULL ? '-' : s->name[0];
}

static char
pick_ip(struct upstream_group *g, struct upstream_sel *sel, uint32_t i,
    uint64_t now)
{
	struct sockaddr_in sin = ip4(i);
	struct upstream_key k = { .client = (struct sockaddr *)&sin };

	return pick(g, sel, NULL, now, &k);
}

static char
pick_uri(struct upstream_group *g, struct upstream_sel *sel, const char *uri)
{
	struct upstream_key k = { .uri = uri, .urilen = strlen(uri) };

	return pick(g, sel, NULL, 0, &k);
}

/* The servers of clients first..first+n-1 as a string. */
static void
map_ips(struct upstream_group *g, uint32_t first, size_t n, uint64_t now,
    char *out)
{
	struct upstream_sel sel;
	size_t i;

	upstream_sel_init(&sel, g);
	for (i = 0; i < n; i++)
		out[i] = pick_ip(g, &sel, first + (uint32_t)i, now);
	out[n] = '\0';
	upstream_sel_free(&sel);
}

/* n keyless picks as a string. */
static void
picks(struct upstream_group *g, struct upstream_sel *sel, uint64_t now,
    const struct upstream_key *key, char *out, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = pick(g, sel, NULL, now, key);
	out[n] = '\0';
}

/* Picks per server letter a.. over n picks (keys spread for hashes). */
static void
count_picks(struct upstream_group *g, struct upstream_sel *sel, int n,
    int *count)
{
	int i;

	memset(count, 0, g->nservers * sizeof(*count));
	for (i = 0; i < n; i++)
		count[pick_ip(g, sel, 256 + (uint32_t)i, 0) - 'a']++;
}

/* ---- the hash -------------------------------------------------------- */

static void
test_hash_vectors(void **state)
{
	static const unsigned char v4[] = { 192, 0, 2, 1 };

	(void)state;
	/*
	 * Pinned: the ring of every lbd with these names depends on them.
	 * Checked against a separate Python FNV-1a 64 + fmix64; FNV-1a 64
	 * of "a" alone is the published 0xaf63dc4c8601ec8c.
	 */
	assert_int_equal(upstream_hash_bytes("", 0), 0xefd01f60);
	assert_int_equal(upstream_hash_bytes("a", 1), 0x82a2a958);
	assert_int_equal(upstream_hash_bytes(v4, 4), 0x80393182);
	/* One bit of input changes about half the output bits. */
	assert_true(__builtin_popcount(upstream_hash_bytes("a", 1) ^
	    upstream_hash_bytes("b", 1)) >= 8);
}

/* ---- source ---------------------------------------------------------- */

static void
test_source_golden(void **state)
{
	struct upstream_group *g = group(UPSTREAM_SOURCE, "abcd", NULL, NULL);
	struct upstream_sel sel;
	struct sockaddr_in6 sin6;
	struct sockaddr_un sun;
	struct upstream_key k;
	/* 192.0.2.1 .. 192.0.2.24 on four servers of weight 1. */
	static const char gold[] = "bbbddacbdcaacdcacbbbcccb";
	char got[NKEYS + 1];
	uint32_t i;

	(void)state;
	map_ips(g, 1, 24, 0, got);
	assert_string_equal(got, gold);
	/* No state: the same again, in another worker's selection state. */
	map_ips(g, 1, 24, 0, got);
	assert_string_equal(got, gold);

	/* ::ffff:192.0.2.x is the same client as 192.0.2.x. */
	upstream_sel_init(&sel, g);
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	k = (struct upstream_key){ .client = (struct sockaddr *)&sin6 };
	for (i = 1; i <= 24; i++) {
		inet_pton(AF_INET6, "::ffff:192.0.2.0", &sin6.sin6_addr);
		sin6.sin6_addr.s6_addr[15] = (uint8_t)i;
		got[i - 1] = pick(g, &sel, NULL, 0, &k);
	}
	got[24] = '\0';
	assert_string_equal(got, gold);
	/* IPv6 2001:db8::1 .. 2001:db8::10. */
	for (i = 1; i <= 16; i++) {
		inet_pton(AF_INET6, "2001:db8::", &sin6.sin6_addr);
		sin6.sin6_addr.s6_addr[15] = (uint8_t)i;
		got[i - 1] = pick(g, &sel, NULL, 0, &k);
	}
	got[16] = '\0';
	assert_string_equal(got, "ccacaccaabbdcccd");

	/* Nothing to hash (Unix socket, no key): round robin, as HAProxy. */
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	k.client = (struct sockaddr *)&sun;
	picks(g, &sel, 0, &k, got, 5);
	assert_string_equal(got, "abcda");
	picks(g, &sel, 0, NULL, got, 3);
	assert_string_equal(got, "bcd");
	upstream_sel_free(&sel);
	upstream_group_unref(g);
}

/* Removing c (down, or gone from the config) moves c's keys only. */
static void
test_source_remove(void **state)
{
	struct upstream_group *g = group(UPSTREAM_SOURCE, "abcde", NULL, NULL);
	struct upstream_group *g2 = group(UPSTREAM_SOURCE, "abde", NULL, NULL);
	static char base[NKEYS + 1], down[NKEYS + 1], gone[NKEYS + 1];
	int i, onc = 0;

	(void)state;
	map_ips(g, 256, NKEYS, 0, base);
	upstream_server_set_admin(g->servers[2], UPSTREAM_ADMIN_MAINT, 10);
	map_ips(g, 256, NKEYS, 10, down);
	for (i = 0; i < NKEYS; i++) {
		if (base[i] == 'c') {
			onc++;
			assert_int_not_equal(down[i], 'c');
		} else
			assert_int_equal(down[i], base[i]);
	}
	/* c had about a fifth of the keys. */
	assert_in_range(onc, NKEYS / 5 * 8 / 10, NKEYS / 5 * 12 / 10);
	/* A config without c builds the same ring minus c's points. */
	map_ips(g2, 256, NKEYS, 0, gone);
	assert_string_equal(gone, down);
	/* c back: it gets exactly its keys back (no slowstart set). */
	upstream_server_set_admin(g->servers[2], UPSTREAM_ADMIN_READY, 20);
	map_ips(g, 256, NKEYS, 20, down);
	assert_string_equal(down, base);
	upstream_group_unref(g);
	upstream_group_unref(g2);
}

/* Adding f moves about a sixth of the keys, all of them to f. */
static void
test_source_add(void **state)
{
	struct upstream_group *g = group(UPSTREAM_SOURCE, "abcde", NULL, NULL);
	struct upstream_group *g2 = group(UPSTREAM_SOURCE, "abcdef", NULL,
	    NULL);
	static char base[NKEYS + 1], more[NKEYS + 1];
	int i, moved = 0;

	(void)state;
	map_ips(g, 256, NKEYS, 0, base);
	map_ips(g2, 256, NKEYS, 0, more);
	for (i = 0; i < NKEYS; i++) {
		if (more[i] == base[i])
			continue;
		assert_int_equal(more[i], 'f');
		moved++;
	}
	assert_in_range(moved, NKEYS / 6 * 7 / 10, NKEYS / 6 * 13 / 10);
	upstream_group_unref(g);
	upstream_group_unref(g2);
}

static void
test_source_distribution(void **state)
{
	static const int w[] = { 1, 2, 3, 4 }, wsum = 10, n = 10000;
	struct upstream_group *g = group(UPSTREAM_SOURCE, "abcd", w, NULL);
	struct upstream_sel sel;
	int count[4], i;

	(void)state;
	upstream_sel_init(&sel, g);
	count_picks(g, &sel, n, count);
	/* 160 points per unit of weight: each share within 15%. */
	for (i = 0; i < 4; i++)
		assert_in_range(count[i], n * w[i] / wsum * 85 / 100,
		    n * w[i] / wsum * 115 / 100);
	assert_int_equal(count[0], 977);
	upstream_sel_free(&sel);
	upstream_group_unref(g);
}

/* A weight lowered at run time moves keys off that server only. */
static void
test_source_weight_change(void **state)
{
	static const int w[] = { 4, 4, 4 };
	struct upstream_group *g = group(UPSTREAM_SOURCE, "abc", w, NULL);
	static char base[NKEYS + 1], low[NKEYS + 1];
	int i, ona = 0, still = 0;

	(void)state;
	map_ips(g, 256, NKEYS, 0, base);
	atomic_store(&g->servers[0]->weight, 1);
	map_ips(g, 256, NKEYS, 0, low);
	for (i = 0; i < NKEYS; i++) {
		if (base[i] != 'a')
			assert_int_equal(low[i], base[i]);
		else {
			ona++;
			still += low[i] == 'a';
		}
	}
	/*
	 * A quarter of its points: a quarter of its keys stay, plus those
	 * of its dropped points whose next live point is still one of a's
	 * (160 of 1440 live points): about a third.
	 */
	assert_in_range(still, ona * 25 / 100, ona * 45 / 100);
	/* Raised above the configured weight: counts as configured. */
	atomic_store(&g->servers[0]->weight, 1000);
	map_ips(g, 256, NKEYS, 0, low);
	assert_string_equal(low, base);
	upstream_group_unref(g);
}

/* A retry avoids the server that failed: the next one on the ring. */
static void
test_hash_avoid(void **state)
{
	struct upstream_group *g = group(UPSTREAM_SOURCE, "abc", NULL, NULL);
	static char base[65], down[65];
	struct upstream_sel sel;
	struct sockaddr_in sin;
	struct upstream_key k = { .client = (struct sockaddr *)&sin };
	uint32_t i;
	char c;

	(void)state;
	map_ips(g, 1, 64, 0, base);
	upstream_sel_init(&sel, g);
	for (i = 0; i < 64; i++) {
		/* What avoiding it gives is what losing it gives. */
		upstream_server_set_admin(g->servers[base[i] - 'a'],
		    UPSTREAM_ADMIN_MAINT, 1);
		down[i] = pick_ip(g, &sel, i + 1, 1);
		upstream_server_set_admin(g->servers[base[i] - 'a'],
		    UPSTREAM_ADMIN_READY, 1);
		sin = ip4(i + 1);
		c = pick(g, &sel, g->servers[base[i] - 'a'], 1, &k);
		assert_int_not_equal(c, base[i]);
		assert_int_equal(c, down[i]);
	}
	/* The only usable one is used even when avoided. */
	upstream_server_set_admin(g->servers[1], UPSTREAM_ADMIN_MAINT, 1);
	upstream_server_set_admin(g->servers[2], UPSTREAM_ADMIN_MAINT, 1);
	sin = ip4(1);
	assert_int_equal(pick(g, &sel, g->servers[0], 1, &k), 'a');
	upstream_server_set_admin(g->servers[0], UPSTREAM_ADMIN_DRAIN, 1);
	assert_int_equal(pick(g, &sel, NULL, 1, &k), '-');
	upstream_sel_free(&sel);
	upstream_group_unref(g);
}

/* ---- uri ------------------------------------------------------------- */

static void
test_uri_golden(void **state)
{
	static const char *const paths[] = { "/", "/index.html", "/a", "/b",
	    "/c", "/img/1.png", "/img/2.png", "/api/v1/users",
	    "/api/v1/orders", "/static/app.js", "/favicon.ico", "/robots.txt" };
	struct upstream_group *g = group(UPSTREAM_URI, "abcd", NULL, NULL);
	struct upstream_sel sel;
	char got[nitems(paths) + 1], c;
	size_t i;

	(void)state;
	upstream_sel_init(&sel, g);
	for (i = 0; i < nitems(paths); i++)
		got[i] = pick_uri(g, &sel, paths[i]);
	got[i] = '\0';
	assert_string_equal(got, "dbdacdcbbdca");
	/* Same path, same server; the query does not count by default... */
	for (i = 0; i < nitems(paths); i++) {
		assert_int_equal(pick_uri(g, &sel, paths[i]), got[i]);
	}
	c = pick_uri(g, &sel, "/api/v1/users");
	assert_int_equal(pick_uri(g, &sel, "/api/v1/users?id=1"), c);
	assert_int_equal(pick_uri(g, &sel, "/api/v1/users?id=2&x=y"), c);
	assert_int_equal(pick_uri(g, &sel, "/api/v1/users?"), c);
	/* ...nor does an absolute form's scheme and authority. */
	assert_int_equal(pick_uri(g, &sel, "http://www.foobar.com/api/v1/users"),
	    c);
	assert_int_equal(pick_uri(g, &sel,
	    "https://h:8443/api/v1/users?z"), c);
	upstream_sel_free(&sel);
	upstream_group_unref(g);
}

static void
test_uri_whole(void **state)
{
	struct upstream_group *g = group(UPSTREAM_URI, "abcd", NULL, NULL);
	struct upstream_sel sel;
	char buf[32], seen[4] = { 0 };
	int i, kinds = 0;

	(void)state;
	g->uri_whole = 1;
	upstream_sel_init(&sel, g);
	/* With the query, /p?id=0..63 spread over every server. */
	for (i = 0; i < 64; i++) {
		snprintf(buf, sizeof(buf), "/p?id=%d", i);
		seen[pick_uri(g, &sel, buf) - 'a'] = 1;
		/* And still one server per whole URI. */
		assert_int_equal(pick_uri(g, &sel, buf),
		    pick_uri(g, &sel, buf));
	}
	for (i = 0; i < 4; i++)
		kinds += seen[i];
	assert_int_equal(kinds, 4);
	upstream_sel_free(&sel);
	upstream_group_unref(g);
}

/* Targets with nothing to hash fall back to round robin. */
static void
test_uri_hostile(void **state)
{
	struct upstream_group *g = group(UPSTREAM_URI, "abc", NULL, NULL);
	struct upstream_sel sel;
	struct upstream_key k = { .uri = NULL, .urilen = 5 };
	char got[8], *big;
	size_t n = 1 << 20;

	(void)state;
	upstream_sel_init(&sel, g);
	picks(g, &sel, 0, &k, got, 2);
	assert_string_equal(got, "ab");
	k.uri = "?x=1";
	k.urilen = 4;
	picks(g, &sel, 0, &k, got, 1);
	assert_string_equal(got, "c");
	k.uri = "http://host";
	k.urilen = strlen(k.uri);
	picks(g, &sel, 0, &k, got, 1);
	assert_string_equal(got, "a");
	/* urilen is the bound, not a NUL: "/a" of "/abc". */
	k.uri = "/abc";
	k.urilen = 2;
	assert_int_equal(pick(g, &sel, NULL, 0, &k), pick_uri(g, &sel, "/a"));
	/* A megabyte of path hashes like any other. */
	big = xmalloc(n);
	memset(big, 'x', n);
	big[0] = '/';
	k.uri = big;
	k.urilen = n;
	got[0] = pick(g, &sel, NULL, 0, &k);
	assert_int_equal(pick(g, &sel, NULL, 0, &k), got[0]);
	assert_true(got[0] >= 'a' && got[0] <= 'c');
	free(big);
	upstream_sel_free(&sel);
	upstream_group_unref(g);
}

/* ---- random ---------------------------------------------------------- */

static void
test_random_golden(void **state)
{
	struct upstream_group *g = group(UPSTREAM_RANDOM, "abcd", NULL, NULL);
	struct upstream_sel sel;
	char got[33], again[33];

	(void)state;
	upstream_sel_init(&sel, g);
	upstream_sel_seed(&sel, 42);
	picks(g, &sel, 0, NULL, got, 32);
	assert_string_equal(got, "cbaabaccaadcacddccadcbcacbaacdbc");
	upstream_sel_seed(&sel, 42);
	picks(g, &sel, 0, NULL, again, 32);
	assert_string_equal(again, got);
	upstream_sel_seed(&sel, 43);
	picks(g, &sel, 0, NULL, again, 32);
	assert_string_not_equal(again, got);
	upstream_sel_free(&sel);
	upstream_group_unref(g);
}

/* Of two draws, the less loaded one: the most loaded is never chosen. */
static void
test_random_two_choices(void **state)
{
	static const int w[] = { 1, 3 };
	struct upstream_group *g = group(UPSTREAM_RANDOM, "abcd", NULL, NULL);
	struct upstream_sel sel;
	struct upstream_server *s;
	char got[201];
	int i, d;

	(void)state;
	upstream_sel_init(&sel, g);
	upstream_sel_seed(&sel, 7);
	atomic_store(&g->servers[1]->active, 10);
	picks(g, &sel, 0, NULL, got, 200);
	assert_null(strchr(got, 'b'));
	/* Alone, it is chosen anyway. */
	for (i = 0; i < 4; i++)
		if (i != 1)
			upstream_server_set_check(g->servers[i], 1, 0);
	picks(g, &sel, 0, NULL, got, 3);
	assert_string_equal(got, "bbb");
	upstream_sel_free(&sel);
	upstream_group_unref(g);

	/* Two servers: both drawn every time, load follows the weights. */
	g = group(UPSTREAM_RANDOM, "ab", w, NULL);
	upstream_sel_init(&sel, g);
	upstream_sel_seed(&sel, 7);
	for (i = 0; i < 4000; i++) {
		s = upstream_select(g, &sel, NULL, 0);
		atomic_fetch_add(&s->active, 1);
		/* a/1 and b/3 never drift apart by more than one pick. */
		d = atomic_load(&g->servers[1]->active) -
		    3 * atomic_load(&g->servers[0]->active);
		assert_true(d >= -3 && d <= 1);
	}
	assert_int_equal(atomic_load(&g->servers[0]->active), 1000);
	upstream_sel_free(&sel);
	upstream_group_unref(g);
}

/* ---- distributions: 10000 picks against the weights ------------------ */

static void
test_distributions(void **state)
{
	static const int w[] = { 5, 3, 2 };
	struct upstream_group *g;
	struct upstream_sel sel;
	int count[3], algo, i;

	(void)state;
	/* Round robin and idle leastconn are exact. */
	for (algo = UPSTREAM_ROUNDROBIN; algo <= UPSTREAM_LEASTCONN; algo++) {
		g = group((enum upstream_algo)algo, "abc", w, NULL);
		upstream_sel_init(&sel, g);
		count_picks(g, &sel, 10000, count);
		assert_int_equal(count[0], 5000);
		assert_int_equal(count[1], 3000);
		assert_int_equal(count[2], 2000);
		upstream_sel_free(&sel);
		upstream_group_unref(g);
	}
	/* Random (idle: the first draw wins ties) within 5%. */
	g = group(UPSTREAM_RANDOM, "abc", w, NULL);
	upstream_sel_init(&sel, g);
	upstream_sel_seed(&sel, 1);
	count_picks(g, &sel, 10000, count);
	for (i = 0; i < 3; i++)
		assert_in_range(count[i], w[i] * 950, w[i] * 1050);
	assert_int_equal(count[0], 5123);
	upstream_sel_free(&sel);
	upstream_group_unref(g);
}

/* ---- slowstart ------------------------------------------------------- */

static void
test_slowstart_weights(void **state)
{
	static const int w[] = { 4, 4 };
	struct upstream_group *g = group(UPSTREAM_ROUNDROBIN, "ab", w, NULL);
	struct upstream_server *a = g->servers[0];
	const int full = 4 * UPSTREAM_WSCALE;

	(void)state;
	a->slowstart_ms = 10000;
	/* At start-up a server is at full weight at once. */
	assert_int_equal(upstream_server_eweight(a, 5), full);
	/* Active check rising at t=1000: ramps to t=11000. */
	assert_int_equal(upstream_server_set_check(a, 1, 500), 0);
	assert_int_equal(upstream_server_set_check(a, 0, 1000), 1);
	assert_int_equal(upstream_server_eweight(a, 1000), 1);
	assert_int_equal(upstream_server_eweight(a, 1001), 1);
	assert_int_equal(upstream_server_eweight(a, 3500), full / 4);
	assert_int_equal(upstream_server_eweight(a, 6000), full / 2);
	assert_int_equal(upstream_server_eweight(a, 10999), full);
	assert_int_equal(upstream_server_eweight(a, 11000), full);
	assert_int_equal(upstream_server_eweight(a, 99999), full);
	/* Setting "up" again while up restarts nothing. */
	assert_int_equal(upstream_server_set_check(a, 0, 50000), 0);
	assert_int_equal(upstream_server_eweight(a, 50000), full);

	/* Admin READY after MAINT at t=20000. */
	assert_int_equal(upstream_server_set_admin(a, UPSTREAM_ADMIN_MAINT,
	    19000), UPSTREAM_ADMIN_READY);
	assert_int_equal(upstream_server_set_admin(a, UPSTREAM_ADMIN_READY,
	    20000), UPSTREAM_ADMIN_MAINT);
	assert_int_equal(upstream_server_eweight(a, 25000), full / 2);
	/* DRAIN to READY is a return to service as well. */
	upstream_server_set_admin(a, UPSTREAM_ADMIN_DRAIN, 40000);
	upstream_server_set_admin(a, UPSTREAM_ADMIN_READY, 40000);
	assert_int_equal(upstream_server_eweight(a, 40000), 1);

	/* Passive: down at t=100 for 1000 ms, on trial from t=1100. */
	atomic_store(&a->up_since, 0);
	upstream_server_failed(a, 100);
	upstream_server_failed(a, 100);
	upstream_server_failed(a, 100);
	assert_false(upstream_server_usable(a, 1099));
	assert_int_equal(upstream_server_eweight(a, 1100), 1);
	upstream_server_ok(a);
	assert_int_equal(upstream_server_eweight(a, 6100), full / 2);
	assert_int_equal(upstream_server_eweight(a, 11100), full);
	/* A success before the timeout: ~0 until the ramp starts. */
	upstream_server_failed(a, 20000);
	upstream_server_failed(a, 20000);
	upstream_server_failed(a, 20000);
	upstream_server_ok(a);
	assert_int_equal(upstream_server_eweight(a, 20500), 1);
	upstream_group_unref(g);
}

/* Round robin at half of a's ramp: a gets one pick in three. */
static void
test_slowstart_rr(void **state)
{
	static const int w[] = { 2, 2 };
	struct upstream_group *g;
	struct upstream_sel sel;
	char got[13];
	int algo;

	(void)state;
	for (algo = UPSTREAM_ROUNDROBIN; algo <= UPSTREAM_LEASTCONN; algo++) {
		g = group((enum upstream_algo)algo, "ab", w, NULL);
		g->servers[0]->slowstart_ms = 1000;
		upstream_server_set_admin(g->servers[0], UPSTREAM_ADMIN_MAINT,
		    1);
		upstream_server_set_admin(g->servers[0], UPSTREAM_ADMIN_READY,
		    1000);
		upstream_sel_init(&sel, g);
		picks(g, &sel, 1500, NULL, got, 12);
		assert_string_equal(got, "babbabbabbab");
		/* At the start: 1 against 32, b 32 times in a row. */
		upstream_sel_free(&sel);
		upstream_sel_init(&sel, g);
		picks(g, &sel, 1000, NULL, got, 12);
		assert_string_equal(got, "bbbbbbbbbbbb");
		/* At the end: alternate. */
		picks(g, &sel, 2000, NULL, got, 4);
		assert_string_equal(got, "abab");
		upstream_sel_free(&sel);
		upstream_group_unref(g);
	}
}

/* A hash server ramping up takes its keys back gradually, only its own. */
static void
test_slowstart_hash(void **state)
{
	struct upstream_group *g = group(UPSTREAM_SOURCE, "abcd", NULL, NULL);
	static char base[NKEYS + 1], now[NKEYS + 1], prev[NKEYS + 1];
	uint64_t t;
	int i, n, last = -1;

	(void)state;
	g->servers[0]->slowstart_ms = 1000;
	map_ips(g, 256, NKEYS, 0, base);
	upstream_server_set_check(g->servers[0], 1, 0);
	upstream_server_set_check(g->servers[0], 0, 1000);
	map_ips(g, 256, NKEYS, 1000, prev);
	for (t = 1000; t <= 2000; t += 250) {
		map_ips(g, 256, NKEYS, t, now);
		for (i = n = 0; i < NKEYS; i++) {
			/* Keys move only towards a, and only a's own. */
			if (now[i] == 'a')
				assert_int_equal(base[i], 'a');
			if (prev[i] == 'a')
				assert_int_equal(now[i], 'a');
			n += now[i] == 'a';
		}
		assert_true(n > last);
		last = n;
		memcpy(prev, now, sizeof(prev));
	}
	/* t=1000: one point of 160; t=2000: all of them. */
	map_ips(g, 256, NKEYS, 1000, now);
	for (i = n = 0; i < NKEYS; i++)
		n += now[i] == 'a';
	assert_in_range(n, 0, NKEYS / 40);
	map_ips(g, 256, NKEYS, 2000, now);
	assert_string_equal(now, base);
	upstream_group_unref(g);
}

/* ---- backups --------------------------------------------------------- */

static void
test_backups_first_or_all(void **state)
{
	static const int b[] = { 0, 0, 1, 1, 1 };
	struct upstream_group *g;
	struct upstream_sel sel;
	char got[9];
	int algo;

	(void)state;
	for (algo = UPSTREAM_ROUNDROBIN; algo <= UPSTREAM_RANDOM; algo++) {
		/* HAProxy's default: only the first usable backup. */
		g = group((enum upstream_algo)algo, "abcde", NULL, b);
		g->allbackups = 0;
		upstream_sel_init(&sel, g);
		upstream_sel_seed(&sel, 3);
		upstream_server_set_check(g->servers[0], 1, 0);
		upstream_server_set_check(g->servers[1], 1, 0);
		picks(g, &sel, 0, NULL, got, 8);
		assert_string_equal(got, "cccccccc");
		/* c down: d, the next one in order; a retry off d goes to e. */
		upstream_server_set_admin(g->servers[2], UPSTREAM_ADMIN_MAINT,
		    0);
		picks(g, &sel, 0, NULL, got, 3);
		assert_string_equal(got, "ddd");
		assert_ptr_equal(upstream_select(g, &sel, g->servers[3], 0),
		    g->servers[4]);
		/* An active one back takes everything back. */
		upstream_server_set_check(g->servers[1], 0, 0);
		picks(g, &sel, 0, NULL, got, 3);
		assert_string_equal(got, "bbb");
		upstream_sel_free(&sel);
		upstream_group_unref(g);

		/* allbackups (the default): all of them together. */
		g = group((enum upstream_algo)algo, "abcde", NULL, b);
		upstream_sel_init(&sel, g);
		upstream_sel_seed(&sel, 3);
		upstream_server_set_admin(g->servers[0], UPSTREAM_ADMIN_MAINT,
		    0);
		upstream_server_set_admin(g->servers[1], UPSTREAM_ADMIN_DRAIN,
		    0);
		picks(g, &sel, 0, NULL, got, 8);
		assert_non_null(strchr(got, 'c'));
		assert_non_null(strchr(got, 'd'));
		assert_non_null(strchr(got, 'e'));
		assert_null(strpbrk(got, "ab"));
		upstream_sel_free(&sel);
		upstream_group_unref(g);
	}
}

/* Backups under a hash: first backup takes all keys; all share them. */
static void
test_backups_hash(void **state)
{
	static const int b[] = { 0, 0, 1, 1 };
	struct upstream_group *g = group(UPSTREAM_SOURCE, "abcd", NULL, b);
	static char got[NKEYS + 1];

	(void)state;
	upstream_server_set_check(g->servers[0], 1, 0);
	upstream_server_set_check(g->servers[1], 1, 0);
	map_ips(g, 256, NKEYS, 0, got);
	assert_null(strpbrk(got, "ab"));
	assert_non_null(strchr(got, 'c'));
	assert_non_null(strchr(got, 'd'));
	g->allbackups = 0;
	map_ips(g, 256, NKEYS, 0, got);
	assert_null(strpbrk(got, "abd"));
	upstream_group_unref(g);
}

/* ---- sealing from several workers at once ---------------------------- */

struct sealer {
	struct upstream_group	*g;
	struct upstream_ring	*ring;
	char			 map[65];
};

static void *
sealer_run(void *arg)
{
	struct sealer *s = arg;

	map_ips(s->g, 1, 64, 0, s->map);
	s->ring = atomic_load(&s->g->ring);
	return NULL;
}

static void
test_seal_threads(void **state)
{
	struct upstream_group *g = group(UPSTREAM_SOURCE, "abcdefgh", NULL,
	    NULL);
	struct sealer s[4];
	pthread_t t[4];
	int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		s[i].g = g;
		assert_int_equal(pthread_create(&t[i], NULL, sealer_run, &s[i]),
		    0);
	}
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	/* One ring, built once, the same answers in every worker. */
	assert_non_null(s[0].ring);
	for (i = 1; i < 4; i++) {
		assert_ptr_equal(s[i].ring, s[0].ring);
		assert_string_equal(s[i].map, s[0].map);
	}
	assert_int_equal(s[0].ring->n, 8 * 160);
	upstream_group_unref(g);
	/* Round robin groups have none. */
	g = group(UPSTREAM_ROUNDROBIN, "ab", NULL, NULL);
	upstream_group_seal(g);
	assert_null(atomic_load(&g->ring));
	upstream_group_unref(g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_vectors),
		cmocka_unit_test(test_source_golden),
		cmocka_unit_test(test_source_remove),
		cmocka_unit_test(test_source_add),
		cmocka_unit_test(test_source_distribution),
		cmocka_unit_test(test_source_weight_change),
		cmocka_unit_test(test_hash_avoid),
		cmocka_unit_test(test_uri_golden),
		cmocka_unit_test(test_uri_whole),
		cmocka_unit_test(test_uri_hostile),
		cmocka_unit_test(test_random_golden),
		cmocka_unit_test(test_random_two_choices),
		cmocka_unit_test(test_distributions),
		cmocka_unit_test(test_slowstart_weights),
		cmocka_unit_test(test_slowstart_rr),
		cmocka_unit_test(test_slowstart_hash),
		cmocka_unit_test(test_backups_first_or_all),
		cmocka_unit_test(test_backups_hash),
		cmocka_unit_test(test_seal_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
