/*
 * server-t.h: one MariaDB server as dbproxyd sees it: where it is and what
 * the monitor last found. The monitor thread writes the atomics; workers
 * only read them (no lock on the hot path).
 */
#ifndef DBPROXYD_SERVER_T_H
#define DBPROXYD_SERVER_T_H

#include <stdatomic.h>
#include <stdint.h>

#include "addr.h"

enum dbp_role {
	DBP_PRIMARY,
	DBP_REPLICA,
};

/* The monitor's verdict. UNKNOWN until the first check. */
enum dbp_state {
	DBP_UNKNOWN,
	DBP_UP,
	DBP_DOWN,	/* no connect or no ping */
	DBP_BROKEN,	/* replica: IO or SQL thread stopped, or read-write */
	DBP_LAGGING,	/* replica: past max_replication_lag */
};

#define DBP_GTID_MAX	256

struct dbp_server {
	char			 name[64];	/* "primary", "replica1" */
	char			 addr_text[NET_ADDR_STRLEN];
	struct net_addr		 addr;
	enum dbp_role		 role;
	int			 index;		/* in conf->servers */
	_Atomic int		 weight;	/* a reload sets it */
	_Atomic int		 state;		/* enum dbp_state */
	_Atomic int		 read_only;	/* @@read_only, -1 unknown */
	_Atomic int64_t		 lag_s;		/* -1: unknown or NULL */
	_Atomic int		 io_running, sql_running;
	_Atomic uint64_t	 checks, check_failures;
	_Atomic uint64_t	 state_since_ms;
	_Atomic int		 outstanding;	/* queries in flight, all
						   workers (replica choice) */
	_Atomic uint64_t	 queries;	/* routed to it */
	/* Pool use, summed over the workers' pools. */
	_Atomic int		 pool_idle, pool_busy, pool_opening;
	_Atomic int		 pool_shared;	/* of pool_busy: multiplexed */
	_Atomic int		 pool_waiting;
	_Atomic uint64_t	 connect_failures;
	char			 gtid[DBP_GTID_MAX];	/* monitor thread only */
};

#endif
