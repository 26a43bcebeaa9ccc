/*
 * test_ltimer.c: the lazy timer fires at its last deadline, whether that
 * moved later (the event re-arms) or earlier (it is re-armed at once), not
 * at all once cleared, and its callback may free it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <event2/event.h>

#include "ltimer.h"
#include "util.h"

struct fx {
	struct event_base	*base;
	struct ltimer		 t;
	int			 fired;
	double			 at;		/* seconds after t0 */
	double			 t0;
	int			 free_in_cb;
};

static void
fx_cb(void *arg)
{
	struct fx *f = arg;

	f->fired++;
	f->at = util_now_us() / 1e6 - f->t0;
	if (f->free_in_cb)
		ltimer_free(&f->t);
}

static int
fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->base = event_base_new();
	assert_int_equal(ltimer_init(&f->t, f->base, fx_cb, f), 0);
	f->t0 = util_now_us() / 1e6;
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	ltimer_free(&f->t);
	event_base_free(f->base);
	free(f);
	return 0;
}

/* Runs the loop for ms milliseconds. */
static void
fx_run_ms(struct fx *f, long ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(f->base, &tv);
	event_base_dispatch(f->base);
}

static void
within(double at, double lo, double hi)
{
	if (at < lo || at > hi)
		fail_msg("fired at %.3f s, not within %.3f-%.3f s", at, lo, hi);
}

/* Moved later: not at the first deadline, at the second. */
static void
test_later(void **state)
{
	struct fx *f = *state;

	ltimer_set(&f->t, 50);
	ltimer_set(&f->t, 200);
	fx_run_ms(f, 400);
	assert_int_equal(f->fired, 1);
	within(f->at, 0.19, 0.39);
}

/* Moved earlier: at the new deadline. */
static void
test_earlier(void **state)
{
	struct fx *f = *state;

	ltimer_set(&f->t, 300);
	ltimer_set(&f->t, 50);
	fx_run_ms(f, 200);
	assert_int_equal(f->fired, 1);
	within(f->at, 0.04, 0.19);
}

/* Cleared: never; set again after a clear: fires. */
static void
test_cleared(void **state)
{
	struct fx *f = *state;

	ltimer_set(&f->t, 50);
	ltimer_set(&f->t, 0);
	fx_run_ms(f, 150);
	assert_int_equal(f->fired, 0);
	ltimer_set(&f->t, 30);
	fx_run_ms(f, 150);
	assert_int_equal(f->fired, 1);
}

/* The callback frees the timer (a connection closing on its timeout). */
static void
test_free_in_cb(void **state)
{
	struct fx *f = *state;

	f->free_in_cb = 1;
	ltimer_set(&f->t, 20);
	fx_run_ms(f, 100);
	assert_int_equal(f->fired, 1);
	assert_null(f->t.ev);
	ltimer_set(&f->t, 10);		/* a freed timer ignores a set */
	fx_run_ms(f, 50);
	assert_int_equal(f->fired, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_later, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_earlier, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_cleared, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_free_in_cb, fx_setup,
		    fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
