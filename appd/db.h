/*
 * db.h: the module workers' database pool (the triad_db_* functions of
 * include/triad_app.h), on MariaDB Connector/C.
 */
#ifndef APPD_DB_H
#define APPD_DB_H

#include <stddef.h>
#include <stdint.h>

/* Where and as whom a worker connects. */
struct db_conf {
	char		 host[64];	/* numeric, or "" for a unix socket */
	char		 socket[108];
	unsigned	 port;
	char		*user, *password, *db;	/* copies */
	unsigned	 pool;
	unsigned	 connect_timeout_s;
};

/*
 * db_init: configures the pool from address text ("host:port",
 * "unix:/path"; NULL or "": no database, every query fails with "no
 * database configured"). Connections open on first use. 0, or -1 with
 * *cause.
 */
int	db_init(const char *address, const char *user, const char *password,
	    const char *db, unsigned pool, unsigned timeout_s, char **cause);
/* db_close: closes every connection and forgets the settings. */
void	db_close(void);
/*
 * db_build_sql: sql with each '?' outside quotes replaced by the quoted,
 * escaped params[i] (NULL: NULL). escape(to, from, len) escapes as the
 * connection's charset wants. Returns the text (caller frees), or NULL
 * with *cause when the counts differ.
 */
char	*db_build_sql(const char *sql, const char *const *params,
	    size_t nparams, unsigned long (*escape)(void *, char *,
	    const char *, unsigned long), void *arg, char **cause);

#endif
