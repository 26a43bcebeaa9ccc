/*
 * auth.c: mysql_native_password (see auth.h), on OpenSSL's SHA1.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "auth.h"

void
dbp_auth_scramble(uint8_t out[DBP_SCRAMBLE_LEN])
{
	size_t i;

	if (RAND_bytes(out, DBP_SCRAMBLE_LEN) != 1)
		memset(out, 0x5a, DBP_SCRAMBLE_LEN);
	/* As MariaDB: printable, never NUL or '$' (some clients care). */
	for (i = 0; i < DBP_SCRAMBLE_LEN; i++) {
		out[i] = (uint8_t)(33 + out[i] % 94);
		if (out[i] == '$')
			out[i] = '%';
	}
}

/* SHA1(scramble . stage2) into out. */
static void
dbp_auth_mix(const uint8_t *scramble, const uint8_t stage2[20],
    uint8_t out[20])
{
	uint8_t buf[DBP_SCRAMBLE_LEN + 20];

	memcpy(buf, scramble, DBP_SCRAMBLE_LEN);
	memcpy(buf + DBP_SCRAMBLE_LEN, stage2, 20);
	SHA1(buf, sizeof(buf), out);
}

int
dbp_auth_check(const uint8_t stage2[20],
    const uint8_t scramble[DBP_SCRAMBLE_LEN], const uint8_t *token,
    size_t token_len)
{
	uint8_t mix[20], stage1[20], check[20];
	size_t i;
	int ok;

	if (token_len != 20)
		return 0;
	dbp_auth_mix(scramble, stage2, mix);
	for (i = 0; i < 20; i++)
		stage1[i] = token[i] ^ mix[i];
	SHA1(stage1, 20, check);
	ok = CRYPTO_memcmp(check, stage2, 20) == 0;
	OPENSSL_cleanse(stage1, sizeof(stage1));
	return ok;
}

void
dbp_auth_stage2(const char *password, uint8_t out[20])
{
	uint8_t s1[20];

	SHA1((const uint8_t *)password, strlen(password), s1);
	SHA1(s1, 20, out);
	OPENSSL_cleanse(s1, sizeof(s1));
}

size_t
dbp_auth_token(const char *password, const uint8_t scramble[DBP_SCRAMBLE_LEN],
    uint8_t out[20])
{
	uint8_t s1[20], s2[20], mix[20];
	size_t i;

	if (password == NULL || *password == '\0')
		return 0;
	SHA1((const uint8_t *)password, strlen(password), s1);
	SHA1(s1, 20, s2);
	dbp_auth_mix(scramble, s2, mix);
	for (i = 0; i < 20; i++)
		out[i] = s1[i] ^ mix[i];
	OPENSSL_cleanse(s1, sizeof(s1));
	return 20;
}
