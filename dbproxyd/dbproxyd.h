/*
 * dbproxyd.h: dbproxyd's types: a worker, a client session, a pooled
 * server connection, a prepared statement, the metrics.
 *
 * dbproxyd is triad's MySQL router (the role of ProxySQL or MaxScale's
 * readwritesplit). A worker is an event-loop thread: it owns its client
 * sessions and its own pool per server, so the hot path takes no lock; the
 * monitor thread publishes each server's state in atomics.
 */
#ifndef DBPROXYD_H
#define DBPROXYD_H

#include <sys/queue.h>

#include <stdint.h>

#include "conf.h"
#include "lifecycle.h"
#include "proto.h"
#include "resp.h"
#include "server-t.h"

struct dbp_io;
struct dbp_io_batch;
struct event;
struct evbuffer;
struct metric;
struct net_listener;
struct dbp_pool;
struct dbp_session;

#define DBP_MAX_SERVERS		65
#define DBP_SESSION_LOG_MAX	256	/* replayed session commands */
#define DBP_STMT_MAX		4096	/* prepared statements per session */
#define DBP_OUT_HIGH		(4u * 1024 * 1024)	/* client output */
/* ...when the answer comes on a shared connection: pausing it for a slow
   client holds back every read queued behind, so only a large answer
   does. */
#define DBP_OUT_HIGH_SHARED	(64u * 1024 * 1024)

enum dbp_be_state {
	DBP_BE_CONNECTING,
	DBP_BE_GREETING,
	DBP_BE_AUTH,
	DBP_BE_IDLE,
	DBP_BE_BUSY,		/* a session's */
	DBP_BE_RESETTING,	/* COM_RESET_CONNECTION before reuse */
	DBP_BE_SHARED,		/* multiplexed: sessions' reads in a queue */
};

/* A statement id of the session mapped to this connection's id. On a
   shared connection statements are found by their text (sql), whoever
   prepared them. */
struct dbp_bstmt {
	uint32_t	 sid;		/* the session's (client-visible) id */
	uint32_t	 bid;		/* the server's */
	int		 types_sent;	/* parameter types bound here */
	char		*sql;		/* shared connections: the text */
	size_t		 sql_len;
};

/* One connection to a server, from a worker's pool. */
struct dbp_backend {
	TAILQ_ENTRY(dbp_backend) link;	/* pool's idle list */
	TAILQ_ENTRY(dbp_backend) all_link;	/* pool's every connection */
	struct dbp_pool		*pool;
	struct dbp_io		*io;
	enum dbp_be_state	 state;
	uint32_t		 caps;		/* dialect of its login */
	uint8_t			 charset;
	int			 dirty;		/* never back to the pool */
	int			 has_db;	/* a database was chosen on it:
					   COM_RESET_CONNECTION keeps it */
	struct dbp_session	*owner;
	size_t			 applied;	/* session log entries run */
	struct dbp_bstmt	*stmts;
	size_t			 nstmts;
	uint64_t		 idle_since_ms;
	/* SHARED (share.c): the sessions whose command or step was sent,
	   in order (their answers come in that order). */
	TAILQ_HEAD(, dbp_session) queue;
	int			 queued;
	struct dbp_logent	*sig;		/* the session state it has; set
						   once its first session's
						   replay is done: others may
						   join (NULL: not yet) */
	size_t			 nsig;
	uint64_t		 head_us;	/* when the queue's head was sent,
						   or became the head */
	int			 pumping;	/* in share.c's read loop */
	struct event		*kick;		/* a read later (share.c) */
	int			 dead;		/* closed while pumping */
};
TAILQ_HEAD(dbp_backends, dbp_backend);

/* A prepared statement of a session. */
struct dbp_stmt {
	uint32_t	 id;
	char		*sql;
	size_t		 sql_len;
	int		 flags;		/* dbp_classify() */
	uint16_t	 nparams, ncols;
	uint8_t		*types;		/* 2 * nparams, from the last bind */
	int		 long_data;	/* SEND_LONG_DATA pins it to primary */
	int		 server;	/* where it ran last, -1 none */
};

/* A session command to replay on every server connection it uses. */
struct dbp_logent {
	uint8_t		*pkt;		/* command payload */
	size_t		 len;
	int		 sets_db;	/* USE or COM_INIT_DB */
};

enum dbp_sess_state {
	DBP_S_LOGIN,		/* greeting sent, waiting for the login */
	DBP_S_AUTH_SWITCH,	/* AuthSwitchRequest sent */
	DBP_S_AUTH_DELAY,	/* failed login: ERR after a delay */
	DBP_S_READY,		/* waiting for a command */
	DBP_S_WAIT_POOL,	/* waiting for a server connection */
	DBP_S_STEP,		/* an internal command runs (replay...) */
	DBP_S_FORWARD,		/* the server's answer streams to the client */
	DBP_S_CLOSING,		/* flushing a last ERR */
};

struct dbp_worker {
	struct lc_worker	*lc;
	struct net_listener	**listeners;
	size_t			 nlisteners;
	struct dbp_pool		**pools;	/* per server of its gen */
	size_t			 npools;
	struct lc_gen		*pool_gen;	/* the gen the pools follow */
	TAILQ_HEAD(, dbp_session) sessions;
	unsigned		 nsessions;
	uint32_t		 next_id;
	struct event		*tick;
	struct dbp_io_batch	*iob;		/* its ios' flush_soon */
	int			 inflight;	/* commands sent, not answered */
};

struct dbp_session {
	TAILQ_ENTRY(dbp_session) link;
	TAILQ_ENTRY(dbp_session) wait_link;	/* in a pool's waiters */
	TAILQ_ENTRY(dbp_session) queue_link;	/* in a shared one's queue */
	struct dbp_worker	*w;
	struct lc_gen		*gen;
	const struct dbproxyd_conf *c;
	struct dbproxyd_user	*user;
	struct dbp_io		*io;
	struct event		*timer;
	enum dbp_sess_state	 state;
	uint32_t		 id;
	uint32_t		 caps;		/* negotiated */
	uint8_t			 charset;
	uint8_t			 seq;		/* next sequence id to send */
	uint8_t			 scramble[DBP_SCRAMBLE_LEN];
	char			 peer[64];
	/* Attached server connections, by server index. */
	struct dbp_backend	*be[DBP_MAX_SERVERS];
	int			 replica;	/* attached replica, -1 none */
	/* What the servers' status flags say. */
	uint16_t		 status;
	int			 trx_server;	/* -1: no transaction open */
	int			 trx_lost;	/* its server went: tell once */
	int			 counted;	/* in its server's outstanding */
	int			 temp_tables;
	int			 locked_tables;	/* LOCK TABLES until UNLOCK */
	int			 wrote;		/* read-your-writes */
	uint64_t		 wrote_at_ms;
	char			 gtid[DBP_GTID_MAX];	/* of the last write */
	/* Session state and statements. */
	struct dbp_logent	*log;
	size_t			 nlog;
	int			 log_full;	/* pinned to the primary */
	int			 uses_db;	/* the log chooses a database */
	struct dbp_stmt		*stmts;
	size_t			 nstmts;
	uint32_t		 next_stmt;
	/* The command in progress. */
	uint8_t			*cmd;
	size_t			 cmd_len, cmd_cap;
	int			 cmd_flags;	/* dbp_classify() */
	int			 cmd_retried;	/* sent again after a lost replica */
	struct dbp_stmt		*cmd_stmt;
	int			 target;	/* server index */
	struct dbp_backend	*run_be;	/* where it runs: be[target], or
						   a shared connection */
	struct dbp_backend	*shared;	/* the shared one it is queued on */
	int			 waiting_server;
	int			 step;		/* internal command kind */
	struct dbp_resp		 resp;
	uint32_t		 frame_left;	/* bytes of a frame to move */
	int			 cont;		/* next frame continues */
	int			 sent_any;	/* the client got part of it */
	int			 zombie;	/* closed while queued on a shared
					   connection: freed once its
					   answer is dropped */
	int			 resp_done;	/* the moving frame ends it */
	int			 patch_prepare;
	int			 swallow;	/* internal: drop the answer */
	int			 capture;	/* internal: keep the last row */
	uint8_t			 cap[DBP_GTID_MAX + 16];
	size_t			 cap_len;
	uint64_t		 started_us;
	char			*login_db;	/* kept over an auth switch */
	char			 login_user[81];
	int			 closing_late;	/* CLOSING: output still full */
};

struct dbp_metrics {
	struct metric	*sessions_total, *sessions_active;
	struct metric	*auth_failures;
	struct metric	*queries_primary, *queries_replica;
	struct metric	*transactions;
	struct metric	*errors_sent;		/* ERRs made by dbproxyd */
	struct metric	*server_errors;		/* ERRs from servers */
	struct metric	*lat_primary, *lat_replica;
	struct metric	*backend_connects, *backend_connect_failures;
	struct metric	*resets;
	struct metric	*retries;		/* reads sent again */
	struct metric	*multiplexed;		/* run on shared connections */
	struct metric	*gtid_waits, *gtid_wait_timeouts;
};

extern struct dbp_metrics dbp_metrics;

/* Errors by code (ERRs sent to clients, from servers or dbproxyd). */
void	dbp_errors_count(uint16_t code);
struct json;
void	dbp_errors_json(struct json *);

#endif
