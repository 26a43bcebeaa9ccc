/*
 * route.c: which server runs a command (MaxScale's readwritesplit is the
 * bar), and what the servers' status flags tell about transactions.
 *
 * In order: an open transaction stays where it is (known from
 * SERVER_STATUS_IN_TRANS, not from the text); a routing hint wins; then
 * autocommit=0, temporary tables, writes and read-your-writes send to the
 * primary; START TRANSACTION READ ONLY and autocommit reads go to the
 * replica with the fewest outstanding queries per weight.
 */
#include <stdio.h>
#include <stdlib.h>

#include "classify.h"
#include "log.h"
#include "metrics.h"
#include "session.h"
#include "util.h"

int
dbp_route_usable(const struct dbp_server *srv)
{
	int st = atomic_load(&srv->state);

	if (srv->role == DBP_PRIMARY)
		return st != DBP_DOWN;
	return st == DBP_UP;
}

/* The usable replica with the least outstanding queries per weight (the
   session's own replica on a tie), or -1. */
int
dbp_route_replica(const struct dbp_session *s)
{
	const struct dbproxyd_conf *c = s->c;
	int64_t best = INT64_MAX, load;
	size_t i, n = c->nservers;
	int pick = -1;

	for (i = 1; i < n; i++) {
		const struct dbp_server *srv = c->servers[i];

		if (!dbp_route_usable(srv))
			continue;
		load = (int64_t)(atomic_load(&srv->outstanding) + 1) * 1000 /
		    atomic_load_explicit(&srv->weight, memory_order_relaxed);
		if (load < best || (load == best && (int)i == s->replica)) {
			best = load;
			pick = (int)i;
		}
	}
	return pick;
}

/* A read: the session's replica while usable, else the best one. */
static int
dbp_route_read(struct dbp_session *s, uint16_t *err, const char **why)
{
	int r;

	/* read_your_writes: primary, or gtid_wait before the GTID is known
	   (inside a transaction). */
	if (s->wrote && (s->c->read_your_writes == DBP_RYW_PRIMARY ||
	    (s->c->read_your_writes == DBP_RYW_GTID_WAIT &&
	    s->gtid[0] == '\0'))) {
		*why = "read-your-writes";
		return 0;
	}
	if (s->replica >= 0 && dbp_route_usable(s->c->servers[s->replica]))
		return s->replica;
	if ((r = dbp_route_replica(s)) >= 0)
		return r;
	if (s->c->reads_on_primary_when_no_replica) {
		*why = "no replica";
		return 0;
	}
	*err = DBP_ER_NO_SERVER;
	*why = "no usable replica for reads";
	return -1;
}

/* Session commands go where the session already is. */
static int
dbp_route_session(struct dbp_session *s, uint16_t *err, const char **why)
{
	if (s->be[0] != NULL)
		return 0;
	if (s->replica >= 0 && dbp_route_usable(s->c->servers[s->replica]))
		return s->replica;
	return dbp_route_read(s, err, why);
}

/* The primary, or -1 with a clear error when the monitor says it is down. */
static int
dbp_route_primary(struct dbp_session *s, uint16_t *err, const char **why)
{
	if (!dbp_route_usable(s->c->servers[0])) {
		*err = DBP_ER_READ_ONLY;
		*why = "no primary available: writes refused (dbproxyd)";
		return -1;
	}
	return 0;
}

int
dbp_route(struct dbp_session *s, int f, uint16_t *err, const char **why)
{
	*why = NULL;
	if (s->trx_server >= 0 && s->be[s->trx_server] != NULL)
		return s->trx_server;
	if (f & DBP_Q_HINT_PRIMARY)
		return dbp_route_primary(s, err, why);
	if ((f & DBP_Q_HINT_REPLICA) && dbp_route_replica(s) >= 0)
		return dbp_route_read(s, err, why);
	if (f & DBP_Q_BEGIN_RO)
		return dbp_route_read(s, err, why);
	if (s->log_full || s->temp_tables || s->locked_tables ||
	    !(s->status & DBP_STATUS_AUTOCOMMIT))
		return dbp_route_primary(s, err, why);
	if (f & DBP_Q_SESSION && !(f & DBP_Q_WRITE))
		return dbp_route_session(s, err, why);
	if (f & DBP_Q_READ)
		return dbp_route_read(s, err, why);
	return dbp_route_primary(s, err, why);
}

/* After an answer: the transaction state from its last status flags. */
void
dbp_route_track(struct dbp_session *s, const struct dbp_resp *r)
{
	int was = s->trx_server >= 0;

	if (!r->have_status)
		return;
	s->status = r->status;
	if (r->status & DBP_STATUS_IN_TRANS)
		s->trx_server = s->target;
	else
		s->trx_server = -1;
	if (!was && s->trx_server >= 0)
		metric_inc(dbp_metrics.transactions);
}
