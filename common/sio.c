/*
 * sio.c: see sio.h.
 */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include <openssl/ssl.h>

#include "sio.h"

#define SIO_COALESCE_MAX	(16 * 1024)	/* one TLS record's worth */

/*
 * The socket bufferevent whose writes sio makes: bev when plain, the one
 * under a TLS filter; NULL for a TLS socket bufferevent (libevent's).
 */
static struct bufferevent *
sio_socket(struct bufferevent *bev, int tls)
{
	return tls ? bufferevent_get_underlying(bev) : bev;
}

void
sio_init(struct bufferevent *bev, int tls)
{
	struct bufferevent *s = sio_socket(bev, tls);

	if (s != NULL && evbuffer_get_length(bufferevent_get_output(s)) == 0)
		bufferevent_disable(s, EV_WRITE);
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

size_t
sio_flush(struct bufferevent *bev, int tls)
{
	struct bufferevent *s = sio_socket(bev, tls);
	struct evbuffer *out;
	size_t len;

	if (s == NULL)
		return sio_coalesce(bev);
	out = bufferevent_get_output(s);
	if ((len = evbuffer_get_length(out)) > 0) {
		/* A bufferevent freezes the start of its output so that only
		   it drains it; it writes the same way (unfreeze, write,
		   freeze). Bytes leave in order whoever writes them. */
		evbuffer_unfreeze(out, 1);
		(void)evbuffer_write(out, bufferevent_getfd(s));
		evbuffer_freeze(out, 1);
		len = evbuffer_get_length(out);
	}
	if (len > 0)
		bufferevent_enable(s, EV_WRITE);	/* the rest, or the error */
	else if ((bufferevent_get_enabled(s) & EV_WRITE) &&
	    sio_may_stop(bev, tls))
		bufferevent_disable(s, EV_WRITE);	/* merged with its add */
	/* Under a filter, bytes may still wait in the filter itself. */
	return len + (s != bev ?
	    evbuffer_get_length(bufferevent_get_output(bev)) : 0);
}

void
sio_drained(struct bufferevent *bev, int tls)
{
	if (!tls && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		bufferevent_disable(bev, EV_WRITE);
}
