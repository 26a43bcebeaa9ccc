/*
 * test_lbd_connlimit.c: connection counts per client address: the limit,
 * counts that never go below zero, IPv6 /64 grouping, a full table that
 * accepts untracked, deletion checked against a model over many random
 * steps, and two threads.
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
#include "connlimit.h"
#include "lbd_ipkey.h"

#define SEED	0xc0ffee1234ULL

static void
test_limit(void **state)
{
	struct lb_connlimit *t = lb_connlimit_new(100, SEED);
	struct lb_ipkey a = key("192.0.2.1"), b = key("192.0.2.2");
	struct lb_connlimit_stats st;
	uint32_t n = 99;

	(void)state;
	assert_int_equal(lb_connlimit_acquire(t, &a, 3, &n), LB_CONN_OK);
	assert_int_equal(n, 1);
	assert_int_equal(lb_connlimit_acquire(t, &a, 3, &n), LB_CONN_OK);
	assert_int_equal(lb_connlimit_acquire(t, &a, 3, &n), LB_CONN_OK);
	assert_int_equal(n, 3);
	assert_int_equal(lb_connlimit_acquire(t, &a, 3, &n), LB_CONN_LIMIT);
	assert_int_equal(n, 3);
	assert_int_equal(lb_connlimit_acquire(t, &b, 3, &n), LB_CONN_OK);
	assert_int_equal(n, 1);
	lb_connlimit_release(t, &a);
	assert_int_equal(lb_connlimit_count(t, &a), 2);
	assert_int_equal(lb_connlimit_acquire(t, &a, 3, NULL), LB_CONN_OK);
	/* A limit lowered by a reload refuses until the count drops. */
	assert_int_equal(lb_connlimit_acquire(t, &a, 1, &n), LB_CONN_LIMIT);
	/* 0: counted, never refused. */
	assert_int_equal(lb_connlimit_acquire(t, &a, 0, &n), LB_CONN_OK);
	assert_int_equal(n, 4);
	lb_connlimit_stats(t, &st);
	assert_int_equal(st.used, 2);
	assert_int_equal(st.conns, 5);
	assert_int_equal(st.refused, 2);
	assert_int_equal(st.untracked, 0);
	assert_string_equal(lb_connlimit_verdict_name(LB_CONN_OK), "ok");
	assert_string_equal(lb_connlimit_verdict_name(LB_CONN_LIMIT), "limit");
	assert_string_equal(lb_connlimit_verdict_name(LB_CONN_UNTRACKED),
	    "untracked");
	assert_string_equal(lb_connlimit_verdict_name(
	    (enum lb_conn_verdict)9), "?");
	lb_connlimit_free(t);
}

/* Releases without an acquire change nothing: no count below zero. */
static void
test_never_negative(void **state)
{
	struct lb_connlimit *t = lb_connlimit_new(100, SEED);
	struct lb_ipkey a = key("192.0.2.1");
	struct lb_connlimit_stats st;
	int i;

	(void)state;
	for (i = 0; i < 5; i++)
		lb_connlimit_release(t, &a);
	assert_int_equal(lb_connlimit_count(t, &a), 0);
	assert_int_equal(lb_connlimit_acquire(t, &a, 1, NULL), LB_CONN_OK);
	lb_connlimit_release(t, &a);
	lb_connlimit_release(t, &a);
	assert_int_equal(lb_connlimit_count(t, &a), 0);
	assert_int_equal(lb_connlimit_acquire(t, &a, 1, NULL), LB_CONN_OK);
	assert_int_equal(lb_connlimit_acquire(t, &a, 1, NULL), LB_CONN_LIMIT);
	lb_connlimit_stats(t, &st);
	assert_int_equal(st.stray, 6);
	assert_int_equal(st.conns, 1);
	assert_int_equal(st.used, 1);
	lb_connlimit_free(t);
}

static void
test_grouping(void **state)
{
	struct lb_connlimit *t = lb_connlimit_new(100, SEED);
	struct lb_ipkey a1 = key("2001:db8:1:2::1"),
	    a2 = key("2001:db8:1:2:ffff::9"), b = key("2001:db8:1:3::1"),
	    v4 = key("198.51.100.7"), mapped = key("::ffff:198.51.100.7");

	(void)state;
	assert_int_equal(lb_connlimit_acquire(t, &a1, 2, NULL), LB_CONN_OK);
	assert_int_equal(lb_connlimit_acquire(t, &a2, 2, NULL), LB_CONN_OK);
	assert_int_equal(lb_connlimit_acquire(t, &a1, 2, NULL), LB_CONN_LIMIT);
	assert_int_equal(lb_connlimit_acquire(t, &b, 2, NULL), LB_CONN_OK);
	assert_int_equal(lb_connlimit_acquire(t, &v4, 1, NULL), LB_CONN_OK);
	assert_int_equal(lb_connlimit_acquire(t, &mapped, 1, NULL),
	    LB_CONN_LIMIT);
	lb_connlimit_release(t, &mapped);
	assert_int_equal(lb_connlimit_count(t, &v4), 0);
	lb_connlimit_free(t);
}

/*
 * A table for 14 clients (one stripe of 16 slots): the 15th client with a
 * connection open is accepted untracked, memory stays the same, and once
 * the others close, room comes back.
 */
static void
test_full_fails_open(void **state)
{
	struct lb_connlimit *t = lb_connlimit_new(14, SEED);
	struct lb_connlimit_stats st, st0;
	struct lb_ipkey k;
	uint32_t i, n;

	(void)state;
	lb_connlimit_stats(t, &st0);
	assert_int_equal(st0.capacity, 14);
	for (i = 0; i < 14; i++) {
		k = nth(i);
		assert_int_equal(lb_connlimit_acquire(t, &k, 1, NULL),
		    LB_CONN_OK);
	}
	for (i = 14; i < 1000; i++) {
		k = nth(i);
		assert_int_equal(lb_connlimit_acquire(t, &k, 1, &n),
		    LB_CONN_UNTRACKED);
		assert_int_equal(n, 0);
	}
	/* A tracked client is still limited while the table is full. */
	k = nth(3);
	assert_int_equal(lb_connlimit_acquire(t, &k, 1, NULL), LB_CONN_LIMIT);
	lb_connlimit_stats(t, &st);
	assert_int_equal(st.bytes, st0.bytes);
	assert_int_equal(st.used, 14);
	assert_int_equal(st.untracked, 986);
	for (i = 0; i < 14; i++) {
		k = nth(i);
		lb_connlimit_release(t, &k);
	}
	k = nth(500);
	assert_int_equal(lb_connlimit_acquire(t, &k, 1, NULL), LB_CONN_OK);
	lb_connlimit_stats(t, &st);
	assert_int_equal(st.used, 1);
	assert_int_equal(st.conns, 1);
	assert_int_equal(st.stray, 0);
	lb_connlimit_free(t);
}

/* A small PRNG (xorshift64*), so the random walk is the same every run. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/*
 * 200000 random opens and closes of 40 clients in one 16-slot stripe, so
 * probes collide, wrap and are shifted back on delete all the time; after
 * every step the table agrees with a plain array.
 */
static void
test_model(void **state)
{
	struct lb_connlimit *t = lb_connlimit_new(14, SEED);
	struct lb_connlimit_stats st;
	uint32_t model[40], sum = 0, used = 0, i, c;
	uint64_t s = 88172645463325252ULL;
	enum lb_conn_verdict v;
	struct lb_ipkey k;
	int step;

	(void)state;
	memset(model, 0, sizeof(model));
	for (step = 0; step < 200000; step++) {
		c = (uint32_t)(rnd(&s) % 40);
		k = nth(c * 7919);
		if (rnd(&s) % 2 == 0) {
			v = lb_connlimit_acquire(t, &k, 5, NULL);
			if (v == LB_CONN_OK) {
				used += model[c]++ == 0;
				sum++;
			} else if (v == LB_CONN_LIMIT)
				assert_int_equal(model[c], 5);
			else
				assert_true(model[c] == 0 && used == 14);
		} else if (model[c] > 0) {
			lb_connlimit_release(t, &k);
			used -= --model[c] == 0;
			sum--;
		}
		i = (uint32_t)(rnd(&s) % 40);
		k = nth(i * 7919);
		if (lb_connlimit_count(t, &k) != model[i])
			fail_msg("step %d: client %u has %u, model %u", step, i,
			    lb_connlimit_count(t, &k), model[i]);
	}
	lb_connlimit_stats(t, &st);
	assert_int_equal(st.conns, sum);
	assert_int_equal(st.used, used);
	assert_int_equal(st.stray, 0);
	for (i = 0; i < 40; i++) {
		k = nth(i * 7919);
		assert_int_equal(lb_connlimit_count(t, &k), model[i]);
	}
	lb_connlimit_free(t);
}

static pthread_barrier_t start;

static void *
churn(void *arg)
{
	struct lb_connlimit *t = arg;
	struct lb_ipkey k;
	uint32_t i;

	/* Two clients, so the threads meet on the same entries and the
	   same stripe most of the time, and they start together. */
	pthread_barrier_wait(&start);
	for (i = 0; i < 1000000; i++) {
		k = nth(i % 2);
		if (lb_connlimit_acquire(t, &k, 0, NULL) == LB_CONN_OK)
			lb_connlimit_release(t, &k);
	}
	return NULL;
}

/* Two workers opening and closing for the same clients: all back to 0. */
static void
test_threads(void **state)
{
	struct lb_connlimit *t = lb_connlimit_new(1000, 0);
	struct lb_connlimit_stats st;
	pthread_t th[2];
	int i;

	(void)state;
	pthread_barrier_init(&start, NULL, 2);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, churn, t), 0);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&start);
	lb_connlimit_stats(t, &st);
	assert_int_equal(st.conns, 0);
	assert_int_equal(st.used, 0);
	assert_int_equal(st.stray, 0);
	assert_int_equal(st.untracked, 0);
	lb_connlimit_free(t);
}

/* Sizes: room to spare, clamped; references. */
static void
test_sizes_and_refs(void **state)
{
	struct lb_connlimit *t;
	struct lb_connlimit_stats st;

	(void)state;
	t = lb_connlimit_new(0, SEED);
	lb_connlimit_stats(t, &st);
	assert_int_equal(st.capacity, 14);
	assert_ptr_equal(lb_connlimit_ref(t), t);
	lb_connlimit_free(t);
	lb_connlimit_stats(t, &st);
	lb_connlimit_free(t);
	lb_connlimit_free(NULL);
	t = lb_connlimit_new(20000, SEED);
	lb_connlimit_stats(t, &st);
	assert_true(st.capacity >= 20000);
	assert_true(st.capacity < 2 * 32768);
	lb_connlimit_free(t);
	t = lb_connlimit_new(SIZE_MAX, SEED);
	assert_non_null(t);
	lb_connlimit_stats(t, &st);
	assert_true(st.capacity >= LB_CONNLIMIT_MAX_ENTRIES);
	lb_connlimit_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_never_negative),
		cmocka_unit_test(test_grouping),
		cmocka_unit_test(test_full_fails_open),
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_sizes_and_refs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
