/*
 * http1.h: a strict, incremental, zero-copy HTTP/1.1 parser and serializer,
 * shared by lbd, webd and appd (RFC 9110 semantics, RFC 9112 syntax).
 *
 * Use, on one connection:
 *
 *	http1_parser_init(&p, HTTP1_REQUEST, &limits);
 *	rc = http1_parse_head(&p, &msg, buf, len);	// again as bytes arrive
 *	// DONE: msg.head_len bytes are the head; answer p.err_status on ERROR
 *	http1_body_init(&b, &msg, &limits);
 *	rc = http1_body_decode(&b, buf + msg.head_len, n, &used, &data, &dlen);
 *	// the next pipelined request starts after the body: http1_parser_reset
 *
 * Nothing is allocated and nothing is copied: the message holds offsets
 * into the caller's buffer, and the body decoder hands out slices of it.
 * The head must be contiguous: with an evbuffer, evbuffer_pullup() the
 * bytes first. Sizes: a parser is 80 bytes and a body decoder 72 (keep
 * them per connection); a message is about 2 KB (its header table), so
 * keep one per request in flight, not per idle connection.
 * The head is parsed line by line in one pass; a call with more bytes
 * resumes at the first incomplete line (the search for its LF resumes
 * where it stopped, so a peer sending one byte at a time costs O(n)).
 *
 * Decisions (what is rejected, and why). Everything here is on the path
 * of a proxy (lbd) whose next hop may read a message differently, so
 * whatever two parsers could disagree on is refused rather than guessed:
 *
 * Line syntax (RFC 9112 2.2)
 * - Lines end in CRLF. A bare LF is rejected (400), although 2.2 lets a
 *   recipient accept it: a proxy that accepts it while its next hop does
 *   not is a smuggling vector. There is no lenient mode.
 * - A CR not followed by LF, a NUL, or any other CTL (but HTAB in field
 *   values) anywhere in the head: 400 (RFC 9110 5.5, RFC 9112 2.2).
 * - Empty lines (CRLF) before a request line are skipped (2.2 SHOULD),
 *   and counted against max_head. Before a status line they are errors.
 *
 * Start line (RFC 9112 3, 4)
 * - Exactly one SP between the parts. The method is a token, compared
 *   case-sensitively (RFC 9110 9.1): "get" is HTTP1_METHOD_OTHER. An
 *   unknown method is not an error.
 * - The version must read "HTTP/" DIGIT "." DIGIT (2.3, case-sensitive),
 *   else 400. Major version 1 only: "HTTP/2.0" (and the "PRI * HTTP/2.0"
 *   preface) and "HTTP/0.9"-numbered lines get 505. HTTP/1.2 to HTTP/1.9
 *   are read as HTTP/1.1 (RFC 9110 2.5 SHOULD); version_minor says 1.
 * - A request line without a version (HTTP/0.9's "GET /") is 400: it is
 *   not HTTP/1 syntax, and a 505 would not be understood either.
 * - request-target (3.2): VCHARs only (no "#", no bytes >= 0x80). Origin-
 *   form starts with "/"; absolute-form is scheme "://" ...; authority-
 *   form (host:port, port required) only and always with CONNECT;
 *   asterisk-form only with OPTIONS. Anything else: 400. Percent-escapes
 *   are not decoded or checked here (webd's path normaliser does that).
 * - A request line longer than max_start_line: 414. A long status line:
 *   400 (a proxy answers 502 for any response error anyway).
 * - Status code: three digits, 100..599 (RFC 9110 15); reason phrase may
 *   be empty, and the SP before it may be missing.
 *
 * Fields (RFC 9112 5, RFC 9110 5)
 * - Name: a token; empty, or followed by whitespace before ":": 400 (5.1
 *   MUST). Value: VCHAR, obs-text, SP, HTAB; leading and trailing
 *   whitespace removed. obs-fold (a line starting with SP or HTAB, also
 *   right after the start line) is rejected, 400 (5.2).
 * - More than max_headers fields, or a head over max_head bytes: 431.
 * - Host (RFC 9112 3.2): required in HTTP/1.1 requests, at most one in
 *   any request, and its value may hold only host and port characters
 *   (an empty value is allowed); else 400.
 *
 * Framing (RFC 9112 6, the smuggling rules)
 * - Content-Length is 1*DIGIT below 2^63: a sign, spaces inside, hex, an
 *   empty value, or overflow: 400. Several Content-Length fields, or a
 *   list ("5, 5"), are merged when every value is the same (RFC 9110 8.6
 *   allows it); different values, or an empty list element: 400. A proxy
 *   should forward content_length, not the raw field.
 * - Transfer-Encoding: the only coding implemented is "chunked" (case-
 *   insensitive), which must be the one and only coding. Any other coding
 *   ("gzip", "identity", "chunked, gzip", parameters): 501 (RFC 9112 6.1).
 *   "chunked" twice ("chunked, chunked", or two fields): 400 (7 MUST NOT).
 *   An empty value or empty list element: 400.
 * - Content-Length and Transfer-Encoding together: 400, for requests and
 *   responses alike (6.1 lets a recipient drop CL; we do not guess).
 * - Transfer-Encoding in an HTTP/1.0 message: 400 (6.1 "faulty framing").
 * - A request with neither has no body. A response with neither is read
 *   until the connection closes (HTTP1_BODY_EOF), and is not keep-alive.
 * - Responses to HEAD, 1xx, 204 and 304 have no body, whatever their
 *   Content-Length says (its syntax is still checked). 101, and 2xx to
 *   CONNECT, set HTTP1_F_TUNNEL: what follows the head is not HTTP.
 * - Content-Length above max_body: 413 at the head (before any 100
 *   Continue). Chunked data above it: 413 from the body decoder.
 *
 * Chunked bodies (RFC 9112 7.1)
 * - chunk-size: 1 to 16 hex digits (so no overflow), then optional
 *   BWS ";" extension, then CRLF. Whitespace not followed by ";", bad
 *   hex, more than 16 digits, a bare LF or CR: 400. Extensions are
 *   bounded (max_chunk_ext bytes, 400) and otherwise ignored.
 * - The CRLF after chunk data is required: 400 without it.
 * - Trailer fields are checked like header fields (token name, no
 *   whitespace before ":", no obs-fold, no CTLs), bounded (max_trailer
 *   bytes, 431), and not exposed: they are part of the consumed bytes a
 *   proxy forwards, and none of them may change the framing.
 *
 * Connection (RFC 9112 9.3, RFC 9110 7.6.1, 7.8, 10.1.1)
 * - Tokens are read from comma lists, case-insensitively, over all
 *   Connection fields. HTTP/1.1 is keep-alive unless "close"; HTTP/1.0 is
 *   close unless "keep-alive". "close" always wins. HTTP1_F_KEEP_ALIVE
 *   holds the verdict.
 * - HTTP1_F_UPGRADE for a request: HTTP/1.1, an Upgrade field, and the
 *   "upgrade" connection option (the server then may answer 101).
 * - Expect: "100-continue" (case-insensitive) sets HTTP1_F_EXPECT_CONTINUE
 *   in HTTP/1.1 requests (ignored in HTTP/1.0, 10.1.1 MUST); any other
 *   expectation sets HTTP1_F_EXPECT_OTHER (the server may answer 417).
 *
 * Errors carry an HTTP status and a short static reason for logs. For a
 * request the status is the answer to send (with Connection: close). For a
 * response, a proxy sends 502 whatever the status says.
 */
#ifndef TRIAD_HTTP1_H
#define TRIAD_HTTP1_H

#include "http1-t.h"

/* Fills lim with the defaults (HTTP1_DEFAULT_*). */
void	http1_limits_default(struct http1_limits *lim);

/*
 * http1_parser_init: prepares p to read heads of the given kind. lim may
 * be NULL (defaults); it is copied, with zero fields set to the default
 * and max_headers capped at HTTP1_HEADERS_CAP.
 */
void	http1_parser_init(struct http1_parser *p, enum http1_kind kind,
	    const struct http1_limits *lim);
/*
 * http1_parser_reset: prepares p for the next message on the connection
 * (kind and limits kept). For responses, the request method must be set
 * again afterwards.
 */
void	http1_parser_reset(struct http1_parser *p);
/*
 * http1_parser_set_request_method: for a response parser, the method of
 * the request this response answers (HEAD responses have no body, 2xx to
 * CONNECT open a tunnel). The default is HTTP1_METHOD_OTHER (no effect).
 */
void	http1_parser_set_request_method(struct http1_parser *p,
	    enum http1_method m);
/*
 * http1_parse_head: parses the head at the start of buf (len bytes).
 * The first call after init or reset starts a new message in msg; until
 * it returns DONE or ERROR, call again with the same msg and a buffer
 * that starts with the same bytes and may be longer (it may have moved).
 * Returns:
 *   HTTP1_DONE: msg is complete; msg->head_len bytes are the head, and
 *     the body or next message starts at buf + msg->head_len. msg->base is
 *     buf. Further calls return DONE until reset.
 *   HTTP1_AGAIN: the head is not complete and no limit is exceeded yet.
 *   HTTP1_ERROR: p->err_status, p->err_reason (static), p->err_off tell
 *     why; the connection cannot be reused. Further calls return ERROR.
 * Never allocates; len above 4 GB is treated as 4 GB.
 */
enum http1_rc http1_parse_head(struct http1_parser *p, struct http1_msg *msg,
	    const char *buf, size_t len);

/*
 * Field helpers (http1_field.c).
 *
 * http1_method_name: the text of a known method ("GET"), or NULL for OTHER.
 */
const char	*http1_method_name(enum http1_method m);
/* The method for a token (case-sensitive), OTHER when unknown. */
enum http1_method http1_method_lookup(const char *s, size_t len);
/*
 * http1_header_find: the index of the first field at or after index from
 * whose name is name (namelen bytes, case-insensitive), or -1.
 */
int	 http1_header_find(const struct http1_msg *msg, const char *name,
	    size_t namelen, uint32_t from);
/*
 * http1_header_get: the value of the first field called name (a C string,
 * case-insensitive) and its length in *len, or NULL. The value points into
 * the caller's buffer and is not NUL-terminated.
 */
const char	*http1_header_get(const struct http1_msg *msg, const char *name,
	    size_t *len);
/* The bytes of a span of msg (not NUL-terminated). */
static inline const char *
http1_span_ptr(const struct http1_msg *msg, struct http1_span s)
{
	return msg->base + s.off;
}

/*
 * http1_tokens_init / http1_tokens_next: walk the elements of a comma-
 * separated field value (RFC 9110 5.6.1). Each call stores the next
 * element, without surrounding whitespace, in *tok and *len and returns 1;
 * returns 0 at the end. Empty elements are returned (len 0) so that a
 * strict caller can refuse them; others skip them. Commas inside quoted
 * strings do not split (ETag lists, parameters).
 */
void	 http1_tokens_init(struct http1_tokens *it, const char *value,
	    size_t len);
int	 http1_tokens_next(struct http1_tokens *it, const char **tok,
	    size_t *len);
/* 1 when the len bytes at s equal the C string lit, ignoring ASCII case. */
int	 http1_token_eq(const char *s, size_t len, const char *lit);
/* 1 when s (len bytes) is a non-empty token (RFC 9110 5.6.2). */
int	 http1_token_valid(const char *s, size_t len);

/*
 * Body decoder (http1_body.c).
 *
 * http1_body_init: prepares b for the body of msg (a complete head).
 * lim may be NULL (defaults); max_body, max_chunk_ext and max_trailer are
 * taken from it. A body of kind NONE is complete at once.
 */
void	http1_body_init(struct http1_body *b, const struct http1_msg *msg,
	    const struct http1_limits *lim);
/*
 * http1_body_decode: reads framing and at most one slice of body data
 * from buf (len bytes, the bytes that follow what earlier calls
 * consumed). On return, *consumed bytes of buf are used (framing and
 * data), and *data, *data_len is the body data found (within those
 * bytes; *data_len may be 0). Returns:
 *   HTTP1_DONE: the body is complete, trailers included; the next message
 *     starts at buf + *consumed.
 *   HTTP1_AGAIN: more to come. If *consumed < len, call again at once
 *     with the rest (the call stopped after a data slice); else wait for
 *     more bytes.
 *   HTTP1_ERROR: b->err_status and b->err_reason say why.
 * A forwarding proxy can ignore the data slices and forward the consumed
 * bytes as they are.
 */
enum http1_rc http1_body_decode(struct http1_body *b, const char *buf,
	    size_t len, size_t *consumed, const char **data, size_t *data_len);
/*
 * http1_body_eof: the peer closed the connection. Returns DONE when that
 * ends the body (HTTP1_BODY_EOF, or a body already complete); else ERROR
 * (400, "connection closed inside the body").
 */
enum http1_rc http1_body_eof(struct http1_body *b);
/* 1 when the body is complete. */
int	 http1_body_done(const struct http1_body *b);

/*
 * Serializer (http1_write.c). Each function appends to out and returns 0,
 * or -1 when out has failed (no room in the buffer, evbuffer out of
 * memory) or when an argument would make an invalid message: a name or
 * method that is not a token, a value, target or reason with CR, LF, NUL
 * or another CTL. That refusal is what stops header injection (response
 * splitting) by application code. After a failure out stays failed.
 */
void	http1_out_init_buffer(struct http1_out *out, char *buf, size_t size);
void	http1_out_init_evbuffer(struct http1_out *out, struct evbuffer *evb);
/* Appends n raw bytes (no checks). */
int	http1_out_add(struct http1_out *out, const void *p, size_t n);
/* The standard reason phrase of status (RFC 9110 15), or NULL. */
const char *http1_reason_phrase(int status);
/*
 * "HTTP/1.<minor> <status> <reason>\r\n". status is 100..599 (else -1).
 * reason NULL means the standard phrase (empty when unknown); otherwise
 * reason_len bytes of reason are used, which may be 0.
 */
int	http1_write_status_line(struct http1_out *out, int minor, int status,
	    const char *reason, size_t reason_len);
/* "<method> <target> HTTP/1.<minor>\r\n". */
int	http1_write_request_line(struct http1_out *out, const char *method,
	    size_t method_len, const char *target, size_t target_len,
	    int minor);
/* "<name>: <value>\r\n". */
int	http1_write_header(struct http1_out *out, const char *name,
	    size_t name_len, const char *value, size_t value_len);
/*
 * http1_write_field: field i of m, a message the parser filled, whose
 * name and value it checked already (a proxy copying fields need not
 * check them again).
 */
int	http1_write_field(struct http1_out *out, const struct http1_msg *m,
	    uint32_t i);
/* "<name>: <decimal>\r\n" (Content-Length). */
int	http1_write_header_u64(struct http1_out *out, const char *name,
	    size_t name_len, uint64_t value);
/* The CRLF that ends a head. */
int	http1_write_end_head(struct http1_out *out);
/*
 * http1_write_head: msg's start line, every field of msg, and the final
 * CRLF, in canonical form (one SP, "Name: value"). A proxy that edits
 * fields writes the lines itself with the functions above.
 */
int	http1_write_head(struct http1_out *out, const struct http1_msg *msg);
/* "<hex size>\r\n" before chunk data; size 0 is refused (use last). */
int	http1_write_chunk_header(struct http1_out *out, uint64_t size);
/* The CRLF after chunk data. */
int	http1_write_chunk_end(struct http1_out *out);
/* "0\r\n", the n trailer fields (may be 0), "\r\n". */
int	http1_write_last_chunk(struct http1_out *out,
	    const struct http1_field *trailers, size_t n);
/*
 * http1_write_error: a complete canned response for status (an HTTP/1.1
 * status line, Content-Type: text/html, Content-Length, Connection: close,
 * and a small body naming the status, left out when head_only is set,
 * for HEAD requests). The caller closes after sending it.
 */
int	http1_write_error(struct http1_out *out, int status, int head_only);

#endif
