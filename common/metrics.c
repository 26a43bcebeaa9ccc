/*
 * metrics.c: see metrics.h.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "log.h"
#include "metrics.h"
#include "util.h"

/* One thread's shard, alone on its cache line(s). */
struct metric_shard {
	_Atomic int64_t	 v;		/* counter value, or histogram sum */
	_Atomic int64_t	 count;		/* histogram observations */
	_Atomic int64_t	 bucket[METRICS_MAX_BUCKETS + 1];
} __attribute__((aligned(64)));

struct metric {
	struct metric		*next;
	enum metric_type	 type;
	char			*name;	/* with the registry's prefix */
	char			*help;
	char			*labels;	/* NULL or 'a="b"' */
	_Atomic int64_t		 gauge;
	metric_gauge_fn		 fn;
	void			*fn_arg;
	int64_t			 bounds[METRICS_MAX_BUCKETS];
	size_t			 nbounds;
	struct metric_shard	*shards;	/* METRICS_MAX_SLOTS, or NULL */
};

struct metrics {
	pthread_mutex_t	 lock;
	char		*prefix;
	struct metric	*head, *tail;	/* creation order, for rendering */
};

static _Thread_local unsigned metrics_slot;

const int64_t metrics_latency_us_bounds[] = {
	50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000,
	250000, 500000, 1000000, 2500000, 5000000, 10000000,
};
const size_t metrics_latency_us_nbounds = nitems(metrics_latency_us_bounds);

struct metrics *
metrics_new(const char *prefix)
{
	struct metrics *m = xcalloc(1, sizeof(*m));

	pthread_mutex_init(&m->lock, NULL);
	m->prefix = xstrdup(prefix);
	return m;
}

void
metrics_free(struct metrics *m)
{
	struct metric *x, *next;

	if (m == NULL)
		return;
	for (x = m->head; x != NULL; x = next) {
		next = x->next;
		free(x->name);
		free(x->help);
		free(x->labels);
		free(x->shards);
		free(x);
	}
	pthread_mutex_destroy(&m->lock);
	free(m->prefix);
	free(m);
}

void
metrics_thread_slot(unsigned slot)
{
	if (slot >= METRICS_MAX_SLOTS)
		fatalx("metrics: thread slot %u past %d", slot,
		    METRICS_MAX_SLOTS - 1);
	metrics_slot = slot;
}

/* Finds name+labels; the caller holds the lock. */
static struct metric *
metrics_find(struct metrics *m, const char *full, const char *labels)
{
	struct metric *x;

	for (x = m->head; x != NULL; x = x->next)
		if (strcmp(x->name, full) == 0 &&
		    ((x->labels == NULL && labels == NULL) ||
		    (x->labels != NULL && labels != NULL &&
		    strcmp(x->labels, labels) == 0)))
			return x;
	return NULL;
}

/* Returns the existing metric or a new zeroed one of the given type. */
static struct metric *
metrics_make(struct metrics *m, enum metric_type type, const char *name,
    const char *help, const char *labels)
{
	struct metric *x;
	char *full;

	xasprintf(&full, "%s%s", m->prefix, name);
	pthread_mutex_lock(&m->lock);
	if ((x = metrics_find(m, full, labels)) != NULL) {
		pthread_mutex_unlock(&m->lock);
		free(full);
		if (x->type != type)
			fatalx("metrics: %s registered with two types", name);
		return x;
	}
	x = xcalloc(1, sizeof(*x));
	x->type = type;
	x->name = full;
	x->help = xstrdup(help);
	x->labels = labels != NULL ? xstrdup(labels) : NULL;
	if (type != METRIC_GAUGE) {
		if (posix_memalign((void **)&x->shards, 64,
		    sizeof(*x->shards) * METRICS_MAX_SLOTS) != 0)
			fatalx("metrics: out of memory");
		memset(x->shards, 0, sizeof(*x->shards) * METRICS_MAX_SLOTS);
	}
	if (m->tail != NULL)
		m->tail->next = x;
	else
		m->head = x;
	m->tail = x;
	pthread_mutex_unlock(&m->lock);
	return x;
}

struct metric *
metrics_counter(struct metrics *m, const char *name, const char *help,
    const char *labels)
{
	return metrics_make(m, METRIC_COUNTER, name, help, labels);
}

struct metric *
metrics_gauge(struct metrics *m, const char *name, const char *help,
    const char *labels)
{
	return metrics_make(m, METRIC_GAUGE, name, help, labels);
}

struct metric *
metrics_gauge_fn(struct metrics *m, const char *name, const char *help,
    const char *labels, metric_gauge_fn fn, void *arg)
{
	struct metric *x = metrics_make(m, METRIC_GAUGE, name, help, labels);

	x->fn_arg = arg;
	x->fn = fn;
	return x;
}

struct metric *
metrics_histogram(struct metrics *m, const char *name, const char *help,
    const char *labels, const int64_t *bounds, size_t nbounds)
{
	struct metric *x;
	size_t i;

	if (nbounds == 0 || nbounds > METRICS_MAX_BUCKETS)
		fatalx("metrics: %s: %zu buckets", name, nbounds);
	for (i = 1; i < nbounds; i++)
		if (bounds[i] <= bounds[i - 1])
			fatalx("metrics: %s: bounds not increasing", name);
	x = metrics_make(m, METRIC_HISTOGRAM, name, help, labels);
	memcpy(x->bounds, bounds, nbounds * sizeof(*bounds));
	x->nbounds = nbounds;
	return x;
}

void
metric_add(struct metric *x, int64_t v)
{
	if (x->type == METRIC_GAUGE)
		atomic_fetch_add_explicit(&x->gauge, v, memory_order_relaxed);
	else
		atomic_fetch_add_explicit(&x->shards[metrics_slot].v, v,
		    memory_order_relaxed);
}

void
metric_inc(struct metric *x)
{
	metric_add(x, 1);
}

void
metric_set(struct metric *x, int64_t v)
{
	atomic_store_explicit(&x->gauge, v, memory_order_relaxed);
}

void
metric_observe(struct metric *x, int64_t v)
{
	struct metric_shard *s = &x->shards[metrics_slot];
	size_t i;

	/* Few buckets: a linear scan beats a binary search here. */
	for (i = 0; i < x->nbounds && v > x->bounds[i]; i++)
		;
	atomic_fetch_add_explicit(&s->bucket[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->v, v, memory_order_relaxed);
}

/* Sums one field over every shard. */
static int64_t
metric_sum(const struct metric *x, size_t off)
{
	int64_t sum = 0;
	size_t i;

	for (i = 0; i < METRICS_MAX_SLOTS; i++)
		sum += atomic_load_explicit((_Atomic int64_t *)
		    ((char *)&x->shards[i] + off), memory_order_relaxed);
	return sum;
}

#define SHARD_OFF(f)	offsetof(struct metric_shard, f)

int64_t
metric_value(const struct metric *x)
{
	switch (x->type) {
	case METRIC_GAUGE:
		return x->fn != NULL ? x->fn(x->fn_arg) :
		    atomic_load_explicit(&x->gauge, memory_order_relaxed);
	case METRIC_HISTOGRAM:
		return metric_sum(x, SHARD_OFF(count));
	default:
		return metric_sum(x, SHARD_OFF(v));
	}
}

int64_t
metric_quantile(const struct metric *x, double q)
{
	int64_t total, seen = 0, want;
	size_t i;

	if (x->type != METRIC_HISTOGRAM || (total = metric_value(x)) == 0)
		return 0;
	want = (int64_t)(q * (double)total + 0.5);
	if (want < 1)
		want = 1;
	for (i = 0; i <= x->nbounds; i++) {
		seen += metric_sum(x, SHARD_OFF(bucket) + i * sizeof(int64_t));
		if (seen >= want)
			return i < x->nbounds ? x->bounds[i] : INT64_MAX;
	}
	return INT64_MAX;
}

/* "name{labels,extra}" with the braces only when there is a label. */
static void
metrics_render_name(struct evbuffer *out, const struct metric *x,
    const char *suffix, const char *extra)
{
	int has = x->labels != NULL || extra != NULL;

	evbuffer_add_printf(out, "%s%s%s%s%s%s%s", x->name, suffix,
	    has ? "{" : "", x->labels != NULL ? x->labels : "",
	    x->labels != NULL && extra != NULL ? "," : "",
	    extra != NULL ? extra : "", has ? "}" : "");
}

static void
metrics_render_histogram(struct evbuffer *out, const struct metric *x)
{
	int64_t cum = 0;
	char le[64];
	size_t i;

	for (i = 0; i <= x->nbounds; i++) {
		cum += metric_sum(x, SHARD_OFF(bucket) + i * sizeof(int64_t));
		if (i < x->nbounds)
			snprintf(le, sizeof(le), "le=\"%lld\"",
			    (long long)x->bounds[i]);
		else
			snprintf(le, sizeof(le), "le=\"+Inf\"");
		metrics_render_name(out, x, "_bucket", le);
		evbuffer_add_printf(out, " %lld\n", (long long)cum);
	}
	metrics_render_name(out, x, "_sum", NULL);
	evbuffer_add_printf(out, " %lld\n", (long long)metric_sum(x,
	    SHARD_OFF(v)));
	metrics_render_name(out, x, "_count", NULL);
	evbuffer_add_printf(out, " %lld\n", (long long)cum);
}

/* One member of a family: its sample line(s). */
static void
metrics_render_one(struct evbuffer *out, const struct metric *x)
{
	if (x->type == METRIC_HISTOGRAM) {
		metrics_render_histogram(out, x);
		return;
	}
	metrics_render_name(out, x, "", NULL);
	evbuffer_add_printf(out, " %lld\n", (long long)metric_value(x));
}

/*
 * metrics_render: the text format wants each family (one name) as one group
 * under one HELP and TYPE, so members created apart are gathered here.
 */
void
metrics_render(struct metrics *m, struct evbuffer *out)
{
	static const char *const types[] = { "counter", "gauge", "histogram" };
	const struct metric *x, *y;
	int seen;

	pthread_mutex_lock(&m->lock);
	for (x = m->head; x != NULL; x = x->next) {
		for (seen = 0, y = m->head; y != x && !seen; y = y->next)
			seen = strcmp(y->name, x->name) == 0;
		if (seen)
			continue;
		evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n",
		    x->name, x->help, x->name, types[x->type]);
		for (y = x; y != NULL; y = y->next)
			if (strcmp(y->name, x->name) == 0)
				metrics_render_one(out, y);
	}
	pthread_mutex_unlock(&m->lock);
}

void
metrics_foreach(struct metrics *m, metrics_visit_fn fn, void *arg)
{
	const struct metric *x;

	pthread_mutex_lock(&m->lock);
	for (x = m->head; x != NULL; x = x->next)
		fn(x, arg);
	pthread_mutex_unlock(&m->lock);
}

const char *
metric_name(const struct metric *x)
{
	return x->name;
}

const char *
metric_labels(const struct metric *x)
{
	return x->labels;
}

enum metric_type
metric_type(const struct metric *x)
{
	return x->type;
}

void
metrics_label_value(char *dst, size_t size, const char *v)
{
	size_t n = 0;

	for (; *v != '\0' && n + 3 < size; v++) {
		if (*v == '\\' || *v == '"' || *v == '\n') {
			dst[n++] = '\\';
			dst[n++] = *v == '\n' ? 'n' : *v;
		} else
			dst[n++] = *v;
	}
	if (size > 0)
		dst[n < size ? n : size - 1] = '\0';
}
