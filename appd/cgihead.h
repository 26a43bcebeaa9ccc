/*
 * cgihead.h: the head of a CGI response (RFC 3875 section 6), as FastCGI
 * and CGI applications write it on stdout: header fields, then an empty
 * line, then the body. "Status: 404 Not Found" sets the status; a
 * Location without Status is a 302. Lines may end in CRLF or LF (PHP and
 * shell scripts differ). The head is bounded (CGIHEAD_MAX bytes,
 * CGIHEAD_FIELDS fields).
 */
#ifndef APPD_CGIHEAD_H
#define APPD_CGIHEAD_H

#include <stddef.h>
#include <stdint.h>

#define CGIHEAD_MAX	65536
#define CGIHEAD_FIELDS	100

struct cgihead_field {
	const char	*name, *value;
	size_t		 nlen, vlen;
};

struct cgihead {
	int			 status;
	const char		*reason;	/* from Status:, may be NULL */
	size_t			 reason_len;
	int			 has_length;
	uint64_t		 content_length;
	struct cgihead_field	 f[CGIHEAD_FIELDS];
	size_t			 n;
};

/*
 * cgihead_parse: the head at the start of buf (len bytes). Returns 1 with
 * *h filled (pointing into buf) and *used, the head's length; 0 when the
 * head is not complete yet; -1 with *why when it is malformed (a line
 * without a colon, a bad Status, too long, too many fields, CTLs).
 */
int	cgihead_parse(const char *buf, size_t len, struct cgihead *h,
	    size_t *used, const char **why);

#endif
