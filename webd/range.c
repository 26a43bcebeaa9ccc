/*
 * range.c: see range.h.
 */
#include <sys/random.h>

#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "range.h"
#include "util.h"

/* One spec as written, before it meets the length. */
struct range_spec {
	uint64_t	first;		/* or the suffix length */
	uint64_t	last;
	int		suffix;		/* "-N" */
	int		open;		/* "N-" */
};

/* An snprintf-like writer: counts everything, stores what fits. */
struct range_out {
	char	*buf;
	size_t	 size;
	size_t	 len;
};

/*
 * Reads 1*DIGIT at p (before end) into *v, saturating at UINT64_MAX.
 * Returns the byte after the digits, or NULL when there is none.
 */
static const char *
range_num(const char *p, const char *end, uint64_t *v)
{
	const char *start = p;
	unsigned d;

	*v = 0;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		d = (unsigned)(*p - '0');
		if (*v > (UINT64_MAX - d) / 10)
			*v = UINT64_MAX;
		else
			*v = *v * 10 + d;
	}
	return p == start ? NULL : p;
}

/*
 * Reads one range-spec (int-range "first-[last]" or suffix-range "-N")
 * at p into *s. Returns the byte after it, or NULL when invalid (also
 * when last < first, RFC 9110 14.1.1).
 */
static const char *
range_spec_read(const char *p, const char *end, struct range_spec *s)
{
	memset(s, 0, sizeof(*s));
	if (p < end && *p == '-') {
		s->suffix = 1;
		return range_num(p + 1, end, &s->first);
	}
	if ((p = range_num(p, end, &s->first)) == NULL || p >= end ||
	    *p != '-')
		return NULL;
	p++;
	if (p >= end || *p < '0' || *p > '9') {
		s->open = 1;
		return p;
	}
	if ((p = range_num(p, end, &s->last)) == NULL || s->last < s->first)
		return NULL;
	return p;
}

/*
 * The bytes s selects in a representation of length bytes, into *r.
 * Returns 0, or -1 when s is unsatisfiable (RFC 9110 14.1.1).
 */
static int
range_resolve(const struct range_spec *s, uint64_t length,
    struct webd_range *r)
{
	if (length == 0)
		return -1;
	if (s->suffix) {
		if (s->first == 0)
			return -1;
		r->start = s->first >= length ? 0 : length - s->first;
		r->end = length - 1;
		return 0;
	}
	if (s->first >= length)
		return -1;
	r->start = s->first;
	r->end = s->open || s->last >= length ? length - 1 : s->last;
	return 0;
}

/* Skips OWS (SP, HTAB) at p; returns the first other byte or end. */
static const char *
range_skip_ows(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

enum webd_range_status
webd_range_parse(const char *v, size_t len, uint64_t length,
    struct webd_range *out, size_t cap, size_t *n)
{
	const char *p, *end;
	struct range_spec s;
	size_t nspec = 0, nout = 0;
	uint64_t total = 0, sz;

	*n = 0;
	if (v == NULL || cap == 0 || len < 6 ||
	    util_strncasecmp(v, "bytes=", 6) != 0)
		return WEBD_RANGE_IGNORE;
	for (p = v + 6, end = v + len; p < end;) {
		if (*p == ',' || *p == ' ' || *p == '\t') {
			p++;
			continue;
		}
		if (++nspec > cap ||
		    (p = range_spec_read(p, end, &s)) == NULL)
			return WEBD_RANGE_IGNORE;
		p = range_skip_ows(p, end);
		if (p < end && *p != ',')
			return WEBD_RANGE_IGNORE;
		if (range_resolve(&s, length, &out[nout]) == -1)
			continue;
		sz = out[nout].end - out[nout].start + 1;
		if (sz > length - total)
			return WEBD_RANGE_IGNORE;
		total += sz;
		nout++;
	}
	if (nspec == 0)
		return WEBD_RANGE_IGNORE;
	if (nout == 0)
		return WEBD_RANGE_UNSATISFIABLE;
	*n = nout;
	return WEBD_RANGE_PARTIAL;
}

/* Appends n bytes of s to o: counted always, stored while room lasts. */
static void
range_put(struct range_out *o, const char *s, size_t n)
{
	size_t room;

	if (o->len < o->size) {
		room = o->size - o->len;
		memcpy(o->buf + o->len, s, n < room ? n : room);
	}
	o->len += n;
}

/* Appends the C string s. */
static void
range_put_str(struct range_out *o, const char *s)
{
	range_put(o, s, strlen(s));
}

/* Appends v in decimal (no locale, no snprintf). */
static void
range_put_u64(struct range_out *o, uint64_t v)
{
	char tmp[20];
	int i = (int)sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	range_put(o, tmp + i, sizeof(tmp) - (size_t)i);
}

/* NUL-terminates what fits and returns the full length. */
static size_t
range_done(struct range_out *o)
{
	if (o->size > 0)
		o->buf[o->len < o->size ? o->len : o->size - 1] = '\0';
	return o->len;
}

/* "a-b/L" or "* /L" (no space) after "bytes ". */
static void
range_put_span(struct range_out *o, const struct webd_range *r,
    uint64_t length)
{
	range_put(o, "bytes ", 6);
	if (r != NULL) {
		range_put_u64(o, r->start);
		range_put(o, "-", 1);
		range_put_u64(o, r->end);
	} else
		range_put(o, "*", 1);
	range_put(o, "/", 1);
	range_put_u64(o, length);
}

size_t
webd_range_content_range(char *buf, size_t size, const struct webd_range *r,
    uint64_t length)
{
	struct range_out o = { buf, size, 0 };

	range_put_span(&o, r, length);
	return range_done(&o);
}

size_t
webd_range_multipart_type(char *buf, size_t size, const char *boundary)
{
	struct range_out o = { buf, size, 0 };

	range_put_str(&o, "multipart/byteranges; boundary=");
	range_put_str(&o, boundary);
	return range_done(&o);
}

size_t
webd_range_part_header(char *buf, size_t size, const char *boundary,
    const char *ctype, const struct webd_range *r, uint64_t length)
{
	struct range_out o = { buf, size, 0 };

	range_put(&o, "\r\n--", 4);
	range_put_str(&o, boundary);
	if (ctype != NULL && *ctype != '\0') {
		range_put_str(&o, "\r\nContent-Type: ");
		range_put_str(&o, ctype);
	}
	range_put_str(&o, "\r\nContent-Range: ");
	range_put_span(&o, r, length);
	range_put(&o, "\r\n\r\n", 4);
	return range_done(&o);
}

size_t
webd_range_part_close(char *buf, size_t size, const char *boundary)
{
	struct range_out o = { buf, size, 0 };

	range_put(&o, "\r\n--", 4);
	range_put_str(&o, boundary);
	range_put(&o, "--\r\n", 4);
	return range_done(&o);
}

uint64_t
webd_range_multipart_length(const struct webd_range *r, size_t n,
    uint64_t length, const char *boundary, const char *ctype)
{
	uint64_t total = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		total += webd_range_part_header(NULL, 0, boundary, ctype,
		    &r[i], length);
		total += r[i].end - r[i].start + 1;
	}
	return total + webd_range_part_close(NULL, 0, boundary);
}

/*
 * The per-thread generator: splitmix64 (Steele, Lea, Flood 2014), one
 * add and three multiply-xorshift steps per 64 bits. Seeded once per
 * thread from getrandom(2); if that fails (no entropy interface at all),
 * from the clock, the pid and the state's own address, which still
 * differ per thread and per run.
 */
static uint64_t
range_rand64(void)
{
	static _Thread_local uint64_t	state;
	static _Thread_local int	seeded;
	struct timespec ts;
	uint64_t z;

	if (!seeded) {
		if (getrandom(&state, sizeof(state), GRND_NONBLOCK) !=
		    (ssize_t)sizeof(state)) {
			clock_gettime(CLOCK_REALTIME, &ts);
			state = (uint64_t)ts.tv_nsec ^
			    ((uint64_t)ts.tv_sec << 30) ^
			    ((uint64_t)getpid() << 48) ^
			    (uint64_t)(uintptr_t)&state;
		}
		seeded = 1;
	}
	z = (state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void
webd_range_boundary(char buf[WEBD_RANGE_BOUNDARY_SIZE])
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < WEBD_RANGE_BOUNDARY_LEN; i++) {
		if (i % 16 == 0)
			v = range_rand64();
		buf[i] = "0123456789abcdef"[v & 0xf];
		v >>= 4;
	}
	buf[WEBD_RANGE_BOUNDARY_LEN] = '\0';
}
