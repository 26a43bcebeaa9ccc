/*
 * http1-t.h: the types of the HTTP/1.1 parser and serializer (http1.h has
 * the functions and the decisions). Types only, so that other modules can
 * embed a parser or a message without pulling in prototypes.
 */
#ifndef TRIAD_HTTP1_T_H
#define TRIAD_HTTP1_T_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;

/*
 * The most header fields one message can hold. A message embeds its header
 * table (16 bytes a field), so that parsing never allocates; the limit a
 * parser enforces (http1_limits.max_headers) is at most this.
 */
#define HTTP1_HEADERS_CAP	128

/* Default limits (see http1_limits). */
#define HTTP1_DEFAULT_MAX_START_LINE	8192
#define HTTP1_DEFAULT_MAX_HEAD		32768
#define HTTP1_DEFAULT_MAX_HEADERS	100
#define HTTP1_DEFAULT_MAX_CHUNK_EXT	256
#define HTTP1_DEFAULT_MAX_TRAILER	8192
#define HTTP1_DEFAULT_MAX_BODY		(1024 * 1024)

enum http1_kind {
	HTTP1_REQUEST,
	HTTP1_RESPONSE,
};

/* What a parse or decode call returns. */
enum http1_rc {
	HTTP1_ERROR = -1,	/* see err_status and err_reason */
	HTTP1_AGAIN = 0,	/* give me more bytes */
	HTTP1_DONE = 1,		/* the head (or body) is complete */
};

/* Methods are tokens: any token is valid, these few have a name. */
enum http1_method {
	HTTP1_METHOD_OTHER = 0,	/* see http1_msg.method_text */
	HTTP1_METHOD_GET,
	HTTP1_METHOD_HEAD,
	HTTP1_METHOD_POST,
	HTTP1_METHOD_PUT,
	HTTP1_METHOD_DELETE,
	HTTP1_METHOD_OPTIONS,
	HTTP1_METHOD_PATCH,
	HTTP1_METHOD_CONNECT,
	HTTP1_METHOD_TRACE,
};

/* The four forms of request-target (RFC 9112 section 3.2). */
enum http1_target_form {
	HTTP1_TARGET_NONE = 0,	/* responses */
	HTTP1_TARGET_ORIGIN,	/* "/path?query" */
	HTTP1_TARGET_ABSOLUTE,	/* "http://host/path" */
	HTTP1_TARGET_AUTHORITY,	/* "host:port", CONNECT only */
	HTTP1_TARGET_ASTERISK,	/* "*", OPTIONS only */
};

/* How the message body is delimited (RFC 9112 section 6.3). */
enum http1_body_kind {
	HTTP1_BODY_NONE = 0,	/* no body (or Content-Length: 0) */
	HTTP1_BODY_LENGTH,	/* content_length bytes */
	HTTP1_BODY_CHUNKED,	/* chunked transfer coding */
	HTTP1_BODY_EOF,		/* responses only: until the peer closes */
};

/* http1_msg.flags */
#define HTTP1_F_KEEP_ALIVE	0x0001	/* another message may follow */
#define HTTP1_F_CONN_CLOSE	0x0002	/* Connection has "close" */
#define HTTP1_F_CONN_KEEPALIVE	0x0004	/* Connection has "keep-alive" */
#define HTTP1_F_CONN_UPGRADE	0x0008	/* Connection has "upgrade" */
#define HTTP1_F_UPGRADE_HDR	0x0010	/* an Upgrade field is present */
#define HTTP1_F_UPGRADE		0x0020	/* a valid upgrade request, or 101 */
#define HTTP1_F_EXPECT_CONTINUE	0x0040	/* HTTP/1.1 request, 100-continue */
#define HTTP1_F_EXPECT_OTHER	0x0080	/* another expectation (-> 417) */
#define HTTP1_F_HAS_CL		0x0100	/* Content-Length present */
#define HTTP1_F_HAS_TE		0x0200	/* Transfer-Encoding present */
#define HTTP1_F_TUNNEL		0x0400	/* 101, or 2xx to CONNECT */

/* A piece of the caller's buffer: base + off, len bytes. */
struct http1_span {
	uint32_t	off;
	uint32_t	len;
};

/* One field line: the value has no leading or trailing whitespace. */
struct http1_header {
	struct http1_span	name;
	struct http1_span	value;
};

/*
 * Limits, per parser. Everything a peer controls is bounded. Zero in a
 * field means "the default" in http1_parser_init.
 */
struct http1_limits {
	uint32_t	max_start_line;	/* request/status line, no CRLF (414) */
	uint32_t	max_head;	/* the whole head with CRLFs (431) */
	uint32_t	max_headers;	/* field lines (431), <= HEADERS_CAP */
	uint32_t	max_chunk_ext;	/* chunk-ext bytes per chunk (400) */
	uint32_t	max_trailer;	/* trailer section bytes (431) */
	uint64_t	max_body;	/* decoded body bytes (413) */
};

/*
 * A parsed head. Every span points into the caller's buffer, whose start
 * is base: nothing is copied. The caller may move its buffer and set base
 * again (the spans are offsets). head_len bytes of the buffer are the
 * head; the body (or the next message) starts right after.
 */
struct http1_msg {
	const char		*base;
	enum http1_kind		 kind;
	enum http1_method	 method;	/* requests */
	enum http1_target_form	 form;		/* requests */
	enum http1_body_kind	 body;
	struct http1_span	 method_text;	/* requests */
	struct http1_span	 target;	/* requests */
	struct http1_span	 reason;	/* responses */
	uint16_t		 status;	/* responses: 100..599 */
	uint8_t			 version_minor;	/* 0 or 1 */
	uint32_t		 flags;		/* HTTP1_F_* */
	uint32_t		 head_len;
	uint64_t		 content_length; /* when HTTP1_F_HAS_CL */
	int			 host;		/* header index, or -1 */
	uint32_t		 nheaders;
	struct http1_header	 headers[HTTP1_HEADERS_CAP];
};

/*
 * The head parser of one connection direction. Small (no buffer, no
 * headers): the message it fills is the caller's.
 */
struct http1_parser {
	struct http1_limits	 lim;
	enum http1_kind		 kind;
	enum http1_method	 req_method;	/* responses: what was asked */
	int			 state;
	uint32_t		 pos;		/* first byte not yet parsed */
	uint32_t		 scan;		/* where the LF search resumes */
	uint32_t		 nhost;		/* Host fields seen */
	int			 err_status;	/* 400, 413, 414, 431, 501, 505 */
	const char		*err_reason;	/* static text for logs */
	uint32_t		 err_off;	/* offset of the faulty line */
};

/* The incremental body decoder. */
struct http1_body {
	enum http1_body_kind	 kind;
	int			 state;
	uint64_t		 remaining;	/* of the length, or of the chunk */
	uint64_t		 chunk_size;	/* the size line being read */
	uint64_t		 total;		/* body bytes handed out */
	uint64_t		 max_body;
	uint32_t		 max_chunk_ext;
	uint32_t		 max_trailer;
	uint32_t		 count;		/* digits or ext bytes of the line */
	uint32_t		 trailer_len;
	int			 err_status;	/* 400, 413, 431 */
	const char		*err_reason;
};

/*
 * Where the serializer writes: a caller buffer or a libevent evbuffer.
 * Once a write fails (no room, invalid field, no memory) every later
 * write fails too, so a caller may check only at the end.
 */
struct http1_out {
	struct evbuffer	*evb;
	char		*buf;
	size_t		 size;
	size_t		 len;
	int		 failed;
};

/* A field to write (trailers of the last chunk). */
struct http1_field {
	const char	*name;
	size_t		 name_len;
	const char	*value;
	size_t		 value_len;
};

/* Walks the comma-separated elements of a field value. */
struct http1_tokens {
	const char	*p;
	const char	*end;
};

#endif
