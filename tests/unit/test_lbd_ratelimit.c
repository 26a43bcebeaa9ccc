/*
 * test_lbd_ratelimit.c: the token bucket to the millisecond (burst, then
 * refill), Retry-After, clocks that step back or jump far, hostile
 * policies, a flood of addresses that must neither grow the table nor push
 * out the clients that are active, and two threads on one client.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "acl.h"
#include "ratelimit.h"
#include "lbd_ipkey.h"

#define SEED	0x5eed5eed5eedULL

/* One step of a golden sequence: at `at` ms, the verdict and the wait. */
struct step {
	uint64_t	at;
	int		ok;
	uint64_t	wait;	/* when refused */
};

static void
run(struct lb_rate *t, const struct lb_ipkey *k, const struct lb_rate_policy *p,
    const struct step *s, size_t n)
{
	uint64_t wait;
	size_t i;
	int ok;

	for (i = 0; i < n; i++) {
		wait = 0;
		ok = lb_rate_check(t, k, p, s[i].at, &wait);
		if (ok != s[i].ok || (!ok && wait != s[i].wait))
			fail_msg("step %zu at %llu ms: got %d wait %llu, want %d "
			    "wait %llu", i, (unsigned long long)s[i].at, ok,
			    (unsigned long long)wait, s[i].ok,
			    (unsigned long long)s[i].wait);
	}
}

/* 10 per second, burst 5: five at once, then one every 100 ms. */
static void
test_golden_burst_refill(void **state)
{
	static const struct step s[] = {
		{ 0, 1, 0 }, { 0, 1, 0 }, { 0, 1, 0 }, { 0, 1, 0 }, { 0, 1, 0 },
		{ 0, 0, 100 },		/* empty: a token in 100 ms */
		{ 1, 0, 99 },
		{ 99, 0, 1 },
		{ 100, 1, 0 },		/* exactly one came back */
		{ 100, 0, 100 },
		{ 350, 1, 0 },		/* 2.5 tokens: two, then half */
		{ 350, 1, 0 },
		{ 350, 0, 50 },
		{ 400, 1, 0 },
		{ 100000, 1, 0 },	/* long idle: full again, not more */
		{ 100000, 1, 0 }, { 100000, 1, 0 }, { 100000, 1, 0 },
		{ 100000, 1, 0 },
		{ 100000, 0, 100 },
	};
	struct lb_rate_policy p = { 10, 1000, 5 };
	struct lb_rate *t = lb_rate_new(64, SEED);
	struct lb_ipkey k = key("192.0.2.1");

	(void)state;
	run(t, &k, &p, s, sizeof(s) / sizeof(s[0]));
	assert_int_equal(lb_rate_tokens(t, &k, &p, 100000), 0);
	assert_int_equal(lb_rate_tokens(t, &k, &p, 100250), 2);
	assert_int_equal(lb_rate_tokens(t, &k, &p, 200000), 5);
	lb_rate_free(t);
}

/* Slow limits: per minute and per hour, and Retry-After in seconds. */
static void
test_golden_slow(void **state)
{
	static const struct step per_min[] = {
		{ 0, 1, 0 }, { 0, 1, 0 }, { 0, 0, 2000 },
		{ 1999, 0, 1 }, { 2000, 1, 0 }, { 2001, 0, 1999 },
	};
	static const struct step per_hour[] = {
		{ 5, 1, 0 }, { 6, 0, 3599999 }, { 3600005, 1, 0 },
	};
	static const struct step thirds[] = {
		{ 0, 1, 0 }, { 0, 0, 334 },	/* 1000 units at 3 a ms */
		{ 333, 0, 1 },			/* 999 */
		{ 334, 1, 0 },			/* 1002, capped at 1000 */
		{ 500, 0, 168 },		/* 498: 502 short */
		{ 667, 0, 1 },			/* 999 */
		{ 668, 1, 0 },
	};
	struct lb_rate_policy min = { 30, 60000, 2 }, hour = { 1, 3600000, 1 };
	struct lb_rate_policy third = { 3, 1000, 1 };
	struct lb_ipkey c = key("192.0.2.3");
	struct lb_rate *t = lb_rate_new(64, SEED);
	struct lb_ipkey a = key("192.0.2.1"), b = key("192.0.2.2");

	(void)state;
	run(t, &a, &min, per_min, sizeof(per_min) / sizeof(per_min[0]));
	run(t, &b, &hour, per_hour, sizeof(per_hour) / sizeof(per_hour[0]));
	run(t, &c, &third, thirds, sizeof(thirds) / sizeof(thirds[0]));
	assert_int_equal(lb_rate_retry_after(0), 1);
	assert_int_equal(lb_rate_retry_after(1), 1);
	assert_int_equal(lb_rate_retry_after(999), 1);
	assert_int_equal(lb_rate_retry_after(1000), 1);
	assert_int_equal(lb_rate_retry_after(1001), 2);
	assert_int_equal(lb_rate_retry_after(2000), 2);
	assert_int_equal(lb_rate_retry_after(3599999), 3600);
	lb_rate_free(t);
}

/* Refusals take no token; clients do not share buckets. */
static void
test_refused_free_and_separate(void **state)
{
	struct lb_rate_policy p = { 1, 100, 1 };
	struct lb_rate *t = lb_rate_new(64, SEED);
	struct lb_ipkey a = key("192.0.2.1"), b = key("192.0.2.2");
	struct lb_rate_stats st;
	int i;

	(void)state;
	assert_true(lb_rate_check(t, &a, &p, 0, NULL));
	for (i = 0; i < 1000; i++)
		assert_false(lb_rate_check(t, &a, &p, 50, NULL));
	assert_true(lb_rate_check(t, &a, &p, 100, NULL));
	assert_true(lb_rate_check(t, &b, &p, 100, NULL));
	assert_false(lb_rate_check(t, &b, &p, 100, NULL));
	lb_rate_stats(t, &st);
	assert_int_equal(st.admitted, 3);
	assert_int_equal(st.limited, 1001);
	assert_int_equal(st.used, 2);
	assert_int_equal(st.evicted, 0);
	lb_rate_free(t);
}

/* An IPv6 /64 is one client; a mapped IPv4 address is the IPv4 one. */
static void
test_grouping(void **state)
{
	struct lb_rate_policy p = { 1, 1000, 2 };
	struct lb_rate *t = lb_rate_new(64, SEED);
	struct lb_ipkey a1 = key("2001:db8:1:2::1"),
	    a2 = key("2001:db8:1:2:aaaa:bbbb:cccc:dddd"),
	    other = key("2001:db8:1:3::1"),
	    v4 = key("198.51.100.7"), mapped = key("::ffff:198.51.100.7");

	(void)state;
	assert_true(lb_rate_check(t, &a1, &p, 0, NULL));
	assert_true(lb_rate_check(t, &a2, &p, 0, NULL));
	assert_false(lb_rate_check(t, &a1, &p, 0, NULL));
	assert_true(lb_rate_check(t, &other, &p, 0, NULL));
	assert_true(lb_rate_check(t, &v4, &p, 0, NULL));
	assert_true(lb_rate_check(t, &mapped, &p, 0, NULL));
	assert_false(lb_rate_check(t, &v4, &p, 0, NULL));
	lb_rate_free(t);
}

/* A clock read by another worker just before: no refill, no wrap. A jump
   to the far future: a full bucket, no overflow. */
static void
test_clock_edges(void **state)
{
	struct lb_rate_policy p = { 1000000, 86400000, 1000000 };
	struct lb_rate_policy slow = { 1, 1000, 3 };
	struct lb_rate *t = lb_rate_new(64, SEED);
	struct lb_ipkey k = key("192.0.2.9"), f = key("192.0.2.10");
	uint64_t wait;

	(void)state;
	assert_true(lb_rate_check(t, &k, &slow, 1000, NULL));
	assert_true(lb_rate_check(t, &k, &slow, 1000, NULL));
	assert_true(lb_rate_check(t, &k, &slow, 1000, NULL));
	assert_false(lb_rate_check(t, &k, &slow, 500, &wait));
	assert_int_equal(wait, 1000);
	assert_false(lb_rate_check(t, &k, &slow, 1999, &wait));
	assert_int_equal(wait, 1);	/* counted from 1000, not 500 */
	assert_true(lb_rate_check(t, &k, &slow, 2000, NULL));
	assert_int_equal(lb_rate_tokens(t, &k, &slow, UINT64_MAX - 1), 3);
	assert_true(lb_rate_check(t, &k, &slow, UINT64_MAX - 1, NULL));
	/* The largest policy (8.64e13 units), still exact: one token is
	   86.4 ms of refill. */
	assert_true(lb_rate_check(t, &f, &p, 0, NULL));
	assert_int_equal(lb_rate_tokens(t, &f, &p, 86), 999999);
	assert_int_equal(lb_rate_tokens(t, &f, &p, 87), 1000000);
	lb_rate_free(t);
}

static void
bad_policy(uint32_t rate, uint32_t period, uint32_t burst, const char *want)
{
	struct lb_rate_policy p = { rate, period, burst };
	char *cause = NULL;

	assert_int_equal(lb_rate_policy_check(&p, &cause), -1);
	assert_non_null(cause);
	if (strstr(cause, want) == NULL)
		fail_msg("got '%s', want '%s'", cause, want);
	free(cause);
}

/* The loader refuses bad policies; one that slips through (0 or huge
   values) is clamped, never a division by zero. */
static void
test_policy(void **state)
{
	struct lb_rate_policy ok = { 10, 1000, 20 }, zero = { 0, 0, 0 },
	    huge = { UINT32_MAX, UINT32_MAX, UINT32_MAX };
	struct lb_rate *t = lb_rate_new(64, SEED);
	struct lb_ipkey k = key("192.0.2.3"), h = key("192.0.2.4");
	char *cause = NULL;
	uint64_t wait = 0;

	(void)state;
	assert_int_equal(lb_rate_policy_check(&ok, &cause), 0);
	assert_null(cause);
	bad_policy(0, 1000, 1, "rate 0 out of range");
	bad_policy(1000001, 1000, 1, "rate 1000001 out of range");
	bad_policy(1, 0, 1, "period 0ms out of range");
	bad_policy(1, 86400001, 1, "period 86400001ms");
	bad_policy(1, 1000, 0, "burst 0 out of range");
	bad_policy(1, 1000, 2000000, "burst 2000000");
	/* zero acts as 1 per 1 ms, burst 1. */
	assert_true(lb_rate_check(t, &k, &zero, 0, NULL));
	assert_false(lb_rate_check(t, &k, &zero, 0, &wait));
	assert_int_equal(wait, 1);
	assert_int_equal(lb_rate_tokens(t, &h, &huge, 0), LB_RATE_MAX_BURST);
	assert_true(lb_rate_check(t, &h, &huge, 0, NULL));
	assert_int_equal(lb_rate_tokens(t, &h, &huge, 0),
	    LB_RATE_MAX_BURST - 1);
	lb_rate_free(t);
}

/* A reload that lowers the burst: a client's saved tokens are capped. */
static void
test_policy_shrinks(void **state)
{
	struct lb_rate_policy big = { 1, 1000, 100 }, small = { 1, 1000, 2 };
	struct lb_rate *t = lb_rate_new(64, SEED);
	struct lb_ipkey k = key("192.0.2.5");

	(void)state;
	assert_true(lb_rate_check(t, &k, &big, 0, NULL));
	assert_int_equal(lb_rate_tokens(t, &k, &big, 0), 99);
	assert_int_equal(lb_rate_tokens(t, &k, &small, 0), 2);
	assert_true(lb_rate_check(t, &k, &small, 0, NULL));
	assert_true(lb_rate_check(t, &k, &small, 0, NULL));
	assert_false(lb_rate_check(t, &k, &small, 0, NULL));
	lb_rate_free(t);
}

/*
 * A flood of 200000 addresses through a 1024-entry table: memory stays
 * what it was, and 32 clients active among the flood (one request each
 * per 64 flood addresses) keep their state: they stay limited, where an
 * evicted client would come back with a full bucket.
 */
static void
test_flood_bounded(void **state)
{
	struct lb_rate_policy p = { 1, 1000, 3 };
	struct lb_rate *t = lb_rate_new(1000, SEED);
	struct lb_rate_stats before, after;
	struct lb_ipkey active[32];
	uint32_t i, j;

	(void)state;
	lb_rate_stats(t, &before);
	assert_int_equal(before.capacity, 1024);
	for (j = 0; j < 32; j++) {
		active[j] = nth(0xf00000 + j);
		while (lb_rate_check(t, &active[j], &p, 7, NULL))
			;
	}
	for (i = 0; i < 200000; i++) {
		lb_rate_check(t, &(struct lb_ipkey){ 1, i }, &p, 7, NULL);
		if (i % 64 == 0)
			for (j = 0; j < 32; j++)
				if (lb_rate_check(t, &active[j], &p, 7, NULL))
					fail_msg("client %u evicted after %u",
					    j, i);
	}
	lb_rate_stats(t, &after);
	assert_int_equal(after.bytes, before.bytes);
	assert_int_equal(after.used, after.capacity);
	assert_true(after.evicted >= 200000 - 1024);
	lb_rate_free(t);
}

/*
 * Eviction takes a refilled client (nothing lost) before the least
 * recently seen one. One set of 8: clients 1-7 have spent their tokens,
 * client 0 has refilled although it was seen later than client 1.
 */
static void
test_evict_refilled_first(void **state)
{
	struct lb_rate_policy p = { 1, 1000, 2 };
	struct lb_rate *t = lb_rate_new(8, SEED);
	struct lb_rate_stats st;
	struct lb_ipkey newcomer = nth(8), k;
	uint32_t i;

	(void)state;
	/* While the set has room, a refilled client is not replaced: it
	   is kept with its time (a clock read earlier must still see it). */
	k = nth(1);
	assert_true(lb_rate_check(t, &k, &p, 0, NULL));
	k = nth(2);
	assert_true(lb_rate_check(t, &k, &p, 5000, NULL));
	lb_rate_stats(t, &st);
	assert_int_equal(st.used, 2);
	lb_rate_free(t);
	t = lb_rate_new(8, SEED);
	for (i = 1; i < 8; i++) {
		k = nth(i);
		assert_true(lb_rate_check(t, &k, &p, 0, NULL));
		assert_true(lb_rate_check(t, &k, &p, 0, NULL));
	}
	k = nth(0);
	assert_true(lb_rate_check(t, &k, &p, 10, NULL));
	assert_true(lb_rate_check(t, &newcomer, &p, 1010, NULL));
	lb_rate_stats(t, &st);
	assert_int_equal(st.evicted, 0);
	for (i = 1; i < 8; i++) {
		k = nth(i);
		assert_int_equal(lb_rate_tokens(t, &k, &p, 1010), 1);
	}
	/* A ninth client with state pushes out the least recently seen. */
	k = nth(9);
	assert_true(lb_rate_check(t, &k, &p, 1010, NULL));
	lb_rate_stats(t, &st);
	assert_int_equal(st.evicted, 1);
	k = nth(1);
	assert_int_equal(lb_rate_tokens(t, &k, &p, 1010), 2);	/* forgotten */
	k = nth(2);
	assert_int_equal(lb_rate_tokens(t, &k, &p, 1010), 1);	/* kept */
	lb_rate_free(t);
}

struct hammer {
	struct lb_rate	*t;
	int		 admitted;
};

static pthread_barrier_t start;

static void *
hammer(void *arg)
{
	struct hammer *h = arg;
	struct lb_rate_policy p = { 1, 86400000, 1000 };
	struct lb_ipkey k = key("192.0.2.77");
	int i;

	pthread_barrier_wait(&start);	/* both at once, to meet */
	for (i = 0; i < 20000; i++)
		h->admitted += lb_rate_check(h->t, &k, &p, (uint64_t)i % 3,
		    NULL);
	return NULL;
}

/* Two workers, one client: exactly burst requests pass, not 2 x burst. */
static void
test_shared_by_threads(void **state)
{
	struct hammer h[2];
	pthread_t th[2];
	struct lb_rate *t = lb_rate_new(64, 0);
	struct lb_rate_stats st;
	int i;

	(void)state;
	pthread_barrier_init(&start, NULL, 2);
	for (i = 0; i < 2; i++) {
		h[i].t = t;
		h[i].admitted = 0;
		assert_int_equal(pthread_create(&th[i], NULL, hammer, &h[i]), 0);
	}
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&start);
	assert_int_equal(h[0].admitted + h[1].admitted, 1000);
	lb_rate_stats(t, &st);
	assert_int_equal(st.admitted, 1000);
	assert_int_equal(st.limited, 39000);
	lb_rate_free(t);
}

/* Capacities are clamped; references keep the table alive. */
static void
test_sizes_and_refs(void **state)
{
	struct lb_rate *t = lb_rate_new(0, SEED);
	struct lb_rate_stats st;

	(void)state;
	lb_rate_stats(t, &st);
	assert_int_equal(st.capacity, LB_RATE_WAYS);
	assert_ptr_equal(lb_rate_ref(t), t);
	lb_rate_free(t);
	lb_rate_stats(t, &st);		/* still alive (ASan would see) */
	lb_rate_free(t);
	lb_rate_free(NULL);
	t = lb_rate_new(SIZE_MAX, SEED);
	assert_non_null(t);
	lb_rate_stats(t, &st);
	assert_int_equal(st.capacity, LB_RATE_MAX_ENTRIES);
	lb_rate_free(t);
	t = lb_rate_new(1025, SEED);
	lb_rate_stats(t, &st);
	assert_int_equal(st.capacity, 2048);
	lb_rate_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_burst_refill),
		cmocka_unit_test(test_golden_slow),
		cmocka_unit_test(test_refused_free_and_separate),
		cmocka_unit_test(test_grouping),
		cmocka_unit_test(test_clock_edges),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_policy_shrinks),
		cmocka_unit_test(test_flood_bounded),
		cmocka_unit_test(test_evict_refilled_first),
		cmocka_unit_test(test_shared_by_threads),
		cmocka_unit_test(test_sizes_and_refs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
