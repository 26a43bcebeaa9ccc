/*
 * path.c: request-target normalization and opening below the root (see
 * path.h).
 *
 * Normalization is one pass over the input: each segment is decoded straight into the
 * output after the "/" that ends the part already accepted, checked byte
 * by byte, and then kept, dropped ("", ".") or used to pop the previous
 * segment (".."). The output therefore never holds more than the result
 * plus the segment being decoded, and the work is linear in the input.
 */
#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/openat2.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "path.h"
#include "util.h"

/* How every file is opened: never blocks (FIFO), never a terminal. */
#define PATH_OPEN_FLAGS	(O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
/* openat2 may answer EAGAIN when a rename races a ".." check: retry. */
#define PATH_EAGAIN_TRIES	4

/* Where a UTF-8 sequence stands: continuation bytes due, next byte range. */
struct path_utf8 {
	int		need;
	uint8_t		lo, hi;
};

struct path_ctx {
	const char	*in, *end;	/* input not read yet */
	unsigned	 opts;
	char		*out;
	size_t		 size;
	size_t		 len;		/* accepted output: "" or "/a/b" */
	int		 dir;		/* the last segment was "", ".", ".." */
	int		 status;
	const char	*why;
};

/* Records why the input is refused; returns -1 for the caller to pass on. */
static int
path_fail(struct path_ctx *c, int status, const char *why)
{
	c->status = status;
	c->why = why;
	return -1;
}

/*
 * Steps the UTF-8 validator over b (Unicode table 3-7: only shortest
 * forms, no surrogates, nothing above U+10FFFF). Returns 0, or -1 when b
 * cannot come next.
 */
static int
path_utf8_step(struct path_utf8 *u, uint8_t b)
{
	if (u->need > 0) {
		if (b < u->lo || b > u->hi)
			return -1;
		u->need--;
		u->lo = 0x80;
		u->hi = 0xbf;
		return 0;
	}
	u->lo = 0x80;
	u->hi = 0xbf;
	if (b < 0x80)
		u->need = 0;
	else if (b >= 0xc2 && b <= 0xdf)
		u->need = 1;
	else if (b >= 0xe0 && b <= 0xef) {
		u->need = 2;
		if (b == 0xe0)
			u->lo = 0xa0;		/* overlong below U+0800 */
		else if (b == 0xed)
			u->hi = 0x9f;		/* surrogates */
	} else if (b >= 0xf0 && b <= 0xf4) {
		u->need = 3;
		if (b == 0xf0)
			u->lo = 0x90;		/* overlong below U+10000 */
		else if (b == 0xf4)
			u->hi = 0x8f;		/* above U+10FFFF */
	} else
		return -1;			/* 80-c1 (overlong), f5-ff */
	return 0;
}

/*
 * Checks one byte of a segment, raw or decoded (encoded != 0), and appends
 * it at out[*pos]. One byte of the buffer stays free for the NUL. Returns
 * 0 or -1 (c->status set).
 */
static int
path_put(struct path_ctx *c, struct path_utf8 *u, uint8_t b, int encoded,
    size_t *pos)
{
	if (b == '\0')
		return path_fail(c, WEBD_PATH_BAD, "NUL byte");
	if (b < 0x20 || b == 0x7f)
		return path_fail(c, WEBD_PATH_BAD, "control character");
	if (b == '\\')
		return path_fail(c, WEBD_PATH_BAD, "backslash");
	if (b == '/' && encoded)
		return path_fail(c, WEBD_PATH_BAD, "encoded slash");
	if (!encoded && !(c->opts & WEBD_PATH_DECODED) &&
	    (b == ' ' || b == '#'))
		return path_fail(c, WEBD_PATH_BAD, "space or # in target");
	if (path_utf8_step(u, b) == -1)
		return path_fail(c, WEBD_PATH_BAD, "invalid UTF-8");
	if (*pos + 1 >= c->size)
		return path_fail(c, WEBD_PATH_TOOLONG, "path too long");
	c->out[(*pos)++] = (char)b;
	return 0;
}

/*
 * Reads one byte of the segment at c->in, decoding "%XX" unless the input
 * is a decoded path, and puts it. Returns 0 or -1.
 */
static int
path_read_byte(struct path_ctx *c, struct path_utf8 *u, size_t *pos)
{
	int hi, lo;

	if (*c->in != '%' || (c->opts & WEBD_PATH_DECODED))
		return path_put(c, u, (uint8_t)*c->in++, 0, pos);
	if (c->end - c->in < 3 || (hi = util_hexval(c->in[1])) == -1 ||
	    (lo = util_hexval(c->in[2])) == -1)
		return path_fail(c, WEBD_PATH_BAD, "bad percent-escape");
	c->in += 3;
	return path_put(c, u, (uint8_t)(hi << 4 | lo), 1, pos);
}

/* Applies the segment decoded at out[c->len + 1 .. pos). Returns 0, -1. */
static int
path_apply(struct path_ctx *c, size_t pos)
{
	const char *seg = c->out + c->len + 1;
	size_t n = pos - c->len - 1;

	c->dir = 1;
	if (n == 0 || (n == 1 && seg[0] == '.'))
		return 0;
	if (n == 2 && seg[0] == '.' && seg[1] == '.') {
		if (c->len == 0)
			return path_fail(c, WEBD_PATH_BAD, "above the root");
		while (c->out[--c->len] != '/')
			;
		return 0;
	}
	c->dir = 0;
	c->len = pos;
	return 0;
}

/*
 * Decodes the segment after the "/" at c->in into the output after
 * c->len and applies it. Returns 0 or -1.
 */
static int
path_segment(struct path_ctx *c)
{
	struct path_utf8 u = { 0, 0x80, 0xbf };
	size_t pos;

	if (c->len + 1 >= c->size)
		return path_fail(c, WEBD_PATH_TOOLONG, "path too long");
	c->out[c->len] = '/';
	pos = c->len + 1;
	c->in++;				/* the "/" */
	while (c->in < c->end && *c->in != '/') {
		if (path_read_byte(c, &u, &pos) == -1)
			return -1;
	}
	if (u.need != 0)
		return path_fail(c, WEBD_PATH_BAD, "invalid UTF-8");
	return path_apply(c, pos);
}

/*
 * Whether the normalized path p (len bytes) has a segment starting with
 * ".", apart from a first segment ".well-known".
 */
static int
path_hidden(const char *p, size_t len)
{
	static const char wk[] = "/.well-known";
	size_t i = 0;

	if (len >= sizeof(wk) - 1 && memcmp(p, wk, sizeof(wk) - 1) == 0 &&
	    (len == sizeof(wk) - 1 || p[sizeof(wk) - 1] == '/'))
		i = sizeof(wk) - 1;
	for (; i + 1 < len; i++) {
		if (p[i] == '/' && p[i + 1] == '.')
			return 1;
	}
	return 0;
}

/* Ends the output: "/" for the root, a "/" for a directory, the NUL. */
static int
path_finish(struct path_ctx *c)
{
	if (c->len == 0 || c->dir) {
		if (c->len + 1 >= c->size)
			return path_fail(c, WEBD_PATH_TOOLONG, "path too long");
		c->out[c->len++] = '/';
	}
	c->out[c->len] = '\0';
	return 0;
}

int
webd_path_normalize(const char *in, size_t len, unsigned opts, char *out,
    size_t size, struct webd_path_res *res)
{
	struct path_ctx c;
	const char *q;

	memset(&c, 0, sizeof(c));
	memset(res, 0, sizeof(*res));
	c.in = in;
	c.end = in + len;
	c.opts = opts;
	c.out = out;
	c.size = size;
	if (!(opts & WEBD_PATH_DECODED) && (q = memchr(in, '?', len)) != NULL)
		c.end = q;
	if (size > 0)
		out[0] = '\0';
	if (c.in == c.end || *c.in != '/')
		path_fail(&c, WEBD_PATH_BAD, "not an absolute path");
	while (c.status == 0 && c.in < c.end)
		path_segment(&c);
	if (c.status == 0)
		path_finish(&c);
	if (c.status != 0) {
		if (size > 0)
			out[0] = '\0';
		res->why = c.why;
		return c.status;
	}
	res->len = c.len;
	res->flags = c.dir || c.len == 1 ? WEBD_PATH_DIR : 0;
	if (path_hidden(out, c.len)) {
		res->flags |= WEBD_PATH_HIDDEN;
		if (!(opts & WEBD_PATH_DOTFILES)) {
			res->why = "hidden path";
			return WEBD_PATH_NOTFOUND;
		}
	}
	return WEBD_PATH_OK;
}

/*
 * Whether openat2(2) can be used: probed once (1 yes, -1 no, 0 unknown).
 * ENOSYS is an old kernel; EPERM is a seccomp filter that does not know
 * the call (some container runtimes). errno is preserved.
 */
static int path_openat2_state;

static int
path_have_openat2(void)
{
	struct open_how how;
	int fd, s, saved = errno;

	if ((s = __atomic_load_n(&path_openat2_state, __ATOMIC_RELAXED)) != 0)
		return s == 1;
	memset(&how, 0, sizeof(how));
	how.flags = O_PATH | O_CLOEXEC;
	how.resolve = RESOLVE_BENEATH;
	fd = (int)syscall(SYS_openat2, AT_FDCWD, ".", &how, sizeof(how));
	if (fd >= 0) {
		close(fd);
		s = 1;
	} else
		s = errno == ENOSYS || errno == EPERM ? -1 : 1;
	__atomic_store_n(&path_openat2_state, s, __ATOMIC_RELAXED);
	errno = saved;
	return s == 1;
}

/* Opens rel below rootfd with openat2. Returns the fd or -1 (errno). */
static int
path_openat2(int rootfd, const char *rel, unsigned opts)
{
	struct open_how how;
	int fd, tries = 0;

	memset(&how, 0, sizeof(how));
	how.flags = PATH_OPEN_FLAGS;
	how.resolve = RESOLVE_NO_MAGICLINKS;
	if (!(opts & WEBD_PATH_OUTSIDE))
		how.resolve |= RESOLVE_BENEATH;
	do {
		fd = (int)syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
	} while (fd == -1 && errno == EAGAIN && ++tries < PATH_EAGAIN_TRIES);
	return fd;
}

/*
 * Opens the n-byte component name below dfd with flags and O_NOFOLLOW.
 * A symlink is ELOOP (with O_DIRECTORY the kernel says ENOTDIR: the link
 * is looked at again to tell the two apart). Returns the fd or -1.
 */
static int
path_walk_step(int dfd, const char *name, size_t n, int flags)
{
	char comp[NAME_MAX + 1];
	struct stat sb;
	int fd;

	if (n > NAME_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(comp, name, n);
	comp[n] = '\0';
	fd = openat(dfd, comp, flags | O_NOFOLLOW);
	if (fd == -1 && errno == ENOTDIR &&
	    fstatat(dfd, comp, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(sb.st_mode))
		errno = ELOOP;
	return fd;
}

/*
 * The fallback without openat2: rel (relative, no "..") is opened one
 * component at a time, each with O_NOFOLLOW, directories with O_PATH
 * (search permission is enough, as in a normal lookup). Every symlink is
 * refused. Returns the fd or -1 (errno).
 */
static int
path_walk(int rootfd, const char *rel)
{
	const char *p = rel, *next;
	size_t n;
	int dfd = rootfd, fd, flags, saved;

	for (;;) {
		n = strcspn(p, "/");
		next = p + n + strspn(p + n, "/");
		if (*next != '\0')
			flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
		else
			flags = PATH_OPEN_FLAGS | (p[n] == '/' ? O_DIRECTORY : 0);
		fd = n == 0 ? path_walk_step(dfd, ".", 1, flags) :
		    path_walk_step(dfd, p, n, flags);
		saved = errno;
		if (dfd != rootfd)
			close(dfd);
		errno = saved;
		if (fd == -1 || *next == '\0')
			return fd;
		dfd = fd;
		p = next;
	}
}

/* Whether path has a ".." component (a normalized path never has). */
static int
path_has_dotdot(const char *path)
{
	const char *p;

	for (p = path; (p = strstr(p, "..")) != NULL; p += 2) {
		if ((p == path || p[-1] == '/') && (p[2] == '/' || p[2] == '\0'))
			return 1;
	}
	return 0;
}

/*
 * Finishes an open: fills *st, refuses what is neither a regular file nor
 * a directory (ENXIO, as open(2) says for a socket). Returns fd or -1.
 */
static int
path_check(int fd, struct stat *st, int *err)
{
	if (fd >= 0 && fstat(fd, st) == -1) {
		*err = errno;
		close(fd);
		errno = *err;
		return -1;
	}
	if (fd >= 0 && !S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode)) {
		close(fd);
		fd = -1;
		errno = ENXIO;
	}
	if (fd == -1)
		*err = errno;
	return fd;
}

int
webd_path_open(int rootfd, const char *path, unsigned opts, struct stat *st,
    int *err)
{
	struct stat sb;
	const char *rel;
	int fd;

	if (st == NULL)
		st = &sb;
	if (path[0] != '/' || path_has_dotdot(path)) {
		*err = errno = path[0] != '/' ? EINVAL : EXDEV;
		return -1;
	}
	rel = path + strspn(path, "/");
	if (*rel == '\0')
		rel = ".";
	if (!(opts & WEBD_PATH_NOOPENAT2) && path_have_openat2()) {
		fd = path_openat2(rootfd, rel, opts);
		if (fd != -1 || errno != ENOSYS)
			return path_check(fd, st, err);
		__atomic_store_n(&path_openat2_state, -1, __ATOMIC_RELAXED);
	}
	if (opts & WEBD_PATH_OUTSIDE)
		fd = openat(rootfd, rel, PATH_OPEN_FLAGS);
	else
		fd = path_walk(rootfd, rel);
	return path_check(fd, st, err);
}

int
webd_path_errno_status(int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
	case ENAMETOOLONG:
	case ENXIO:
		return 404;
	case EXDEV:
	case ELOOP:
	case EACCES:
	case EPERM:
		return 403;
	case EMFILE:
	case ENFILE:
	case ENOMEM:
		return 503;
	default:
		return 500;
	}
}
