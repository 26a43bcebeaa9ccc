/*
 * fuzz_dbproxyd_proto.c: libFuzzer harness for dbproxyd's packet codec:
 * everything a client or a server controls goes through here.
 *
 * Input: byte 0 picks the parser; the rest is its input.
 *   0: a login (HandshakeResponse41) - what any client sends first
 *   1: a greeting (HandshakeV10) - what a server sends first
 *   2: a response stream: 4-byte frame headers and payloads, walked by
 *      the response walker as dbproxyd does (kind and DEPRECATE_EOF from
 *      byte 1), frames possibly cut short
 *   3: a statement for the classifier
 *   4: OK/EOF status, ERR code, lenenc strings
 * Invariants: no read past the input (ASan), parsed lengths inside it, a
 * walker that ends (DONE or BAD) at most once and never asks for more
 * bytes than the frame has.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "proto.h"
#include "resp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_login(const uint8_t *p, size_t n)
{
	struct dbp_login l;
	char *cause = NULL;

	if (dbp_login_parse(p, n, &l, &cause) == 0) {
		if (l.user != NULL && ((const uint8_t *)l.user < p ||
		    (const uint8_t *)l.user + l.user_len > p + n))
			abort();
		if (l.auth != NULL && (l.auth < p || l.auth + l.auth_len >
		    p + n))
			abort();
		if (l.db != NULL && (const uint8_t *)l.db + l.db_len > p + n)
			abort();
	}
	free(cause);
}

static void
fuzz_greeting(const uint8_t *p, size_t n)
{
	struct dbp_greeting g;
	char *cause = NULL;

	if (dbp_greeting_parse(p, n, &g, &cause) == 0 &&
	    (strlen(g.version) >= sizeof(g.version) ||
	    strlen(g.plugin) >= sizeof(g.plugin)))
		abort();
	free(cause);
}

static void
fuzz_stream(const uint8_t *p, size_t n)
{
	struct dbp_resp r;
	enum dbp_resp_ret ret;
	size_t off = 1, len, avail;

	if (n < 1)
		return;
	dbp_resp_start(&r, (enum dbp_resp_kind)(p[0] % 5), p[0] & 8);
	while (off + 4 <= n) {
		len = dbp_frame_hdr(p + off, NULL) % 4096;
		off += 4;
		avail = n - off < len ? n - off : len;
		ret = dbp_resp_feed(&r, p + off, avail > 64 ? 64 : avail, len);
		if (ret == DBP_R_NEED) {
			if (avail < len)
				return;
			ret = dbp_resp_feed(&r, p + off, len, len);
			if (ret == DBP_R_NEED)
				abort();	/* a whole frame always decides */
		}
		if (ret == DBP_R_DONE || ret == DBP_R_BAD)
			return;
		off += avail;
	}
}

static void
fuzz_misc(const uint8_t *p, size_t n)
{
	struct dbp_rd r;
	const uint8_t *s;
	uint16_t st;
	size_t len;

	(void)dbp_ok_status(p, n, &st);
	(void)dbp_err_code(p, n);
	dbp_rd_init(&r, p, n);
	while (!r.err && dbp_rd_left(&r) > 0) {
		s = dbp_rd_lenenc_str(&r, &len);
		if (s != NULL && s + len > p + n)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	if (size < 1)
		return 0;
	/* An exact-size copy, so ASan sees any read past the end. */
	copy = malloc(size - 1 ? size - 1 : 1);
	memcpy(copy, data + 1, size - 1);
	switch (data[0] % 5) {
	case 0:
		fuzz_login(copy, size - 1);
		break;
	case 1:
		fuzz_greeting(copy, size - 1);
		break;
	case 2:
		fuzz_stream(copy, size - 1);
		break;
	case 3:
		(void)dbp_classify((const char *)copy, size - 1);
		break;
	default:
		fuzz_misc(copy, size - 1);
		break;
	}
	free(copy);
	return 0;
}
