/*
 * static.c: see static.h. The order of decisions follows nginx where the
 * RFCs leave room: method, path, file or directory (index, autoindex,
 * try_files), precompressed variant, preconditions, range, headers, body.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "autoindex.h"
#include "cond.h"
#include "hconn.h"
#include "encoding.h"
#include "fcache.h"
#include "http1.h"
#include "httpdate.h"
#include "metrics.h"
#include "mime.h"
#include "path.h"
#include "range.h"
#include "static.h"
#include "util.h"
#include "webd.h"

#define WEBD_PATH_MAX	4096
#define WEBD_HEAD_MAX	2048
#define WEBD_STATIC_RANGES	64	/* max_ranges is capped here */

/* What one static response is made of. */
struct webd_static {
	struct hconn	*c;
	struct hreq	*r;
	const struct http1_msg	*msg;
	char			 path[WEBD_PATH_MAX];	/* normalized */
	struct webd_file	*f;		/* the representation sent */
	const char		*type;		/* of the original path */
	const char		*encoding;	/* "gzip", "br" or NULL */
	int			 vary;		/* a variant exists */
};

/* The value of a request field, or NULL. */
static const char *
webd_static_field(const struct http1_msg *m, const char *name, size_t *len)
{
	*len = 0;
	return http1_header_get(m, name, len);
}

/* Opens path through the worker's file cache, counting hits. */
static struct webd_file *
webd_static_open(struct hconn *c, const char *path, int *err)
{
	const struct webd_conf *conf = c->conf;
	struct webd_file *f;
	int hit = 0;

	f = webd_fcache_open(WEBD_WORKER(c)->fcache, conf->rootfd, path,
	    conf->symlinks_outside_root, (uint64_t)conf->open_file_cache_ttl_ms,
	    conf->small_file_size, &hit, err);
	metric_inc(hit ? webd_metrics.fcache_hit : webd_metrics.fcache_miss);
	return f;
}

/* Frees the cache reference held by a queued body once it is sent. */
static void
webd_static_release(const void *data, size_t len, void *arg)
{
	webd_file_unref(arg);
}

static void
webd_static_segment_done(struct evbuffer_file_segment const *seg, int flags,
    void *arg)
{
	webd_file_unref(arg);
}

/*
 * Queues len bytes of f from off: a reference to the cached content for a
 * small file, or a file segment (sendfile) for a large one.
 */
static int
webd_static_body(struct hconn *c, struct webd_file *f, uint64_t off,
    uint64_t len)
{
	struct evbuffer *out = hconn_output(c);
	struct evbuffer_file_segment *seg;

	if (len == 0)
		return 0;
	if (f->data != NULL)
		return evbuffer_add_reference(out, f->data + off, (size_t)len,
		    webd_static_release, webd_file_ref(f));
	seg = evbuffer_file_segment_new(f->fd, (ev_off_t)off, (ev_off_t)len,
	    0);
	if (seg == NULL)
		return -1;
	c->files = 1;	/* for good: bytes of it may wait (hconn_flush) */
	evbuffer_file_segment_add_cleanup_cb(seg, webd_static_segment_done,
	    webd_file_ref(f));
	if (evbuffer_add_file_segment(out, seg, 0, (ev_off_t)len) == -1) {
		evbuffer_file_segment_free(seg);
		return -1;
	}
	evbuffer_file_segment_free(seg);
	return 0;
}

/* Cache-Control and Expires of the longest matching location. */
static void
webd_static_caching(struct webd_static *s, struct http1_out *out)
{
	const struct cfg_array *locs = &WEBD_CONF(s->c)->locations;
	const struct webd_location *l = locs->v, *best = NULL;
	size_t i, blen = 0, plen;
	char date[HTTPDATE_SIZE];

	for (i = 0; i < locs->n; i++) {
		plen = strlen(l[i].prefix);
		if (plen >= blen && strncmp(s->path, l[i].prefix, plen) == 0) {
			best = &l[i];
			blen = plen;
		}
	}
	if (best == NULL)
		return;
	if (best->cache_control != NULL)
		http1_write_header(out, "Cache-Control", 13,
		    best->cache_control, strlen(best->cache_control));
	if (best->expires_ms > 0) {
		httpdate_format(time(NULL) + best->expires_ms / 1000, date);
		http1_write_header(out, "Expires", 7, date, strlen(date));
	}
}

/* The fields every representation carries. */
static void
webd_static_fields(struct webd_static *s, struct http1_out *out)
{
	char date[HTTPDATE_SIZE];

	httpdate_format(s->f->st.st_mtim.tv_sec, date);
	http1_write_header(out, "Last-Modified", 13, date, strlen(date));
	http1_write_header(out, "ETag", 4, s->f->etag, strlen(s->f->etag));
	if (s->encoding != NULL)
		http1_write_header(out, "Content-Encoding", 16, s->encoding,
		    strlen(s->encoding));
	if (s->vary)
		http1_out_add(out, "Vary: Accept-Encoding\r\n", 23);
	webd_static_caching(s, out);
}

/* The preconditions of RFC 9110 13.2.2 against the chosen file. */
static int
webd_static_preconditions(struct webd_static *s, struct webd_cond_req *q,
    struct webd_cond_rep *rep)
{
	const struct http1_msg *m = s->msg;

	memset(q, 0, sizeof(*q));
	q->if_match.v = webd_static_field(m, "if-match", &q->if_match.len);
	q->if_none_match.v = webd_static_field(m, "if-none-match",
	    &q->if_none_match.len);
	q->if_modified_since.v = webd_static_field(m, "if-modified-since",
	    &q->if_modified_since.len);
	q->if_unmodified_since.v = webd_static_field(m,
	    "if-unmodified-since", &q->if_unmodified_since.len);
	q->if_range.v = webd_static_field(m, "if-range", &q->if_range.len);
	q->get_or_head = 1;
	q->now = time(NULL);
	memset(rep, 0, sizeof(*rep));
	rep->etag = s->f->etag;
	rep->etag_len = strlen(s->f->etag);
	rep->last_modified = s->f->st.st_mtim.tv_sec;
	rep->has_last_modified = 1;
	return (int)webd_cond_evaluate(q, rep);
}

/* 304 or 412: the validators only, no body. */
static void
webd_static_not_modified(struct webd_static *s, int status)
{
	struct http1_out out;
	char buf[WEBD_HEAD_MAX];

	hconn_head(s->c, s->r, &out, buf, sizeof(buf), status);
	if (status == 304)
		webd_static_fields(s, &out);
	else
		http1_out_add(&out, "Content-Length: 0\r\n", 19);
	hconn_send_head(s->c, &out);
}

/* 200: the whole representation. */
static void
webd_static_full(struct webd_static *s)
{
	struct http1_out out;
	char buf[WEBD_HEAD_MAX];
	uint64_t size = (uint64_t)s->f->st.st_size;

	hconn_head(s->c, s->r, &out, buf, sizeof(buf), 200);
	http1_write_header(&out, "Content-Type", 12, s->type, strlen(s->type));
	http1_write_header_u64(&out, "Content-Length", 14, size);
	http1_out_add(&out, "Accept-Ranges: bytes\r\n", 22);
	webd_static_fields(s, &out);
	if (hconn_send_head(s->c, &out) == -1)
		return;
	if (!s->r->head_only && webd_static_body(s->c, s->f, 0, size) == 0)
		s->r->bytes = size;
}

/* 416: no range fits the representation. */
static void
webd_static_unsatisfiable(struct webd_static *s)
{
	struct http1_out out;
	char buf[WEBD_HEAD_MAX], cr[64];
	int n;

	hconn_head(s->c, s->r, &out, buf, sizeof(buf), 416);
	n = snprintf(cr, sizeof(cr), "bytes */%llu",
	    (unsigned long long)s->f->st.st_size);
	http1_write_header(&out, "Content-Range", 13, cr, (size_t)n);
	http1_out_add(&out, "Content-Length: 0\r\n", 19);
	hconn_send_head(s->c, &out);
}

/* 206 with one range. */
static void
webd_static_range1(struct webd_static *s, const struct webd_range *rg)
{
	struct http1_out out;
	char buf[WEBD_HEAD_MAX], cr[96];
	uint64_t len = rg->end - rg->start + 1;
	size_t n;

	hconn_head(s->c, s->r, &out, buf, sizeof(buf), 206);
	http1_write_header(&out, "Content-Type", 12, s->type, strlen(s->type));
	n = webd_range_content_range(cr, sizeof(cr), rg,
	    (uint64_t)s->f->st.st_size);
	http1_write_header(&out, "Content-Range", 13, cr, n);
	http1_write_header_u64(&out, "Content-Length", 14, len);
	webd_static_fields(s, &out);
	if (hconn_send_head(s->c, &out) == -1)
		return;
	if (!s->r->head_only && webd_static_body(s->c, s->f, rg->start,
	    len) == 0)
		s->r->bytes = len;
}

/* 206 multipart/byteranges, with a Content-Length computed ahead. */
static void
webd_static_multirange(struct webd_static *s, const struct webd_range *rg,
    size_t n)
{
	struct evbuffer *evb = hconn_output(s->c);
	struct http1_out out;
	char buf[WEBD_HEAD_MAX], boundary[WEBD_RANGE_BOUNDARY_SIZE];
	char ctype[128], part[512];
	uint64_t size = (uint64_t)s->f->st.st_size, total;
	size_t i, plen;

	webd_range_boundary(boundary);
	total = webd_range_multipart_length(rg, n, size, boundary, s->type);
	hconn_head(s->c, s->r, &out, buf, sizeof(buf), 206);
	plen = webd_range_multipart_type(ctype, sizeof(ctype), boundary);
	http1_write_header(&out, "Content-Type", 12, ctype, plen);
	http1_write_header_u64(&out, "Content-Length", 14, total);
	webd_static_fields(s, &out);
	if (hconn_send_head(s->c, &out) == -1 || s->r->head_only)
		return;
	for (i = 0; i < n; i++) {
		plen = webd_range_part_header(part, sizeof(part), boundary,
		    s->type, &rg[i], size);
		evbuffer_add(evb, part, plen);
		webd_static_body(s->c, s->f, rg[i].start,
		    rg[i].end - rg[i].start + 1);
	}
	plen = webd_range_part_close(part, sizeof(part), boundary);
	evbuffer_add(evb, part, plen);
	s->r->bytes = total;
}

/* A regular file: preconditions, then the whole file or its ranges. */
static void
webd_static_file(struct webd_static *s)
{
	struct webd_range rg[WEBD_STATIC_RANGES];
	struct webd_cond_req q;
	struct webd_cond_rep rep;
	const char *v;
	size_t vlen, n = 0;
	int st;

	st = webd_static_preconditions(s, &q, &rep);
	if (st != WEBD_COND_PROCEED) {
		webd_static_not_modified(s, st);
		return;
	}
	v = webd_static_field(s->msg, "range", &vlen);
	if (v == NULL || s->msg->method != HTTP1_METHOD_GET ||
	    (q.if_range.v != NULL && !webd_cond_if_range(&q, &rep))) {
		webd_static_full(s);
		return;
	}
	st = (int)webd_range_parse(v, vlen, (uint64_t)s->f->st.st_size, rg,
	    (size_t)MINIMUM(WEBD_CONF(s->c)->max_ranges, WEBD_STATIC_RANGES), &n);
	if (st == 416)
		webd_static_unsatisfiable(s);
	else if (st != 206)
		webd_static_full(s);
	else if (n == 1)
		webd_static_range1(s, &rg[0]);
	else
		webd_static_multirange(s, rg, n);
}

/*
 * Swaps s->f for a precompressed variant the client accepts (file.br,
 * file.gz), when one exists and is not older than the file itself.
 */
static void
webd_static_variant(struct webd_static *s)
{
	static const struct {
		enum webd_encoding bit;
		const char *ext, *name;
	} vs[] = {
		{ WEBD_ENCODING_BR, ".br", "br" },
		{ WEBD_ENCODING_GZIP, ".gz", "gzip" },
	};
	struct webd_file *vf[2] = { NULL, NULL };
	char vpath[WEBD_PATH_MAX + 4];
	unsigned have = 0;
	enum webd_encoding pick;
	const char *ae;
	size_t i, aelen;
	int err;

	ae = webd_static_field(s->msg, "accept-encoding", &aelen);
	for (i = 0; i < nitems(vs); i++) {
		snprintf(vpath, sizeof(vpath), "%s%s", s->path, vs[i].ext);
		vf[i] = webd_static_open(s->c, vpath, &err);
		if (vf[i] != NULL && S_ISREG(vf[i]->st.st_mode) &&
		    vf[i]->st.st_mtim.tv_sec >= s->f->st.st_mtim.tv_sec)
			have |= 1u << vs[i].bit;
	}
	s->vary = have != 0;
	pick = have != 0 ? webd_encoding_select(ae, aelen, have) :
	    WEBD_ENCODING_IDENTITY;
	for (i = 0; i < nitems(vs); i++) {
		if (pick == vs[i].bit) {
			webd_file_unref(s->f);
			s->f = webd_file_ref(vf[i]);
			s->encoding = vs[i].name;
		}
		webd_file_unref(vf[i]);
	}
}

/* The error response for an open failure or a refusal. */
static void
webd_static_fail(struct webd_static *s, int status)
{
	hconn_error(s->c, s->r, status);
}

/* 301 to the same path with a trailing slash (and the query kept). */
static void
webd_static_redirect_dir(struct webd_static *s)
{
	const struct http1_msg *m = s->msg;
	const char *t = http1_span_ptr(m, m->target), *q;
	struct http1_out out;
	char buf[WEBD_HEAD_MAX], loc[WEBD_PATH_MAX + 2];
	size_t plen;

	q = memchr(t, '?', m->target.len);
	plen = q != NULL ? (size_t)(q - t) : m->target.len;
	if (plen + 1 + (q ? m->target.len - plen : 0) >= sizeof(loc)) {
		webd_static_fail(s, 414);
		return;
	}
	memcpy(loc, t, plen);
	loc[plen] = '/';
	if (q != NULL)
		memcpy(loc + plen + 1, q, m->target.len - plen);
	plen = m->target.len + 1;
	hconn_head(s->c, s->r, &out, buf, sizeof(buf), 301);
	http1_write_header(&out, "Location", 8, loc, plen);
	http1_out_add(&out, "Content-Length: 0\r\n", 19);
	hconn_send_head(s->c, &out);
}

/*
 * A directory: the first index file that exists, else a listing when
 * autoindex is on, else 403 (as nginx).
 */
static int
webd_static_dir(struct webd_static *s)
{
	const struct cfg_strlist *idx = &WEBD_CONF(s->c)->index;
	size_t i, len = strlen(s->path);
	struct webd_file *f;
	int err;

	if (s->path[len - 1] != '/') {
		webd_static_redirect_dir(s);
		return 0;
	}
	for (i = 0; i < idx->n; i++) {
		if (len + strlen(idx->v[i]) >= sizeof(s->path))
			continue;
		strcpy(s->path + len, idx->v[i]);
		f = webd_static_open(s->c, s->path, &err);
		if (f != NULL && S_ISREG(f->st.st_mode)) {
			webd_file_unref(s->f);
			s->f = f;
			return 1;
		}
		webd_file_unref(f);
	}
	s->path[len] = '\0';
	if (WEBD_CONF(s->c)->autoindex)
		webd_autoindex(s->c, s->r, s->path, s->f);
	else
		webd_static_fail(s, 403);
	return 0;
}

/*
 * try_files: on a missing path, each entry in turn: "$uri" (already
 * tried), "$uri/" (as a directory), "/path" (served instead), "=NNN"
 * (answer NNN). Returns the file found, or NULL after answering.
 */
static struct webd_file *
webd_static_try(struct webd_static *s, int err)
{
	const struct cfg_strlist *tf = &WEBD_CONF(s->c)->try_files;
	struct webd_file *f;
	size_t i;
	int e;

	for (i = 0; i < tf->n; i++) {
		const char *t = tf->v[i];

		if (t[0] == '=') {
			webd_static_fail(s, atoi(t + 1));
			return NULL;
		}
		if (strcmp(t, "$uri") == 0 || strcmp(t, "$uri/") == 0)
			continue;
		if (t[0] == '/' && strlen(t) < sizeof(s->path) &&
		    (f = webd_static_open(s->c, t, &e)) != NULL) {
			util_strlcpy(s->path, t, sizeof(s->path));
			return f;
		}
	}
	webd_static_fail(s, webd_path_errno_status(err));
	return NULL;
}

/* Target to normalized path; 0, or the status to answer. */
static int
webd_static_path(struct webd_static *s)
{
	const struct http1_msg *m = s->msg;
	const char *t = http1_span_ptr(m, m->target);
	size_t len = m->target.len;
	struct webd_path_res res;
	const char *p;

	if (m->form == HTTP1_TARGET_ABSOLUTE) {
		/* "http://host/path": the path part only. */
		p = memchr(t, ':', len);
		p = p != NULL && (size_t)(p - t) + 3 < len ?
		    memchr(p + 3, '/', len - (size_t)(p + 3 - t)) : NULL;
		if (p == NULL)
			return 400;
		len -= (size_t)(p - t);
		t = p;
	} else if (m->form != HTTP1_TARGET_ORIGIN)
		return 400;
	return webd_path_normalize(t, len, WEBD_CONF(s->c)->dotfiles ?
	    WEBD_PATH_DOTFILES : 0, s->path, sizeof(s->path), &res);
}

void
webd_static_serve(struct hconn *c, struct hreq *r)
{
	struct webd_static s;
	int st, err;

	memset(&s, 0, sizeof(s));
	s.c = c;
	s.r = r;
	s.msg = r->msg;
	if (s.msg->method != HTTP1_METHOD_GET &&
	    s.msg->method != HTTP1_METHOD_HEAD) {
		hconn_error(c, r, 405);	/* with Allow: GET, HEAD */
		return;
	}
	if ((st = webd_static_path(&s)) != 0) {
		webd_static_fail(&s, st);
		return;
	}
	s.f = webd_static_open(c, s.path, &err);
	if (s.f == NULL && (s.f = webd_static_try(&s, err)) == NULL)
		return;
	if (S_ISDIR(s.f->st.st_mode) && !webd_static_dir(&s)) {
		webd_file_unref(s.f);
		return;
	}
	s.type = webd_mime_lookup(WEBD_CONF(c)->mime, s.path);
	if (WEBD_CONF(c)->precompressed)
		webd_static_variant(&s);
	webd_static_file(&s);
	webd_file_unref(s.f);
}

int
webd_static_page(struct hconn *c, struct hreq *r,
    const char *path, int status)
{
	struct webd_static s;
	struct http1_out out;
	char buf[WEBD_HEAD_MAX];
	int err;

	memset(&s, 0, sizeof(s));
	s.c = c;
	s.r = r;
	if ((s.f = webd_static_open(c, path, &err)) == NULL)
		return -1;
	if (!S_ISREG(s.f->st.st_mode)) {
		webd_file_unref(s.f);
		return -1;
	}
	s.type = webd_mime_lookup(WEBD_CONF(c)->mime, path);
	hconn_head(c, r, &out, buf, sizeof(buf), status);
	http1_write_header(&out, "Content-Type", 12, s.type, strlen(s.type));
	if (status == 405)
		http1_out_add(&out, "Allow: GET, HEAD\r\n", 18);
	http1_write_header_u64(&out, "Content-Length", 14,
	    (uint64_t)s.f->st.st_size);
	if (hconn_send_head(c, &out) == 0 && !r->head_only &&
	    webd_static_body(c, s.f, 0, (uint64_t)s.f->st.st_size) == 0)
		r->bytes = (uint64_t)s.f->st.st_size;
	webd_file_unref(s.f);
	return 0;
}
