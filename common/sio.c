/*
 * sio.c: see sio.h.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include <openssl/ssl.h>

#include "evsock.h"
#include "ltimer.h"
#include "sio.h"

#define SIO_COALESCE_MAX	(16 * 1024)	/* one TLS record's worth */
#define SIO_RD_MIN		(2 * 1024)	/* bytes asked per read, */
#define SIO_RD_START		(4 * 1024)	/* adapting to what came */
#define SIO_RD_MAX		(64 * 1024)
#define SIO_FILE_WRITES		4	/* head, file, and what followed */

struct sio_rd {
	struct bufferevent	*bev;
	struct event		*ev;
	struct evbuffer_cb_entry *wm;	/* while paused at high */
	struct ltimer		 timer;		/* nothing came for timeout_ms */
	int64_t			 timeout_ms;	/* 0: none */
	int			 on;		/* the owner wants bytes */
	int			 added;		/* ev is added */
	int			 busy;		/* in the owner's callbacks */
	int			 dead;		/* freed by them: free after */
	size_t			 high;
	size_t			 chunk;		/* the next read's size */
};

/*
 * The socket bufferevent whose writes sio makes: bev when plain, the one
 * under a TLS filter; NULL for a TLS socket bufferevent (libevent's).
 */
static struct bufferevent *
sio_socket(struct bufferevent *bev, int tls)
{
	return tls ? bufferevent_get_underlying(bev) : bev;
}

/*
 * The socket under a TLS filter emptied its output from libevent's write
 * callback (sio had left it bytes): the filter's write callback runs, as
 * a plain socket's would. The filter alone calls it only when its own
 * output moved into the socket's, so its owner would never hear that
 * the socket drained (back-pressure never lifted, a closing connection
 * never closed). Emptied by sio_flush itself, sio_flush makes the call.
 */
static void
sio_under_drained(struct evbuffer *out, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct bufferevent *bev = arg;
	struct bufferevent *s = bufferevent_get_underlying(bev);

	if (info->n_deleted > 0 && evbuffer_get_length(out) == 0 &&
	    s != NULL && (bufferevent_get_enabled(s) & EV_WRITE))
		bufferevent_trigger(bev, EV_WRITE, BEV_TRIG_IGNORE_WATERMARKS |
		    BEV_TRIG_DEFER_CALLBACKS);
}

void
sio_init(struct bufferevent *bev, int tls)
{
	struct bufferevent *s = sio_socket(bev, tls);

	if (s != NULL && evbuffer_get_length(bufferevent_get_output(s)) == 0)
		bufferevent_disable(s, EV_WRITE);
	if (s == NULL || s == bev)
		return;
	/* A filter: its EV_WRITE off too (sio_seal), and told of drains. */
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		bufferevent_disable(bev, EV_WRITE);
	(void)evbuffer_add_cb(bufferevent_get_output(s), sio_under_drained,
	    bev);
}

size_t
sio_pending(struct bufferevent *bev, int tls)
{
	struct bufferevent *s = sio_socket(bev, tls);
	size_t len = evbuffer_get_length(bufferevent_get_output(bev));

	if (s != NULL && s != bev)
		len += evbuffer_get_length(bufferevent_get_output(s));
	return len;
}

/*
 * A TLS socket bufferevent makes one record, and one write(2), per chain
 * of its output: a response head and its body would go as two. Small
 * outputs are made one chain (a copy of a few KiB costs less than a
 * record and a system call). Pulling up moves bytes and removes none, so
 * the output's frozen start does not forbid it.
 */
static size_t
sio_coalesce(struct bufferevent *bev)
{
	struct evbuffer *out = bufferevent_get_output(bev);
	size_t len = evbuffer_get_length(out);

	if (len > 0 && len <= SIO_COALESCE_MAX)
		(void)evbuffer_pullup(out, -1);
	return len;
}

/*
 * May EV_WRITE go off? Always on a plain socket; under a TLS filter only
 * once the handshake is over, since until then OpenSSL writes from
 * libevent's callbacks, where no sio_flush follows.
 */
static int
sio_may_stop(struct bufferevent *bev, int tls)
{
	SSL *ssl;

	if (!tls)
		return 1;
	ssl = bufferevent_openssl_get_ssl(bev);
	return ssl != NULL && SSL_is_init_finished(ssl);
}

/*
 * A TLS filter encrypts each addition to its output at once, one record
 * per evbuffer_add: a response head and its body would be two records (an
 * AEAD pass, 22 bytes of overhead and an SSL_write each). So once the
 * handshake is done the filter's EV_WRITE stays off (sio_init), bytes
 * pile up in its output, and here the small ones are made one chain and
 * sealed as one record: EV_WRITE on runs the filter's writing, then off.
 * It stays on only while the filter could not take everything (OpenSSL
 * wants to read first), so that libevent goes on when it can.
 */
static void
sio_seal(struct bufferevent *bev)
{
	struct evbuffer *out = bufferevent_get_output(bev);

	if (evbuffer_get_length(out) == 0)
		return;
	(void)sio_coalesce(bev);
	bufferevent_enable(bev, EV_WRITE);
	if (evbuffer_get_length(out) == 0 && sio_may_stop(bev, 1))
		bufferevent_disable(bev, EV_WRITE);
}

/*
 * An output that may hold file segments: libevent's evbuffer_write sends
 * the memory before a segment (writev(2)) and a segment (sendfile(2)) in
 * separate calls, one per call. Leaving the file to EV_WRITE would cost
 * every response sent by sendfile two epoll_ctl(2) and one more loop
 * pass; so the calls follow each other here until the output is empty or
 * the socket full (or failed: EV_WRITE then finds the error).
 */
static void
sio_write_files(struct evbuffer *out, evutil_socket_t fd)
{
	int i;

	for (i = 0; i < SIO_FILE_WRITES && evbuffer_get_length(out) > 0; i++)
		if (evbuffer_write(out, fd) <= 0)
			break;
}

size_t
sio_flush(struct bufferevent *bev, int flags)
{
	int tls = flags & SIO_TLS;
	struct bufferevent *s = sio_socket(bev, tls);
	struct evbuffer *out;
	size_t len;
	int wrote;

	if (s == NULL)
		return sio_coalesce(bev);
	if (s != bev)
		sio_seal(bev);
	out = bufferevent_get_output(s);
	wrote = (len = evbuffer_get_length(out)) > 0;
	if (wrote) {
		/* A bufferevent freezes the start of its output so that only
		   it drains it; it writes the same way (unfreeze, write,
		   freeze). Bytes leave in order whoever writes them. */
		evbuffer_unfreeze(out, 1);
		if ((flags & SIO_FILES) && s == bev)
			sio_write_files(out, bufferevent_getfd(s));
		else
			(void)evsock_send(bufferevent_getfd(s), out);
		evbuffer_freeze(out, 1);
		len = evbuffer_get_length(out);
	}
	if (len > 0)
		bufferevent_enable(s, EV_WRITE);	/* the rest, or the error */
	else if ((bufferevent_get_enabled(s) & EV_WRITE) &&
	    sio_may_stop(bev, tls)) {
		bufferevent_disable(s, EV_WRITE);	/* merged with its add */
		/* Bytes an earlier call left to libevent went here instead:
		   the write callback libevent owed for them runs all the same
		   (deferred), or an owner paused on back-pressure would wait
		   for it for ever. */
		if (wrote)
			bufferevent_trigger(bev, EV_WRITE,
			    BEV_TRIG_IGNORE_WATERMARKS |
			    BEV_TRIG_DEFER_CALLBACKS);
	}
	/* Under a filter, bytes may still wait in the filter itself. */
	return len + (s != bev ?
	    evbuffer_get_length(bufferevent_get_output(bev)) : 0);
}

void
sio_drained(struct bufferevent *bev, int tls)
{
	struct bufferevent *s = sio_socket(bev, tls);

	if (s != NULL && (bufferevent_get_enabled(s) & EV_WRITE) &&
	    evbuffer_get_length(bufferevent_get_output(s)) == 0 &&
	    sio_may_stop(bev, tls))
		bufferevent_disable(s, EV_WRITE);
}

static void sio_rd_arm(struct sio_rd *);

/* The input shrank while reading was paused at its high-water mark. */
static void
sio_rd_shrunk(struct evbuffer *in, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct sio_rd *r = arg;

	if (info->n_deleted > 0 && evbuffer_get_length(in) < r->high)
		sio_rd_arm(r);
}

/*
 * Puts the event and the input's callback in the state that on, high
 * and the input's length ask for. The timeout runs while the event is
 * added, from when it was added (not from every call).
 */
static void
sio_rd_arm(struct sio_rd *r)
{
	struct evbuffer *in = bufferevent_get_input(r->bev);
	int full = r->high > 0 && evbuffer_get_length(in) >= r->high;

	if (r->on && !full) {
		if (!r->added) {
			event_add(r->ev, NULL);
			ltimer_set(&r->timer, r->timeout_ms);
		}
		r->added = 1;
	} else if (r->added) {
		event_del(r->ev);
		ltimer_set(&r->timer, 0);
		r->added = 0;
	}
	if (r->on && full && r->wm == NULL)
		r->wm = evbuffer_add_cb(in, sio_rd_shrunk, r);
	else if (!(r->on && full) && r->wm != NULL) {
		evbuffer_remove_cb_entry(in, r->wm);
		r->wm = NULL;
	}
}

/* Reading ends with what (EOF, ERROR or TIMEOUT): off, then the event
   callback, with errno as the failing call left it. */
static void
sio_rd_end(struct sio_rd *r, short what)
{
	int saved = errno;
	struct bufferevent *bev = r->bev;

	sio_rd_set(r, 0);
	errno = saved;
	bufferevent_trigger_event(bev, BEV_EVENT_READING | what, 0);
}

/*
 * One read, then the owner's callbacks. Returns 1 when nothing was there
 * (EAGAIN: no callback ran), 0 otherwise. The callbacks run with busy set,
 * so that a sio_rd_free from inside them only marks the reader dead.
 */
static int
sio_rd_pull(struct sio_rd *r)
{
	struct evbuffer *in = bufferevent_get_input(r->bev);
	size_t want = r->chunk, len;
	ssize_t n;

	if (r->high > 0) {
		if ((len = evbuffer_get_length(in)) >= r->high) {
			sio_rd_arm(r);
			return 1;
		}
		if (want > r->high - len)
			want = r->high - len;
	}
	/* The bufferevent freezes its input's end so that only it adds
	   there; it reads the same way (unfreeze, read, freeze). */
	evbuffer_unfreeze(in, 0);
	n = evsock_recv(bufferevent_getfd(r->bev), in, want);
	evbuffer_freeze(in, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return 1;
	r->busy = 1;
	if (n > 0) {
		/* The timeout starts again (before the callbacks, which may
		   change it). */
		ltimer_set(&r->timer, r->timeout_ms);
		/* A full read doubles the next one, a small one halves it. */
		if ((size_t)n == want && r->chunk < SIO_RD_MAX)
			r->chunk *= 2;
		else if ((size_t)n < r->chunk / 4 && r->chunk > SIO_RD_MIN)
			r->chunk /= 2;
		if (r->high > 0 && evbuffer_get_length(in) >= r->high)
			sio_rd_arm(r);
		bufferevent_trigger(r->bev, EV_READ, 0);
	} else
		sio_rd_end(r, n == 0 ? BEV_EVENT_EOF : BEV_EVENT_ERROR);
	r->busy = 0;
	return 0;
}

/* Ends a pull: frees a reader its owner freed meanwhile. 1 if it did. */
static int
sio_rd_reap(struct sio_rd *r)
{
	if (!r->dead)
		return 0;
	event_free(r->ev);	/* off already; the bufferevent may be gone */
	ltimer_free(&r->timer);
	free(r);
	return 1;
}

/* Readable. */
static void
sio_rd_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sio_rd *r = arg;

	(void)fd;
	(void)what;
	(void)sio_rd_pull(r);
	(void)sio_rd_reap(r);
}

/* Nothing came for timeout_ms while reading was on. */
static void
sio_rd_expired(void *arg)
{
	struct sio_rd *r = arg;

	r->busy = 1;
	sio_rd_end(r, BEV_EVENT_TIMEOUT);
	r->busy = 0;
	(void)sio_rd_reap(r);
}

struct sio_rd *
sio_rd_new(struct event_base *base, struct bufferevent *bev)
{
	struct sio_rd *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->bev = bev;
	r->chunk = SIO_RD_START;
	r->ev = event_new(base, bufferevent_getfd(bev), EV_READ | EV_PERSIST,
	    sio_rd_cb, r);
	if (r->ev == NULL ||
	    ltimer_init(&r->timer, base, sio_rd_expired, r) == -1) {
		if (r->ev != NULL)
			event_free(r->ev);
		ltimer_free(&r->timer);
		free(r);
		return NULL;
	}
	return r;
}

void
sio_rd_free(struct sio_rd *r)
{
	if (r == NULL)
		return;
	r->on = 0;
	sio_rd_arm(r);		/* the bufferevent is still there */
	if (r->busy) {		/* from its own callbacks: after them */
		r->dead = 1;
		return;
	}
	event_free(r->ev);
	ltimer_free(&r->timer);
	free(r);
}

void
sio_rd_set(struct sio_rd *r, int on)
{
	r->on = on != 0;
	sio_rd_arm(r);
}

void
sio_reading(struct bufferevent *bev, struct sio_rd *rd, int on)
{
	if (rd != NULL)
		sio_rd_set(rd, on);
	else if (bev == NULL)
		return;
	else if (on)
		bufferevent_enable(bev, EV_READ);
	else
		bufferevent_disable(bev, EV_READ);
}

void
sio_rd_start(struct sio_rd *r)
{
	r->on = 1;
	if (sio_rd_pull(r) == 1 || !sio_rd_reap(r))
		sio_rd_arm(r);
}

void
sio_rd_timeout(struct sio_rd *r, int64_t ms)
{
	r->timeout_ms = ms > 0 ? ms : 0;
	if (r->added)	/* the new timeout starts now */
		ltimer_set(&r->timer, r->timeout_ms);
}

void
sio_rd_high(struct sio_rd *r, size_t high)
{
	r->high = high;
	sio_rd_arm(r);
}
