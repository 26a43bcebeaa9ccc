/*
 * db.c: the module workers' database pool on MariaDB Connector/C.
 *
 * A worker runs one request at a time, so a blocking query (triad_db_query)
 * is the simple case; triad_db_query_async starts queries on several pool
 * connections with Connector/C's non-blocking API (mysql_real_query_start
 * and _cont, the same for store_result) and triad_db_wait polls their
 * sockets until every one has answered. A connection that fails is closed
 * and opened again at the next query.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>

#include "addr.h"
#include "db.h"
#include "triad_app.h"
#include "util.h"

#define DB_MAX_POOL	64
#define DB_MAX_PENDING	256

struct triad_db_result {
	MYSQL_RES	*res;
	MYSQL_ROW	*rows;
	unsigned long	*lens;		/* nrows * ncols */
	size_t		 nrows, ncols;
	uint64_t	 affected, insert_id;
};

/* A started async query, waiting for a connection or its answer. */
struct db_pending {
	char		*sql;
	triad_db_cb	 cb;
	void		*arg;
	int		 conn;		/* -1: not started */
	int		 stage;		/* 0 query, 1 store_result */
	int		 status;	/* what the _start/_cont asked for */
};

struct db_conn {
	MYSQL		*m;
	int		 busy;
};

static struct db_conf db_conf;
static int db_configured;
static struct db_conn db_conns[DB_MAX_POOL];
static struct db_pending db_pending[DB_MAX_PENDING];
static size_t db_npending;

/* Forgets the settings; the password is wiped. */
static void
db_conf_clear(void)
{
	if (db_conf.password != NULL)
		explicit_bzero(db_conf.password, strlen(db_conf.password));
	free(db_conf.user);
	free(db_conf.password);
	free(db_conf.db);
	memset(&db_conf, 0, sizeof(db_conf));
	db_configured = 0;
}

int
db_init(const char *address, const char *user, const char *password,
    const char *db, unsigned pool, unsigned timeout_s, char **cause)
{
	struct net_addr a;
	char buf[NET_ADDR_STRLEN], *colon;

	db_conf_clear();
	if (address == NULL || *address == '\0')
		return 0;
	if (addr_parse(address, "127.0.0.1", &a, cause) == -1)
		return -1;
	if (a.ss.ss_family == AF_UNIX)
		util_strlcpy(db_conf.socket,
		    ((struct sockaddr_un *)&a.ss)->sun_path,
		    sizeof(db_conf.socket));
	else {
		addr_format(&a, buf, sizeof(buf));
		if ((colon = strrchr(buf, ':')) != NULL)
			*colon = '\0';
		util_strlcpy(db_conf.host, buf[0] == '[' ? buf + 1 : buf,
		    sizeof(db_conf.host));
		if ((colon = strchr(db_conf.host, ']')) != NULL)
			*colon = '\0';
		db_conf.port = addr_port(&a);
	}
	db_conf.user = xstrdup(user);
	db_conf.password = xstrdup(password);
	db_conf.db = db != NULL ? xstrdup(db) : NULL;
	db_conf.pool = pool < 1 ? 1 : pool > DB_MAX_POOL ? DB_MAX_POOL : pool;
	db_conf.connect_timeout_s = timeout_s ? timeout_s : 1;
	db_configured = 1;
	return 0;
}

void
db_close(void)
{
	size_t i;

	for (i = 0; i < DB_MAX_POOL; i++)
		if (db_conns[i].m != NULL) {
			mysql_close(db_conns[i].m);
			db_conns[i].m = NULL;
		}
	db_conf_clear();
}

/* Opens connection i (blocking, at most connect_timeout). */
static int
db_connect(int i, char **cause)
{
	MYSQL *m;
	unsigned t = db_conf.connect_timeout_s;

	if ((m = mysql_init(NULL)) == NULL)
		return (xasprintf(cause, "out of memory"), -1);
	mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &t);
	mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	/* Blocking calls work too on a non-blocking connection. */
	mysql_options(m, MYSQL_OPT_NONBLOCK, 0);
	if (mysql_real_connect(m, db_conf.socket[0] ? NULL : db_conf.host,
	    db_conf.user, db_conf.password, db_conf.db, db_conf.port,
	    db_conf.socket[0] ? db_conf.socket : NULL, 0) == NULL) {
		xasprintf(cause, "database connect: %s", mysql_error(m));
		mysql_close(m);
		return -1;
	}
	db_conns[i].m = m;
	return 0;
}

/* A free connection, opened if needed; -1 with *cause. */
static int
db_get(char **cause)
{
	unsigned i;

	if (!db_configured)
		return (xasprintf(cause, "no database configured"), -1);
	for (i = 0; i < db_conf.pool; i++)
		if (!db_conns[i].busy && db_conns[i].m != NULL)
			return (int)i;
	for (i = 0; i < db_conf.pool; i++)
		if (!db_conns[i].busy && db_conns[i].m == NULL)
			return db_connect((int)i, cause) == 0 ?
			    (int)i : -1;
	return (xasprintf(cause, "every connection is busy"), -1);
}

/* After an error on connection i: drop it if the link is gone. */
static void
db_error(int i, char **cause)
{
	MYSQL *m = db_conns[i].m;
	unsigned e = mysql_errno(m);

	xasprintf(cause, "database: %s (%u)", mysql_error(m), e);
	if (e == 2006 || e == 2013 || e >= 2000) {
		mysql_close(m);
		db_conns[i].m = NULL;
	}
}

/* The quote state machine: is c at p outside ', " and ` literals? */
static int
db_quote_step(int q, const char *p)
{
	if (q == 0 && (*p == '\'' || *p == '"' || *p == '`'))
		return *p;
	if (q != 0 && *p == q)
		return 0;
	return q;
}

char *
db_build_sql(const char *sql, const char *const *params, size_t nparams,
    unsigned long (*escape)(void *, char *, const char *, unsigned long),
    void *arg, char **cause)
{
	size_t len = strlen(sql) + 1, k = 0, o = 0;
	const char *p;
	char *out;
	int q = 0;

	for (k = 0; k < nparams; k++)
		len += params[k] ? strlen(params[k]) * 2 + 2 : 4;
	out = xmalloc(len);
	for (p = sql, k = 0; *p != '\0'; p++) {
		if (q == 0 && *p == '?') {
			if (k == nparams)
				break;
			if (params[k] == NULL) {
				memcpy(out + o, "NULL", 4);
				o += 4;
			} else {
				out[o++] = '\'';
				o += escape(arg, out + o, params[k],
				    strlen(params[k]));
				out[o++] = '\'';
			}
			k++;
			continue;
		}
		if (q != 0 && *p == '\\' && p[1] != '\0') {
			out[o++] = *p++;
			out[o++] = *p;
			continue;
		}
		q = db_quote_step(q, p);
		out[o++] = *p;
	}
	out[o] = '\0';
	if (*p != '\0' || k != nparams) {
		xasprintf(cause, "query has %s placeholders than the %zu "
		    "params", *p != '\0' ? "more" : "fewer", nparams);
		free(out);
		return NULL;
	}
	return out;
}

static unsigned long
db_escape(void *arg, char *to, const char *from, unsigned long len)
{
	return mysql_real_escape_string(arg, to, from, len);
}

/* The result of the statement that just ran on connection i. */
static struct triad_db_result *
db_result(MYSQL *m, MYSQL_RES *res)
{
	struct triad_db_result *r = xcalloc(1, sizeof(*r));
	size_t i;

	r->res = res;
	if (res == NULL) {
		r->affected = mysql_affected_rows(m);
		r->insert_id = mysql_insert_id(m);
		return r;
	}
	r->nrows = mysql_num_rows(res);
	r->ncols = mysql_num_fields(res);
	r->rows = xcalloc(r->nrows + 1, sizeof(*r->rows));
	r->lens = xcalloc(r->nrows * r->ncols + 1, sizeof(*r->lens));
	/* fetch_lengths points into the result: copy each row's. */
	for (i = 0; i < r->nrows; i++) {
		r->rows[i] = mysql_fetch_row(res);
		memcpy(r->lens + i * r->ncols, mysql_fetch_lengths(res),
		    r->ncols * sizeof(*r->lens));
	}
	return r;
}

struct triad_db_result *
triad_db_query(const char *sql, const char *const *params, size_t nparams,
    char **cause)
{
	MYSQL_RES *res;
	char *text;
	int i;

	*cause = NULL;
	if ((i = db_get(cause)) == -1)
		return NULL;
	text = db_build_sql(sql, params, nparams, db_escape, db_conns[i].m,
	    cause);
	if (text == NULL)
		return NULL;
	if (mysql_real_query(db_conns[i].m, text, strlen(text)) != 0) {
		free(text);
		db_error(i, cause);
		return NULL;
	}
	free(text);
	res = mysql_store_result(db_conns[i].m);
	if (res == NULL && mysql_field_count(db_conns[i].m) != 0) {
		db_error(i, cause);
		return NULL;
	}
	return db_result(db_conns[i].m, res);
}

size_t
triad_db_rows(const struct triad_db_result *r)
{
	return r ? r->nrows : 0;
}

size_t
triad_db_cols(const struct triad_db_result *r)
{
	return r ? r->ncols : 0;
}

const char *
triad_db_value(const struct triad_db_result *r, size_t row, size_t col)
{
	if (r == NULL || row >= r->nrows || col >= r->ncols)
		return NULL;
	return r->rows[row][col];
}

size_t
triad_db_len(const struct triad_db_result *r, size_t row, size_t col)
{
	if (r == NULL || row >= r->nrows || col >= r->ncols)
		return 0;
	return r->lens[row * r->ncols + col];
}

uint64_t
triad_db_affected(const struct triad_db_result *r)
{
	return r ? r->affected : 0;
}

uint64_t
triad_db_insert_id(const struct triad_db_result *r)
{
	return r ? r->insert_id : 0;
}

void
triad_db_free(struct triad_db_result *r)
{
	if (r == NULL)
		return;
	if (r->res != NULL)
		mysql_free_result(r->res);
	free(r->rows);
	free(r->lens);
	free(r);
}

/* ---- asynchronous queries ---- */

int
triad_db_query_async(const char *sql, const char *const *params,
    size_t nparams, triad_db_cb cb, void *arg, char **cause)
{
	struct db_pending *p;
	int i;

	*cause = NULL;
	if (db_npending == DB_MAX_PENDING)
		return (xasprintf(cause, "too many queries pending"), -1);
	/* Any open connection escapes (the charset is the same). */
	for (i = 0; i < DB_MAX_POOL && db_conns[i].m == NULL; i++)
		;
	if (i == DB_MAX_POOL && (i = db_get(cause)) == -1)
		return -1;
	p = &db_pending[db_npending];
	memset(p, 0, sizeof(*p));
	p->sql = db_build_sql(sql, params, nparams, db_escape, db_conns[i].m,
	    cause);
	if (p->sql == NULL)
		return -1;
	p->cb = cb;
	p->arg = arg;
	p->conn = -1;
	db_npending++;
	return 0;
}

/* Ends pending query k: its callback, its connection freed. */
static void
db_async_done(size_t k, MYSQL_RES *res, int failed)
{
	struct db_pending p = db_pending[k];
	struct triad_db_result *r = NULL;
	char *cause = NULL;

	if (failed)
		db_error(p.conn, &cause);
	else
		r = db_result(db_conns[p.conn].m, res);
	db_conns[p.conn].busy = 0;
	db_pending[k] = db_pending[--db_npending];
	p.cb(r, cause, p.arg);
	free(cause);
	free(p.sql);
}

/* One step of query k (start or continue); 1 when it ended. */
static int
db_async_step(size_t k, int ready)
{
	struct db_pending *p = &db_pending[k];
	MYSQL *m = db_conns[p->conn].m;
	MYSQL_RES *res = NULL;
	int err = 0;

	if (p->stage == 0) {
		p->status = p->status == 0 && !ready ?
		    mysql_real_query_start(&err, m, p->sql, strlen(p->sql)) :
		    mysql_real_query_cont(&err, m, ready);
		if (p->status != 0)
			return 0;
		if (err != 0)
			return (db_async_done(k, NULL, 1), 1);
		p->stage = 1;
		ready = 0;
		p->status = mysql_store_result_start(&res, m);
	} else
		p->status = mysql_store_result_cont(&res, m, ready);
	if (p->status != 0)
		return 0;
	db_async_done(k, res, res == NULL && mysql_field_count(m) != 0);
	return 1;
}

/* 1 when some connection runs a query. */
static int
db_any_busy(void)
{
	size_t i;

	for (i = 0; i < DB_MAX_POOL; i++)
		if (db_conns[i].busy)
			return 1;
	return 0;
}

/* Fails pending query k, which never got a connection. */
static void
db_async_fail(size_t k, const char *cause)
{
	struct db_pending p = db_pending[k];

	db_pending[k] = db_pending[--db_npending];
	p.cb(NULL, cause, p.arg);
	free(p.sql);
}

/*
 * Gives free connections to queries that have none. When none can be
 * had and no query runs (the database is down), the query fails rather
 * than wait forever. Returns the number of queries that ended.
 */
static int
db_async_assign(void)
{
	char *cause = NULL;
	size_t k;
	int i, n = 0;

	for (k = 0; k < db_npending; k++) {
		if (db_pending[k].conn != -1)
			continue;
		if ((i = db_get(&cause)) == -1) {
			if (!db_any_busy()) {
				db_async_fail(k--, cause);
				n++;
			}
			free(cause);
			cause = NULL;
			if (db_any_busy())
				break;
			continue;
		}
		db_conns[i].busy = 1;
		db_pending[k].conn = i;
		if (db_async_step(k, 0)) {
			n++;
			k--;	/* slot k holds another query now */
		}
	}
	return n;
}

/* Polls the started queries once and continues those that are ready. */
static int
db_async_poll(void)
{
	struct pollfd pfd[DB_MAX_PENDING];
	size_t k, n = 0, idx[DB_MAX_PENDING];
	int done = 0, ready;

	for (k = 0; k < db_npending; k++) {
		if (db_pending[k].conn == -1)
			continue;
		pfd[n].fd = mysql_get_socket(db_conns[db_pending[k].conn].m);
		pfd[n].events = (short)(((db_pending[k].status &
		    MYSQL_WAIT_READ) ? POLLIN : 0) | ((db_pending[k].status &
		    MYSQL_WAIT_WRITE) ? POLLOUT : 0));
		idx[n++] = k;
	}
	if (n == 0)
		return 0;
	if (poll(pfd, n, 1000) == -1 && errno != EINTR)
		return 0;
	/* Backwards: an ended query moves the last slot into its place. */
	while (n-- > 0) {
		ready = (pfd[n].revents & (POLLIN | POLLHUP | POLLERR) ?
		    MYSQL_WAIT_READ : 0) | (pfd[n].revents & POLLOUT ?
		    MYSQL_WAIT_WRITE : 0);
		if (pfd[n].revents == 0 && (db_pending[idx[n]].status &
		    MYSQL_WAIT_TIMEOUT) == 0)
			continue;
		if (pfd[n].revents == 0)
			ready = MYSQL_WAIT_TIMEOUT;
		done += db_async_step(idx[n], ready);
	}
	return done;
}

int
triad_db_wait(void)
{
	int done = 0;

	while (db_npending > 0) {
		done += db_async_assign();
		done += db_async_poll();
	}
	return done;
}
