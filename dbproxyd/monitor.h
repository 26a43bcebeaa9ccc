/*
 * monitor.h: the watch on every server, in its own thread with
 * Connector/C's blocking API (one short query per server per interval,
 * off the workers' loops). Each check: connect (kept between checks) and
 * ping, @@read_only and @@gtid_current_pos, and on replicas SHOW SLAVE
 * STATUS (IO and SQL threads, Seconds_Behind_Master, Gtid_IO_Pos). The
 * verdict goes into the server's atomics; every change is logged.
 * Promotion of a replica (next wave) would hook in dbp_monitor_verdict.
 */
#ifndef DBPROXYD_MONITOR_H
#define DBPROXYD_MONITOR_H

#include "conf.h"

struct dbp_monitor;

/* dbp_monitor_start: watches c's servers until stopped. NULL, *cause. */
struct dbp_monitor *dbp_monitor_start(const struct dbproxyd_conf *c,
	    char **cause);
void	dbp_monitor_stop(struct dbp_monitor *);
/*
 * dbp_monitor_suspect: a worker saw replica srv fail (a connection lost or
 * refused): it leaves the read pool now rather than at the next check,
 * which puts it back if it is well. Primaries are left to the monitor.
 */
struct dbp_server;
void	dbp_monitor_suspect(struct dbp_server *srv, const char *why);
/* dbp_monitor_gtid: the server's last GTID position (thread-safe). */
void	dbp_monitor_gtid(struct dbp_monitor *, const struct dbp_server *,
	    char *buf, size_t size);
const char *dbp_monitor_state_name(int state);

#endif
