/*
 * metrics.h: a small registry of counters, gauges and histograms, rendered
 * as Prometheus text (format 0.0.4) and read by the status JSON.
 *
 * Counters and histograms are sharded per thread: each thread adds into its
 * own cache line (a relaxed atomic add with no contention), and a read sums
 * the shards. A thread names its shard once with metrics_thread_slot();
 * the main thread is slot 0 and worker k is slot k. Gauges are one atomic
 * value, set or added by anyone, or a callback evaluated when read.
 *
 * Metrics are created at start-up or on reload (creation takes a lock and is
 * idempotent: the same name and labels return the same metric) and live as
 * long as the registry.
 */
#ifndef TRIAD_METRICS_H
#define TRIAD_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;
struct metrics;
struct metric;

#define METRICS_MAX_SLOTS	65	/* main thread + 64 workers */
#define METRICS_MAX_BUCKETS	24

enum metric_type {
	METRIC_COUNTER,
	METRIC_GAUGE,
	METRIC_HISTOGRAM,
};

typedef int64_t (*metric_gauge_fn)(void *arg);

/* metrics_new: a registry; metric names get prefix ("triad_webd_"). */
struct metrics	*metrics_new(const char *prefix);
void		 metrics_free(struct metrics *);
/* metrics_thread_slot: this thread's shard, 0..METRICS_MAX_SLOTS-1. */
void		 metrics_thread_slot(unsigned slot);

/*
 * Creation. name is the bare name ("requests_total"); labels is NULL or
 * preformatted label pairs without braces ('server="web1",code="2xx"').
 * Returns the metric; an existing one with the same name and labels is
 * returned as is. fatalx on a name clash of different types.
 */
struct metric	*metrics_counter(struct metrics *, const char *name,
		    const char *help, const char *labels);
struct metric	*metrics_gauge(struct metrics *, const char *name,
		    const char *help, const char *labels);
struct metric	*metrics_gauge_fn(struct metrics *, const char *name,
		    const char *help, const char *labels, metric_gauge_fn fn,
		    void *arg);
/*
 * metrics_histogram: bounds are the upper bounds of the buckets, strictly
 * increasing, at most METRICS_MAX_BUCKETS; +Inf is implied. Values are
 * integers in the unit the name says (e.g. "_microseconds").
 */
struct metric	*metrics_histogram(struct metrics *, const char *name,
		    const char *help, const char *labels,
		    const int64_t *bounds, size_t nbounds);
/* Latency buckets in microseconds, 50us .. 10s. */
extern const int64_t	metrics_latency_us_bounds[];
extern const size_t	metrics_latency_us_nbounds;

/* Updates, callable from any thread. */
void	metric_add(struct metric *, int64_t);
void	metric_inc(struct metric *);
void	metric_set(struct metric *, int64_t);	/* gauges only */
void	metric_observe(struct metric *, int64_t);	/* histograms only */

/* Reads: the sum over shards (a histogram reads its count). */
int64_t	metric_value(const struct metric *);
/* metric_quantile: an upper bound of quantile q (0..1) from the buckets. */
int64_t	metric_quantile(const struct metric *, double q);

/* metrics_foreach: calls fn for every metric, in creation order. */
typedef void (*metrics_visit_fn)(const struct metric *, void *arg);
void	metrics_foreach(struct metrics *, metrics_visit_fn fn, void *arg);
const char	*metric_name(const struct metric *);
const char	*metric_labels(const struct metric *);	/* may be NULL */
enum metric_type metric_type(const struct metric *);

/*
 * metrics_label_value: v escaped for a label value (backslash, quote and
 * newline, as the text format wants) into dst, always terminated.
 */
void	metrics_label_value(char *dst, size_t size, const char *v);

/* metrics_render: the whole registry as Prometheus text into out. */
void	metrics_render(struct metrics *, struct evbuffer *out);

#endif
