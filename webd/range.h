/*
 * range.h: byte ranges (RFC 9110 14) for webd's static files: the Range
 * field parsed against the file's length, Content-Range values, and the
 * pieces of a multipart/byteranges body with its exact length, so that
 * webd sends Content-Length rather than chunked.
 *
 * Decisions (RFC 9110 14.2 leaves a server room; where it does we do what
 * nginx does, and say where we do not):
 * - A Range that is not "bytes=" range-set (the unit is case-insensitive,
 *   14.1) or whose syntax is invalid (a spec with last < first, junk, an
 *   empty set, whitespace inside a spec) is ignored: 200 and the whole
 *   file, as 14.2 recommends. nginx answers 416 to bad syntax; a client
 *   that sent nonsense is better served by the file.
 * - OWS around commas and empty list elements are accepted (5.6.1).
 * - A spec whose first byte is at or past the end, and a suffix of 0
 *   bytes, are unsatisfiable and dropped. When no spec is left: 416, with
 *   "Content-Range: bytes * /LEN" (webd_range_content_range with NULL; no
 *   space in the real value). A file of length 0 has no satisfiable
 *   range: 416 (nginx sends 200 there).
 * - Numbers are read with saturation, never overflow: a huge first-pos is
 *   past any end (unsatisfiable), a huge last-pos or suffix means "to the
 *   end" or "the whole file", as 14.1.2 says for values past the end.
 * - More specs than the cap (max_ranges, default 16, counting all specs,
 *   also the unsatisfiable ones): the Range is ignored, 200, like nginx's
 *   max_ranges. Ranges are kept in the client's order and not coalesced
 *   (15.3.7.2 makes both optional), but when the satisfiable ranges add
 *   up to more bytes than the file (overlaps, "0-,0-"), the Range is
 *   ignored and the file sent once, as nginx does: no request can make a
 *   response larger than the file plus part headers. 14.2 names these
 *   patterns as denial-of-service signs that a server MAY ignore.
 * - One satisfiable range gives a single-part 206 even if several specs
 *   were sent; two or more give multipart/byteranges.
 */
#ifndef WEBD_RANGE_H
#define WEBD_RANGE_H

#include <stddef.h>
#include <stdint.h>

#define WEBD_RANGE_MAX_DEFAULT	16

/* One satisfiable range: bytes start..end, both included, end < length. */
struct webd_range {
	uint64_t	start;
	uint64_t	end;
};

/* The outcome; the values are the status to answer. */
enum webd_range_status {
	WEBD_RANGE_IGNORE = 200,	/* send the whole representation */
	WEBD_RANGE_PARTIAL = 206,
	WEBD_RANGE_UNSATISFIABLE = 416,
};

/*
 * webd_range_parse: the Range field value v (len bytes, not NUL-
 * terminated; NULL means no field) against a representation of length
 * bytes. out has room for cap ranges, cap being the configured maximum
 * number of specs (0 disables ranges: always IGNORE). On PARTIAL, *n
 * ranges (1..cap) are in out, in request order, each within [0, length)
 * with start <= end; otherwise *n is 0. Never allocates; linear in len.
 */
enum webd_range_status webd_range_parse(const char *v, size_t len,
	    uint64_t length, struct webd_range *out, size_t cap, size_t *n);

/*
 * The text helpers below work like snprintf: they write at most size
 * bytes into buf, always NUL-terminated when size > 0, and return the
 * length of the whole text (without the NUL), so that a return >= size
 * means it was cut. buf may be NULL when size is 0, to measure.
 */

/* The longest Content-Range value: "bytes " 3 x 20 digits, "-", "/". */
#define WEBD_RANGE_CONTENT_RANGE_SIZE	72

/*
 * webd_range_content_range: the Content-Range value for r,
 * "bytes 0-499/1234"; with r NULL the one for a 416, "bytes * /1234"
 * (without the space).
 */
size_t	webd_range_content_range(char *buf, size_t size,
	    const struct webd_range *r, uint64_t length);

#define WEBD_RANGE_BOUNDARY_LEN		32
#define WEBD_RANGE_BOUNDARY_SIZE	(WEBD_RANGE_BOUNDARY_LEN + 1)

/*
 * webd_range_boundary: a fresh boundary for one multipart response: 32
 * lower-case hex digits (128 bits) from a per-thread PRNG seeded from
 * getrandom(2) on the thread's first call. It only has to be absent
 * from the file's bytes (RFC 2046 5.1.1), which 128 random bits make a
 * non-event; it is not a secret, so a fast PRNG is enough.
 */
void	webd_range_boundary(char buf[WEBD_RANGE_BOUNDARY_SIZE]);

/*
 * webd_range_multipart_type: the Content-Type of the response,
 * "multipart/byteranges; boundary=<boundary>".
 */
size_t	webd_range_multipart_type(char *buf, size_t size,
	    const char *boundary);

/*
 * webd_range_part_header: what precedes the bytes of range r in the body:
 *
 *	"\r\n--<boundary>\r\nContent-Type: <ctype>\r\n"
 *	"Content-Range: bytes <start>-<end>/<length>\r\n\r\n"
 *
 * The leading CRLF belongs to the delimiter (RFC 2046 5.1.1), so every
 * part, the first one too, starts the same way (before the first, it
 * ends an empty preamble), as nginx writes it. ctype NULL or "" leaves
 * out the Content-Type line.
 */
size_t	webd_range_part_header(char *buf, size_t size, const char *boundary,
	    const char *ctype, const struct webd_range *r, uint64_t length);

/* webd_range_part_close: the end of the body, "\r\n--<boundary>--\r\n". */
size_t	webd_range_part_close(char *buf, size_t size, const char *boundary);

/*
 * webd_range_multipart_length: the exact Content-Length of the body made
 * of, for each of the n ranges, its part header and its bytes, then the
 * close delimiter: what the functions above produce, with the same
 * boundary and ctype.
 */
uint64_t webd_range_multipart_length(const struct webd_range *r, size_t n,
	    uint64_t length, const char *boundary, const char *ctype);

#endif
