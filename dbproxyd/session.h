/*
 * session.h: one client connection: the server half of the protocol
 * (greeting, login, commands), its routing state and the server
 * connections it holds. Everything runs on the worker that accepted it.
 *
 *	LOGIN -> [AUTH_SWITCH] -> READY <-> WAIT_POOL -> STEP* -> FORWARD
 *	                  \-> AUTH_DELAY -> closed       (back to READY)
 */
#ifndef DBPROXYD_SESSION_H
#define DBPROXYD_SESSION_H

#include "dbproxyd.h"

/* The accept callback of a worker's listeners (arg: the worker). */
struct net_addr;
void	dbp_session_accept(int fd, const struct net_addr *peer, void *arg);
/* Closes every session of the worker (shutdown). */
void	dbp_session_close_all(struct dbp_worker *);
/* Ends the session: its server connections go back to the pools (reset)
   when they are clean, else they close. why is logged at debug. */
void	dbp_session_close(struct dbp_session *, const char *why);

/* Sends one packet (framed with the session's sequence id). */
void	dbp_session_send(struct dbp_session *, const struct dbp_wr *payload);
/* Sends an ERR packet and counts it; the session stays. */
void	dbp_session_err(struct dbp_session *, uint16_t code,
	    const char *sqlstate, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
/* dbp_session_timer: the session's one timer (pool wait, login delay)
   set to call cb after tv. */
struct timeval;
void	dbp_session_timer(struct dbp_session *,
	    void (*cb)(int, short, void *), const struct timeval *);
/* Sends what is queued, then closes (after an ERR that ends it). */
void	dbp_session_closing(struct dbp_session *);
/* Back to READY: the next command, if one is buffered, runs. */
void	dbp_session_ready(struct dbp_session *);

/* Calls from the pools and server connections. */
void	dbp_session_backend_read(struct dbp_session *, struct dbp_backend *);
void	dbp_session_backend_lost(struct dbp_session *, struct dbp_backend *);
void	dbp_session_backend_ready(struct dbp_session *, struct dbp_backend *);
void	dbp_session_backend_failed(struct dbp_session *, struct dbp_server *);
/*
 * dbp_session_command_lost: the connection s's command or step ran on,
 * to srv, is gone. The client has its answer already (the GTID step
 * after a write: nothing is said), part of it (s closes: it cannot
 * resync), or none: with DBP_LOST_RETRY the read goes again
 * (dbp_command_retry; DBP_LOST_SUSPECT first tells the monitor), else
 * or if it cannot, an ERR (DBP_LOST_IN_TRX: its transaction was rolled
 * back).
 */
#define DBP_LOST_RETRY		0x1
#define DBP_LOST_SUSPECT	0x2
#define DBP_LOST_IN_TRX		0x4
void	dbp_session_command_lost(struct dbp_session *, struct dbp_server *,
	    int how);

/* COM_CHANGE_USER: a new login on the same connection (its session
   state is reset; the answer comes as for a login). */
void	dbp_session_change_user(struct dbp_session *);

/* command.c: the command loop. What runs on the server (s->step). */
enum {
	DBP_STEP_NONE,
	DBP_STEP_REPLAY,	/* a session log entry */
	DBP_STEP_PREPARE,	/* the statement, on this connection */
	DBP_STEP_CMD,		/* the client's command */
	DBP_STEP_GTID_GET,	/* after a write: its GTID (@@last_gtid) */
	DBP_STEP_GTID_WAIT,	/* before a read: MASTER_GTID_WAIT */
};

/* A fresh session: server connections back to the pools (reset), no
   state, no statements (COM_RESET_CONNECTION, COM_CHANGE_USER). */
void	dbp_command_reset_state(struct dbp_session *);
void	dbp_command_next(struct dbp_session *);
/* Runs the command on s->target once its connection is there. */
void	dbp_command_run(struct dbp_session *);
/*
 * dbp_command_retry: the replica given s's read failed before any byte of
 * the answer reached the client (its connection was lost, or could not be
 * made): the read is routed again and sent elsewhere, once per command.
 * 0 when it went on; -1 when it cannot (not a read, already retried, no
 * server left): the caller reports the failure.
 */
int	dbp_command_retry(struct dbp_session *);
/* The answer ended (forward.c calls it). */
void	dbp_command_done(struct dbp_session *);
/* The command is no longer in flight (answered, lost, or the session
   ends): its server's outstanding count and the worker's inflight. */
void	dbp_command_uncount(struct dbp_session *);

/* forward.c: moving the server's answer, internal commands. */
void	dbp_forward_start(struct dbp_session *, struct dbp_backend *,
	    const uint8_t *payload, size_t len, enum dbp_resp_kind, int swallow);
void	dbp_forward_pump(struct dbp_session *, struct dbp_backend *);
/* dbp_forward_raw: one command to a server with no answer (CLOSE). */
void	dbp_forward_raw(struct dbp_backend *, const uint8_t *payload,
	    size_t len);
/* dbp_forward_stmt_close: COM_STMT_CLOSE of be's statement bid. */
void	dbp_forward_stmt_close(struct dbp_backend *, uint32_t bid);

/* route.c */
int	dbp_route(struct dbp_session *, int flags, uint16_t *err,
	    const char **why);
int	dbp_route_replica(const struct dbp_session *);
int	dbp_route_usable(const struct dbp_server *);
void	dbp_route_track(struct dbp_session *, const struct dbp_resp *);

/* stmt.c: the session's prepared statements. */
struct dbp_stmt *dbp_stmt_find(struct dbp_session *, uint32_t id);
struct dbp_stmt *dbp_stmt_add(struct dbp_session *, const uint8_t *sql,
	    size_t len);
void	dbp_stmt_del(struct dbp_session *, uint32_t id);
void	dbp_stmt_free_all(struct dbp_session *);
/* dbp_stmt_execute_fix: the EXECUTE payload for be (its statement id;
   parameter types added when be has not seen them). A new buffer in out;
   0, or -1 with an error already sent. */
int	dbp_stmt_execute_fix(struct dbp_session *, struct dbp_backend *,
	    struct dbp_wr *out);

#endif
