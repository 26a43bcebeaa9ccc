/*
 * fuzz_appd_params.c: libFuzzer harness for what a module sees of a
 * hostile request head: the head through the HTTP parser, the CGI params
 * built from it (params.c, what both appd paths give a module), parsed
 * back by the module API's accessors (modapi.c).
 *
 * Checks: every param the builder wrote is found again by name, method
 * and path are never NULL, a header asked for through triad_req_header
 * is the HTTP_ param, and a decoded query parameter fits its buffer and
 * holds no NUL. The first byte picks the peer: trusted or not, so the
 * X-Forwarded-For path is reached too.
 */
#include <netinet/in.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "fcgi.h"
#include "http1.h"
#include "modapi.h"
#include "params.h"
#include "triad_app.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the accessors say about r. */
static void
fuzz_accessors(struct triad_req *r)
{
	char buf[64];
	const char *v;
	size_t i;

	if (triad_req_method(r) == NULL || triad_req_path(r) == NULL ||
	    triad_req_query(r) == NULL)
		abort();
	for (i = 0; i < r->npv; i++)
		if (triad_req_param(r, r->pv[i].name) == NULL)
			abort();
	v = triad_req_header(r, "X-Test");
	if (v != NULL && v != triad_req_param(r, "HTTP_X_TEST"))
		abort();
	if ((v = triad_req_query_param(r, "a", buf, sizeof(buf))) != NULL &&
	    (v != buf || strlen(buf) >= sizeof(buf)))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http1_limits lim;
	struct http1_parser p;
	struct http1_msg m;
	struct net_addr peer;
	struct sockaddr_in *sin = (struct sockaddr_in *)&peer.ss;
	struct cidr_list trusted = { NULL, 0 };
	struct cidr c;
	struct triad_req r;
	char *cause = NULL;
	struct params_in in = { &m, 0, &peer, 0, NULL, NULL, NULL };

	if (size < 1)
		return 0;
	http1_limits_default(&lim);
	http1_parser_init(&p, HTTP1_REQUEST, &lim);
	if (http1_parse_head(&p, &m, (const char *)data + 1, size - 1) !=
	    HTTP1_DONE)
		return 0;
	memset(&peer, 0, sizeof(peer));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(0x7f000001);
	peer.len = sizeof(*sin);
	if (data[0] & 1) {
		if (cidr_parse("127.0.0.0/8", &c, &cause) != 0)
			abort();
		cidr_list_add(&trusted, &c);
		in.trusted = &trusted;
	}
	memset(&r, 0, sizeof(r));
	params_build(&in, &r.params);
	if (modapi_req_params(&r) != 0)
		abort();		/* our own stream is well formed */
	fuzz_accessors(&r);
	modapi_req_free(&r);
	cidr_list_free(&trusted);
	return 0;
}
