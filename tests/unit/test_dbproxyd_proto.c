/*
 * test_dbproxyd_proto.c: dbproxyd's protocol codec (golden bytes),
 * mysql_native_password (the hash MariaDB prints for 'triadpw'), the
 * response walker on whole responses, and the statement classifier.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth.h"
#include "classify.h"
#include "conf.h"
#include "proto.h"
#include "resp.h"

static void
test_lenenc(void **state)
{
	static const uint64_t v[] = { 0, 250, 251, 0xffff, 0x10000, 0xffffff,
	    0x1000000, UINT64_MAX };
	static const size_t sz[] = { 1, 1, 3, 3, 4, 4, 9, 9 };
	struct dbp_wr w = { 0 };
	struct dbp_rd r;
	size_t i;

	(void)state;
	for (i = 0; i < 8; i++) {
		dbp_wr_reset(&w);
		dbp_wr_lenenc(&w, v[i]);
		assert_int_equal(w.len, sz[i]);
		dbp_rd_init(&r, w.p, w.len);
		assert_true(dbp_rd_lenenc(&r) == v[i]);
		assert_int_equal(r.err, 0);
		/* One byte short: an error, never a read past the end. */
		dbp_rd_init(&r, w.p, w.len - 1);
		dbp_rd_lenenc(&r);
		assert_true(r.err || w.len == 1);
	}
	/* 0xff is not a length. */
	dbp_rd_init(&r, "\xff", 1);
	dbp_rd_lenenc(&r);
	assert_int_equal(r.err, 1);
	dbp_wr_free(&w);
}

static void
test_frames_split(void **state)
{
	struct dbp_wr w = { 0 };
	uint8_t *big, seq = 3, s;
	size_t n = DBP_FRAME_MAX + 10;

	(void)state;
	big = calloc(1, n);
	dbp_frame(&w, &seq, big, n);
	assert_int_equal(w.len, n + 8);
	assert_int_equal(dbp_frame_hdr(w.p, &s), DBP_FRAME_MAX);
	assert_int_equal(s, 3);
	assert_int_equal(dbp_frame_hdr(w.p + 4 + DBP_FRAME_MAX, &s), 10);
	assert_int_equal(s, 4);
	assert_int_equal(seq, 5);
	/* Exactly one full frame: an empty frame ends the packet. */
	dbp_wr_reset(&w);
	seq = 0;
	dbp_frame(&w, &seq, big, DBP_FRAME_MAX);
	assert_int_equal(w.len, DBP_FRAME_MAX + 8);
	assert_int_equal(dbp_frame_hdr(w.p + 4 + DBP_FRAME_MAX, NULL), 0);
	free(big);
	dbp_wr_free(&w);
}

static void
test_ok_err_eof(void **state)
{
	struct dbp_wr w = { 0 };
	uint16_t st;

	(void)state;
	dbp_ok(&w, 300, 7, 0x0003, 1);
	assert_int_equal(w.len, 1 + 3 + 1 + 2 + 2);
	assert_memory_equal(w.p, "\x00\xfc\x2c\x01\x07\x03\x00\x01\x00", 9);
	assert_int_equal(dbp_ok_status(w.p, w.len, &st), 0);
	assert_int_equal(st, 3);
	dbp_wr_reset(&w);
	dbp_err(&w, 1045, "28000", "denied");
	assert_memory_equal(w.p, "\xff\x15\x04#28000denied", 15);
	assert_int_equal(dbp_err_code(w.p, w.len), 1045);
	dbp_wr_reset(&w);
	dbp_eof(&w, 0, 0x0009);
	assert_int_equal(dbp_ok_status(w.p, w.len, &st), 0);
	assert_int_equal(st, 9);
	assert_int_equal(dbp_ok_status((const uint8_t *)"\x00\x01", 2, &st),
	    -1);
	dbp_wr_free(&w);
}

static void
test_greeting_roundtrip(void **state)
{
	struct dbp_greeting g = { .conn_id = 42, .caps = DBP_SERVER_CAPS,
	    .charset = 45, .status = 2 }, h;
	struct dbp_wr w = { 0 };
	char *cause = NULL;
	size_t i;

	(void)state;
	snprintf(g.version, sizeof(g.version), "5.5.5-10.11.0-triad");
	snprintf(g.plugin, sizeof(g.plugin), DBP_NATIVE_PLUGIN);
	dbp_auth_scramble(g.scramble);
	for (i = 0; i < DBP_SCRAMBLE_LEN; i++)
		assert_true(g.scramble[i] > 32 && g.scramble[i] < 127);
	dbp_greeting_build(&w, &g);
	assert_int_equal(w.p[0], 10);
	assert_int_equal(dbp_greeting_parse(w.p, w.len, &h, &cause), 0);
	assert_string_equal(h.version, g.version);
	assert_int_equal(h.conn_id, 42);
	assert_int_equal(h.caps, g.caps);
	assert_memory_equal(h.scramble, g.scramble, DBP_SCRAMBLE_LEN);
	assert_string_equal(h.plugin, DBP_NATIVE_PLUGIN);
	/* Every truncation fails cleanly. */
	for (i = 0; i < w.len - 22; i++) {
		if (dbp_greeting_parse(w.p, i, &h, &cause) == 0)
			fail_msg("truncated greeting of %zu bytes parsed", i);
		free(cause);
		cause = NULL;
	}
	dbp_wr_free(&w);
}

static void
test_login_roundtrip(void **state)
{
	uint8_t scr[DBP_SCRAMBLE_LEN], tok[20], s2[20];
	uint32_t caps = DBP_SERVER_CAPS & ~DBP_CLIENT_PLUGIN_AUTH_LENENC &
	    ~DBP_CLIENT_CONNECT_WITH_DB;
	struct dbp_wr w = { 0 };
	struct dbp_login l;
	char *cause = NULL;
	size_t i;

	(void)state;
	dbp_auth_scramble(scr);
	assert_int_equal(dbp_auth_token("triadpw", scr, tok), 20);
	dbp_login_build(&w, caps, "triad", tok, 20, DBP_NATIVE_PLUGIN);
	assert_int_equal(dbp_login_parse(w.p, w.len, &l, &cause), 0);
	assert_int_equal(l.user_len, 5);
	assert_memory_equal(l.user, "triad", 5);
	assert_int_equal(l.auth_len, 20);
	assert_int_equal(l.plugin_len, strlen(DBP_NATIVE_PLUGIN));
	assert_null(l.db);
	/* The hash MariaDB prints for PASSWORD('triadpw') checks. */
	dbp_auth_stage2("triadpw", s2);
	assert_int_equal(dbp_auth_check(s2, scr, l.auth, l.auth_len), 1);
	tok[3] ^= 1;
	assert_int_equal(dbp_auth_check(s2, scr, tok, 20), 0);
	assert_int_equal(dbp_auth_check(s2, scr, tok, 19), 0);
	for (i = 0; i < 36; i++) {
		if (dbp_login_parse(w.p, i, &l, &cause) == 0)
			fail_msg("truncated login of %zu bytes parsed", i);
		free(cause);
		cause = NULL;
	}
	dbp_wr_free(&w);
}

static void
test_hash_text(void **state)
{
	uint8_t s2[20], want[20];

	(void)state;
	/* SELECT PASSWORD('triadpw') on MariaDB. */
	dbp_auth_stage2("triadpw", want);
	assert_int_equal(dbproxyd_conf_hash(
	    "*E77463FEF1BAAA10AD3DB0E2A64B8F7C7DE750A9", s2), 0);
	assert_memory_equal(s2, want, 20);
	assert_int_equal(dbproxyd_conf_hash("*6BB4837EB74329105EE4568DDA7DC67ED2"
	    "CA2AD9", s2), 0);
	dbp_auth_stage2("123456", want);
	assert_memory_equal(s2, want, 20);	/* PASSWORD('123456') */
	assert_int_equal(dbproxyd_conf_hash("6BB4837EB74329105EE4568DDA7DC67E"
	    "D2CA2AD9X", s2), -1);
	assert_int_equal(dbproxyd_conf_hash("*6BB4", s2), -1);
	assert_int_equal(dbproxyd_conf_hash("*ZBB4837EB74329105EE4568DDA7DC67E"
	    "D2CA2AD9", s2), -1);
}

/* Feeds whole packets (payloads joined with their lengths) to a walker. */
static enum dbp_resp_ret
feed_all(struct dbp_resp *r, const char *const *pk, const size_t *len,
    size_t n, size_t *used)
{
	enum dbp_resp_ret ret = DBP_R_BAD;
	size_t i;

	for (i = 0; i < n; i++) {
		ret = dbp_resp_feed(r, (const uint8_t *)pk[i], 1 < len[i] ? 1 :
		    len[i], len[i]);
		if (ret == DBP_R_NEED)
			ret = dbp_resp_feed(r, (const uint8_t *)pk[i], len[i],
			    len[i]);
		if (ret != DBP_R_MORE)
			break;
	}
	*used = i + (i < n);
	return ret;
}

static void
test_resp_result(void **state)
{
	/* 1 column, 2 rows, EOF; then the same under DEPRECATE_EOF. */
	static const char *const pk[] = { "\x01", "coldef", "\xfe\0\0\x02\0",
	    "\001a", "\001b", "\xfe\0\0\x22\0" };
	static const size_t len[] = { 1, 6, 5, 2, 2, 5 };
	static const char *const pk2[] = { "\x01", "coldef", "\001a",
	    "\xfe\0\0\x03\0\0\0" };
	static const size_t len2[] = { 1, 6, 2, 7 };
	struct dbp_resp r;
	size_t used;

	(void)state;
	dbp_resp_start(&r, DBP_RK_RESULT, 0);
	assert_int_equal(feed_all(&r, pk, len, 6, &used), DBP_R_DONE);
	assert_int_equal(used, 6);
	assert_int_equal(r.status, 0x22);
	dbp_resp_start(&r, DBP_RK_RESULT, 1);
	assert_int_equal(feed_all(&r, pk2, len2, 4, &used), DBP_R_DONE);
	assert_int_equal(used, 4);
	assert_int_equal(r.status, 3);
	assert_true(r.status & DBP_STATUS_IN_TRANS);
}

static void
test_resp_multi(void **state)
{
	/* OK with MORE_RESULTS, a result, then ERR ends it all. */
	static const char *const pk[] = { "\x00\x01\x00\x0a\x00\0\0",
	    "\x01", "c", "\001x", "\xfe\0\0\x0a\0\0\0",
	    "\xff\x28\x04#42000bad" };
	static const size_t len[] = { 7, 1, 1, 2, 7, 12 };
	struct dbp_resp r;
	size_t used;

	(void)state;
	dbp_resp_start(&r, DBP_RK_RESULT, 1);
	assert_int_equal(feed_all(&r, pk, len, 6, &used), DBP_R_DONE);
	assert_int_equal(used, 6);
	assert_int_equal(r.err, 1064);
	/* A row that starts with 0xfe in a full frame is a row. */
	dbp_resp_start(&r, DBP_RK_RESULT, 1);
	assert_int_equal(dbp_resp_feed(&r, (const uint8_t *)"\x01", 1, 1),
	    DBP_R_MORE);
	assert_int_equal(dbp_resp_feed(&r, (const uint8_t *)"c", 1, 1),
	    DBP_R_MORE);
	assert_int_equal(dbp_resp_feed(&r, (const uint8_t *)"\xfe", 1,
	    DBP_FRAME_MAX), DBP_R_MORE);
	/* Hostile: a column count of zero, LOCAL INFILE, empty packets. */
	dbp_resp_start(&r, DBP_RK_RESULT, 1);
	assert_int_equal(dbp_resp_feed(&r, (const uint8_t *)"\x00", 1, 1),
	    DBP_R_BAD);
	dbp_resp_start(&r, DBP_RK_RESULT, 1);
	assert_int_equal(dbp_resp_feed(&r, (const uint8_t *)"\xfb", 1, 1),
	    DBP_R_BAD);
	assert_int_equal(dbp_resp_feed(&r, NULL, 0, 0), DBP_R_BAD);
}

static void
test_resp_prepare(void **state)
{
	static const char *const pk[] = {
	    "\x00\x07\x00\x00\x00\x02\x00\x01\x00\x00\x00\x00",
	    "param", "\xfe\0\0\x02\0", "col1", "col2", "\xfe\0\0\x02\0" };
	static const size_t len[] = { 12, 5, 5, 4, 4, 5 };
	struct dbp_resp r;
	size_t used;

	(void)state;
	dbp_resp_start(&r, DBP_RK_PREPARE, 0);
	assert_int_equal(feed_all(&r, pk, len, 6, &used), DBP_R_DONE);
	assert_int_equal(used, 6);
	assert_int_equal(r.stmt_id, 7);
	assert_int_equal(r.ncols, 2);
	assert_int_equal(r.nparams, 1);
	/* DEPRECATE_EOF: no EOFs. */
	dbp_resp_start(&r, DBP_RK_PREPARE, 1);
	assert_int_equal(feed_all(&r, (const char *const []){ pk[0], pk[1],
	    pk[3], pk[4] }, (const size_t []){ 12, 5, 4, 4 }, 4, &used),
	    DBP_R_DONE);
	assert_int_equal(used, 4);
}

static void
test_classify(void **state)
{
	static const struct { const char *sql; int want, not; } t[] = {
		{ "SELECT 1", DBP_Q_READ, DBP_Q_WRITE },
		{ "  /* c */ -- x\n select * from t", DBP_Q_READ, DBP_Q_WRITE },
		{ "SELECT * FROM t FOR UPDATE", DBP_Q_WRITE, DBP_Q_READ },
		{ "select * from t lock in share mode", DBP_Q_WRITE, DBP_Q_READ },
		{ "SELECT 'for update' FROM t", DBP_Q_READ, DBP_Q_WRITE },
		{ "SELECT `update` FROM t", DBP_Q_READ, DBP_Q_WRITE },
		{ "SELECT GET_LOCK('a', 1)", DBP_Q_WRITE, DBP_Q_READ },
		{ "select last_insert_id()", DBP_Q_WRITE, DBP_Q_READ },
		{ "SELECT NEXTVAL(s)", DBP_Q_WRITE, DBP_Q_READ },
		{ "SELECT NEXT VALUE FOR s", DBP_Q_WRITE, DBP_Q_READ },
		{ "SELECT a INTO @x FROM t", DBP_Q_WRITE, DBP_Q_READ },
		{ "INSERT INTO t VALUES (1)", DBP_Q_WRITE, DBP_Q_READ },
		{ "CALL p()", DBP_Q_WRITE, DBP_Q_READ },
		{ "CREATE TEMPORARY TABLE x (a int)", DBP_Q_TEMP, DBP_Q_READ },
		{ "BEGIN", DBP_Q_BEGIN, DBP_Q_BEGIN_RO },
		{ "START TRANSACTION READ ONLY", DBP_Q_BEGIN_RO, 0 },
		{ "START TRANSACTION READ WRITE", DBP_Q_BEGIN, DBP_Q_BEGIN_RO },
		{ "commit", DBP_Q_END, 0 },
		{ "SET autocommit=0", DBP_Q_SESSION | DBP_Q_AUTOCOMMIT, 0 },
		{ "SET @a = 1", DBP_Q_SESSION, DBP_Q_WRITE },
		{ "SET GLOBAL x = 1", DBP_Q_WRITE, DBP_Q_SESSION },
		{ "SET @@global.x = 1", DBP_Q_WRITE, DBP_Q_SESSION },
		{ "SET TRANSACTION READ ONLY", DBP_Q_WRITE, DBP_Q_SESSION },
		{ "SET ROLE r", DBP_Q_SESSION, DBP_Q_WRITE },
		{ "SET NAMES utf8mb4", DBP_Q_SESSION, DBP_Q_WRITE },
		{ "USE db", DBP_Q_SESSION | DBP_Q_USE, DBP_Q_WRITE },
		{ "LOCK TABLES t READ", DBP_Q_LOCK | DBP_Q_WRITE, DBP_Q_READ },
		{ "unlock tables", DBP_Q_UNLOCK, DBP_Q_LOCK },
		{ "/* triad:primary */ SELECT 1", DBP_Q_HINT_PRIMARY, 0 },
		{ "SELECT /* triad:replica */ 1 FOR UPDATE", DBP_Q_HINT_REPLICA,
		  0 },
		{ "SELECT 1; SELECT 2", DBP_Q_MULTI | DBP_Q_WRITE, DBP_Q_READ },
		{ "SELECT 1;", DBP_Q_READ, DBP_Q_MULTI },
		{ "SHOW TABLES", DBP_Q_READ, DBP_Q_CONNSTATE },
		{ "SELECT c FROM t WHERE id=?", DBP_Q_READ, DBP_Q_CONNSTATE },
		{ "SELECT @@session.sql_mode", DBP_Q_READ, DBP_Q_CONNSTATE },
		{ "SELECT @x", DBP_Q_READ | DBP_Q_CONNSTATE, 0 },
		{ "SELECT @x := 1", DBP_Q_READ | DBP_Q_CONNSTATE, 0 },
		{ "SELECT '@x', `@y`", DBP_Q_READ, DBP_Q_CONNSTATE },
		{ "SHOW WARNINGS", DBP_Q_READ | DBP_Q_CONNSTATE, 0 },
		{ "show count(*) errors", DBP_Q_READ | DBP_Q_CONNSTATE, 0 },
		{ "SHOW STATUS LIKE 'Com%'", DBP_Q_READ | DBP_Q_CONNSTATE, 0 },
		{ "SELECT @@warning_count", DBP_Q_READ | DBP_Q_CONNSTATE, 0 },
		{ "SELECT @@session.warning_count", DBP_Q_READ |
		  DBP_Q_CONNSTATE, 0 },
		{ "select @@local.error_count", DBP_Q_READ | DBP_Q_CONNSTATE,
		  0 },
		{ "SELECT * FROM information_schema.session_status",
		  DBP_Q_READ | DBP_Q_CONNSTATE, 0 },
		{ "SELECT SQL_CALC_FOUND_ROWS a FROM t LIMIT 1",
		  DBP_Q_READ | DBP_Q_CONNSTATE, 0 },
		{ "SELECT CONNECTION_ID()", DBP_Q_READ | DBP_Q_CONNSTATE, 0 },
		{ "/*!40101 SELECT 1 */", DBP_Q_READ, 0 },
		{ "SELECT 'unterminated", DBP_Q_READ, 0 },
		{ "", DBP_Q_WRITE, 0 },
		{ "/* unterminated", DBP_Q_WRITE, 0 },
	};
	size_t i;
	int f;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		f = dbp_classify(t[i].sql, strlen(t[i].sql));
		if ((f & t[i].want) != t[i].want || (f & t[i].not) != 0)
			fail_msg("'%s': flags %#x, want %#x and not %#x",
			    t[i].sql, f, t[i].want, t[i].not);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lenenc),
		cmocka_unit_test(test_frames_split),
		cmocka_unit_test(test_ok_err_eof),
		cmocka_unit_test(test_greeting_roundtrip),
		cmocka_unit_test(test_login_roundtrip),
		cmocka_unit_test(test_hash_text),
		cmocka_unit_test(test_resp_result),
		cmocka_unit_test(test_resp_multi),
		cmocka_unit_test(test_resp_prepare),
		cmocka_unit_test(test_classify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
