/* test_metrics.c: sharded sums across threads, histograms, the text format. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>

#include "json.h"
#include "metrics.h"

struct adder {
	struct metric	*c, *h;
	unsigned	 slot;
};

static void *
adder_main(void *arg)
{
	struct adder *a = arg;
	int i;

	metrics_thread_slot(a->slot);
	for (i = 0; i < 100000; i++) {
		metric_inc(a->c);
		metric_observe(a->h, i % 3 == 0 ? 40 : 3000);
	}
	return NULL;
}

static void
test_threads_sum(void **state)
{
	struct metrics *m = metrics_new("triad_test_");
	struct adder a[4];
	pthread_t t[4];
	struct metric *c, *h;
	int i;

	c = metrics_counter(m, "requests_total", "Requests.", NULL);
	h = metrics_histogram(m, "latency_microseconds", "Latency.", NULL,
	    metrics_latency_us_bounds, metrics_latency_us_nbounds);
	for (i = 0; i < 4; i++) {
		a[i] = (struct adder){ c, h, (unsigned)i + 1 };
		pthread_create(&t[i], NULL, adder_main, &a[i]);
	}
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(metric_value(c), 400000);
	assert_int_equal(metric_value(h), 400000);
	/* A third of the values are 40 (<= 50), the rest 3000 (<= 5000). */
	assert_int_equal(metric_quantile(h, 0.30), 50);
	assert_int_equal(metric_quantile(h, 0.99), 5000);
	metrics_free(m);
}

static char *
render(struct metrics *m)
{
	struct evbuffer *b = evbuffer_new();
	size_t n;
	char *s;

	metrics_render(m, b);
	n = evbuffer_get_length(b);
	s = malloc(n + 1);
	evbuffer_remove(b, s, n);
	s[n] = '\0';
	evbuffer_free(b);
	return s;
}

static int64_t
seven(void *arg)
{
	return 7;
}

static void
test_text_format(void **state)
{
	struct metrics *m = metrics_new("triad_x_");
	static const int64_t bounds[] = { 10, 100 };
	struct metric *a, *b, *g, *h;
	char *s;

	a = metrics_counter(m, "resp_total", "Responses.", "class=\"2xx\"");
	g = metrics_gauge(m, "conns", "Open connections.", NULL);
	b = metrics_counter(m, "resp_total", "Responses.", "class=\"5xx\"");
	h = metrics_histogram(m, "t_us", "Time.", "srv=\"a\"", bounds, 2);
	metrics_gauge_fn(m, "seven", "Seven.", NULL, seven, NULL);
	/* Same name and labels: the same metric. */
	assert_ptr_equal(metrics_counter(m, "resp_total", "Responses.",
	    "class=\"2xx\""), a);
	metric_add(a, 3);
	metric_inc(b);
	metric_set(g, 12);
	metric_add(g, -2);
	metric_observe(h, 5);
	metric_observe(h, 50);
	metric_observe(h, 500);
	s = render(m);
	assert_string_equal(s,
	    "# HELP triad_x_resp_total Responses.\n"
	    "# TYPE triad_x_resp_total counter\n"
	    "triad_x_resp_total{class=\"2xx\"} 3\n"
	    "triad_x_resp_total{class=\"5xx\"} 1\n"
	    "# HELP triad_x_conns Open connections.\n"
	    "# TYPE triad_x_conns gauge\n"
	    "triad_x_conns 10\n"
	    "# HELP triad_x_t_us Time.\n"
	    "# TYPE triad_x_t_us histogram\n"
	    "triad_x_t_us_bucket{srv=\"a\",le=\"10\"} 1\n"
	    "triad_x_t_us_bucket{srv=\"a\",le=\"100\"} 2\n"
	    "triad_x_t_us_bucket{srv=\"a\",le=\"+Inf\"} 3\n"
	    "triad_x_t_us_sum{srv=\"a\"} 555\n"
	    "triad_x_t_us_count{srv=\"a\"} 3\n"
	    "# HELP triad_x_seven Seven.\n"
	    "# TYPE triad_x_seven gauge\n"
	    "triad_x_seven 7\n");
	free(s);
	metrics_free(m);
}

static void
test_json_escape(void **state)
{
	struct evbuffer *b = evbuffer_new();
	struct json j;
	char out[256];
	size_t n;

	json_init(&j, b);
	json_object_open(&j, NULL);
	json_str(&j, "a\"b", "x\\y\n\x01z");
	json_array_open(&j, "list");
	json_int(&j, NULL, -5);
	json_bool(&j, NULL, 1);
	json_null(&j, NULL);
	json_double(&j, NULL, 1.5);
	json_double(&j, NULL, 0.0 / 0.0);
	json_array_close(&j);
	json_object_open(&j, "o");
	json_object_close(&j);
	json_str(&j, "n", NULL);
	json_object_close(&j);
	n = evbuffer_remove(b, out, sizeof(out) - 1);
	out[n] = '\0';
	assert_string_equal(out, "{\"a\\\"b\":\"x\\\\y\\n\\u0001z\","
	    "\"list\":[-5,true,null,1.5,null],\"o\":{},\"n\":null}");
	evbuffer_free(b);
}

static void
test_label_value(void **state)
{
	char buf[16];

	metrics_label_value(buf, sizeof(buf), "a\"b\\c\nd");
	assert_string_equal(buf, "a\\\"b\\\\c\\nd");
	metrics_label_value(buf, 6, "abcdefgh");
	assert_string_equal(buf, "abc");
	metrics_label_value(buf, 5, "\"\"\"");
	assert_string_equal(buf, "\\\"");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads_sum),
		cmocka_unit_test(test_text_format),
		cmocka_unit_test(test_json_escape),
		cmocka_unit_test(test_label_value),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
