/*
 * fuzz_lbd_ratelimit.c: libFuzzer harness for lbd's edge tables, each run
 * against a plain model that must agree with it exactly.
 *
 * Input: bytes 0-4 are the rate policy (rate 1-256, period 1-65536 ms,
 * burst 1-256); then 3-byte steps [op, client, dt]. op's low bit picks the
 * table. Rate steps: the clock moves by dt ms (op bit 1: backwards, as a
 * worker that read it earlier), and client (0-7) sends a request. The
 * table holds 64 entries and there are 8 clients, so nothing is evicted
 * and the verdict and wait must equal the model's token bucket. Connection
 * steps: client (0-39) opens (op bit 1) or closes, in a table of 14, so
 * it fills; counts must equal the model's, never below zero.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "connlimit.h"
#include "ratelimit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The model's bucket: units as the table counts them. */
struct fuzz_bucket {
	int		known;
	uint64_t	units, last;
};

static struct lb_ipkey
fuzz_key(unsigned n)
{
	struct lb_ipkey k = { 0x20010db800000000ULL | n, 0 };

	return k;
}

/* One request in the model: the verdict and the wait. */
static int
fuzz_model_check(struct fuzz_bucket *b, const struct lb_rate_policy *p,
    uint64_t now, uint64_t *wait)
{
	uint64_t cap = (uint64_t)p->burst * p->period_ms;

	if (!b->known) {
		b->known = 1;
		b->units = cap;
		b->last = now;
	} else if (now > b->last) {
		b->units += (now - b->last) * p->rate;	/* small: no wrap */
		if (b->units > cap)
			b->units = cap;
		b->last = now;
	}
	if (b->units >= p->period_ms) {
		b->units -= p->period_ms;
		return 1;
	}
	*wait = (p->period_ms - b->units + p->rate - 1) / p->rate;
	return 0;
}

static void
fuzz_rate_step(struct lb_rate *t, struct fuzz_bucket *model,
    const struct lb_rate_policy *p, uint64_t *now, const uint8_t *s)
{
	struct lb_ipkey k = fuzz_key(s[1] & 7);
	uint64_t w1 = 0, w2 = 0;
	int ok;

	if (s[0] & 2)
		*now -= *now >= s[2] ? s[2] : *now;
	else
		*now += s[2];
	ok = lb_rate_check(t, &k, p, *now, &w1);
	if (ok != fuzz_model_check(&model[s[1] & 7], p, *now, &w2) ||
	    (!ok && (w1 != w2 || w1 < 1 || w1 > p->period_ms)))
		abort();
	if (lb_rate_tokens(t, &k, p, *now) > p->burst)
		abort();
}

/* 1 when the table (one stripe of 14) holds as many clients as it may. */
static int
fuzz_conn_full(struct lb_connlimit *t)
{
	struct lb_connlimit_stats st;

	lb_connlimit_stats(t, &st);
	return st.used == st.capacity;
}

static void
fuzz_conn_step(struct lb_connlimit *t, uint32_t *model, const uint8_t *s)
{
	unsigned c = s[1] % 40;
	struct lb_ipkey k = fuzz_key(c);
	enum lb_conn_verdict v;

	if (s[0] & 2) {
		v = lb_connlimit_acquire(t, &k, s[2] & 7, NULL);
		if (v == LB_CONN_OK)
			model[c]++;
		else if (v == LB_CONN_LIMIT && (model[c] == 0 ||
		    model[c] < (s[2] & 7u) || (s[2] & 7) == 0))
			abort();
		else if (v == LB_CONN_UNTRACKED && (model[c] != 0 ||
		    !fuzz_conn_full(t)))
			abort();
	} else {
		lb_connlimit_release(t, &k);	/* also without an open */
		if (model[c] > 0)
			model[c]--;
	}
	if (lb_connlimit_count(t, &k) != model[c])
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_bucket model[8];
	struct lb_rate_policy p;
	struct lb_rate *rt;
	struct lb_connlimit *ct;
	struct lb_connlimit_stats st;
	uint32_t counts[40];
	uint64_t now = 1000000;
	size_t i;

	if (size < 5)
		return 0;
	p.rate = data[0] + 1u;
	p.period_ms = (data[1] | (uint32_t)data[2] << 8) + 1u;
	p.burst = data[3] + 1u;
	memset(model, 0, sizeof(model));
	memset(counts, 0, sizeof(counts));
	rt = lb_rate_new(64, 0x1234 + data[4]);
	ct = lb_connlimit_new(14, 0x5678 + data[4]);
	for (i = 5; i + 3 <= size; i += 3) {
		if (data[i] & 1)
			fuzz_conn_step(ct, counts, data + i);
		else
			fuzz_rate_step(rt, model, &p, &now, data + i);
	}
	lb_connlimit_stats(ct, &st);
	if (st.used > st.capacity)
		abort();
	lb_rate_free(rt);
	lb_connlimit_free(ct);
	return 0;
}
