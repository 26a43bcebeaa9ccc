/*
 * io_tls.c: TLS for clients that send an SSLRequest (see io.h). OpenSSL
 * works on two memory BIOs: ciphertext read from the socket goes into
 * one, what it writes comes out of the other and is sent by io.c like
 * any output. The handshake runs as bytes arrive.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "io.h"
#include "log.h"

static int dbp_io_tls_run(struct dbp_io *);

/* What OpenSSL has written: into raw. */
static void
dbp_io_tls_drain(struct dbp_io *io)
{
	BIO *w = SSL_get_wbio(io->ssl);
	char buf[16384];
	int n;

	while ((n = BIO_read(w, buf, sizeof(buf))) > 0)
		evbuffer_add(io->raw, buf, (size_t)n);
}

int
dbp_io_tls_start(struct dbp_io *io, SSL_CTX *ctx)
{
	size_t n;
	char *p;

	if ((io->ssl = SSL_new(ctx)) == NULL)
		return -1;
	SSL_set_bio(io->ssl, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
	SSL_set_accept_state(io->ssl);
	io->raw = evbuffer_new();
	/* Bytes that came behind the SSLRequest are the ClientHello. */
	if ((n = evbuffer_get_length(io->in)) > 0) {
		p = (char *)evbuffer_pullup(io->in, (ssize_t)n);
		BIO_write(SSL_get_rbio(io->ssl), p, (int)n);
		evbuffer_drain(io->in, n);
		if (dbp_io_tls_run(io) == -1)
			return -1;
		dbp_io_flush(io);	/* the ServerHello */
	}
	return 0;
}

/* Runs TLS on what the read BIO holds: handshake, then plaintext into
   in. 0, or -1 on a TLS error. */
static int
dbp_io_tls_run(struct dbp_io *io)
{
	struct evbuffer_iovec v;
	int r, e;

	for (;;) {
		evbuffer_reserve_space(io->in, 16384, &v, 1);
		r = SSL_read(io->ssl, v.iov_base, (int)v.iov_len);
		v.iov_len = r > 0 ? (size_t)r : 0;
		evbuffer_commit_space(io->in, &v, 1);
		if (r > 0)
			continue;
		e = SSL_get_error(io->ssl, r);
		dbp_io_tls_drain(io);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
			return 0;
		log_debug("TLS error %d: %s", e,
		    ERR_error_string(ERR_get_error(), NULL));
		ERR_clear_error();
		return -1;
	}
}

int
dbp_io_tls_input(struct dbp_io *io, const void *p, size_t n)
{
	if (BIO_write(SSL_get_rbio(io->ssl), p, (int)n) != (int)n)
		return -1;
	return dbp_io_tls_run(io);
}

int
dbp_io_tls_output(struct dbp_io *io)
{
	struct evbuffer_iovec v;
	int r;

	while (SSL_is_init_finished(io->ssl) &&
	    evbuffer_peek(io->out, -1, NULL, &v, 1) > 0) {
		r = SSL_write(io->ssl, v.iov_base, (int)v.iov_len);
		if (r <= 0) {
			ERR_clear_error();
			return -1;
		}
		evbuffer_drain(io->out, (size_t)r);
	}
	dbp_io_tls_drain(io);
	return 0;
}

void
dbp_io_tls_free(struct dbp_io *io)
{
	if (io->ssl != NULL)
		SSL_free(io->ssl);
	if (io->raw != NULL)
		evbuffer_free(io->raw);
	io->ssl = NULL;
	io->raw = NULL;
}
