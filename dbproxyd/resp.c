/*
 * resp.c: the response walker (see resp.h), one function per state.
 *
 * A result is: a column count, that many definitions, an EOF (unless
 * CLIENT_DEPRECATE_EOF), rows, then an EOF (or, with DEPRECATE_EOF, an OK
 * whose header is 0xfe). A row never starts with 0xfe in a frame shorter
 * than 0xffffff bytes (0xfe would announce a string of 16 MB or more), so
 * "0xfe and shorter than a full frame" always ends the rows.
 */
#include <string.h>

#include "proto.h"
#include "resp.h"

enum {
	RS_FIRST,	/* OK, ERR or a column count */
	RS_COLS,	/* column definitions */
	RS_COLS_EOF,	/* the EOF after them */
	RS_ROWS,
	RS_PARAMS,	/* prepare: parameter definitions */
	RS_PARAMS_EOF,
	RS_PCOLS,	/* prepare: column definitions */
	RS_PCOLS_EOF,
};

void
dbp_resp_start(struct dbp_resp *r, enum dbp_resp_kind kind,
    int deprecate_eof)
{
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->deprecate_eof = deprecate_eof;
	r->state = kind == DBP_RK_FIELDS ? RS_COLS : RS_FIRST;
	r->left = UINT64_MAX;
}

/* An OK or EOF that ends a result: more results, or the end. */
static enum dbp_resp_ret
dbp_resp_end(struct dbp_resp *r, const uint8_t *p, size_t len)
{
	if (dbp_ok_status(p, len, &r->status) == -1)
		return DBP_R_BAD;
	r->have_status = 1;
	r->results++;
	if (r->kind == DBP_RK_RESULT && (r->status & DBP_STATUS_MORE_RESULTS)) {
		r->state = RS_FIRST;
		return DBP_R_MORE;
	}
	return DBP_R_DONE;
}

/* An ERR ends the answer (and any further results). */
static enum dbp_resp_ret
dbp_resp_error(struct dbp_resp *r, const uint8_t *p, size_t len)
{
	r->err = dbp_err_code(p, len);
	if (r->err == 0)
		r->err = 1;
	return DBP_R_DONE;
}

/* A prepare's first packet: 0x00, id, columns, parameters. */
static enum dbp_resp_ret
dbp_resp_prepare_ok(struct dbp_resp *r, const uint8_t *p, size_t len)
{
	struct dbp_rd rd;

	dbp_rd_init(&rd, p, len);
	dbp_rd_int(&rd, 1);
	r->stmt_id = (uint32_t)dbp_rd_int(&rd, 4);
	r->ncols = (uint16_t)dbp_rd_int(&rd, 2);
	r->nparams = (uint16_t)dbp_rd_int(&rd, 2);
	if (rd.err)
		return DBP_R_BAD;
	if (r->nparams > 0) {
		r->left = r->nparams;
		r->state = RS_PARAMS;
		return DBP_R_MORE;
	}
	if (r->ncols > 0) {
		r->left = r->ncols;
		r->state = RS_PCOLS;
		return DBP_R_MORE;
	}
	return DBP_R_DONE;
}

/* The first packet of an answer or of a further result: OK, ERR, a
   prepare's OK, or a column count. */
static enum dbp_resp_ret
dbp_resp_first(struct dbp_resp *r, const uint8_t *p, size_t avail,
    size_t len)
{
	struct dbp_rd rd;

	if (len == 0)
		return DBP_R_BAD;
	if (avail < len && (p[0] == 0x00 || p[0] == 0xff || p[0] == 0xfe ||
	    len < 16))
		return DBP_R_NEED;
	if (p[0] == 0xff)
		return dbp_resp_error(r, p, len);
	if (r->kind == DBP_RK_ONE)
		return DBP_R_DONE;
	if (r->kind == DBP_RK_PREPARE)
		return p[0] == 0x00 ? dbp_resp_prepare_ok(r, p, len) : DBP_R_BAD;
	if (p[0] == 0x00 || (p[0] == 0xfe && r->kind == DBP_RK_SIMPLE))
		return dbp_resp_end(r, p, len);
	if (r->kind == DBP_RK_SIMPLE || p[0] == 0xfb || p[0] == 0xfe)
		return DBP_R_BAD;	/* 0xfb: LOCAL INFILE, not offered */
	/* Only avail bytes are there: the count is read from those. */
	dbp_rd_init(&rd, p, avail);
	r->left = dbp_rd_lenenc(&rd);
	if (rd.err && avail < len)
		return DBP_R_NEED;
	if (rd.err || r->left == 0)
		return DBP_R_BAD;
	r->state = RS_COLS;
	return DBP_R_MORE;
}

/* "0xfe and not a full frame": an EOF, or an OK ending rows. */
static int
dbp_resp_is_end(const uint8_t *p, size_t avail, size_t len)
{
	return avail > 0 && p[0] == 0xfe && len < DBP_FRAME_MAX;
}

/* Definitions (columns or parameters); n counted down, then next. */
static enum dbp_resp_ret
dbp_resp_defs(struct dbp_resp *r, const uint8_t *p, size_t avail,
    size_t len, int eof_state, int after_state)
{
	if (avail > 0 && p[0] == 0xff && r->kind == DBP_RK_FIELDS) {
		if (avail < len)
			return DBP_R_NEED;
		return dbp_resp_error(r, p, len);
	}
	if (r->kind == DBP_RK_FIELDS && dbp_resp_is_end(p, avail, len)) {
		if (avail < len)
			return DBP_R_NEED;
		return dbp_resp_end(r, p, len);
	}
	if (len == 0)
		return DBP_R_BAD;
	if (r->kind == DBP_RK_FIELDS)
		return DBP_R_MORE;
	if (--r->left > 0)
		return DBP_R_MORE;
	r->state = r->deprecate_eof ? after_state : eof_state;
	return DBP_R_MORE;
}

/* The EOF after definitions (no DEPRECATE_EOF). */
static enum dbp_resp_ret
dbp_resp_defs_eof(struct dbp_resp *r, const uint8_t *p, size_t avail,
    size_t len, int next)
{
	if (!dbp_resp_is_end(p, avail, len))
		return DBP_R_BAD;
	if (avail < len)
		return DBP_R_NEED;
	if (dbp_ok_status(p, len, &r->status) == -1)
		return DBP_R_BAD;
	r->have_status = 1;
	/* A cursor was opened: the rows come with COM_STMT_FETCH. */
	if (r->status & DBP_STATUS_CURSOR_EXISTS)
		return DBP_R_DONE;
	r->state = next;
	return DBP_R_MORE;
}

/* A row, or the ERR or EOF/OK that ends the rows. */
static enum dbp_resp_ret
dbp_resp_rows(struct dbp_resp *r, const uint8_t *p, size_t avail, size_t len)
{
	if (avail == 0 && len > 0)
		return DBP_R_NEED;
	if (len > 0 && p[0] == 0xff) {
		if (avail < len)
			return DBP_R_NEED;
		return dbp_resp_error(r, p, len);
	}
	if (dbp_resp_is_end(p, avail, len)) {
		if (avail < len)
			return DBP_R_NEED;
		return dbp_resp_end(r, p, len);
	}
	return DBP_R_MORE;
}

/* After a prepare's parameters: columns, or the end. */
static enum dbp_resp_ret
dbp_resp_after_params(struct dbp_resp *r)
{
	if (r->ncols == 0)
		return DBP_R_DONE;
	r->left = r->ncols;
	r->state = RS_PCOLS;
	return DBP_R_MORE;
}

enum dbp_resp_ret
dbp_resp_feed(struct dbp_resp *r, const uint8_t *p, size_t avail,
    size_t len)
{
	enum dbp_resp_ret ret;

	if (avail == 0 && len > 0)
		return DBP_R_NEED;
	switch (r->state) {
	case RS_FIRST:
		return dbp_resp_first(r, p, avail, len);
	case RS_COLS:
		return dbp_resp_defs(r, p, avail, len, RS_COLS_EOF, RS_ROWS);
	case RS_COLS_EOF:
		return dbp_resp_defs_eof(r, p, avail, len, RS_ROWS);
	case RS_ROWS:
		return dbp_resp_rows(r, p, avail, len);
	case RS_PARAMS:
		ret = dbp_resp_defs(r, p, avail, len, RS_PARAMS_EOF, -1);
		if (ret == DBP_R_MORE && r->state == -1)
			return dbp_resp_after_params(r);
		return ret;
	case RS_PARAMS_EOF:
		ret = dbp_resp_defs_eof(r, p, avail, len, RS_PCOLS);
		if (ret == DBP_R_MORE)
			return dbp_resp_after_params(r);
		return ret;
	case RS_PCOLS:
		ret = dbp_resp_defs(r, p, avail, len, RS_PCOLS_EOF, -1);
		return ret == DBP_R_MORE && r->state == -1 ? DBP_R_DONE : ret;
	case RS_PCOLS_EOF:
		ret = dbp_resp_defs_eof(r, p, avail, len, RS_PCOLS);
		return ret == DBP_R_MORE ? DBP_R_DONE : ret;
	}
	return DBP_R_BAD;
}

int
dbp_resp_in_rows(const struct dbp_resp *r)
{
	return r->state == RS_ROWS;
}
