/*
 * tls.h: OpenSSL 3 contexts for the daemons, built from PEM files.
 *
 * A context is an SSL_CTX, reference counted by OpenSSL: every SSL made
 * from it holds a reference. That is the reload story: on SIGHUP build a
 * new context from the files (the one in use is not touched, and a failure
 * leaves it in place), publish it with the new config generation, and
 * SSL_CTX_free() the old one; handshakes and connections still using the
 * old one keep it alive until they end. SSL_CTX is safe to share between
 * worker threads; SSL objects are not.
 *
 * Server policy: TLS 1.2 minimum (1.3 allowed), TLS 1.2 ciphers ECDHE with
 * AEAD only, server preference, no compression, no renegotiation, the
 * X25519/P-256/P-384 groups, a server session cache and session tickets.
 * Certificates are chosen by SNI: exact names first, then "*.example.com"
 * wildcards (one label, as RFC 6125 says), then the default certificate.
 */
#ifndef TRIAD_TLS_H
#define TRIAD_TLS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

/* One certificate of a server context. */
struct tls_cert_conf {
	const char		 *cert_file;	/* PEM: leaf, then its chain */
	const char		 *key_file;	/* PEM; NULL: in cert_file */
	/*
	 * The SNI names this certificate answers ("www.example.com",
	 * "*.example.com"). NULL: the certificate's DNS subjectAltNames, or
	 * its CN when it has none.
	 */
	const char *const	 *names;
	size_t			  nnames;
};

/* Flags of tls_server_new() and tls_client_new(). */
#define TLS_ALPN_HTTP11		0x1	/* ALPN: select / offer "http/1.1" */

/*
 * tls_server_new: a server context for certs[0..n); certs[0] is the
 * default, served when the client sends no SNI or a name no certificate
 * has. With TLS_ALPN_HTTP11, a client offering "http/1.1" gets it; one
 * offering only other protocols gets no ALPN answer (HAProxy's choice),
 * not a fatal alert. Returns the context (one reference, for the caller),
 * or NULL with *cause: "cert /path: <reason>", "key /path: <reason>",
 * "key /k does not match cert /c", with OpenSSL's error string.
 */
SSL_CTX	*tls_server_new(const struct tls_cert_conf *certs, size_t n,
	    int flags, char **cause);

/*
 * tls_client_new: a client context (lbd to servers, appd to the database).
 * ca_file NULL: the peer is not verified (backends on a private network).
 * Otherwise the peer's chain must verify against ca_file, and the name
 * given to tls_client_ssl() must match. TLS 1.2 minimum. Returns the
 * context or NULL with *cause.
 */
/*
 * tls_server_tickets (tls_ticket.c): session tickets on ctx from the
 * process's rotating key ring: a new key every period_ms, tickets good for
 * two periods, keys dropped after three; the ring outlives contexts, so a
 * reload keeps resumption. period_ms 0: no tickets (the cache only). The
 * last call's period applies to the whole process.
 */
void	tls_server_tickets(SSL_CTX *ctx, uint64_t period_ms);

SSL_CTX	*tls_client_new(const char *ca_file, int flags, char **cause);
/*
 * tls_client_ssl: a client SSL from ctx with servername as SNI (not sent
 * when NULL or an IP literal) and, when ctx verifies, as the name the
 * certificate must carry. Returns the SSL (caller frees) or NULL with
 * *cause.
 */
SSL	*tls_client_ssl(SSL_CTX *ctx, const char *servername, char **cause);

/*
 * tls_error: appends OpenSSL's oldest queued error to "prefix: " into
 * *cause and clears the queue (so the next connection's errors start
 * clean). Returns -1. For callers that drive SSL objects themselves.
 */
int	tls_error(char **cause, const char *prefix);

#endif
