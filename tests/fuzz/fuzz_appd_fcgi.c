/*
 * fuzz_appd_fcgi.c: libFuzzer harness for appd's FastCGI record parser
 * and name-value pairs (the bytes a worker, php-cgi or an external server
 * sends the master).
 *
 * Beyond "no crash, no over-read": a record never claims more than it
 * was given, every prefix of a record is "more", records walk the input
 * to its end or to the first error, and the pairs of each PARAMS record,
 * written again with fcgi_put_nv, parse back to the same pairs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The pairs of p re-emitted must read back identical. */
static void
fuzz_nv(const uint8_t *p, size_t len)
{
	struct fcgi_buf b = { 0 };
	const uint8_t *n, *v, *n2, *v2;
	uint32_t nl, vl, nl2, vl2;
	size_t off = 0, off2 = 0;

	while (fcgi_nv_next(p, len, &off, &n, &nl, &v, &vl) == 1) {
		if (off > len)
			abort();
		fcgi_put_nv(&b, (const char *)n, nl, (const char *)v, vl);
	}
	off = 0;
	while (fcgi_nv_next(p, len, &off, &n, &nl, &v, &vl) == 1) {
		if (fcgi_nv_next(b.p, b.len, &off2, &n2, &nl2, &v2, &vl2) != 1 ||
		    nl != nl2 || vl != vl2 || memcmp(n, n2, nl) != 0 ||
		    memcmp(v, v2, vl) != 0)
			abort();
	}
	fcgi_buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fcgi_rec r, r2;
	size_t off = 0, used, used2, i;
	int rc;

	while ((rc = fcgi_parse(data + off, size - off, &r, &used)) == 1) {
		if (used < FCGI_HEADER_LEN || used > size - off ||
		    r.data + r.len > data + off + used)
			abort();
		/* Prefixes of a whole record are "more" (sampled). */
		for (i = 0; i < used; i += 1 + used / 8)
			if (fcgi_parse(data + off, i, &r2, &used2) != 0)
				abort();
		if (r.type == FCGI_PARAMS)
			fuzz_nv(r.data, r.len);
		off += used;
	}
	if (rc == 0 && size - off >= FCGI_HEADER_LEN + 65535 + 255)
		abort();	/* a complete record was there */
	return 0;
}
