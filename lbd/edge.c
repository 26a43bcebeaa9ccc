/*
 * edge.c: see edge.h. The policies come from the generation's keys; the
 * tables only remember clients, so a reload that changes a limit applies
 * it at once to clients already known.
 */
#include <stdlib.h>

#include "acl.h"
#include "connlimit.h"
#include "edge.h"
#include "lbd.h"
#include "log.h"
#include "metrics.h"
#include "ratelimit.h"
#include "util.h"

void
lb_edge_prepare(struct lb_conf *c, const struct lb_conf *old)
{
	uint64_t seed = lb_acl_key_seed();

	if (c->rate > 0)
		c->rates = old != NULL && old->rates != NULL ?
		    lb_rate_ref(old->rates) :
		    lb_rate_new((size_t)c->rate_table, seed);
	if (c->max_conn_per_ip > 0)
		c->conns = old != NULL && old->conns != NULL ?
		    lb_connlimit_ref(old->conns) :
		    lb_connlimit_new((size_t)c->conn_table, seed);
}

void
lb_edge_free(struct lb_conf *c)
{
	if (c->rates != NULL)
		lb_rate_free(c->rates);
	if (c->conns != NULL)
		lb_connlimit_free(c->conns);
	c->rates = NULL;
	c->conns = NULL;
}

int
lb_edge_admit(const struct lb_conf *c, const struct sockaddr *sa,
    unsigned *flags, const char **why)
{
	struct lb_ipkey key;
	uint32_t count;

	*flags = 0;
	if (lb_acl_check(&c->acl, sa, NULL) != LB_ACL_PASS) {
		metric_inc(lb_metrics.denied);
		*why = "refused by allow/deny";
		return -1;
	}
	if (c->conns == NULL || lb_acl_key(sa, LB_ACL_V4_PREFIX,
	    LB_ACL_V6_PREFIX, &key) == -1)
		return 0;
	switch (lb_connlimit_acquire(c->conns, &key,
	    (uint32_t)c->max_conn_per_ip, &count)) {
	case LB_CONN_OK:
		*flags |= LB_EDGE_TRACKED;
		return 0;
	case LB_CONN_LIMIT:
		metric_inc(lb_metrics.conn_limited);
		*why = "max_conn_per_ip reached";
		return -1;
	default:		/* table full: served, not counted */
		return 0;
	}
}

void
lb_edge_release(const struct lb_conf *c, const struct sockaddr *sa,
    unsigned flags)
{
	struct lb_ipkey key;

	if ((flags & LB_EDGE_TRACKED) && c->conns != NULL &&
	    lb_acl_key(sa, LB_ACL_V4_PREFIX, LB_ACL_V6_PREFIX, &key) == 0)
		lb_connlimit_release(c->conns, &key);
}

int
lb_edge_rate(const struct lb_conf *c, const struct sockaddr *sa,
    uint64_t *retry_after)
{
	struct lb_rate_policy p;
	struct lb_ipkey key;
	uint64_t wait = 0;

	if (c->rates == NULL || lb_acl_key(sa, LB_ACL_V4_PREFIX,
	    LB_ACL_V6_PREFIX, &key) == -1)
		return 1;
	p.rate = (uint32_t)c->rate;
	p.period_ms = (uint32_t)c->rate_period_ms;
	p.burst = (uint32_t)(c->rate_burst > 0 ? c->rate_burst : c->rate);
	if (lb_rate_check(c->rates, &key, &p, util_now_ms(), &wait))
		return 1;
	metric_inc(lb_metrics.rate_limited);
	*retry_after = lb_rate_retry_after(wait);
	return 0;
}
