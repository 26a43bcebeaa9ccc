/*
 * dbp_client.c: a Connector/C client of dbproxyd's prepared statements,
 * for tests/integration/test_dbproxyd_stmt.py.
 *
 *	dbp_client PORT USER PASSWORD DB
 *
 * Runs, in one session: a prepared SELECT executed many times with new
 * values (binary protocol, the types bound once), a prepared INSERT, a
 * statement fed with mysql_stmt_send_long_data, a reset, closes, and a
 * prepared SELECT inside a transaction (so it is prepared again on the
 * primary), then COM_CHANGE_USER. Prints one line per check,
 * "server_id N" for each routed SELECT, and exits 0 only if every result
 * is the expected one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>

static int failures;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		printf("FAIL line %d: ", __LINE__);			\
		printf(__VA_ARGS__);					\
		printf("\n");						\
		failures++;						\
	}								\
} while (0)

/* SELECT ? + 1, @@server_id: n executions with new values. */
static void
client_select(MYSQL *db, int n)
{
	MYSQL_STMT *st = mysql_stmt_init(db);
	const char *q = "SELECT ? + 1, @@server_id";
	MYSQL_BIND in, out[2];
	long long v = 0, r = 0, sid = 0;
	int i;

	CHECK(mysql_stmt_prepare(st, q, strlen(q)) == 0, "prepare: %s",
	    mysql_stmt_error(st));
	memset(&in, 0, sizeof(in));
	in.buffer_type = MYSQL_TYPE_LONGLONG;
	in.buffer = &v;
	memset(out, 0, sizeof(out));
	out[0].buffer_type = out[1].buffer_type = MYSQL_TYPE_LONGLONG;
	out[0].buffer = &r;
	out[1].buffer = &sid;
	CHECK(mysql_stmt_bind_param(st, &in) == 0, "bind");
	for (i = 0; i < n; i++) {
		v = i * 1000;
		CHECK(mysql_stmt_execute(st) == 0, "execute: %s",
		    mysql_stmt_error(st));
		CHECK(mysql_stmt_bind_result(st, out) == 0, "bind result");
		CHECK(mysql_stmt_fetch(st) == 0, "fetch: %s",
		    mysql_stmt_error(st));
		CHECK(r == v + 1, "got %lld for %lld", r, v);
		CHECK(mysql_stmt_fetch(st) == MYSQL_NO_DATA, "one row");
		printf("server_id %lld\n", sid);
	}
	CHECK(mysql_stmt_reset(st) == 0, "reset: %s", mysql_stmt_error(st));
	CHECK(mysql_stmt_close(st) == 0, "close");
}

/* INSERT with a string and a long-data blob; read back from the primary. */
static void
client_insert(MYSQL *db)
{
	MYSQL_STMT *st = mysql_stmt_init(db);
	const char *q = "REPLACE INTO dbp_stmt (id, v, b) VALUES (?, ?, ?)";
	char v[] = "hello", chunk[4096];
	MYSQL_BIND b[3];
	MYSQL_RES *res;
	MYSQL_ROW row;
	long long id = 7;
	unsigned long vlen = 5;
	int i;

	CHECK(mysql_stmt_prepare(st, q, strlen(q)) == 0, "prepare insert: %s",
	    mysql_stmt_error(st));
	memset(b, 0, sizeof(b));
	b[0].buffer_type = MYSQL_TYPE_LONGLONG;
	b[0].buffer = &id;
	b[1].buffer_type = MYSQL_TYPE_STRING;
	b[1].buffer = v;
	b[1].length = &vlen;
	b[2].buffer_type = MYSQL_TYPE_BLOB;
	CHECK(mysql_stmt_bind_param(st, b) == 0, "bind insert");
	memset(chunk, 'z', sizeof(chunk));
	for (i = 0; i < 64; i++)
		CHECK(mysql_stmt_send_long_data(st, 2, chunk, sizeof(chunk)) ==
		    0, "long data: %s", mysql_stmt_error(st));
	CHECK(mysql_stmt_execute(st) == 0, "execute insert: %s",
	    mysql_stmt_error(st));
	CHECK(mysql_stmt_affected_rows(st) >= 1, "affected rows");
	mysql_stmt_close(st);
	CHECK(mysql_query(db, "/* triad:primary */ SELECT v, LENGTH(b) FROM "
	    "dbp_stmt WHERE id = 7") == 0, "select back: %s", mysql_error(db));
	res = mysql_store_result(db);
	row = res ? mysql_fetch_row(res) : NULL;
	CHECK(row != NULL && strcmp(row[0], "hello") == 0 &&
	    strcmp(row[1], "262144") == 0, "inserted row");
	if (res)
		mysql_free_result(res);
	printf("insert ok\n");
}

/* Inside a transaction the same statement runs on the primary. */
static void
client_in_trx(MYSQL *db)
{
	CHECK(mysql_query(db, "START TRANSACTION") == 0, "begin");
	client_select(db, 2);
	CHECK(mysql_query(db, "COMMIT") == 0, "commit");
	printf("trx done\n");
}

/* COM_CHANGE_USER: the session starts afresh as another user; a wrong
   password is refused. */
static void
client_change_user(MYSQL *db)
{
	MYSQL_RES *res;
	MYSQL_ROW row;

	CHECK(mysql_query(db, "SET @before = 1") == 0, "set");
	CHECK(mysql_change_user(db, "triad", "triadpw", "triadtest") == 0,
	    "change_user: %s", mysql_error(db));
	CHECK(mysql_query(db, "SELECT @before IS NULL, DATABASE()") == 0,
	    "select after change_user: %s", mysql_error(db));
	res = mysql_store_result(db);
	row = res ? mysql_fetch_row(res) : NULL;
	CHECK(row != NULL && strcmp(row[0], "1") == 0 &&
	    strcmp(row[1], "triadtest") == 0, "fresh session after change_user");
	if (res)
		mysql_free_result(res);
	printf("change_user ok\n");
}

int
main(int argc, char **argv)
{
	MYSQL *db;

	if (argc != 5) {
		fprintf(stderr, "usage: dbp_client PORT USER PASSWORD DB\n");
		return 2;
	}
	db = mysql_init(NULL);
	if (mysql_real_connect(db, "127.0.0.1", argv[2], argv[3], argv[4],
	    (unsigned)atoi(argv[1]), NULL, 0) == NULL) {
		printf("FAIL connect: %s\n", mysql_error(db));
		return 1;
	}
	CHECK(mysql_query(db, "CREATE TABLE IF NOT EXISTS dbp_stmt (id INT "
	    "PRIMARY KEY, v VARCHAR(32), b LONGBLOB)") == 0, "create: %s",
	    mysql_error(db));
	client_select(db, 20);
	client_insert(db);
	client_in_trx(db);
	client_change_user(db);
	mysql_close(db);
	printf("%s\n", failures ? "FAILED" : "ALL OK");
	return failures ? 1 : 0;
}
