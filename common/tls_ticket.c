/*
 * tls_ticket.c: session-ticket keys that rotate, for TLS servers.
 *
 * OpenSSL's own ticket key is made once per SSL_CTX and never changes: a
 * stolen key decrypts every ticket for as long as the process runs, and a
 * reload (a new context) makes every client's ticket useless. Here one key
 * ring serves the whole process: the newest key encrypts new tickets, the
 * two before it still decrypt (a ticket lives two to three periods), and a
 * key older than that is forgotten. Keys are random, in memory only, and
 * wiped when dropped. Because the ring is the process's, a reload keeps
 * resumption working. Rotation is lazy: whoever needs a key first after a
 * period has passed makes the new one, so an idle daemon has no timer; a
 * key older than three periods never decrypts, however idle the ring was.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "tls.h"
#include "util.h"

#define TLS_TICKET_KEYS	3	/* the current key and two that decrypt */

struct tls_ticket_key {
	unsigned char	name[16];
	unsigned char	aes[32];	/* AES-256-CBC */
	unsigned char	hmac[32];	/* HMAC-SHA256 */
	uint64_t	born_ms;	/* 0: empty slot */
};

static struct {
	pthread_mutex_t		lock;
	struct tls_ticket_key	keys[TLS_TICKET_KEYS];	/* [0] newest */
	_Atomic uint64_t	period_ms;
} tls_ring = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Drops the oldest key (wiped) and makes a fresh one at [0]. Locked. */
static int
tls_ticket_rotate(uint64_t now)
{
	struct tls_ticket_key *k = tls_ring.keys;

	OPENSSL_cleanse(&k[TLS_TICKET_KEYS - 1], sizeof(*k));
	memmove(&k[1], &k[0], (TLS_TICKET_KEYS - 1) * sizeof(*k));
	if (RAND_bytes(k[0].name, sizeof(k[0].name)) != 1 ||
	    RAND_priv_bytes(k[0].aes, sizeof(k[0].aes)) != 1 ||
	    RAND_priv_bytes(k[0].hmac, sizeof(k[0].hmac)) != 1) {
		OPENSSL_cleanse(&k[0], sizeof(k[0]));
		return -1;
	}
	k[0].born_ms = now;
	return 0;
}

/*
 * Brings the ring up to date: a new key when the newest is a period old.
 * Keys too old to trust are skipped by tls_ticket_decrypt, so a ring left
 * idle for long decrypts nothing old. Locked. -1 when no key could be made.
 */
static int
tls_ticket_refresh(uint64_t now)
{
	uint64_t period = atomic_load(&tls_ring.period_ms);

	if (tls_ring.keys[0].born_ms != 0 &&
	    now - tls_ring.keys[0].born_ms < period)
		return 0;
	return tls_ticket_rotate(now);
}

/* The MAC key and digest of a key, as OpenSSL 3's EVP_MAC wants them. */
static int
tls_ticket_mac(EVP_MAC_CTX *hctx, struct tls_ticket_key *k)
{
	OSSL_PARAM p[3];

	p[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, k->hmac,
	    sizeof(k->hmac));
	p[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	p[2] = OSSL_PARAM_construct_end();
	return EVP_MAC_CTX_set_params(hctx, p) == 1 ? 0 : -1;
}

/* A new ticket: encrypted with the newest key. 1, or -1 on failure. */
static int
tls_ticket_encrypt(unsigned char name[16], unsigned char *iv,
    EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx)
{
	struct tls_ticket_key *k = &tls_ring.keys[0];

	if (RAND_bytes(iv, EVP_MAX_IV_LENGTH) != 1)
		return -1;
	memcpy(name, k->name, 16);
	if (EVP_EncryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k->aes, iv) != 1 ||
	    tls_ticket_mac(hctx, k) == -1)
		return -1;
	return 1;
}

/*
 * A ticket the client brought: 1 when the newest key made it, 2 when an
 * older one did (OpenSSL then issues a fresh ticket), 0 when no key of the
 * ring knows it (a full handshake follows), -1 on failure.
 */
static int
tls_ticket_decrypt(const unsigned char name[16], unsigned char *iv,
    EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, uint64_t now)
{
	uint64_t max_age = TLS_TICKET_KEYS * atomic_load(&tls_ring.period_ms);
	struct tls_ticket_key *k;
	int i;

	for (i = 0; i < TLS_TICKET_KEYS; i++) {
		k = &tls_ring.keys[i];
		if (k->born_ms == 0 || now - k->born_ms >= max_age ||
		    memcmp(k->name, name, 16) != 0)
			continue;
		if (EVP_DecryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k->aes,
		    iv) != 1 || tls_ticket_mac(hctx, k) == -1)
			return -1;
		return i == 0 ? 1 : 2;
	}
	return 0;
}

/* OpenSSL's ticket callback (SSL_CTX_set_tlsext_ticket_key_evp_cb). */
static int
tls_ticket_cb(SSL *s, unsigned char name[16], unsigned char *iv,
    EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
	uint64_t now = util_now_ms();
	int r;

	pthread_mutex_lock(&tls_ring.lock);
	if (tls_ticket_refresh(now) == -1)
		r = -1;
	else if (enc)
		r = tls_ticket_encrypt(name, iv, cctx, hctx);
	else
		r = tls_ticket_decrypt(name, iv, cctx, hctx, now);
	pthread_mutex_unlock(&tls_ring.lock);
	return r;
}

void
tls_server_tickets(SSL_CTX *ctx, uint64_t period_ms)
{
	if (period_ms == 0) {
		/* TLS 1.3 then resumes from the cache (stateful tickets). */
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
		return;
	}
	atomic_store(&tls_ring.period_ms, period_ms);
	SSL_CTX_clear_options(ctx, SSL_OP_NO_TICKET);
	/* A ticket is good for two periods (the ring keeps it three). */
	SSL_CTX_set_timeout(ctx, (long)(2 * period_ms / 1000 + 1));
	SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, tls_ticket_cb);
}
