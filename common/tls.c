/*
 * tls.c: OpenSSL 3 server and client contexts (see tls.h).
 *
 * SNI: every certificate gets its own SSL_CTX, configured the same way.
 * The default one is the context handed to the caller; it carries, as
 * ex_data, a table of names -> context that the servername callback
 * searches, and SSL_set_SSL_CTX() moves the handshake to the chosen
 * certificate. The table holds a reference on every other context and is
 * freed by OpenSSL with the default context (ex_data free callback), so
 * the whole set lives exactly as long as the SSL_CTX reference count says.
 * The table does not reference the default context (that would be a
 * cycle): its entries say NULL for "keep the default".
 *
 * The search is linear (tens of certificates, one search per handshake);
 * a hash can replace it if a site ever has thousands.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tls.h"
#include "util.h"

#define TLS_CIPHERS_12							\
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"	\
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"	\
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define TLS_GROUPS		"X25519:P-256:P-384"
#define TLS_SESSION_CACHE	20480
#define TLS_NAME_MAX		255	/* a DNS name */

struct tls_sni {
	char		*name;		/* lower case; may be "*.x.y" */
	SSL_CTX		*ctx;		/* NULL: the default context */
};

struct tls_sni_table {
	struct tls_sni	*v;
	size_t		 n;
	SSL_CTX		**ctxs;		/* the references we hold */
	size_t		 nctxs;
};

static pthread_once_t	tls_once = PTHREAD_ONCE_INIT;
static int		tls_sni_index = -1;

static const unsigned char tls_alpn_http11[] = "\x08http/1.1";

/* Formats "prefix: <oldest OpenSSL error>" into *cause, clears the queue. */
static int
tls_errorf(char **cause, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
tls_errorf(char **cause, const char *fmt, ...)
{
	char prefix[512], err[256];
	unsigned long e;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	if ((e = ERR_get_error()) == 0)
		util_strlcpy(err, "unknown OpenSSL error", sizeof(err));
	else
		ERR_error_string_n(e, err, sizeof(err));
	ERR_clear_error();
	xasprintf(cause, "%s: %s", prefix, err);
	return -1;
}

int
tls_error(char **cause, const char *prefix)
{
	return tls_errorf(cause, "%s", prefix);
}

static void
tls_sni_table_free(struct tls_sni_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		free(t->v[i].name);
	for (i = 0; i < t->nctxs; i++)
		SSL_CTX_free(t->ctxs[i]);
	free(t->v);
	free(t->ctxs);
	free(t);
}

/* OpenSSL's ex_data free callback: the default context is going away. */
static void
tls_sni_ex_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
    long argl, void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	tls_sni_table_free(ptr);
}

static void
tls_init_once(void)
{
	tls_sni_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL,
	    tls_sni_ex_free);
}

/* Lower-cases a name into a new string; NULL when it is not a sane name. */
static char *
tls_name_dup(const char *s, size_t len)
{
	char *p;
	size_t i;

	if (len == 0 || len > TLS_NAME_MAX || memchr(s, '\0', len) != NULL)
		return NULL;
	p = xstrndup(s, len);
	for (i = 0; i < len; i++)
		p[i] = (char)tolower((unsigned char)p[i]);
	return p;
}

static void
tls_sni_add(struct tls_sni_table *t, const char *name, size_t len,
    SSL_CTX *ctx)
{
	char *n;

	if ((n = tls_name_dup(name, len)) == NULL)
		return;
	t->v = xreallocarray(t->v, t->n + 1, sizeof(*t->v));
	t->v[t->n].name = n;
	t->v[t->n].ctx = ctx;
	t->n++;
}

/* The DNS subjectAltNames of x, or its CN when it has none. */
static void
tls_sni_add_from_cert(struct tls_sni_table *t, X509 *x, SSL_CTX *ctx)
{
	GENERAL_NAMES *sans;
	const GENERAL_NAME *g;
	X509_NAME_ENTRY *e;
	const ASN1_STRING *s;
	size_t before = t->n;
	int i, idx;

	sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (i = 0; sans != NULL && i < sk_GENERAL_NAME_num(sans); i++) {
		g = sk_GENERAL_NAME_value(sans, i);
		if (g->type != GEN_DNS)
			continue;
		s = g->d.dNSName;
		tls_sni_add(t, (const char *)ASN1_STRING_get0_data(s),
		    (size_t)ASN1_STRING_length(s), ctx);
	}
	GENERAL_NAMES_free(sans);
	if (t->n > before)
		return;
	idx = X509_NAME_get_index_by_NID(X509_get_subject_name(x),
	    NID_commonName, -1);
	if (idx >= 0 && (e = X509_NAME_get_entry(X509_get_subject_name(x),
	    idx)) != NULL) {
		s = X509_NAME_ENTRY_get_data(e);
		tls_sni_add(t, (const char *)ASN1_STRING_get0_data(s),
		    (size_t)ASN1_STRING_length(s), ctx);
	}
}

/* The context for a client's SNI name: exact, then "*.rest", else NULL. */
static const struct tls_sni *
tls_sni_find(const struct tls_sni_table *t, const char *servername)
{
	char name[TLS_NAME_MAX + 2], *dot;
	size_t i, len = strlen(servername);

	if (len == 0 || len > TLS_NAME_MAX)
		return NULL;
	for (i = 0; i <= len; i++)
		name[i] = (char)tolower((unsigned char)servername[i]);
	for (i = 0; i < t->n; i++)
		if (strcmp(t->v[i].name, name) == 0)
			return &t->v[i];
	if ((dot = strchr(name, '.')) == NULL || dot == name)
		return NULL;
	*--dot = '*';
	for (i = 0; i < t->n; i++)
		if (strcmp(t->v[i].name, dot) == 0)
			return &t->v[i];
	return NULL;
}

/* OpenSSL's servername callback: switch to the certificate of the name. */
static int
tls_servername_cb(SSL *ssl, int *alert, void *arg)
{
	struct tls_sni_table *t = arg;
	const struct tls_sni *e;
	const char *name;

	(void)alert;
	name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	if (name == NULL || t == NULL)
		return SSL_TLSEXT_ERR_NOACK;
	if ((e = tls_sni_find(t, name)) == NULL)
		return SSL_TLSEXT_ERR_NOACK;	/* the default certificate */
	if (e->ctx != NULL && SSL_set_SSL_CTX(ssl, e->ctx) == NULL)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	return SSL_TLSEXT_ERR_OK;
}

/* ALPN: "http/1.1" when the client offers it, else no ALPN answer. */
static int
tls_alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	unsigned char *sel;

	(void)ssl;
	(void)arg;
	if (SSL_select_next_proto(&sel, outlen, tls_alpn_http11,
	    sizeof(tls_alpn_http11) - 1, in, inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

/* The protocol policy shared by server and client contexts. */
static int
tls_ctx_policy(SSL_CTX *ctx, char **cause)
{
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION))
		return tls_errorf(cause, "TLS 1.2 minimum");
	if (!SSL_CTX_set_cipher_list(ctx, TLS_CIPHERS_12))
		return tls_errorf(cause, "cipher list");
	if (!SSL_CTX_set1_groups_list(ctx, TLS_GROUPS))
		return tls_errorf(cause, "groups");
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION);
	return 0;
}

/* A server context with the policy, the session cache and ALPN. */
static SSL_CTX *
tls_server_ctx(int flags, char **cause)
{
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		tls_errorf(cause, "SSL_CTX_new");
		return NULL;
	}
	if (tls_ctx_policy(ctx, cause) == -1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
	SSL_CTX_sess_set_cache_size(ctx, TLS_SESSION_CACHE);
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"triad", 5);
	if (flags & TLS_ALPN_HTTP11)
		SSL_CTX_set_alpn_select_cb(ctx, tls_alpn_cb, NULL);
	return ctx;
}

/* A file we can open for reading, with errno's words when we cannot. */
static int
tls_check_file(const char *what, const char *path, char **cause)
{
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		xasprintf(cause, "%s %s: %s", what, path, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

/* Loads one certificate chain and its key into ctx, and checks the pair. */
static int
tls_load_cert(SSL_CTX *ctx, const struct tls_cert_conf *c, char **cause)
{
	const char *key = c->key_file != NULL ? c->key_file : c->cert_file;

	if (c->cert_file == NULL) {
		xasprintf(cause, "certificate without a file");
		return -1;
	}
	if (tls_check_file("cert", c->cert_file, cause) == -1 ||
	    tls_check_file("key", key, cause) == -1)
		return -1;
	if (SSL_CTX_use_certificate_chain_file(ctx, c->cert_file) != 1)
		return tls_errorf(cause, "cert %s", c->cert_file);
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
		return tls_errorf(cause, "key %s", key);
	if (SSL_CTX_check_private_key(ctx) != 1)
		return tls_errorf(cause, "key %s does not match cert %s", key,
		    c->cert_file);
	return 0;
}

/* The names of certificate c (explicit or from the file) into t. */
static void
tls_sni_add_conf(struct tls_sni_table *t, const struct tls_cert_conf *c,
    SSL_CTX *loaded, SSL_CTX *entry)
{
	size_t i;

	if (c->names == NULL) {
		tls_sni_add_from_cert(t, SSL_CTX_get0_certificate(loaded),
		    entry);
		return;
	}
	for (i = 0; i < c->nnames; i++)
		tls_sni_add(t, c->names[i], strlen(c->names[i]), entry);
}

/* Builds the context of certs[i] > 0 and adds it to t (which owns it). */
static int
tls_server_add(struct tls_sni_table *t, const struct tls_cert_conf *c,
    int flags, char **cause)
{
	SSL_CTX *ctx;

	if ((ctx = tls_server_ctx(flags, cause)) == NULL)
		return -1;
	if (tls_load_cert(ctx, c, cause) == -1) {
		SSL_CTX_free(ctx);
		return -1;
	}
	t->ctxs = xreallocarray(t->ctxs, t->nctxs + 1, sizeof(*t->ctxs));
	t->ctxs[t->nctxs++] = ctx;
	tls_sni_add_conf(t, c, ctx, ctx);
	return 0;
}

SSL_CTX *
tls_server_new(const struct tls_cert_conf *certs, size_t n, int flags,
    char **cause)
{
	struct tls_sni_table *t;
	SSL_CTX *def;
	size_t i;

	*cause = NULL;
	pthread_once(&tls_once, tls_init_once);
	if (n == 0) {
		xasprintf(cause, "no certificate");
		return NULL;
	}
	if ((def = tls_server_ctx(flags, cause)) == NULL)
		return NULL;
	if (tls_load_cert(def, &certs[0], cause) == -1) {
		SSL_CTX_free(def);
		return NULL;
	}
	t = xcalloc(1, sizeof(*t));
	/* From here t belongs to def: freeing def frees t. */
	SSL_CTX_set_ex_data(def, tls_sni_index, t);
	tls_sni_add_conf(t, &certs[0], def, NULL);
	for (i = 1; i < n; i++) {
		if (tls_server_add(t, &certs[i], flags, cause) == -1) {
			SSL_CTX_free(def);
			return NULL;
		}
	}
	SSL_CTX_set_tlsext_servername_callback(def, tls_servername_cb);
	SSL_CTX_set_tlsext_servername_arg(def, t);
	return def;
}

SSL_CTX *
tls_client_new(const char *ca_file, int flags, char **cause)
{
	SSL_CTX *ctx;

	*cause = NULL;
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		tls_errorf(cause, "SSL_CTX_new");
		return NULL;
	}
	if (tls_ctx_policy(ctx, cause) == -1)
		goto fail;
	if ((flags & TLS_ALPN_HTTP11) && SSL_CTX_set_alpn_protos(ctx,
	    tls_alpn_http11, sizeof(tls_alpn_http11) - 1) != 0) {
		tls_errorf(cause, "ALPN");
		goto fail;
	}
	if (ca_file != NULL) {
		if (tls_check_file("CA file", ca_file, cause) == -1)
			goto fail;
		if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
			tls_errorf(cause, "CA file %s", ca_file);
			goto fail;
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

/* 1 when s is a numeric IPv4 or IPv6 address (never sent as SNI). */
static int
tls_is_ip(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 ||
	    inet_pton(AF_INET6, s, buf) == 1;
}

SSL *
tls_client_ssl(SSL_CTX *ctx, const char *servername, char **cause)
{
	SSL *ssl;
	int verify = SSL_CTX_get_verify_mode(ctx) & SSL_VERIFY_PEER;

	*cause = NULL;
	if ((ssl = SSL_new(ctx)) == NULL) {
		tls_errorf(cause, "SSL_new");
		return NULL;
	}
	if (servername != NULL && !tls_is_ip(servername) &&
	    !SSL_set_tlsext_host_name(ssl, servername)) {
		tls_errorf(cause, "SNI %s", servername);
		goto fail;
	}
	if (verify && servername != NULL) {
		if ((tls_is_ip(servername) ? X509_VERIFY_PARAM_set1_ip_asc(
		    SSL_get0_param(ssl), servername) : SSL_set1_host(ssl,
		    servername)) != 1) {
			tls_errorf(cause, "verify name %s", servername);
			goto fail;
		}
	}
	return ssl;
fail:
	SSL_free(ssl);
	return NULL;
}
