/*
 * encoding.h: Accept-Encoding (RFC 9110 12.5.3) and the choice among a
 * static file's precompressed variants (file.br, file.gz, like nginx's
 * brotli_static and gzip_static).
 *
 * Decisions:
 * - No Accept-Encoding field: identity. 12.5.3 lets a server send any
 *   coding then, but clients that send no field (scripts, old proxies)
 *   seldom decode anything; nginx's gzip_static also wants the field.
 * - An empty field: identity only (12.5.3).
 * - Codings are case-insensitive; "x-gzip" is "gzip" (8.4.1.3 SHOULD).
 *   Unknown codings ("deflate", "zstd") are read and not used.
 * - The weight is OWS ";" OWS "q=" qvalue ("Q=" too), qvalue being "0",
 *   "0.ddd" or "1", "1.000" with up to three decimals (12.4.2). An element
 *   with a bad qvalue or any other parameter is dropped whole, as if not
 *   listed; nginx reads a bad qvalue as 0, which comes to the same unless
 *   "*" is listed too. q=0 means "not acceptable".
 * - When a coding is listed twice, its first element counts.
 * - A coding not listed takes the weight of "*" when "*" is listed, and
 *   is not acceptable otherwise. identity not listed takes the weight of
 *   "*" when "*" is listed; otherwise it is acceptable (12.5.3) as a last
 *   resort: below any listed coding with q > 0. So "gzip;q=0.5" serves
 *   gzip, as nginx's gzip_static would.
 * - The highest weight wins; ties go to br, then gzip, then identity (the
 *   smaller body first).
 * - When nothing is acceptable (identity;q=0 and no variant), the answer
 *   is identity anyway: RFC 7231 dropped the 406 for this case on purpose
 *   (httpwg/http-core#980), nginx does the same, and a 200 the client can
 *   read raw is more useful than an error.
 */
#ifndef WEBD_ENCODING_H
#define WEBD_ENCODING_H

#include <stddef.h>
#include <stdint.h>

/* What to serve. */
enum webd_encoding {
	WEBD_ENCODING_IDENTITY = 0,
	WEBD_ENCODING_GZIP = 1,
	WEBD_ENCODING_BR = 2,
};

/* The variants a file has on disk, a bitmask for the choice. */
#define WEBD_ENCODING_F_GZIP	(1u << WEBD_ENCODING_GZIP)
#define WEBD_ENCODING_F_BR	(1u << WEBD_ENCODING_BR)

/*
 * The parsed field: weights in thousandths (0..1000), -1 when the coding
 * (or "*") is not listed.
 */
struct webd_encoding_accept {
	int16_t	q_identity;
	int16_t	q_gzip;
	int16_t	q_br;
	int16_t	q_star;
};

/*
 * webd_encoding_parse: the Accept-Encoding value v (len bytes, not NUL-
 * terminated) into *acc. v NULL (no field) sets every weight to -1 and
 * identity's to 1000. Never fails: what cannot be read is dropped (see
 * the decisions above). Linear in len, no allocation.
 */
void	webd_encoding_parse(const char *v, size_t len,
	    struct webd_encoding_accept *acc);

/*
 * webd_encoding_choose: which representation to serve given acc and the
 * variants available (WEBD_ENCODING_F_* bits; identity always exists).
 */
enum webd_encoding webd_encoding_choose(const struct webd_encoding_accept *acc,
	    unsigned avail);

/* webd_encoding_select: parse and choose in one call. */
enum webd_encoding webd_encoding_select(const char *v, size_t len,
	    unsigned avail);

/*
 * webd_encoding_name: the Content-Encoding token ("gzip", "br") or NULL
 * for identity (send no Content-Encoding). webd_encoding_suffix: the file
 * name suffix (".gz", ".br") or "" for identity.
 */
const char *webd_encoding_name(enum webd_encoding e);
const char *webd_encoding_suffix(enum webd_encoding e);

#endif
