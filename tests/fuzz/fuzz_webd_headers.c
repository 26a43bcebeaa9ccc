/*
 * fuzz_webd_headers.c: libFuzzer harness for the request fields webd
 * reads besides Range: Accept-Encoding, the conditional fields (If-Match,
 * If-None-Match, If-Modified-Since, If-Unmodified-Since, If-Range) and the
 * HTTP-dates inside them.
 *
 * Input: byte 0 picks the parser; the rest is its input.
 *   0: an Accept-Encoding value; byte 1 is the set of variants on disk
 *   1: the five conditional fields, split at '\n' (a missing one is
 *      absent); byte 1 says GET/HEAD or not
 *   2: an HTTP-date
 * Beyond "no crash, no over-read" (ASan) it checks the contracts: weights
 * in -1..1000 and a choice among what exists (select = choose(parse));
 * a verdict of 200, 304 or 412 and an If-Range answer of 0 or 1, the
 * same twice, and 200 when no field is there; a date that parses
 * formats back to text that parses to the same second.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cond.h"
#include "encoding.h"
#include "httpdate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
fuzz_weight_ok(int16_t q)
{
	return q >= -1 && q <= 1000;
}

static void
fuzz_encoding(const uint8_t *p, size_t n)
{
	struct webd_encoding_accept acc;
	enum webd_encoding e;
	unsigned avail;

	if (n < 1)
		return;
	avail = p[0] & (WEBD_ENCODING_F_GZIP | WEBD_ENCODING_F_BR);
	webd_encoding_parse((const char *)p + 1, n - 1, &acc);
	if (!fuzz_weight_ok(acc.q_identity) || !fuzz_weight_ok(acc.q_gzip) ||
	    !fuzz_weight_ok(acc.q_br) || !fuzz_weight_ok(acc.q_star))
		abort();
	e = webd_encoding_choose(&acc, avail);
	if (e != WEBD_ENCODING_IDENTITY && !(avail & (1u << e)))
		abort();	/* a variant the disk does not have */
	if (e != webd_encoding_select((const char *)p + 1, n - 1, avail))
		abort();
}

/* The next field of p[*off..n), up to '\n'; absent past the end. */
static struct webd_cond_field
fuzz_field(const uint8_t *p, size_t n, size_t *off)
{
	struct webd_cond_field f = { NULL, 0 };
	const uint8_t *nl;

	if (*off > n)
		return f;
	f.v = (const char *)p + *off;
	nl = memchr(p + *off, '\n', n - *off);
	f.len = nl != NULL ? (size_t)(nl - (p + *off)) : n - *off;
	*off += f.len + 1;
	return f;
}

static void
fuzz_cond(const uint8_t *p, size_t n)
{
	static const char etag[] = "\"5f0c1a2b-400\"";
	struct webd_cond_req req;
	struct webd_cond_rep rep;
	enum webd_cond_result r;
	size_t off = 1;
	int ir;

	if (n < 1)
		return;
	memset(&req, 0, sizeof(req));
	req.get_or_head = p[0] & 1;
	req.now = (p[0] & 2) ? 1700000000 : 0;
	req.if_match = fuzz_field(p, n, &off);
	req.if_none_match = fuzz_field(p, n, &off);
	req.if_modified_since = fuzz_field(p, n, &off);
	req.if_unmodified_since = fuzz_field(p, n, &off);
	req.if_range = fuzz_field(p, n, &off);
	rep.etag = (p[0] & 4) ? NULL : etag;
	rep.etag_len = rep.etag != NULL ? strlen(etag) : 0;
	rep.last_modified = 1600000000;
	rep.has_last_modified = (p[0] & 8) != 0;
	r = webd_cond_evaluate(&req, &rep);
	if (r != WEBD_COND_PROCEED && r != WEBD_COND_NOT_MODIFIED &&
	    r != WEBD_COND_FAILED)
		abort();
	if (webd_cond_evaluate(&req, &rep) != r)
		abort();
	if (r == WEBD_COND_NOT_MODIFIED && !req.get_or_head)
		abort();	/* other methods get 412, never 304 */
	ir = webd_cond_if_range(&req, &rep);
	if (ir != 0 && ir != 1)
		abort();
	memset(&req, 0, sizeof(req));
	if (webd_cond_evaluate(&req, &rep) != WEBD_COND_PROCEED ||
	    webd_cond_if_range(&req, &rep) != 1)
		abort();
}

static void
fuzz_date(const uint8_t *p, size_t n)
{
	char buf[HTTPDATE_SIZE];
	time_t t, again;

	if (httpdate_parse((const char *)p, n, &t) != 0 || t < 0 ||
	    t > HTTPDATE_MAX)
		return;
	if (httpdate_format(t, buf) != strlen(buf) ||
	    httpdate_parse(buf, strlen(buf), &again) != 0 || again != t)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		fuzz_encoding(data + 1, size - 1);
		break;
	case 1:
		fuzz_cond(data + 1, size - 1);
		break;
	default:
		fuzz_date(data + 1, size - 1);
		break;
	}
	return 0;
}
