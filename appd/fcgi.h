/*
 * fcgi.h: FastCGI 1.0 records (the specification of Open Market, 1996):
 * an incremental parser of records and of name-value pairs, and writers
 * into a growable buffer. appd's master speaks it to every worker (the
 * module workers too, so one client serves module and fastcgi apps), and
 * the module worker host speaks the server side.
 *
 * Every length comes from the peer and is checked: a record is at most
 * 8 + 65535 + 255 bytes, name-value pairs must fit their record stream,
 * the version must be 1.
 */
#ifndef APPD_FCGI_H
#define APPD_FCGI_H

#include <stddef.h>
#include <stdint.h>

#define FCGI_VERSION_1		1
#define FCGI_HEADER_LEN		8
#define FCGI_MAX_CONTENT	65535

enum fcgi_type {
	FCGI_BEGIN_REQUEST = 1,
	FCGI_ABORT_REQUEST = 2,
	FCGI_END_REQUEST = 3,
	FCGI_PARAMS = 4,
	FCGI_STDIN = 5,
	FCGI_STDOUT = 6,
	FCGI_STDERR = 7,
	FCGI_DATA = 8,
	FCGI_GET_VALUES = 9,
	FCGI_GET_VALUES_RESULT = 10,
	FCGI_UNKNOWN_TYPE = 11,
};

#define FCGI_RESPONDER		1
#define FCGI_KEEP_CONN		1
#define FCGI_REQUEST_COMPLETE	0

/* One record, pointing into the caller's buffer. */
struct fcgi_rec {
	uint8_t		 type;
	uint16_t	 id;
	const uint8_t	*data;
	uint16_t	 len;
};

/* A growable byte buffer (fatal on out of memory, as xmalloc). */
struct fcgi_buf {
	uint8_t		*p;
	size_t		 len, cap;
};

/*
 * fcgi_parse: one record from buf (len bytes). Returns 1 with *rec and
 * *used (header, content and padding) when a whole record is there, 0 when
 * more bytes are needed, -1 when the header is invalid (version not 1,
 * type 0): the stream cannot be trusted any more.
 */
int	fcgi_parse(const uint8_t *buf, size_t len, struct fcgi_rec *rec,
	    size_t *used);

/*
 * fcgi_nv_next: the name-value pair at *off in p (len bytes: a whole
 * PARAMS stream). Returns 1 with name, value and their lengths, *off moved
 * past it; 0 at the end; -1 when a length runs past the end or is over
 * 2^31 - 1 (malformed).
 */
int	fcgi_nv_next(const uint8_t *p, size_t len, size_t *off,
	    const uint8_t **name, uint32_t *nlen, const uint8_t **val,
	    uint32_t *vlen);

void	fcgi_buf_reserve(struct fcgi_buf *, size_t more);
void	fcgi_buf_add(struct fcgi_buf *, const void *, size_t);
void	fcgi_buf_free(struct fcgi_buf *);
/* fcgi_put_header: a record header for content of clen bytes. */
void	fcgi_put_header(struct fcgi_buf *, uint8_t type, uint16_t id,
	    uint16_t clen);
/* fcgi_put_begin: BEGIN_REQUEST with role and flags (FCGI_KEEP_CONN). */
void	fcgi_put_begin(struct fcgi_buf *, uint16_t id, uint16_t role,
	    uint8_t flags);
/* fcgi_put_end: END_REQUEST with appStatus and protocolStatus. */
void	fcgi_put_end(struct fcgi_buf *, uint16_t id, uint32_t app_status,
	    uint8_t proto_status);
/*
 * fcgi_put_stream: len bytes of a stream (PARAMS, STDIN, STDOUT, STDERR)
 * as records of at most 65535 bytes; len 0 writes the empty record that
 * ends the stream.
 */
void	fcgi_put_stream(struct fcgi_buf *, uint8_t type, uint16_t id,
	    const void *data, size_t len);
/* fcgi_put_nv: one name-value pair (the body of a PARAMS stream). */
void	fcgi_put_nv(struct fcgi_buf *, const char *name, size_t nlen,
	    const char *val, size_t vlen);

#endif
