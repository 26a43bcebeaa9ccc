/*
 * cond.c: see cond.h.
 */
#include <string.h>

#include "cond.h"
#include "httpdate.h"

/* An entity-tag as read: its opaque-tag (quotes included) and weakness. */
struct cond_tag {
	const char	*opaque;
	size_t		 len;
	int		 weak;
};

/* Lower-case hex of v at p, no leading zeros (one "0" for zero). */
static char *
cond_hex(char *p, uint64_t v)
{
	char tmp[16];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v & 0xf];
		v >>= 4;
	} while (v != 0);
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

/* etagc (RFC 9110 8.8.3): %x21 / %x23-7E / obs-text. */
static int
cond_etagc(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c != 0x7f);
}

size_t
webd_cond_etag(char buf[WEBD_COND_ETAG_SIZE], const struct webd_cond_file *f,
    int flags, const char *variant)
{
	size_t i, vlen = variant != NULL ? strlen(variant) : 0;
	char *p = buf;

	buf[0] = '\0';
	if (vlen > WEBD_COND_VARIANT_MAX)
		return 0;
	for (i = 0; i < vlen; i++)
		if (!cond_etagc((unsigned char)variant[i]))
			return 0;
	*p++ = '"';
	p = cond_hex(p, (uint64_t)f->mtime_sec);
	if (f->mtime_nsec != 0) {
		*p++ = '.';
		p = cond_hex(p, (uint64_t)f->mtime_nsec);
	}
	*p++ = '-';
	p = cond_hex(p, f->size);
	if (flags & WEBD_COND_ETAG_INODE) {
		*p++ = '-';
		p = cond_hex(p, f->ino);
	}
	if (vlen != 0) {
		*p++ = '-';
		memcpy(p, variant, vlen);
		p += vlen;
	}
	*p++ = '"';
	*p = '\0';
	return (size_t)(p - buf);
}

/*
 * Reads one entity-tag (RFC 9110 8.8.3: [ "W/" ] DQUOTE *etagc DQUOTE) at
 * p, before end, into *t. Returns the byte after it, or NULL when there is
 * no valid tag at p.
 */
static const char *
cond_tag_read(const char *p, const char *end, struct cond_tag *t)
{
	const char *q;

	t->weak = 0;
	if (end - p >= 2 && p[0] == 'W' && p[1] == '/') {
		t->weak = 1;
		p += 2;
	}
	if (p >= end || *p != '"')
		return NULL;
	for (q = p + 1; q < end && *q != '"'; q++)
		if (!cond_etagc((unsigned char)*q))
			return NULL;
	if (q >= end)
		return NULL;
	t->opaque = p;
	t->len = (size_t)(q + 1 - p);
	return q + 1;
}

/* The one entity-tag making up the whole of v (len bytes); -1 if not. */
static int
cond_tag_whole(const char *v, size_t len, struct cond_tag *t)
{
	if (v == NULL)
		return -1;
	return cond_tag_read(v, v + len, t) == v + len ? 0 : -1;
}

/*
 * The comparisons of RFC 9110 8.8.3.2: strong wants both tags strong and
 * the same bytes; weak only the same opaque-tag.
 */
static int
cond_tag_equal(const struct cond_tag *a, const struct cond_tag *b, int strong)
{
	if (strong && (a->weak || b->weak))
		return 0;
	return a->len == b->len && memcmp(a->opaque, b->opaque, a->len) == 0;
}

/* The "*" form of If-Match and If-None-Match (only alone, not in a list). */
static int
cond_is_star(const struct webd_cond_field *f)
{
	return f->len == 1 && f->v[0] == '*';
}

/*
 * Whether the list in f (#entity-tag, RFC 9110 5.6.1: empty elements
 * allowed, OWS around commas) holds a tag equal to cur. Returns 1 or 0;
 * -1 when the list is not valid (then nothing in it counts, even a tag
 * seen before the fault: a client that sends garbage is not trusted to
 * have meant the rest). cur may be NULL (no tag: nothing matches).
 */
static int
cond_list_match(const struct webd_cond_field *f, const struct cond_tag *cur,
    int strong)
{
	const char *p = f->v, *end = f->v + f->len;
	struct cond_tag t;
	int match = 0;

	while (p < end) {
		if (*p == ',' || *p == ' ' || *p == '\t') {
			p++;
			continue;
		}
		if ((p = cond_tag_read(p, end, &t)) == NULL)
			return -1;
		if (cur != NULL && cond_tag_equal(&t, cur, strong))
			match = 1;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p < end && *p != ',')
			return -1;
	}
	return match;
}

/* The representation's own tag, or NULL when it has none (or a bad one). */
static const struct cond_tag *
cond_rep_tag(const struct webd_cond_rep *rep, struct cond_tag *t)
{
	return cond_tag_whole(rep->etag, rep->etag_len, t) == 0 ? t : NULL;
}

/* Step 1: the If-Match condition; 1 true, 0 false. */
static int
cond_if_match(const struct webd_cond_field *f, const struct cond_tag *cur)
{
	if (cond_is_star(f))
		return 1;
	return cond_list_match(f, cur, 1) == 1;
}

/* Step 3: the If-None-Match condition; 1 true, 0 false. */
static int
cond_if_none_match(const struct webd_cond_field *f, const struct cond_tag *cur)
{
	if (cond_is_star(f))
		return 0;
	return cond_list_match(f, cur, 0) != 1;
}

/*
 * Steps 2 and 4: whether rep changed after the date in f. Returns 1 or 0,
 * or -1 when the field does not count: no valid date (13.1.3, 13.1.4
 * MUST ignore), no Last-Modified, or a date after now when now is not 0.
 */
static int
cond_modified_after(const struct webd_cond_field *f,
    const struct webd_cond_rep *rep, time_t now)
{
	time_t date;

	if (httpdate_parse(f->v, f->len, &date) == -1 ||
	    !rep->has_last_modified || (now != 0 && date > now))
		return -1;
	return rep->last_modified > date;
}

enum webd_cond_result
webd_cond_evaluate(const struct webd_cond_req *req,
    const struct webd_cond_rep *rep)
{
	struct cond_tag tbuf;
	const struct cond_tag *cur = cond_rep_tag(rep, &tbuf);

	if (req->if_match.v != NULL) {
		if (!cond_if_match(&req->if_match, cur))
			return WEBD_COND_FAILED;
	} else if (req->if_unmodified_since.v != NULL) {
		if (cond_modified_after(&req->if_unmodified_since, rep, 0) == 1)
			return WEBD_COND_FAILED;
	}
	if (req->if_none_match.v != NULL) {
		if (!cond_if_none_match(&req->if_none_match, cur))
			return req->get_or_head ? WEBD_COND_NOT_MODIFIED :
			    WEBD_COND_FAILED;
	} else if (req->get_or_head && req->if_modified_since.v != NULL) {
		/* A date ahead of our clock is ignored (Apache's rule). */
		if (cond_modified_after(&req->if_modified_since, rep,
		    req->now) == 0)
			return WEBD_COND_NOT_MODIFIED;
	}
	return WEBD_COND_PROCEED;
}

int
webd_cond_if_range(const struct webd_cond_req *req,
    const struct webd_cond_rep *rep)
{
	const struct webd_cond_field *f = &req->if_range;
	struct cond_tag t, tbuf;
	const struct cond_tag *cur;
	time_t date;

	if (f->v == NULL)
		return 1;
	/* An entity-tag starts with DQUOTE or "W/"; a date never does. */
	if ((f->len > 0 && f->v[0] == '"') ||
	    (f->len > 1 && f->v[0] == 'W' && f->v[1] == '/')) {
		cur = cond_rep_tag(rep, &tbuf);
		return cond_tag_whole(f->v, f->len, &t) == 0 && cur != NULL &&
		    cond_tag_equal(&t, cur, 1);
	}
	if (httpdate_parse(f->v, f->len, &date) == -1 ||
	    !rep->has_last_modified || rep->last_modified != date)
		return 0;
	return req->now == 0 || rep->last_modified < req->now;
}
