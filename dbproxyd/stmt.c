/*
 * stmt.c: a session's prepared statements. The client sees dbproxyd's
 * ids; each server connection that prepared a statement has its own id
 * (struct dbp_bstmt), so a statement runs on whichever server its
 * EXECUTE is routed to, prepared there on first use. The parameter types
 * of the last bind are kept: a server that has not seen them gets them
 * added to an EXECUTE that does not carry them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "pool.h"
#include "session.h"
#include "util.h"

struct dbp_stmt *
dbp_stmt_find(struct dbp_session *s, uint32_t id)
{
	size_t i;

	for (i = 0; i < s->nstmts; i++)
		if (s->stmts[i].id == id)
			return &s->stmts[i];
	return NULL;
}

struct dbp_stmt *
dbp_stmt_add(struct dbp_session *s, const uint8_t *sql, size_t len)
{
	struct dbp_stmt *st;

	if (s->nstmts >= DBP_STMT_MAX)
		return NULL;
	s->stmts = xreallocarray(s->stmts, s->nstmts + 1, sizeof(*s->stmts));
	st = &s->stmts[s->nstmts++];
	memset(st, 0, sizeof(*st));
	st->id = ++s->next_stmt;
	st->sql = xmalloc(len + 1);
	memcpy(st->sql, sql, len);
	st->sql[len] = '\0';
	st->sql_len = len;
	st->flags = dbp_classify(st->sql, len);
	st->server = -1;
	return st;
}

void
dbp_stmt_del(struct dbp_session *s, uint32_t id)
{
	size_t i;

	for (i = 0; i < s->nstmts; i++)
		if (s->stmts[i].id == id) {
			free(s->stmts[i].sql);
			free(s->stmts[i].types);
			s->stmts[i] = s->stmts[--s->nstmts];
			return;
		}
}

void
dbp_stmt_free_all(struct dbp_session *s)
{
	size_t i;

	for (i = 0; i < s->nstmts; i++) {
		free(s->stmts[i].sql);
		free(s->stmts[i].types);
	}
	free(s->stmts);
	s->stmts = NULL;
	s->nstmts = 0;
}

/* A new bind: the other connections' types are stale now. */
static void
dbp_stmt_rebound(struct dbp_session *s, struct dbp_stmt *st,
    const uint8_t *types, struct dbp_backend *be)
{
	struct dbp_bstmt *b;
	size_t i;

	free(st->types);
	st->types = xmalloc(2u * st->nparams);
	memcpy(st->types, types, 2u * st->nparams);
	for (i = 0; i < s->c->nservers && i < DBP_MAX_SERVERS; i++)
		if (s->be[i] != NULL && s->be[i] != be &&
		    (b = dbp_backend_stmt(s->be[i], st->id)) != NULL)
			b->types_sent = 0;
}

int
dbp_stmt_execute_fix(struct dbp_session *s, struct dbp_backend *be,
    struct dbp_wr *out)
{
	struct dbp_stmt *st = s->cmd_stmt;
	struct dbp_bstmt *b = dbp_backend_stmt_of(be, st);
	size_t nb = (st->nparams + 7u) / 8, off = 10 + nb;
	const uint8_t *p = s->cmd;

	dbp_wr_reset(out);
	/* Other sessions bind on a shared one: the types always go. */
	if (be->state == DBP_BE_SHARED)
		b->types_sent = 0;
	if (st->nparams > 0 && (s->cmd_len < off + 1 ||
	    (p[off] == 1 && s->cmd_len < off + 1 + 2u * st->nparams))) {
		dbp_session_err(s, DBP_ER_NET_READ, "08S01",
		    "Malformed COM_STMT_EXECUTE");
		return -1;
	}
	dbp_wr_bytes(out, p, 1);
	dbp_wr_int(out, b->bid, 4);
	if (st->nparams == 0) {
		dbp_wr_bytes(out, p + 5, s->cmd_len - 5);
		return 0;
	}
	if (p[off] == 1) {
		dbp_stmt_rebound(s, st, p + off + 1, be);
		b->types_sent = 1;
		dbp_wr_bytes(out, p + 5, s->cmd_len - 5);
		return 0;
	}
	if (!b->types_sent && st->types == NULL) {
		dbp_session_err(s, DBP_ER_NET_READ, "08S01", "COM_STMT_EXECUTE "
		    "without parameter types");
		return -1;
	}
	dbp_wr_bytes(out, p + 5, off - 5);
	if (b->types_sent)
		dbp_wr_bytes(out, p + off, s->cmd_len - off);
	else {
		dbp_wr_int(out, 1, 1);
		dbp_wr_bytes(out, st->types, 2u * st->nparams);
		dbp_wr_bytes(out, p + off + 1, s->cmd_len - off - 1);
		b->types_sent = 1;
	}
	return 0;
}
