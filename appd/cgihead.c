/*
 * cgihead.c: CGI response heads (see cgihead.h).
 */
#include <string.h>

#include "cgihead.h"
#include "http1.h"
#include "util.h"

/* The end of the head: the offset after the empty line, or 0. */
static size_t
cgihead_end(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (i + 1 < len && buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
	}
	/* A response with no fields at all starts with the empty line. */
	if (len >= 1 && buf[0] == '\n')
		return 1;
	if (len >= 2 && buf[0] == '\r' && buf[1] == '\n')
		return 2;
	return 0;
}

/* "Status: 404 Not Found": three digits, then an optional reason. */
static int
cgihead_status(struct cgihead *h, const char *v, size_t n)
{
	if (n < 3 || v[0] < '1' || v[0] > '5' || v[1] < '0' || v[1] > '9' ||
	    v[2] < '0' || v[2] > '9' || (n > 3 && v[3] != ' '))
		return -1;
	h->status = (v[0] - '0') * 100 + (v[1] - '0') * 10 + (v[2] - '0');
	if (n > 4) {
		h->reason = v + 4;
		h->reason_len = n - 4;
	}
	return 0;
}

/* Content-Length: digits only, at most 15 of them. */
static int
cgihead_length(struct cgihead *h, const char *v, size_t n)
{
	size_t i;

	if (n == 0 || n > 15 || h->has_length)
		return -1;
	h->content_length = 0;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		h->content_length = h->content_length * 10 +
		    (uint64_t)(v[i] - '0');
	}
	h->has_length = 1;
	return 0;
}

/* One field line (without its line end); -1 with *why. */
static int
cgihead_line(struct cgihead *h, const char *p, size_t n, const char **why)
{
	const char *colon = memchr(p, ':', n), *v;
	size_t nlen, vlen, i;

	if (colon == NULL || colon == p || !http1_token_valid(p,
	    (size_t)(colon - p)))
		return (*why = "a header line is not name: value"), -1;
	nlen = (size_t)(colon - p);
	v = colon + 1;
	vlen = n - nlen - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t'))
		v++, vlen--;
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	for (i = 0; i < vlen; i++)
		if (((unsigned char)v[i] < 0x20 && v[i] != '\t') || v[i] == 0x7f)
			return (*why = "a control character in a header"), -1;
	if (nlen == 6 && util_strncasecmp(p, "Status", 6) == 0)
		return cgihead_status(h, v, vlen) == -1 ?
		    ((*why = "a bad Status line"), -1) : 0;
	/* Content-Length is kept apart: appd frames the body itself. */
	if (nlen == 14 && util_strncasecmp(p, "Content-Length", 14) == 0)
		return cgihead_length(h, v, vlen) == -1 ?
		    ((*why = "a bad Content-Length"), -1) : 0;
	if (h->n == CGIHEAD_FIELDS)
		return (*why = "too many header fields"), -1;
	h->f[h->n++] = (struct cgihead_field){ p, v, nlen, vlen };
	if (nlen == 8 && util_strncasecmp(p, "Location", 8) == 0 &&
	    h->status == 0)
		h->status = 302;
	return 0;
}

int
cgihead_parse(const char *buf, size_t len, struct cgihead *h, size_t *used,
    const char **why)
{
	size_t end, pos = 0, n;
	const char *nl;

	if ((end = cgihead_end(buf, len)) == 0) {
		if (len >= CGIHEAD_MAX)
			return (*why = "the response head is too long"), -1;
		return 0;
	}
	if (end > CGIHEAD_MAX)
		return (*why = "the response head is too long"), -1;
	memset(h, 0, sizeof(*h));
	while (pos < end) {
		nl = memchr(buf + pos, '\n', end - pos);
		n = (size_t)(nl - (buf + pos));
		if (n > 0 && buf[pos + n - 1] == '\r')
			n--;
		if (n == 0)
			break;
		if (cgihead_line(h, buf + pos, n, why) == -1)
			return -1;
		pos = (size_t)(nl - buf) + 1;
	}
	if (h->status == 0)
		h->status = 200;
	*used = end;
	return 1;
}
