/*
 * fuzz_appd_cgihead.c: libFuzzer harness for the CGI response head parser
 * (what any app writes on stdout).
 *
 * Checks: the head never ends past the input, every field points inside
 * it and holds no CR, LF or NUL (so it cannot split appd's response), a
 * status is 100..599, and "more" is only answered below the size limit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgihead.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_span(const char *base, size_t used, const char *p, size_t n)
{
	if (p < base || p + n > base + used || memchr(p, '\r', n) ||
	    memchr(p, '\n', n) || memchr(p, '\0', n))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data, *why = NULL;
	struct cgihead h;
	size_t used = 0, i;
	int rc;

	rc = cgihead_parse(buf, size, &h, &used, &why);
	if (rc == 0 && size >= CGIHEAD_MAX)
		abort();
	if (rc == -1 && why == NULL)
		abort();
	if (rc != 1)
		return 0;
	if (used > size || h.status < 100 || h.status > 599 ||
	    h.n > CGIHEAD_FIELDS)
		abort();
	for (i = 0; i < h.n; i++) {
		fuzz_span(buf, used, h.f[i].name, h.f[i].nlen);
		fuzz_span(buf, used, h.f[i].value, h.f[i].vlen);
	}
	if (h.reason != NULL)
		fuzz_span(buf, used, h.reason, h.reason_len);
	return 0;
}
