/*
 * fuzz_http1.c: libFuzzer harness for the HTTP/1.1 parser and serializer.
 *
 * Every input is read three ways, and any disagreement aborts:
 * - as a stream of pipelined requests (heads and bodies, until an error
 *   or the end), and as a stream of responses; every head that parses is
 *   written back with http1_write_head and parsed again, and must come
 *   back equal (same fields, flags, framing), and be canonical (written a
 *   second time, the same bytes);
 * - whole against in pieces: the first head (and its body) is parsed from
 *   the whole input and again fed in pieces, each call on a fresh heap
 *   copy of exactly the bytes it may read; the outcome, error status,
 *   head length and decoded body must be the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http1.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_MSGS	32

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

/* Two spans of two messages hold the same bytes. */
static int
fuzz_span_eq(const struct http1_msg *a, struct http1_span x,
    const struct http1_msg *b, struct http1_span y)
{
	return x.len == y.len && memcmp(http1_span_ptr(a, x),
	    http1_span_ptr(b, y), x.len) == 0;
}

/* Everything a caller reads from a head, compared. */
static void
fuzz_msg_eq(const struct http1_msg *a, const struct http1_msg *b)
{
	uint32_t i;

	CHECK(a->kind == b->kind && a->method == b->method);
	CHECK(a->form == b->form && a->body == b->body);
	CHECK(a->status == b->status);
	CHECK(a->version_minor == b->version_minor && a->flags == b->flags);
	CHECK(a->content_length == b->content_length);
	CHECK(a->host == b->host && a->nheaders == b->nheaders);
	CHECK(fuzz_span_eq(a, a->method_text, b, b->method_text));
	CHECK(fuzz_span_eq(a, a->target, b, b->target));
	CHECK(fuzz_span_eq(a, a->reason, b, b->reason));
	for (i = 0; i < a->nheaders; i++) {
		CHECK(fuzz_span_eq(a, a->headers[i].name, b,
		    b->headers[i].name));
		CHECK(fuzz_span_eq(a, a->headers[i].value, b,
		    b->headers[i].value));
	}
}

/* Writes msg, parses it back, compares; writes it again, compares. */
static void
fuzz_roundtrip(const struct http1_msg *msg, enum http1_method req)
{
	static struct http1_msg back;
	struct http1_limits lim;
	struct http1_parser p;
	struct http1_out out;
	size_t size = (size_t)msg->head_len * 2 + 64, first;
	char *buf = malloc(size), *again = malloc(size);

	CHECK(buf != NULL && again != NULL);
	http1_out_init_buffer(&out, buf, size);
	CHECK(http1_write_head(&out, msg) == 0);
	first = out.len;

	/* Canonical form can be a little longer: give it room. */
	http1_limits_default(&lim);
	lim.max_start_line = (uint32_t)size;
	lim.max_head = (uint32_t)size;
	lim.max_headers = HTTP1_HEADERS_CAP;
	lim.max_body = UINT64_MAX;
	http1_parser_init(&p, msg->kind, &lim);
	http1_parser_set_request_method(&p, req);
	CHECK(http1_parse_head(&p, &back, buf, first) == HTTP1_DONE);
	CHECK(back.head_len == first);
	fuzz_msg_eq(msg, &back);

	http1_out_init_buffer(&out, again, size);
	CHECK(http1_write_head(&out, &back) == 0);
	CHECK(out.len == first && memcmp(buf, again, first) == 0);
	free(buf);
	free(again);
}

/*
 * Decodes the body of msg from d[off..size), the bytes arriving step at a
 * time, each call on its own exact copy. The data goes to out (which has
 * room for size bytes); *end is where the body ended. When the input ends
 * first, the peer is taken to have closed.
 */
static enum http1_rc
fuzz_body(const struct http1_msg *msg, const uint8_t *d, size_t size,
    size_t off, size_t step, uint8_t *out, size_t *outlen, size_t *end,
    int *status)
{
	struct http1_body b;
	enum http1_rc rc;
	size_t avail = off, used, dlen;
	const char *data;
	char *piece;

	http1_body_init(&b, msg, NULL);
	*outlen = 0;
	for (;;) {
		piece = malloc(avail - off + 1);
		CHECK(piece != NULL);
		memcpy(piece, d + off, avail - off);
		rc = http1_body_decode(&b, piece, avail - off, &used, &data,
		    &dlen);
		CHECK(used <= avail - off && *outlen + dlen <= size);
		CHECK(dlen == 0 || (data >= piece && data + dlen <= piece +
		    used));
		memcpy(out + *outlen, data, dlen);
		free(piece);
		*outlen += dlen;
		off += used;
		if (rc != HTTP1_AGAIN)
			break;
		if (off == avail) {
			if (avail == size) {
				rc = http1_body_eof(&b);
				break;
			}
			avail = size - avail <= step ? size : avail + step;
		}
	}
	*end = off;
	*status = rc == HTTP1_ERROR ? b.err_status : 0;
	return rc;
}

/* Pipelined messages of one kind, each head round-tripped. */
static void
fuzz_stream(const uint8_t *data, size_t size, enum http1_kind kind,
    enum http1_method req)
{
	static struct http1_msg msg;
	struct http1_parser p;
	uint8_t *out = malloc(size + 1);
	size_t off = 0, outlen, end;
	int n, status;

	CHECK(out != NULL);
	http1_parser_init(&p, kind, NULL);
	for (n = 0; n < FUZZ_MAX_MSGS && off < size; n++) {
		http1_parser_reset(&p);
		http1_parser_set_request_method(&p, req);
		if (http1_parse_head(&p, &msg, (const char *)data + off,
		    size - off) != HTTP1_DONE)
			break;
		CHECK(msg.head_len > 0 && msg.head_len <= size - off);
		fuzz_roundtrip(&msg, req);
		if (fuzz_body(&msg, data, size, off + msg.head_len, SIZE_MAX,
		    out, &outlen, &end, &status) != HTTP1_DONE ||
		    (msg.flags & HTTP1_F_TUNNEL))
			break;
		CHECK(end > off);
		off = end;
	}
	free(out);
}

/* The outcome of the first head, the input fed step bytes at a time. */
static enum http1_rc
fuzz_head(const uint8_t *data, size_t size, size_t step, enum http1_kind kind,
    struct http1_msg *msg, int *status)
{
	struct http1_parser p;
	enum http1_rc rc = HTTP1_AGAIN;
	size_t avail = 0;
	char *copy = NULL;

	http1_parser_init(&p, kind, NULL);
	while (rc == HTTP1_AGAIN && avail < size) {
		avail = size - avail <= step ? size : avail + step;
		free(copy);
		CHECK((copy = malloc(avail)) != NULL);
		memcpy(copy, data, avail);
		rc = http1_parse_head(&p, msg, copy, avail);
	}
	free(copy);		/* msg's spans are not read after this */
	*status = p.err_status;
	return rc;
}

/* Whole and in pieces must agree, for the head and for the body. */
static void
fuzz_split(const uint8_t *data, size_t size, enum http1_kind kind)
{
	static struct http1_msg a, b;
	size_t step, la, lb, ea, eb;
	enum http1_rc ra, rb;
	uint8_t *oa, *ob;
	int sa, sb;

	if (size < 2)
		return;
	step = 1 + data[0] % 16;
	if (step < size / 64)
		step = size / 64;	/* at most ~64 calls */
	ra = fuzz_head(data, size, SIZE_MAX, kind, &a, &sa);
	rb = fuzz_head(data, size, step, kind, &b, &sb);
	CHECK(ra == rb);
	if (ra == HTTP1_ERROR)
		CHECK(sa == sb);
	if (ra != HTTP1_DONE)
		return;
	CHECK(a.head_len == b.head_len && a.nheaders == b.nheaders);
	CHECK(a.flags == b.flags && a.body == b.body);
	oa = malloc(size + 1);
	ob = malloc(size + 1);
	CHECK(oa != NULL && ob != NULL);
	ra = fuzz_body(&a, data, size, a.head_len, SIZE_MAX, oa, &la, &ea,
	    &sa);
	rb = fuzz_body(&a, data, size, a.head_len, step, ob, &lb, &eb, &sb);
	CHECK(ra == rb && sa == sb);
	/* (A read-until-close body over the limit fails before its slice.) */
	if (ra != HTTP1_ERROR)
		CHECK(la == lb && memcmp(oa, ob, la) == 0 && ea == eb);
	free(oa);
	free(ob);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_stream(data, size, HTTP1_REQUEST, HTTP1_METHOD_OTHER);
	fuzz_stream(data, size, HTTP1_RESPONSE, size > 0 && (data[size - 1] &
	    1) ? HTTP1_METHOD_HEAD : HTTP1_METHOD_OTHER);
	fuzz_split(data, size, HTTP1_REQUEST);
	fuzz_split(data, size, HTTP1_RESPONSE);
	return 0;
}
