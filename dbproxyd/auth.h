/*
 * auth.h: mysql_native_password, both ways. The server stores
 * stage2 = SHA1(SHA1(password)); a client proves it knows SHA1(password)
 * by sending token = SHA1(password) XOR SHA1(scramble . stage2).
 */
#ifndef DBPROXYD_AUTH_H
#define DBPROXYD_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

/* dbp_auth_scramble: 20 random printable bytes (no NUL), for a greeting. */
void	dbp_auth_scramble(uint8_t out[DBP_SCRAMBLE_LEN]);
/*
 * dbp_auth_check: 1 if token (the client's auth response) proves the
 * password whose stage2 is given, for this scramble; 0 otherwise (also for
 * a token that is not 20 bytes). Constant time in the token's content.
 */
int	dbp_auth_check(const uint8_t stage2[20],
	    const uint8_t scramble[DBP_SCRAMBLE_LEN], const uint8_t *token,
	    size_t token_len);
/* dbp_auth_token: the token for password (empty password: no token, 0). */
size_t	dbp_auth_token(const char *password,
	    const uint8_t scramble[DBP_SCRAMBLE_LEN], uint8_t out[20]);
/* dbp_auth_stage2: SHA1(SHA1(password)), for tests and tools. */
void	dbp_auth_stage2(const char *password, uint8_t out[20]);

#endif
