/*
 * test_webd_encoding.c: Accept-Encoding parsed with q-values and the choice
 * among br, gzip and identity, table-driven: browsers' real fields, the
 * RFC 9110 12.5.3 rules for "*" and identity, ties, and malformed weights.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "encoding.h"

#define ID	WEBD_ENCODING_IDENTITY
#define GZ	WEBD_ENCODING_GZIP
#define BR	WEBD_ENCODING_BR
#define A_GZ	WEBD_ENCODING_F_GZIP
#define A_BR	WEBD_ENCODING_F_BR
#define A_ALL	(A_GZ | A_BR)
#define NOFIELD	((const char *)1)	/* marker: no field at all */

struct enc_case {
	const char	*hdr;
	unsigned	 avail;
	int		 want;
};

static const struct enc_case cases[] = {
	/* 1-8: what browsers and tools send. */
	{ NOFIELD, A_ALL, ID },
	{ "", A_ALL, ID },
	{ "gzip", A_ALL, GZ },
	{ "br", A_ALL, BR },
	{ "gzip, deflate, br, zstd", A_ALL, BR },
	{ "gzip, deflate, br, zstd", A_GZ, GZ },
	{ "gzip, deflate, br", 0, ID },
	{ "deflate, zstd", A_ALL, ID },
	/* 9-14: weights. */
	{ "br;q=1.0, gzip;q=0.8, *;q=0", A_ALL, BR },
	{ "br;q=1.0, gzip;q=0.8, *;q=0", A_GZ, GZ },
	{ "br;q=0.5, gzip;q=0.8", A_ALL, GZ },
	{ "gzip;q=0", A_ALL, ID },
	{ "gzip;q=0.8,br;q=0.8", A_ALL, BR },
	{ "br;q=0.001", A_ALL, BR },
	/* 15-22: "*" and identity. */
	{ "*", A_ALL, BR },
	{ "*", A_GZ, GZ },
	{ "*;q=0", A_ALL, ID },
	{ "*;q=0.5", A_ALL, BR },
	{ "*;q=0.5, identity", A_ALL, ID },
	{ "br;q=0, *", A_ALL, GZ },
	{ "identity;q=0, gzip;q=0.1", A_GZ, GZ },
	{ "identity, gzip;q=0.5", A_GZ, ID },
	/* 23-26: identity unlisted is the last resort (nginx-like). */
	{ "gzip;q=0.5", A_GZ, GZ },
	{ "br", A_GZ, ID },
	{ "identity;q=0", 0, ID },
	{ "identity;q=0.5, gzip;q=0.5", A_GZ, GZ },
	/* 27-31: case, aliases, whitespace, empty elements. */
	{ "GZIP", A_ALL, GZ },
	{ "Br", A_ALL, BR },
	{ "x-gzip", A_ALL, GZ },
	{ ",,, gzip ,,", A_ALL, GZ },
	{ "gzip ; q=0.5 , br ;q=0.4", A_ALL, GZ },
	/* 32-43: weights that are not qvalues: the element is dropped. */
	{ "gzip;q=2", A_ALL, ID },
	{ "gzip;q=0.1234", A_ALL, ID },
	{ "gzip;q=1.001", A_ALL, ID },
	{ "gzip;q=", A_ALL, ID },
	{ "gzip;q=-1", A_ALL, ID },
	{ "gzip;q=.5", A_ALL, ID },
	{ "gzip;q = 0.5", A_ALL, ID },
	{ "gzip;level=1", A_ALL, ID },
	{ "gzip;q=0.5;x=1", A_ALL, ID },
	{ "gzip;q=0.5 x", A_ALL, ID },
	{ "\"gzip\"", A_ALL, ID },
	{ "gz ip", A_ALL, ID },
	/* 44-49: valid edge qvalues and duplicates (first counts). */
	{ "gzip;Q=0.5", A_ALL, GZ },
	{ "gzip;q=1.", A_ALL, GZ },
	{ "gzip;q=1.000", A_ALL, GZ },
	{ "gzip;q=0.", A_ALL, ID },
	{ "gzip;q=0, gzip", A_ALL, ID },
	{ "gzip, gzip;q=0", A_ALL, GZ },
	/* 50-52: a bad element does not spoil the others. */
	{ "gzip;q=2, br", A_ALL, BR },
	{ "br;q=9, *;q=0.1", A_ALL, BR },
	{ "gzip;q=0.9, br;q=junk", A_ALL, GZ },
};

static void
test_select_table(void **state)
{
	const struct enc_case *c;
	size_t i;
	int got;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = &cases[i];
		if (c->hdr == NOFIELD)
			got = (int)webd_encoding_select(NULL, 0, c->avail);
		else
			got = (int)webd_encoding_select(c->hdr, strlen(c->hdr),
			    c->avail);
		if (got != c->want)
			fail_msg("case %zu '%s' avail %u: want %d got %d",
			    i + 1, c->hdr == NOFIELD ? "(none)" : c->hdr,
			    c->avail, c->want, got);
	}
}

static void
test_parse_weights(void **state)
{
	struct webd_encoding_accept acc;
	const char *v = "br;q=0.9, x-gzip;q=0.25, identity;q=0.001, *;q=0";

	(void)state;
	webd_encoding_parse(v, strlen(v), &acc);
	assert_int_equal(acc.q_br, 900);
	assert_int_equal(acc.q_gzip, 250);
	assert_int_equal(acc.q_identity, 1);
	assert_int_equal(acc.q_star, 0);
	webd_encoding_parse(NULL, 0, &acc);
	assert_int_equal(acc.q_br, -1);
	assert_int_equal(acc.q_gzip, -1);
	assert_int_equal(acc.q_star, -1);
	assert_int_equal(acc.q_identity, 1000);
	webd_encoding_parse("", 0, &acc);
	assert_int_equal(acc.q_identity, -1);
	/* Only len bytes count. */
	webd_encoding_parse("gzip, br", 4, &acc);
	assert_int_equal(acc.q_gzip, 1000);
	assert_int_equal(acc.q_br, -1);
}

static void
test_names(void **state)
{
	(void)state;
	assert_null(webd_encoding_name(ID));
	assert_string_equal(webd_encoding_name(GZ), "gzip");
	assert_string_equal(webd_encoding_name(BR), "br");
	assert_string_equal(webd_encoding_suffix(ID), "");
	assert_string_equal(webd_encoding_suffix(GZ), ".gz");
	assert_string_equal(webd_encoding_suffix(BR), ".br");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_select_table),
		cmocka_unit_test(test_parse_weights),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
