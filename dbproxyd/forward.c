/*
 * forward.c: a command to a server and its answer back, unchanged.
 *
 * The answer's frames move from the server's input buffer to the
 * client's output buffer whole (evbuffer_remove_buffer: no copy of row
 * data); only the first bytes of each packet are read, by the response
 * walker, to find the end. Continuation frames of split packets (16 MB
 * and more) pass without a look. An internal command (replaying session
 * state, preparing a statement) runs the same way with its answer
 * dropped. The client's output is capped (DBP_OUT_HIGH): past it the
 * server side stops reading until the client catches up.
 */
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "io.h"
#include "log.h"
#include "pool.h"
#include "session.h"
#include "share.h"
#include "util.h"

#define DBP_PEEK	64	/* bytes of a packet the walker looks at */

void
dbp_forward_raw(struct dbp_backend *be, const uint8_t *p, size_t len)
{
	uint8_t seq = 0;

	dbp_io_packet_add(be->io, &seq, p, len);
	dbp_io_flush_soon(be->io);
}

void
dbp_forward_stmt_close(struct dbp_backend *be, uint32_t bid)
{
	uint8_t pkt[5];

	pkt[0] = DBP_COM_STMT_CLOSE;
	dbp_put32(pkt + 1, bid);
	dbp_forward_raw(be, pkt, sizeof(pkt));
}

void
dbp_forward_start(struct dbp_session *s, struct dbp_backend *be,
    const uint8_t *p, size_t len, enum dbp_resp_kind kind, int swallow)
{
	dbp_resp_start(&s->resp, kind, (be->caps &
	    DBP_CLIENT_DEPRECATE_EOF) != 0);
	s->frame_left = 0;
	s->cont = 0;
	s->sent_any = 0;
	s->swallow = swallow;
	s->state = swallow ? DBP_S_STEP : DBP_S_FORWARD;
	if (be->state == DBP_BE_SHARED)
		dbp_share_push(be, s);
	dbp_forward_raw(be, p, len);
}

/* The server broke the protocol: drop it, and the client if it saw part. */
static void
dbp_forward_bad(struct dbp_session *s, struct dbp_backend *be)
{
	log_warnx("server %s: malformed answer; connection dropped",
	    be->pool->srv->name);
	be->dirty = 1;
	dbp_session_backend_lost(s, be);
}

/* The first packet of a prepare's answer: dbproxyd's id replaces the
   server's. hdr_p points at the whole frame (header included). */
static void
dbp_forward_prepared(struct dbp_session *s, struct dbp_backend *be,
    uint8_t *frame)
{
	struct dbp_stmt *st;

	s->patch_prepare = 0;
	if (s->resp.err != 0)
		return;
	st = dbp_stmt_add(s, s->cmd + 1, s->cmd_len - 1);
	if (st == NULL) {
		/* Over the cap: keep the server's id, never executed. */
		return;
	}
	st->nparams = s->resp.nparams;
	st->ncols = s->resp.ncols;
	st->server = s->target;
	dbp_backend_stmt_put(be, st, s->resp.stmt_id);
	dbp_put32(frame + DBP_HDR + 1, st->id);
}

/* Moves what is buffered of the current frame. 1 when it is all moved. */
static int
dbp_forward_move(struct dbp_session *s, struct evbuffer *in,
    struct evbuffer *out)
{
	size_t n = evbuffer_get_length(in);

	if (n > s->frame_left)
		n = s->frame_left;
	if (s->swallow)
		evbuffer_drain(in, n);
	else {
		evbuffer_remove_buffer(in, out, n);
		s->sent_any |= n > 0;
	}
	s->frame_left -= (uint32_t)n;
	return s->frame_left == 0;
}

/*
 * The walker on the next packet's first bytes (all of them when it asks):
 * *p is the frame (header included) pulled up, *avail the payload bytes
 * it saw. DBP_R_NEED: wait for more bytes; DBP_R_BAD: broken.
 */
static enum dbp_resp_ret
dbp_forward_feed(struct dbp_session *s, struct evbuffer *in, uint32_t len,
    uint8_t **p, size_t *avail)
{
	size_t have = evbuffer_get_length(in);
	enum dbp_resp_ret r;

	*avail = have - DBP_HDR;
	if (*avail > len)
		*avail = len;
	if (*avail > DBP_PEEK && !s->capture)
		*avail = DBP_PEEK;	/* (an internal query's rows: whole) */
	if (*avail == 0 && len > 0)
		return DBP_R_NEED;
	*p = evbuffer_pullup(in, (ssize_t)(DBP_HDR + *avail));
	r = dbp_resp_feed(&s->resp, *p + DBP_HDR, *avail, len);
	if (r != DBP_R_NEED)
		return r;
	if (have < DBP_HDR + (size_t)len)
		return DBP_R_NEED;
	*p = evbuffer_pullup(in, (ssize_t)(DBP_HDR + len));
	*avail = len;
	r = dbp_resp_feed(&s->resp, *p + DBP_HDR, len, len);
	return r == DBP_R_NEED ? DBP_R_BAD : r;
}

/*
 * Looks at the next frame's head. Returns 1 when the frame is set to move
 * (frame_left), 0 to wait for bytes, -1 on a protocol error. *done says
 * the frame ends the answer.
 */
static int
dbp_forward_head(struct dbp_session *s, struct dbp_backend *be,
    struct evbuffer *in, int *done)
{
	uint8_t hdr[DBP_HDR], *p;
	size_t have = evbuffer_get_length(in), avail;
	uint32_t len;
	enum dbp_resp_ret r;

	if (have < DBP_HDR)
		return 0;
	evbuffer_copyout(in, hdr, DBP_HDR);
	len = dbp_frame_hdr(hdr, NULL);
	if (s->cont) {
		s->cont = len == DBP_FRAME_MAX;
		s->frame_left = DBP_HDR + len;
		return 1;
	}
	/* An internal query's rows are read whole (they are small). */
	if (s->capture && have < DBP_HDR + (size_t)len)
		return 0;
	if ((r = dbp_forward_feed(s, in, len, &p, &avail)) != DBP_R_MORE &&
	    r != DBP_R_DONE)
		return r == DBP_R_NEED ? 0 : -1;
	if (s->patch_prepare && !s->swallow)
		dbp_forward_prepared(s, be, p);
	if (s->capture && r == DBP_R_MORE && dbp_resp_in_rows(&s->resp) &&
	    len > 0 && len <= sizeof(s->cap) && avail == len &&
	    p[DBP_HDR] != 0xfe) {
		memcpy(s->cap, p + DBP_HDR, len);
		s->cap_len = len;
	}
	*done = r == DBP_R_DONE;
	s->cont = len == DBP_FRAME_MAX;
	s->frame_left = DBP_HDR + len;
	return 1;
}

void
dbp_forward_pump(struct dbp_session *s, struct dbp_backend *be)
{
	struct evbuffer *in = be->io->in;
	struct evbuffer *out = s->swallow ? NULL : s->io->out;
	size_t high = be->state == DBP_BE_SHARED ? DBP_OUT_HIGH_SHARED :
	    DBP_OUT_HIGH;
	int r, done = 0;

	/* What was moved is sent once per pass (one write), and before
	   dbp_command_done(), after which s may be gone. A swallowed answer
	   (an internal step, or a zombie's, whose io is gone) sends none. */
	for (;;) {
		if (!s->swallow && dbp_io_pending(s->io) >= high) {
			dbp_io_pause(be->io, 1);
			dbp_io_low(s->io, high / 2);
			dbp_io_flush(s->io);
			return;
		}
		if (s->frame_left == 0) {
			if ((r = dbp_forward_head(s, be, in, &done)) == 0)
				break;
			if (r == -1) {
				dbp_forward_bad(s, be);
				return;
			}
			s->resp_done = done;
		}
		if (!dbp_forward_move(s, in, out))
			break;
		if (s->resp_done && !s->cont) {
			s->resp_done = 0;
			if (!s->swallow)
				dbp_io_flush_soon(s->io);
			if (be->state == DBP_BE_SHARED && dbp_share_pop(be, s))
				return;		/* a zombie's, freed */
			dbp_command_done(s);
			return;
		}
	}
	if (!s->swallow)
		dbp_io_flush_soon(s->io);
}
