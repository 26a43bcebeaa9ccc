/*
 * proto.h: the MySQL/MariaDB client/server protocol as pure functions over
 * byte buffers: frames (4-byte headers, 16 MB split packets), length-
 * encoded integers and strings, OK/ERR/EOF, HandshakeV10 and
 * HandshakeResponse41 both ways (dbproxyd is the server to its clients and
 * the client of its servers). Nothing here does I/O, so the codec is unit
 * tested and fuzzed alone.
 */
#ifndef DBPROXYD_PROTO_H
#define DBPROXYD_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define DBP_FRAME_MAX		0xffffffu	/* a frame's payload at most */
#define DBP_HDR			4

/* Capability flags (the lower 32 bits). */
#define DBP_CLIENT_LONG_PASSWORD	0x00000001u	/* MariaDB: CLIENT_MYSQL */
#define DBP_CLIENT_FOUND_ROWS		0x00000002u
#define DBP_CLIENT_LONG_FLAG		0x00000004u
#define DBP_CLIENT_CONNECT_WITH_DB	0x00000008u
#define DBP_CLIENT_NO_SCHEMA		0x00000010u
#define DBP_CLIENT_COMPRESS		0x00000020u
#define DBP_CLIENT_ODBC			0x00000040u
#define DBP_CLIENT_LOCAL_FILES		0x00000080u
#define DBP_CLIENT_IGNORE_SPACE		0x00000100u
#define DBP_CLIENT_PROTOCOL_41		0x00000200u
#define DBP_CLIENT_INTERACTIVE		0x00000400u
#define DBP_CLIENT_SSL			0x00000800u
#define DBP_CLIENT_IGNORE_SIGPIPE	0x00001000u
#define DBP_CLIENT_TRANSACTIONS		0x00002000u
#define DBP_CLIENT_RESERVED		0x00004000u
#define DBP_CLIENT_SECURE_CONNECTION	0x00008000u
#define DBP_CLIENT_MULTI_STATEMENTS	0x00010000u
#define DBP_CLIENT_MULTI_RESULTS	0x00020000u
#define DBP_CLIENT_PS_MULTI_RESULTS	0x00040000u
#define DBP_CLIENT_PLUGIN_AUTH		0x00080000u
#define DBP_CLIENT_CONNECT_ATTRS	0x00100000u
#define DBP_CLIENT_PLUGIN_AUTH_LENENC	0x00200000u
#define DBP_CLIENT_EXPIRED_PASSWORDS	0x00400000u
#define DBP_CLIENT_SESSION_TRACK	0x00800000u
#define DBP_CLIENT_DEPRECATE_EOF	0x01000000u

/*
 * What dbproxyd offers its clients. No compression, no LOCAL INFILE, no
 * session tracking and no MariaDB extended capabilities (CLIENT_MYSQL is
 * set): results pass through unchanged only when the server connection
 * speaks exactly the client's dialect, and these keep the dialects few.
 */
#define DBP_SERVER_CAPS	(DBP_CLIENT_LONG_PASSWORD | DBP_CLIENT_FOUND_ROWS | \
	DBP_CLIENT_LONG_FLAG | DBP_CLIENT_CONNECT_WITH_DB | \
	DBP_CLIENT_NO_SCHEMA | DBP_CLIENT_ODBC | DBP_CLIENT_IGNORE_SPACE | \
	DBP_CLIENT_PROTOCOL_41 | DBP_CLIENT_INTERACTIVE | \
	DBP_CLIENT_IGNORE_SIGPIPE | DBP_CLIENT_TRANSACTIONS | \
	DBP_CLIENT_SECURE_CONNECTION | DBP_CLIENT_MULTI_STATEMENTS | \
	DBP_CLIENT_MULTI_RESULTS | DBP_CLIENT_PS_MULTI_RESULTS | \
	DBP_CLIENT_PLUGIN_AUTH | DBP_CLIENT_CONNECT_ATTRS | \
	DBP_CLIENT_PLUGIN_AUTH_LENENC | DBP_CLIENT_DEPRECATE_EOF)

/* The capabilities that change what a server sends: a pooled connection
   serves a session only when these match the session's. */
#define DBP_DIALECT_CAPS (DBP_CLIENT_FOUND_ROWS | DBP_CLIENT_MULTI_STATEMENTS | \
	DBP_CLIENT_MULTI_RESULTS | DBP_CLIENT_PS_MULTI_RESULTS | \
	DBP_CLIENT_DEPRECATE_EOF | DBP_CLIENT_IGNORE_SPACE | \
	DBP_CLIENT_LONG_FLAG | DBP_CLIENT_NO_SCHEMA | DBP_CLIENT_ODBC | \
	DBP_CLIENT_INTERACTIVE)

/* Server status flags. */
#define DBP_STATUS_IN_TRANS		0x0001
#define DBP_STATUS_AUTOCOMMIT		0x0002
#define DBP_STATUS_MORE_RESULTS		0x0008
#define DBP_STATUS_CURSOR_EXISTS	0x0040
#define DBP_STATUS_IN_TRANS_READONLY	0x2000

/* Commands. */
#define DBP_COM_QUIT			0x01
#define DBP_COM_INIT_DB			0x02
#define DBP_COM_QUERY			0x03
#define DBP_COM_FIELD_LIST		0x04
#define DBP_COM_STATISTICS		0x09
#define DBP_COM_PING			0x0e
#define DBP_COM_CHANGE_USER		0x11
#define DBP_COM_STMT_PREPARE		0x16
#define DBP_COM_STMT_EXECUTE		0x17
#define DBP_COM_STMT_SEND_LONG_DATA	0x18
#define DBP_COM_STMT_CLOSE		0x19
#define DBP_COM_STMT_RESET		0x1a
#define DBP_COM_SET_OPTION		0x1b
#define DBP_COM_STMT_FETCH		0x1c
#define DBP_COM_RESET_CONNECTION	0x1f

/* Error codes dbproxyd sends itself. */
#define DBP_ER_ACCESS_DENIED		1045	/* 28000 */
#define DBP_ER_UNKNOWN_COM		1047	/* 08S01 */
#define DBP_ER_HANDSHAKE		1043	/* 08S01 bad handshake */
#define DBP_ER_NET_TOO_LARGE		1153	/* 08S01 */
#define DBP_ER_NET_READ			1158	/* 08S01 */
#define DBP_ER_READ_ONLY		1290	/* HY000: no primary */
#define DBP_ER_NOT_SUPPORTED		1235	/* 42000 */
#define DBP_ER_UNKNOWN_STMT		1243	/* HY000 */
#define DBP_ER_CON_COUNT		1040	/* 08004 */
#define DBP_ER_CONN_KILLED		1927	/* 70100: server lost */
/* Cannot reach a server, or no connection within pool_wait_timeout.
   ProxySQL's code for the same. Not 2003 (CR_CONN_HOST_ERROR): codes
   2000-2999 are the client library's own, and Connector/C reports a
   server that sends one as a malformed packet (ERROR 2027). */
#define DBP_ER_NO_SERVER		9001	/* HY000 */

#define DBP_SCRAMBLE_LEN	20
#define DBP_NATIVE_PLUGIN	"mysql_native_password"

/* A bounded reader: any read past the end sets err and yields zeros. */
struct dbp_rd {
	const uint8_t	*p;
	size_t		 len, off;
	int		 err;
};

/* A growing byte buffer (xmalloc: allocation failure is fatal). */
struct dbp_wr {
	uint8_t		*p;
	size_t		 len, cap;
};

/* A greeting (HandshakeV10), either side. */
struct dbp_greeting {
	char		 version[64];
	uint32_t	 conn_id;
	uint8_t		 scramble[DBP_SCRAMBLE_LEN];
	uint32_t	 caps;
	uint8_t		 charset;
	uint16_t	 status;
	char		 plugin[64];
};

/* A login (HandshakeResponse41), either side. Pointers into the packet. */
struct dbp_login {
	uint32_t	 caps;
	uint32_t	 max_packet;
	uint8_t		 charset;
	const char	*user;		/* NUL-terminated in the packet */
	size_t		 user_len;
	const uint8_t	*auth;
	size_t		 auth_len;
	const char	*db;		/* NULL: none */
	size_t		 db_len;
	const char	*plugin;	/* NULL: none */
	size_t		 plugin_len;
	int		 ssl_request;	/* only caps, max_packet, charset */
};

/* A little-endian 32-bit value at p (statement ids in packets). */
static inline uint32_t
dbp_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static inline void
dbp_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Reader. */
void		 dbp_rd_init(struct dbp_rd *, const void *p, size_t len);
uint64_t	 dbp_rd_int(struct dbp_rd *, size_t nbytes);
uint64_t	 dbp_rd_lenenc(struct dbp_rd *);
const uint8_t	*dbp_rd_bytes(struct dbp_rd *, size_t n);
const uint8_t	*dbp_rd_lenenc_str(struct dbp_rd *, size_t *len);
const char	*dbp_rd_nulstr(struct dbp_rd *, size_t *len);
size_t		 dbp_rd_left(const struct dbp_rd *);

/* Writer. */
void	dbp_wr_reset(struct dbp_wr *);
void	dbp_wr_free(struct dbp_wr *);
void	dbp_wr_bytes(struct dbp_wr *, const void *, size_t);
void	dbp_wr_int(struct dbp_wr *, uint64_t v, size_t nbytes);
void	dbp_wr_lenenc(struct dbp_wr *, uint64_t v);
void	dbp_wr_lenenc_str(struct dbp_wr *, const void *, size_t);
void	dbp_wr_nulstr(struct dbp_wr *, const char *);

/*
 * dbp_frame: payload as one logical packet into out: frames of at most
 * DBP_FRAME_MAX bytes, and an empty frame after a full last one (so the
 * peer knows the packet ended). *seq is used and advanced per frame.
 */
void	dbp_frame(struct dbp_wr *out, uint8_t *seq, const void *payload,
	    size_t len);
/*
 * dbp_frames: the same framing for any sink: put(arg, bytes, n) is
 * called with each frame's header, then its part of payload.
 */
void	dbp_frames(uint8_t *seq, const void *payload, size_t len,
	    void (*put)(void *arg, const void *, size_t), void *arg);
/* dbp_hdr_put: the header of a frame of n (<= DBP_FRAME_MAX) bytes. */
void	dbp_hdr_put(uint8_t hdr[DBP_HDR], size_t n, uint8_t seq);
/* dbp_frame_hdr: a frame header's payload length and sequence id. */
uint32_t dbp_frame_hdr(const uint8_t hdr[DBP_HDR], uint8_t *seq);

/* Payloads. */
void	dbp_ok(struct dbp_wr *, uint64_t affected, uint64_t insert_id,
	    uint16_t status, uint16_t warnings);
void	dbp_err(struct dbp_wr *, uint16_t code, const char *sqlstate,
	    const char *msg);
void	dbp_eof(struct dbp_wr *, uint16_t warnings, uint16_t status);
/*
 * dbp_ok_status: the status flags of an OK packet (0x00, or 0xfe when it
 * ends a result under CLIENT_DEPRECATE_EOF) or of an EOF packet. 0, or
 * -1 if the packet is malformed.
 */
int	dbp_ok_status(const uint8_t *p, size_t len, uint16_t *status);
/* dbp_err_code: an ERR packet's code (0 if malformed). */
uint16_t dbp_err_code(const uint8_t *p, size_t len);

void	dbp_greeting_build(struct dbp_wr *, const struct dbp_greeting *);
int	dbp_greeting_parse(const uint8_t *p, size_t len,
	    struct dbp_greeting *, char **cause);
int	dbp_login_parse(const uint8_t *p, size_t len, struct dbp_login *,
	    char **cause);
/* dbp_login_build: the response41 of dbproxyd to a server (caps given). */
void	dbp_login_build(struct dbp_wr *, uint32_t caps, const char *user,
	    const uint8_t *auth, size_t auth_len, const char *plugin);
/* dbp_auth_switch: AuthSwitchRequest for mysql_native_password. */
void	dbp_auth_switch(struct dbp_wr *, const uint8_t scramble[DBP_SCRAMBLE_LEN]);

#endif
