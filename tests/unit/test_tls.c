/*
 * test_tls.c: real handshakes between a server SSL and a client SSL over a
 * socketpair, with certificates made at test time in a temporary folder:
 * SNI picks the certificate (exact, wildcard, default), ALPN selects
 * http/1.1, TLS 1.1 is refused, sessions resume, the client verifies, a
 * context outlives its reload, and bad files give clear errors.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tls.h"

static char	dir[] = "/tmp/test_tls.XXXXXX";
static char	a_crt[256], a_key[256], b_crt[256], b_key[256], c_crt[256];

/* Writes a self-signed certificate for cn with the given SAN (or none). */
static void
make_cert(const char *crt, const char *keyfile, EVP_PKEY *k, const char *cn,
    const char *san)
{
	X509 *x = X509_new();
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	FILE *f;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
	    MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, k);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	if (san != NULL) {
		ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	assert_non_null(f = fopen(crt, "w"));
	PEM_write_X509(f, x);
	fclose(f);
	if (keyfile != NULL) {
		assert_non_null(f = fopen(keyfile, "w"));
		PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
		fclose(f);
	}
	X509_free(x);
}

static int
setup(void **state)
{
	EVP_PKEY *ka, *kb;

	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(a_crt, sizeof(a_crt), "%s/a.crt", dir);
	snprintf(a_key, sizeof(a_key), "%s/a.key", dir);
	snprintf(b_crt, sizeof(b_crt), "%s/b.crt", dir);
	snprintf(b_key, sizeof(b_key), "%s/b.key", dir);
	snprintf(c_crt, sizeof(c_crt), "%s/c.crt", dir);
	ka = EVP_EC_gen("P-256");
	kb = EVP_RSA_gen(2048);
	/* a: ECDSA, two exact names. b: RSA, a wildcard. c: CN only. */
	make_cert(a_crt, a_key, ka, "a.test", "DNS:a.test,DNS:www.a.test");
	make_cert(b_crt, b_key, kb, "b.test", "DNS:*.b.test");
	make_cert(c_crt, NULL, ka, "C.Test", NULL);
	EVP_PKEY_free(ka);
	EVP_PKEY_free(kb);
	return 0;
}

static int
teardown(void **state)
{
	const char *files[] = { a_crt, a_key, b_crt, b_key, c_crt };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		unlink(files[i]);
	rmdir(dir);
	return 0;
}

/* The usual server: a (default, ALPN) and b. */
static SSL_CTX *
server_ab(void)
{
	struct tls_cert_conf certs[2] = {
		{ .cert_file = a_crt, .key_file = a_key },
		{ .cert_file = b_crt, .key_file = b_key },
	};
	char *cause = NULL;
	SSL_CTX *ctx;

	ctx = tls_server_new(certs, 2, TLS_ALPN_HTTP11, &cause);
	if (ctx == NULL)
		fail_msg("tls_server_new: %s", cause);
	return ctx;
}

struct pair {
	SSL	*c, *s;
	int	 fds[2];
};

/* A client and a server SSL on the two ends of a non-blocking socketpair. */
static void
pair_open(struct pair *p, SSL_CTX *sctx, SSL *client)
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
	    p->fds), 0);
	p->c = client;
	p->s = SSL_new(sctx);
	SSL_set_fd(p->c, p->fds[0]);
	SSL_set_fd(p->s, p->fds[1]);
	SSL_set_connect_state(p->c);
	SSL_set_accept_state(p->s);
}

/* A clean close (an unclean one takes the session out of the cache). */
static void
pair_close(struct pair *p)
{
	if (SSL_is_init_finished(p->c) && SSL_is_init_finished(p->s)) {
		SSL_shutdown(p->c);
		SSL_shutdown(p->s);
	}
	SSL_free(p->c);
	SSL_free(p->s);
	close(p->fds[0]);
	close(p->fds[1]);
	ERR_clear_error();
}

/* One handshake step of ssl: 1 done, 0 wants I/O, -1 failed. */
static int
step(SSL *ssl)
{
	int r = SSL_do_handshake(ssl), e;

	if (r == 1)
		return 1;
	e = SSL_get_error(ssl, r);
	return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? 0 : -1;
}

/* Drives both ends until both finish (0) or one fails (-1). */
static int
handshake(struct pair *p)
{
	int i, rc = 0, rs = 0;

	for (i = 0; i < 1000; i++) {
		if (rc == 0)
			rc = step(p->c);
		if (rs == 0)
			rs = step(p->s);
		if (rc == -1 || rs == -1)
			return -1;
		if (rc == 1 && rs == 1)
			return 0;
	}
	return -1;
}

static SSL *
client(SSL_CTX *cctx, const char *sni)
{
	char *cause = NULL;
	SSL *ssl;

	if ((ssl = tls_client_ssl(cctx, sni, &cause)) == NULL)
		fail_msg("tls_client_ssl: %s", cause);
	return ssl;
}

/* The CN of the certificate the client got, into buf. */
static const char *
peer_cn(SSL *c, char *buf, size_t size)
{
	X509 *x = SSL_get1_peer_certificate(c);

	assert_non_null(x);
	X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName,
	    buf, (int)size);
	X509_free(x);
	return buf;
}

/* Handshakes with SNI sni (NULL: none) and returns the served CN. */
static void
assert_sni(SSL_CTX *sctx, SSL_CTX *cctx, const char *sni, const char *cn)
{
	struct pair p;
	char buf[64];

	pair_open(&p, sctx, client(cctx, sni));
	assert_int_equal(handshake(&p), 0);
	assert_string_equal(peer_cn(p.c, buf, sizeof(buf)), cn);
	pair_close(&p);
}

static void
test_sni(void **state)
{
	SSL_CTX *sctx = server_ab(), *cctx;
	char *cause = NULL;

	(void)state;
	cctx = tls_client_new(NULL, 0, &cause);
	assert_non_null(cctx);
	assert_sni(sctx, cctx, NULL, "a.test");
	assert_sni(sctx, cctx, "a.test", "a.test");
	assert_sni(sctx, cctx, "www.a.test", "a.test");
	assert_sni(sctx, cctx, "x.b.test", "b.test");
	assert_sni(sctx, cctx, "WWW.B.Test", "b.test");
	/* A wildcard covers one label only: these fall to the default. */
	assert_sni(sctx, cctx, "b.test", "a.test");
	assert_sni(sctx, cctx, "y.x.b.test", "a.test");
	assert_sni(sctx, cctx, "unknown.example", "a.test");
	/* An IP literal is never sent as SNI. */
	assert_sni(sctx, cctx, "127.0.0.1", "a.test");
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
}

static void
test_names_explicit_and_cn(void **state)
{
	static const char *const names[] = { "Shop.Example" };
	struct tls_cert_conf certs[3] = {
		{ .cert_file = a_crt, .key_file = a_key },
		/* b's file says *.b.test; the config says otherwise. */
		{ .cert_file = b_crt, .key_file = b_key, .names = names,
		    .nnames = 1 },
		/* c has no SAN: its CN is its name; key from a_key. */
		{ .cert_file = c_crt, .key_file = a_key },
	};
	SSL_CTX *sctx, *cctx;
	char *cause = NULL;

	(void)state;
	sctx = tls_server_new(certs, 3, 0, &cause);
	if (sctx == NULL)
		fail_msg("%s", cause);
	cctx = tls_client_new(NULL, 0, &cause);
	assert_sni(sctx, cctx, "shop.example", "b.test");
	assert_sni(sctx, cctx, "x.b.test", "a.test");
	assert_sni(sctx, cctx, "c.test", "C.Test");
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
}

/* Offers protos (wire format) and returns what the server selected. */
static void
assert_alpn(SSL_CTX *sctx, const char *protos, size_t len, const char *want)
{
	SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
	const unsigned char *sel;
	unsigned int sellen;
	struct pair p;

	if (protos != NULL)
		SSL_CTX_set_alpn_protos(cctx, (const unsigned char *)protos,
		    (unsigned int)len);
	pair_open(&p, sctx, SSL_new(cctx));
	assert_int_equal(handshake(&p), 0);
	SSL_get0_alpn_selected(p.c, &sel, &sellen);
	if (want == NULL)
		assert_int_equal(sellen, 0);
	else {
		assert_int_equal(sellen, strlen(want));
		assert_memory_equal(sel, want, sellen);
	}
	pair_close(&p);
	SSL_CTX_free(cctx);
}

static void
test_alpn(void **state)
{
	SSL_CTX *sctx = server_ab(), *cctx;
	const unsigned char *sel;
	unsigned int sellen;
	struct pair p;
	char *cause = NULL;

	(void)state;
	assert_alpn(sctx, "\x02h2\x08http/1.1", 12, "http/1.1");
	assert_alpn(sctx, "\x08http/1.0\x08http/1.1", 18, "http/1.1");
	assert_alpn(sctx, "\x02h2", 3, NULL);
	assert_alpn(sctx, NULL, 0, NULL);
	/* Our client context offers http/1.1 with the flag. */
	cctx = tls_client_new(NULL, TLS_ALPN_HTTP11, &cause);
	pair_open(&p, sctx, client(cctx, "a.test"));
	assert_int_equal(handshake(&p), 0);
	SSL_get0_alpn_selected(p.s, &sel, &sellen);
	assert_int_equal(sellen, 8);
	pair_close(&p);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
}

/* A client limited to [min, max] that allows what OpenSSL would refuse. */
static SSL_CTX *
client_versions(int min, int max)
{
	SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());

	SSL_CTX_set_security_level(cctx, 0);
	SSL_CTX_set_cipher_list(cctx, "ALL:@SECLEVEL=0");
	SSL_CTX_set_min_proto_version(cctx, min);
	SSL_CTX_set_max_proto_version(cctx, max);
	return cctx;
}

static void
test_versions(void **state)
{
	SSL_CTX *sctx = server_ab(), *cctx;
	struct pair p;

	(void)state;
	/* TLS 1.0 and 1.1 clients are refused. */
	cctx = client_versions(TLS1_VERSION, TLS1_1_VERSION);
	pair_open(&p, sctx, SSL_new(cctx));
	assert_int_equal(handshake(&p), -1);
	/* The server said no: the client did send its hello. */
	assert_int_equal(ERR_GET_REASON(ERR_peek_error()),
	    SSL_R_UNSUPPORTED_PROTOCOL);
	pair_close(&p);
	SSL_CTX_free(cctx);

	/* TLS 1.2 gets an ECDHE AEAD suite even when the client asks for
	 * plain RSA key exchange and CBC first. */
	cctx = client_versions(TLS1_2_VERSION, TLS1_2_VERSION);
	SSL_CTX_set_cipher_list(cctx, "AES128-SHA:ECDHE-RSA-AES128-SHA:"
	    "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-GCM-SHA384:"
	    "ECDHE-RSA-CHACHA20-POLY1305:@SECLEVEL=0");
	pair_open(&p, sctx, SSL_new(cctx));
	assert_int_equal(handshake(&p), 0);
	assert_int_equal(SSL_version(p.s), TLS1_2_VERSION);
	assert_string_equal(SSL_get_cipher_name(p.s),
	    "ECDHE-ECDSA-AES256-GCM-SHA384");
	assert_int_equal(SSL_get_current_compression(p.s) == NULL, 1);
	pair_close(&p);
	SSL_CTX_free(cctx);

	/* A CBC-only TLS 1.2 client finds no common suite. */
	cctx = client_versions(TLS1_2_VERSION, TLS1_2_VERSION);
	SSL_CTX_set_cipher_list(cctx, "AES128-SHA:ECDHE-ECDSA-AES128-SHA:"
	    "@SECLEVEL=0");
	pair_open(&p, sctx, SSL_new(cctx));
	assert_int_equal(handshake(&p), -1);
	pair_close(&p);
	SSL_CTX_free(cctx);

	/* The default is TLS 1.3. */
	cctx = client_versions(TLS1_2_VERSION, 0);
	pair_open(&p, sctx, SSL_new(cctx));
	assert_int_equal(handshake(&p), 0);
	assert_int_equal(SSL_version(p.s), TLS1_3_VERSION);
	pair_close(&p);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
}

static void
test_resumption(void **state)
{
	SSL_CTX *sctx = server_ab(), *cctx;
	SSL_SESSION *sess;
	struct pair p;
	int i;

	(void)state;
	/* With tickets (default) and with the server cache alone. */
	for (i = 0; i < 2; i++) {
		cctx = client_versions(TLS1_2_VERSION, TLS1_2_VERSION);
		if (i == 1)
			SSL_CTX_set_options(cctx, SSL_OP_NO_TICKET);
		pair_open(&p, sctx, SSL_new(cctx));
		SSL_set_tlsext_host_name(p.c, "x.b.test");
		assert_int_equal(handshake(&p), 0);
		assert_int_equal(SSL_session_reused(p.c), 0);
		sess = SSL_get1_session(p.c);
		pair_close(&p);

		pair_open(&p, sctx, SSL_new(cctx));
		SSL_set_tlsext_host_name(p.c, "x.b.test");
		SSL_set_session(p.c, sess);
		assert_int_equal(handshake(&p), 0);
		assert_int_equal(SSL_session_reused(p.c), 1);
		pair_close(&p);
		SSL_SESSION_free(sess);
		SSL_CTX_free(cctx);
	}
	SSL_CTX_free(sctx);
}

static void
test_client_verify(void **state)
{
	SSL_CTX *sctx = server_ab(), *cctx;
	struct pair p;
	char *cause = NULL;

	(void)state;
	cctx = tls_client_new(a_crt, 0, &cause);
	if (cctx == NULL)
		fail_msg("%s", cause);
	pair_open(&p, sctx, client(cctx, "www.a.test"));
	assert_int_equal(handshake(&p), 0);
	assert_int_equal(SSL_get_verify_result(p.c), X509_V_OK);
	pair_close(&p);

	/* A certificate for another name: refused by the client. */
	pair_open(&p, sctx, client(cctx, "evil.test"));
	assert_int_equal(handshake(&p), -1);
	assert_int_equal(SSL_get_verify_result(p.c),
	    X509_V_ERR_HOSTNAME_MISMATCH);
	pair_close(&p);

	/* b's certificate is not signed by the CA: refused too. */
	pair_open(&p, sctx, client(cctx, "x.b.test"));
	assert_int_equal(handshake(&p), -1);
	pair_close(&p);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);

	assert_null(tls_client_new("/nonexistent/ca.pem", 0, &cause));
	assert_string_equal(cause,
	    "CA file /nonexistent/ca.pem: No such file or directory");
	free(cause);
}

static void
test_reload_keeps_old(void **state)
{
	SSL_CTX *old = server_ab(), *cur, *cctx;
	struct pair p;
	char buf[64];
	char *cause = NULL;

	(void)state;
	cctx = tls_client_new(NULL, 0, &cause);
	/* A connection starts on the old context... */
	pair_open(&p, old, client(cctx, "x.b.test"));
	/* ...a reload builds a new one and drops the old reference... */
	cur = server_ab();
	SSL_CTX_free(old);
	/* ...and the old handshake still finds its SNI table. */
	assert_int_equal(handshake(&p), 0);
	assert_string_equal(peer_cn(p.c, buf, sizeof(buf)), "b.test");
	pair_close(&p);
	assert_sni(cur, cctx, "x.b.test", "b.test");
	SSL_CTX_free(cur);
	SSL_CTX_free(cctx);
}

/* tls_server_new on one certificate must fail with a cause holding want. */
static void
assert_load_error(const char *crt, const char *key, const char *want)
{
	struct tls_cert_conf c = { .cert_file = crt, .key_file = key };
	char *cause = NULL;

	assert_null(tls_server_new(&c, 1, 0, &cause));
	assert_non_null(cause);
	if (strstr(cause, want) == NULL)
		fail_msg("'%s' does not contain '%s'", cause, want);
	free(cause);
	assert_int_equal(ERR_peek_error(), 0);
}

static void
test_errors(void **state)
{
	char want[1024], junk[300];
	FILE *f;

	(void)state;
	snprintf(want, sizeof(want), "cert %s/missing.crt: No such file or "
	    "directory", dir);
	snprintf(junk, sizeof(junk), "%s/missing.crt", dir);
	assert_load_error(junk, a_key, want);
	/* A folder where the key should be: unreadable as a file. */
	snprintf(want, sizeof(want), "key %s: ", dir);
	assert_load_error(a_crt, dir, want);
	/* The key of another certificate. */
	snprintf(want, sizeof(want), "key %s does not match cert %s", b_key,
	    a_crt);
	assert_load_error(a_crt, b_key, want);
	/* No key at all in the certificate file. */
	snprintf(want, sizeof(want), "key %s: error:", a_crt);
	assert_load_error(a_crt, NULL, want);
	/* A file that is not PEM. */
	snprintf(junk, sizeof(junk), "%s/junk.crt", dir);
	assert_non_null(f = fopen(junk, "w"));
	fputs("not a certificate\n", f);
	fclose(f);
	snprintf(want, sizeof(want), "cert %s: error:", junk);
	assert_load_error(junk, a_key, want);
	unlink(junk);
	/* A bad second certificate fails the whole context. */
	{
		struct tls_cert_conf c[2] = {
			{ .cert_file = a_crt, .key_file = a_key },
			{ .cert_file = b_crt, .key_file = a_key },
		};
		char *cause = NULL;

		assert_null(tls_server_new(c, 2, 0, &cause));
		assert_non_null(strstr(cause, "does not match"));
		free(cause);
		assert_null(tls_server_new(c, 0, 0, &cause));
		free(cause);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sni),
		cmocka_unit_test(test_names_explicit_and_cn),
		cmocka_unit_test(test_alpn),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_resumption),
		cmocka_unit_test(test_client_verify),
		cmocka_unit_test(test_reload_keeps_old),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
