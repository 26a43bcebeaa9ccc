/*
 * fuzz_proxyproto.c: libFuzzer harness for the PROXY protocol parser.
 *
 * Beyond "no crash, no over-read", it checks the contract: DONE consumes
 * no more than it was given and at most PROXYPROTO_MAX_LEN; MORE is only
 * answered below PROXYPROTO_MAX_LEN bytes; every prefix of an accepted
 * header is MORE; and a parsed header, emitted again in the same version,
 * parses back to the same addresses.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "proxyproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Re-emits h and checks that it parses back to the same addresses. */
static void
fuzz_round_trip(const struct proxyproto_hdr *h)
{
	struct proxyproto_hdr back;
	uint8_t buf[PROXYPROTO_MAX_LEN];
	size_t consumed;
	char *cause = NULL;
	int n;

	if (h->local)
		return;
	n = h->version == 1 ?
	    proxyproto_emit_v1(buf, sizeof(buf), &h->src, &h->dst) :
	    proxyproto_emit_v2(buf, sizeof(buf), &h->src, &h->dst);
	if (n <= 0)
		abort();
	if (proxyproto_parse(buf, (size_t)n, &back, &consumed, &cause) !=
	    PROXYPROTO_DONE || consumed != (size_t)n || back.local)
		abort();
	if (!addr_equal(&back.src, &h->src) || !addr_equal(&back.dst, &h->dst))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxyproto_hdr h, p;
	size_t consumed, c2;
	char *cause = NULL;
	enum proxyproto_result r;

	r = proxyproto_parse(data, size, &h, &consumed, &cause);
	free(cause);
	switch (r) {
	case PROXYPROTO_MORE:
		if (size >= PROXYPROTO_MAX_LEN)
			abort();
		break;
	case PROXYPROTO_ERROR:
		break;
	case PROXYPROTO_DONE:
		if (consumed == 0 || consumed > size ||
		    consumed > PROXYPROTO_MAX_LEN)
			abort();
		/* The header alone parses the same; one byte short is MORE. */
		if (proxyproto_parse(data, consumed, &p, &c2, &cause) !=
		    PROXYPROTO_DONE || c2 != consumed)
			abort();
		if (proxyproto_parse(data, consumed - 1, &p, &c2, &cause) !=
		    PROXYPROTO_MORE)
			abort();
		fuzz_round_trip(&h);
		break;
	}
	return 0;
}
