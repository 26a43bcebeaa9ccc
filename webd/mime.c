/*
 * mime.c: the types table (see mime.h).
 *
 * A sorted array of (lower-cased extension, type) searched with bsearch:
 * a few hundred entries, built once per configuration generation, read by
 * every worker without a lock. Each type string is built once per line
 * (with its charset) and shared by the extensions of that line.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mime.h"
#include "util.h"

#define MIME_SPACE	" \t\r\v\f"
#define MIME_CHARSET	"; charset=utf-8"

struct mime_ent {
	char		 ext[WEBD_MIME_MAX_EXT + 1];
	const char	*type;
	size_t		 order;		/* position in the file: last wins */
};

struct webd_mime {
	struct mime_ent	*ents;
	size_t		 n, cap;
	char		**types;	/* owned, one per line */
	size_t		 ntypes;
	char		*def;
};

/* The state of one parse: where errors are reported and collected. */
struct mime_parse {
	const char	*name;
	size_t		 line;
	struct webd_mime *m;
	char		*errs;		/* "name:line: msg\n..." */
	size_t		 nerr;
};

/* Adds "name:line: message" to the errors (past the cap, counts only). */
static void __attribute__((format(printf, 2, 3)))
mime_error(struct mime_parse *p, const char *fmt, ...)
{
	va_list ap;
	char msg[256], *all;

	if (p->nerr++ >= WEBD_MIME_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	xasprintf(&all, "%s%s%s:%zu: %s", p->errs ? p->errs : "",
	    p->errs ? "\n" : "", p->name, p->line, msg);
	free(p->errs);
	p->errs = all;
}

/* RFC 9110 tchar: what a media type and subtype are made of. */
static int
mime_tchar(int c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/*
 * Whether the n bytes at s are "type/subtype", optionally followed by ";"
 * and parameters of printable ASCII (never CR or LF: this text ends up in
 * a response header).
 */
static int
mime_type_valid(const char *s, size_t n)
{
	size_t i = 0, sub;

	if (n == 0 || n > WEBD_MIME_MAX_TYPE)
		return 0;
	while (i < n && mime_tchar((unsigned char)s[i]))
		i++;
	if (i == 0 || i == n || s[i] != '/')
		return 0;
	sub = ++i;
	while (i < n && mime_tchar((unsigned char)s[i]))
		i++;
	if (i == sub)
		return 0;
	if (i < n && s[i] != ';')
		return 0;
	for (; i < n; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	}
	return 1;
}

/* Whether the n-byte s ends with suffix (ASCII case-insensitive). */
static int
mime_ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && util_strncasecmp(s + n - k, suffix, k) == 0;
}

/* Whether the type (n bytes, valid) is text that gets a charset. */
static int
mime_is_text(const char *s, size_t n)
{
	static const char *const apps[] = { "application/json",
	    "application/javascript", "application/xml" };
	size_t i;

	if (memchr(s, ';', n) != NULL)
		return 0;
	if (n > 5 && util_strncasecmp(s, "text/", 5) == 0)
		return 1;
	for (i = 0; i < nitems(apps); i++) {
		if (n == strlen(apps[i]) && util_strncasecmp(s, apps[i], n) == 0)
			return 1;
	}
	return mime_ends_with(s, n, "+json") || mime_ends_with(s, n, "+xml");
}

/* The Content-Type for a valid type of n bytes (caller frees). */
static char *
mime_type_make(const char *s, size_t n)
{
	char *t;

	xasprintf(&t, "%.*s%s", (int)n, s,
	    mime_is_text(s, n) ? MIME_CHARSET : "");
	return t;
}

/* Whether the n bytes at s are an extension we can store and match. */
static int
mime_ext_valid(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > WEBD_MIME_MAX_EXT)
		return 0;
	for (i = 0; i < n; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || strchr("-_+", s[i])))
			return 0;
	}
	return 1;
}

/* Lower-cases n ASCII bytes of s into dst (n + 1 bytes). */
static void
mime_lower(char *dst, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] = s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i];
	dst[n] = '\0';
}

/* Appends the n-byte extension ext with type. */
static void
mime_add(struct mime_parse *p, const char *ext, size_t n, const char *type)
{
	struct webd_mime *m = p->m;
	struct mime_ent *e;

	if (m->n >= WEBD_MIME_MAX_ENTRIES) {
		mime_error(p, "too many extensions (limit %d)",
		    WEBD_MIME_MAX_ENTRIES);
		return;
	}
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 256;
		m->ents = xreallocarray(m->ents, m->cap, sizeof(*m->ents));
	}
	e = &m->ents[m->n];
	mime_lower(e->ext, ext, n);
	e->type = type;
	e->order = m->n++;
}

/*
 * The next whitespace-separated token in [*s, end): returns its start
 * and length, and moves *s past it; NULL when the line has no more.
 */
static const char *
mime_token(const char **s, const char *end, size_t *n)
{
	const char *t = *s;

	while (t < end && strchr(MIME_SPACE, *t) != NULL)
		t++;
	if (t == end) {
		*s = end;
		return NULL;
	}
	*s = t;
	while (*s < end && strchr(MIME_SPACE, **s) == NULL)
		(*s)++;
	*n = (size_t)(*s - t);
	return t;
}

/* Keeps a type string for the lifetime of the table. */
static const char *
mime_keep_type(struct webd_mime *m, char *type)
{
	m->types = xreallocarray(m->types, m->ntypes + 1, sizeof(*m->types));
	m->types[m->ntypes++] = type;
	return type;
}

/* Parses the extensions after a type on one line. */
static void
mime_line_exts(struct mime_parse *p, const char *s, const char *end,
    const char *type, size_t tlen)
{
	const char *tok, *t = NULL;
	size_t n, count = 0, bad = 0;

	while ((tok = mime_token(&s, end, &n)) != NULL) {
		if (!mime_ext_valid(tok, n)) {
			mime_error(p, "bad extension \"%.*s\"",
			    (int)MINIMUM(n, 40), tok);
			bad++;
			continue;
		}
		if (t == NULL)
			t = mime_keep_type(p->m, mime_type_make(type, tlen));
		mime_add(p, tok, n, t);
		count++;
	}
	if (count == 0 && bad == 0)
		mime_error(p, "no extensions for %.*s", (int)tlen, type);
}

/* Parses one line of n bytes (without its "\n"). */
static void
mime_line(struct mime_parse *p, const char *s, size_t n)
{
	const char *end, *hash, *type;
	size_t tlen;

	if (n > WEBD_MIME_MAX_LINE) {
		mime_error(p, "line too long (%zu bytes, limit %d)", n,
		    WEBD_MIME_MAX_LINE);
		return;
	}
	if (memchr(s, '\0', n) != NULL) {
		mime_error(p, "NUL byte");
		return;
	}
	end = (hash = memchr(s, '#', n)) != NULL ? hash : s + n;
	if ((type = mime_token(&s, end, &tlen)) == NULL)
		return;				/* blank or comment */
	if (!mime_type_valid(type, tlen)) {
		mime_error(p, "bad type \"%.*s\"", (int)MINIMUM(tlen, 40),
		    type);
		return;
	}
	mime_line_exts(p, s, end, type, tlen);
}

/* Orders entries by extension, then by position in the file. */
static int
mime_ent_cmp(const void *a, const void *b)
{
	const struct mime_ent *x = a, *y = b;
	int c;

	if ((c = strcmp(x->ext, y->ext)) != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Sorts the entries and keeps the last of each run of one extension. */
static void
mime_finish(struct webd_mime *m)
{
	size_t i, k = 0;

	if (m->n == 0)
		return;
	qsort(m->ents, m->n, sizeof(*m->ents), mime_ent_cmp);
	for (i = 0; i < m->n; i++) {
		if (i + 1 < m->n && strcmp(m->ents[i].ext, m->ents[i + 1].ext) == 0)
			continue;
		m->ents[k++] = m->ents[i];
	}
	m->n = k;
}

/* Sets the default type, or reports it as invalid. */
static void
mime_set_default(struct mime_parse *p, const char *def)
{
	size_t n = strlen(def);

	if (!mime_type_valid(def, n)) {
		mime_error(p, "default type \"%.*s\" is not a media type",
		    (int)MINIMUM(n, 40), def);
		return;
	}
	p->m->def = mime_type_make(def, n);
}

/* Ends a failed parse: the errors become *cause; the table is freed. */
static struct webd_mime *
mime_fail(struct mime_parse *p, char **cause)
{
	if (p->nerr > WEBD_MIME_MAX_ERRORS) {
		xasprintf(cause, "%s\n%zu more errors", p->errs,
		    p->nerr - WEBD_MIME_MAX_ERRORS);
		free(p->errs);
	} else
		*cause = p->errs;
	webd_mime_free(p->m);
	return NULL;
}

struct webd_mime *
webd_mime_parse(const char *name, const char *text, size_t len,
    const char *default_type, char **cause)
{
	struct mime_parse p;
	const char *s = text, *end = text + len, *nl;

	memset(&p, 0, sizeof(p));
	p.name = name;
	p.m = xcalloc(1, sizeof(*p.m));
	mime_set_default(&p, default_type ? default_type :
	    WEBD_MIME_DEFAULT_TYPE);
	while (s < end) {
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
			nl = end;
		p.line++;
		mime_line(&p, s, (size_t)(nl - s));
		s = nl < end ? nl + 1 : end;
	}
	if (p.nerr > 0)
		return mime_fail(&p, cause);
	mime_finish(p.m);
	return p.m;
}

/*
 * Reads the whole file at path (a regular file of at most
 * WEBD_MIME_MAX_FILE bytes) into *buf (caller frees). *cause is NULL on
 * entry. Returns 0, or -1 with *cause.
 */
static int
mime_read(const char *path, char **buf, size_t *len, char **cause)
{
	struct stat st;
	ssize_t r;
	int fd;

	*buf = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1)
		xasprintf(cause, "%s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		xasprintf(cause, "%s: not a regular file", path);
	if (*cause != NULL) {
		close(fd);
		return -1;
	}
	*buf = xmalloc(WEBD_MIME_MAX_FILE + 1);
	while (*len <= WEBD_MIME_MAX_FILE && (r = read(fd, *buf + *len,
	    WEBD_MIME_MAX_FILE + 1 - *len)) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			xasprintf(cause, "%s: %s", path, strerror(errno));
			break;
		}
		*len += (size_t)r;
	}
	close(fd);
	if (*cause == NULL && *len > WEBD_MIME_MAX_FILE)
		xasprintf(cause, "%s: larger than %d bytes", path,
		    WEBD_MIME_MAX_FILE);
	if (*cause != NULL) {
		free(*buf);
		*buf = NULL;
		return -1;
	}
	return 0;
}

struct webd_mime *
webd_mime_load(const char *path, const char *default_type, char **cause)
{
	struct webd_mime *m;
	char *buf;
	size_t len;

	*cause = NULL;
	if (mime_read(path, &buf, &len, cause) == -1)
		return NULL;
	m = webd_mime_parse(path, buf, len, default_type, cause);
	free(buf);
	return m;
}

/* bsearch: a lower-cased extension against an entry. */
static int
mime_key_cmp(const void *key, const void *ent)
{
	return strcmp(key, ((const struct mime_ent *)ent)->ext);
}

const char *
webd_mime_lookup(const struct webd_mime *m, const char *filename)
{
	const char *seg, *dot;
	const struct mime_ent *e;
	char key[WEBD_MIME_MAX_EXT + 1];
	size_t n;

	seg = (seg = strrchr(filename, '/')) != NULL ? seg + 1 : filename;
	dot = strrchr(seg, '.');
	if (dot == NULL || dot == seg)
		return m->def;
	n = strlen(dot + 1);
	if (n == 0 || n > WEBD_MIME_MAX_EXT || m->n == 0)
		return m->def;
	mime_lower(key, dot + 1, n);
	e = bsearch(key, m->ents, m->n, sizeof(*m->ents), mime_key_cmp);
	return e != NULL ? e->type : m->def;
}

size_t
webd_mime_count(const struct webd_mime *m)
{
	return m->n;
}

void
webd_mime_free(struct webd_mime *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->ntypes; i++)
		free(m->types[i]);
	free(m->types);
	free(m->ents);
	free(m->def);
	free(m);
}
