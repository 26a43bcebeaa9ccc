/*
 * test_webd_path.c: webd's path normalization against a table of
 * traversal and encoding vectors, its buffer limits and idempotence, then
 * webd_path_open on a real tree (symlinks inside and outside the root, a
 * ".." symlink chain, a loop, a FIFO, a socket) with openat2 and with the
 * O_NOFOLLOW fallback.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "path.h"

#define BAD	WEBD_PATH_BAD
#define HIDDEN	WEBD_PATH_NOTFOUND

struct vector {
	const char	*in;
	int		 status;	/* 0, 400, 404, 414 */
	const char	*out;		/* for 0 and 404 */
};

/* Target -> normalized path or the status webd answers. */
static const struct vector vectors[] = {
	/* Plain traversal, decoded or not. */
	{ "/../etc/passwd", BAD, NULL },
	{ "/..", BAD, NULL },
	{ "/a/b/../../../", BAD, NULL },
	{ "/a/../../b", BAD, NULL },
	{ "/%2e%2e/%2e%2e/etc/passwd", BAD, NULL },
	{ "/%2e%2e", BAD, NULL },
	{ "/.%2e/x", BAD, NULL },
	{ "/%2E%2E%2F", BAD, NULL },
	{ "/..%2f..%2f", BAD, NULL },
	{ "/%2f", BAD, NULL },
	{ "/a%2Fb", BAD, NULL },
	/* Decoded once only: "%25" is a literal "%". */
	{ "/%252e%252e/", 0, "/%2e%2e/" },
	{ "/%2525", 0, "/%25" },
	/* Merging and dot segments. */
	{ "/a/./b", 0, "/a/b" },
	{ "/a//b", 0, "/a/b" },
	{ "//", 0, "/" },
	{ "///a///", 0, "/a/" },
	{ "/a/..", 0, "/" },
	{ "/a/../", 0, "/" },
	{ "/a/b/..", 0, "/a/" },
	{ "/a/b/.", 0, "/a/b/" },
	{ "/a/%2e", 0, "/a/" },
	{ "/a/%2e%2e", 0, "/" },
	{ "/a/.%2e/", 0, "/" },
	{ "/./", 0, "/" },
	{ "/", 0, "/" },
	{ "/...", HIDDEN, "/..." },
	{ "/..../", HIDDEN, "/..../" },
	/* NUL, controls, backslashes. */
	{ "/%00", BAD, NULL },
	{ "/a%00.html", BAD, NULL },
	{ "/\x01", BAD, NULL },
	{ "/a\tb", BAD, NULL },
	{ "/%1f", BAD, NULL },
	{ "/%7f", BAD, NULL },
	{ "/%0d%0aSet-Cookie:x", BAD, NULL },
	{ "/..\\..\\", BAD, NULL },
	{ "/%5c..", BAD, NULL },
	{ "/a%5Cb", BAD, NULL },
	/* Bad escapes. */
	{ "/%", BAD, NULL },
	{ "/%zz", BAD, NULL },
	{ "/%4", BAD, NULL },
	{ "/%4g", BAD, NULL },
	{ "/a%", BAD, NULL },
	/* UTF-8: overlong, surrogates, out of range, truncated. */
	{ "/%c0%ae%c0%ae/", BAD, NULL },
	{ "/%c0%af", BAD, NULL },
	{ "/%C0%AF", BAD, NULL },
	{ "/%c1%9c", BAD, NULL },
	{ "/%e0%80%ae", BAD, NULL },
	{ "/%f0%80%80%ae", BAD, NULL },
	{ "/%ed%a0%80", BAD, NULL },
	{ "/%ed%bf%bf", BAD, NULL },
	{ "/%f4%90%80%80", BAD, NULL },
	{ "/%f5%80%80%80", BAD, NULL },
	{ "/%ff", BAD, NULL },
	{ "/%80", BAD, NULL },
	{ "/%c3", BAD, NULL },
	{ "/%c3/%a9", BAD, NULL },
	{ "/%e2%82", BAD, NULL },
	{ "/\xc0\xae\xc0\xae/", BAD, NULL },
	{ "/caf%c3%a9", 0, "/caf\xc3\xa9" },
	{ "/caf\xc3\xa9", 0, "/caf\xc3\xa9" },
	{ "/%e2%82%ac", 0, "/\xe2\x82\xac" },
	{ "/%ed%9f%bf", 0, "/\xed\x9f\xbf" },
	{ "/%f0%9f%98%80", 0, "/\xf0\x9f\x98\x80" },
	{ "/%f4%8f%bf%bf", 0, "/\xf4\x8f\xbf\xbf" },
	/* Hidden segments. */
	{ "/.git/config", HIDDEN, "/.git/config" },
	{ "/.env", HIDDEN, "/.env" },
	{ "/%2egit/config", HIDDEN, "/.git/config" },
	{ "/a/.hidden/b", HIDDEN, "/a/.hidden/b" },
	{ "/.git/..", 0, "/" },
	{ "/.well-known/x", 0, "/.well-known/x" },
	{ "/.well-known", 0, "/.well-known" },
	{ "/.well-known/", 0, "/.well-known/" },
	{ "/.well-knownx", HIDDEN, "/.well-knownx" },
	{ "/.well-known/.x", HIDDEN, "/.well-known/.x" },
	{ "/x/.well-known/y", HIDDEN, "/x/.well-known/y" },
	/* The query is cut; what a target may not hold. */
	{ "/a?b=../..", 0, "/a" },
	{ "/a?%00", 0, "/a" },
	{ "/?x", 0, "/" },
	{ "/a#frag", BAD, NULL },
	{ "/a b", BAD, NULL },
	{ "/%23", 0, "/#" },
	{ "/%3f", 0, "/?" },
	{ "/a%20b", 0, "/a b" },
	{ "/a+b", 0, "/a+b" },
	{ "/%41", 0, "/A" },
	/* Not origin-form. */
	{ "", BAD, NULL },
	{ "a/b", BAD, NULL },
	{ "*", BAD, NULL },
	{ "?/a", BAD, NULL },
	{ "http://h/a", BAD, NULL },
	{ "%2fetc/passwd", BAD, NULL },
};

#define NVECTORS	(sizeof(vectors) / sizeof(vectors[0]))

/* Normalizes with opts into a 4096-byte buffer; checks res. */
static int
norm(const char *in, size_t len, unsigned opts, char *out,
    struct webd_path_res *res)
{
	int st;

	st = webd_path_normalize(in, len, opts, out, 4096, res);
	if (st == 0 || st == WEBD_PATH_NOTFOUND)
		assert_int_equal(res->len, strlen(out));
	else {
		assert_string_equal(out, "");
		assert_non_null(res->why);
	}
	return st;
}

static void
test_vectors(void **state)
{
	struct webd_path_res res, again;
	char out[4096], out2[4096];
	size_t i;
	int st;

	(void)state;
	assert_true(NVECTORS >= 25);
	for (i = 0; i < NVECTORS; i++) {
		const struct vector *v = &vectors[i];

		st = norm(v->in, strlen(v->in), 0, out, &res);
		if (st != v->status)
			fail_msg("%s: got %d (%s), want %d", v->in, st,
			    res.why ? res.why : "-", v->status);
		if (v->out == NULL)
			continue;
		if (strcmp(out, v->out) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", v->in, out,
			    v->out);
		assert_int_equal(!!(res.flags & WEBD_PATH_HIDDEN),
		    st == HIDDEN);
		/* The result is a fixed point, as a decoded path. */
		st = norm(out, res.len, WEBD_PATH_DECODED | WEBD_PATH_DOTFILES,
		    out2, &again);
		assert_int_equal(st, 0);
		assert_string_equal(out2, out);
		assert_int_equal(again.flags, res.flags);
	}
}

/* The options: dotfiles served, decoded input, and the findings. */
static void
test_options(void **state)
{
	struct webd_path_res res;
	char out[4096];

	(void)state;
	assert_int_equal(norm("/.env", 5, WEBD_PATH_DOTFILES, out, &res), 0);
	assert_string_equal(out, "/.env");
	assert_int_equal(res.flags, WEBD_PATH_HIDDEN);
	assert_int_equal(norm("/.git/", 6, WEBD_PATH_DOTFILES, out, &res), 0);
	assert_int_equal(res.flags, WEBD_PATH_HIDDEN | WEBD_PATH_DIR);
	assert_int_equal(norm("/a/b", 4, 0, out, &res), 0);
	assert_int_equal(res.flags, 0);
	assert_int_equal(norm("/", 1, 0, out, &res), 0);
	assert_int_equal(res.flags, WEBD_PATH_DIR);
	assert_int_equal(norm("/a/b/..", 7, 0, out, &res), 0);
	assert_int_equal(res.flags, WEBD_PATH_DIR);

	/* A decoded path: "%", "?", "#" and space are bytes of names... */
	assert_int_equal(norm("/%2e%2e/a?b#c d", 15, WEBD_PATH_DECODED, out,
	    &res), 0);
	assert_string_equal(out, "/%2e%2e/a?b#c d");
	/* ...but the structure rules hold. */
	assert_int_equal(norm("/../x", 5, WEBD_PATH_DECODED, out, &res), BAD);
	assert_int_equal(norm("/a\\b", 4, WEBD_PATH_DECODED, out, &res), BAD);
	assert_int_equal(norm("/\xc0\xaf", 3, WEBD_PATH_DECODED, out, &res),
	    BAD);
	assert_int_equal(norm("/.env", 5, WEBD_PATH_DECODED, out, &res),
	    HIDDEN);
	assert_int_equal(norm("index.html", 10, WEBD_PATH_DECODED, out, &res),
	    BAD);

	/* A NUL inside the given length is refused, never a terminator. */
	assert_int_equal(norm("/a\0/../b", 8, 0, out, &res), BAD);
	assert_string_equal(res.why, "NUL byte");
	assert_int_equal(norm("/a%2fb", 6, 0, out, &res), BAD);
	assert_string_equal(res.why, "encoded slash");
	assert_int_equal(norm("/..", 3, 0, out, &res), BAD);
	assert_string_equal(res.why, "above the root");
	assert_int_equal(norm("/%c0%ae", 7, 0, out, &res), BAD);
	assert_string_equal(res.why, "invalid UTF-8");
	/* Only len bytes are read: the rest of the string does not count. */
	assert_int_equal(norm("/ab/../../..", 3, 0, out, &res), 0);
	assert_string_equal(out, "/ab");
}

/* Expects status for in in a buffer of size bytes (guarded on both sides). */
static void
sized(const char *in, size_t size, int status)
{
	struct webd_path_res res;
	char buf[64 + 2];
	char *out = buf + 1;

	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(webd_path_normalize(in, strlen(in), 0, out, size,
	    &res), status);
	assert_int_equal(buf[0], 'Z');
	assert_int_equal(out[size], 'Z');
	if (status == 0)
		assert_true(strlen(out) < size);
}

/* 414 when the path and its NUL do not fit; never an overflow. */
static void
test_limits(void **state)
{
	struct webd_path_res res;
	char *big, out[64];
	size_t i, n;

	(void)state;
	sized("/abc", 5, 0);		/* exactly "/abc" and its NUL */
	sized("/abc", 4, WEBD_PATH_TOOLONG);
	sized("/abc/", 6, 0);
	sized("/abc/", 5, WEBD_PATH_TOOLONG);
	sized("/", 2, 0);
	sized("/", 1, WEBD_PATH_TOOLONG);
	sized("/%41%42", 4, 0);
	/* What is read so far must fit, before ".." shortens it. */
	sized("/a/b/c/../../d", 10, 0);
	sized("/a/b/c/../../d", 9, WEBD_PATH_TOOLONG);
	sized("/../aaaaaaaaaaaa", 4, BAD);	/* seen before the length */
	assert_int_equal(webd_path_normalize("/", 1, 0, NULL, 0, &res),
	    WEBD_PATH_TOOLONG);

	/* 100000 "/a/.." in a 64-byte buffer: linear, and it fits. */
	n = 100000;
	big = malloc(n * 5 + 3);
	assert_non_null(big);
	for (i = 0; i < n; i++)
		memcpy(big + i * 5, "/a/..", 5);
	memcpy(big + n * 5, "/x", 3);
	assert_int_equal(webd_path_normalize(big, n * 5 + 2, 0, out,
	    sizeof(out), &res), 0);
	assert_string_equal(out, "/x");
	/* A long segment is 414, not a buffer overflow. */
	memset(big, 'a', n);
	big[0] = '/';
	assert_int_equal(webd_path_normalize(big, n, 0, out, sizeof(out),
	    &res), WEBD_PATH_TOOLONG);
	free(big);
}

/* Every byte value after "/" and after "/%": no crash, the right class. */
static void
test_all_bytes(void **state)
{
	struct webd_path_res res;
	char in[8], out[64];
	int b, st, want;

	(void)state;
	for (b = 0; b < 256; b++) {
		in[0] = '/';
		in[1] = (char)b;
		st = webd_path_normalize(in, 2, 0, out, sizeof(out), &res);
		if (b < 0x20 || b == 0x7f || b >= 0x80 || b == '\\' ||
		    b == ' ' || b == '#' || b == '%')
			want = BAD;
		else if (b == '.')
			want = 0;			/* "/." is "/" */
		else
			want = 0;
		if (st != want)
			fail_msg("raw byte 0x%02x: %d", b, st);
		snprintf(in, sizeof(in), "/%%%02X", b);
		st = webd_path_normalize(in, 4, 0, out, sizeof(out), &res);
		if (b < 0x20 || b == 0x7f || b >= 0x80 || b == '\\' ||
		    b == '/')
			want = BAD;
		else
			want = 0;
		if (st != want)
			fail_msg("encoded byte 0x%02x: %d", b, st);
		if (st == 0 && b != '.' && (out[1] != (char)b || out[2] != 0))
			fail_msg("encoded byte 0x%02x decoded wrong", b);
	}
}

/* ---- webd_path_open on a real tree ------------------------------------ */

static char tmpdir[] = "/tmp/test_webd_path.XXXXXX";
static int rootfd = -1;
static int have_sock;

/* Writes text into tmpdir/rel. */
static void
put(const char *rel, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

/* Makes tmpdir/rel a symlink to target. */
static void
link_to(const char *target, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	assert_int_equal(symlink(target, path), 0);
}

/* Makes tmpdir/rel a directory. */
static void
dir(const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

/* Binds a unix socket at tmpdir/rel; returns 0 when it could. */
static int
sock_at(const char *rel)
{
	struct sockaddr_un sun;
	int fd, n;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", tmpdir,
	    rel);
	if (n < 0 || (size_t)n >= sizeof(sun.sun_path))
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return -1;
	n = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);		/* the node stays */
	return n;
}

/*
 * tmpdir/
 *   outside.txt  outdir/secret.txt
 *   root/  index.html  sub/file.txt  sub/up -> ..  in.txt -> sub/file.txt
 *          out.txt -> ../outside.txt  outdir -> ../outdir
 *          abs_out -> TMP/outside.txt  abs_in -> TMP/docroot/index.html
 *          escape -> sub/up/..  chain1 -> chain2 -> sub/up/../outside.txt
 *          loop1 <-> loop2  fifo  sock  empty/
 */
static int
setup_tree(void **state)
{
	char path[PATH_MAX];

	(void)state;
	assert_non_null(mkdtemp(tmpdir));
	put("outside.txt", "outside");
	dir("outdir");
	put("outdir/secret.txt", "secret");
	dir("docroot");
	put("docroot/index.html", "index");
	dir("docroot/sub");
	put("docroot/sub/file.txt", "file");
	link_to("..", "docroot/sub/up");
	link_to("sub/file.txt", "docroot/in.txt");
	link_to("../outside.txt", "docroot/out.txt");
	link_to("../outdir", "docroot/outdir");
	snprintf(path, sizeof(path), "%s/outside.txt", tmpdir);
	link_to(path, "docroot/abs_out");
	snprintf(path, sizeof(path), "%s/docroot/index.html", tmpdir);
	link_to(path, "docroot/abs_in");
	link_to("sub/up/..", "docroot/escape");
	link_to("chain2", "docroot/chain1");
	link_to("sub/up/../outside.txt", "docroot/chain2");
	link_to("loop2", "docroot/loop1");
	link_to("loop1", "docroot/loop2");
	snprintf(path, sizeof(path), "%s/docroot/fifo", tmpdir);
	assert_int_equal(mkfifo(path, 0644), 0);
	have_sock = sock_at("docroot/sock") == 0;
	dir("docroot/empty");
	snprintf(path, sizeof(path), "%s/docroot", tmpdir);
	rootfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(rootfd >= 0);
	return 0;
}

static int
teardown_tree(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	close(rootfd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

#define OK	0
/* Modes: openat2, the fallback walk, and each with outside links allowed. */
#define M_BENEATH	0
#define M_WALK		WEBD_PATH_NOOPENAT2
#define M_OUT		WEBD_PATH_OUTSIDE
#define M_OUTWALK	(WEBD_PATH_OUTSIDE | WEBD_PATH_NOOPENAT2)

struct open_case {
	const char	*path;
	const char	*content;	/* first bytes; "" for a directory */
	int		 err[4];	/* beneath, walk, out, outwalk */
};

static const struct open_case open_cases[] = {
	{ "/index.html", "index", { OK, OK, OK, OK } },
	{ "/sub/file.txt", "file", { OK, OK, OK, OK } },
	{ "/", "", { OK, OK, OK, OK } },
	{ "/sub/", "", { OK, OK, OK, OK } },
	{ "/empty", "", { OK, OK, OK, OK } },
	/* Symlinks that stay inside: only the strict walk refuses them. */
	{ "/in.txt", "file", { OK, ELOOP, OK, OK } },
	{ "/sub/up/index.html", "index", { OK, ELOOP, OK, OK } },
	{ "/sub/up/sub/up/sub/file.txt", "file", { OK, ELOOP, OK, OK } },
	/* An absolute link is never "beneath", even pointing inside. */
	{ "/abs_in", "index", { EXDEV, ELOOP, OK, OK } },
	/* Symlinks that leave the root. */
	{ "/out.txt", "outside", { EXDEV, ELOOP, OK, OK } },
	{ "/outdir/secret.txt", "secret", { EXDEV, ELOOP, OK, OK } },
	{ "/abs_out", "outside", { EXDEV, ELOOP, OK, OK } },
	{ "/escape/outside.txt", "outside", { EXDEV, ELOOP, OK, OK } },
	{ "/chain1", "outside", { EXDEV, ELOOP, OK, OK } },
	{ "/loop1", NULL, { ELOOP, ELOOP, ELOOP, ELOOP } },
	/* Not regular files: refused, and the FIFO does not block. */
	{ "/fifo", NULL, { ENXIO, ENXIO, ENXIO, ENXIO } },
	/* Missing, or a file used as a directory. */
	{ "/missing", NULL, { ENOENT, ENOENT, ENOENT, ENOENT } },
	{ "/sub/missing/x", NULL, { ENOENT, ENOENT, ENOENT, ENOENT } },
	{ "/index.html/", NULL, { ENOTDIR, ENOTDIR, ENOTDIR, ENOTDIR } },
	{ "/index.html/x", NULL, { ENOTDIR, ENOTDIR, ENOTDIR, ENOTDIR } },
	/* Not normalized: refused before any lookup. */
	{ "/../outside.txt", NULL, { EXDEV, EXDEV, EXDEV, EXDEV } },
	{ "/sub/../../outside.txt", NULL, { EXDEV, EXDEV, EXDEV, EXDEV } },
	{ "index.html", NULL, { EINVAL, EINVAL, EINVAL, EINVAL } },
};

/* Opens path in mode; checks the error or the file's first bytes. */
static void
check_open(const char *path, unsigned mode, int want, const char *content)
{
	struct stat st;
	char buf[32];
	ssize_t n;
	int fd, err = 0;

	fd = webd_path_open(rootfd, path, mode, &st, &err);
	if (want != OK) {
		if (fd != -1 || err != want)
			fail_msg("%s mode %u: fd %d err %s, want %s", path,
			    mode, fd, strerror(err), strerror(want));
		return;
	}
	if (fd == -1)
		fail_msg("%s mode %u: %s", path, mode, strerror(err));
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	if (*content == '\0')
		assert_true(S_ISDIR(st.st_mode));
	else {
		assert_true(S_ISREG(st.st_mode));
		n = read(fd, buf, sizeof(buf) - 1);
		assert_true(n >= 0);
		buf[n] = '\0';
		assert_string_equal(buf, content);
	}
	close(fd);
}

static void
test_open(void **state)
{
	static const unsigned modes[4] = { M_BENEATH, M_WALK, M_OUT,
	    M_OUTWALK };
	size_t i, m;

	(void)state;
	alarm(60);		/* a blocking FIFO open would hang: kill */
	for (i = 0; i < sizeof(open_cases) / sizeof(open_cases[0]); i++) {
		for (m = 0; m < 4; m++)
			check_open(open_cases[i].path, modes[m],
			    open_cases[i].err[m], open_cases[i].content);
	}
	if (have_sock) {
		for (m = 0; m < 4; m++)
			check_open("/sock", modes[m], ENXIO, NULL);
	}
	alarm(0);
}

/* A device node under the root is refused too (when we may make one). */
static void
test_open_device(void **state)
{
	char path[PATH_MAX];

	(void)state;
	snprintf(path, sizeof(path), "%s/docroot/null", tmpdir);
	if (mknod(path, S_IFCHR | 0666, makedev(1, 3)) == -1)
		skip();
	check_open("/null", M_BENEATH, ENXIO, NULL);
	check_open("/null", M_WALK, ENXIO, NULL);
	unlink(path);
}

/* st may be NULL; errno is set like *err. */
static void
test_open_args(void **state)
{
	int fd, err = 0;

	(void)state;
	fd = webd_path_open(rootfd, "/index.html", 0, NULL, &err);
	assert_true(fd >= 0);
	close(fd);
	errno = 0;
	assert_int_equal(webd_path_open(rootfd, "/out.txt", 0, NULL, &err),
	    -1);
	assert_int_equal(errno, EXDEV);
	assert_int_equal(err, EXDEV);
	/* The result of the normalizer feeds the opener directly. */
	{
		struct webd_path_res res;
		char out[256];

		assert_int_equal(webd_path_normalize("/sub/./x/../file.txt?q",
		    22, 0, out, sizeof(out), &res), 0);
		fd = webd_path_open(rootfd, out, M_WALK, NULL, &err);
		assert_true(fd >= 0);
		close(fd);
	}
}

static void
test_errno_status(void **state)
{
	(void)state;
	assert_int_equal(webd_path_errno_status(ENOENT), 404);
	assert_int_equal(webd_path_errno_status(ENOTDIR), 404);
	assert_int_equal(webd_path_errno_status(ENAMETOOLONG), 404);
	assert_int_equal(webd_path_errno_status(ENXIO), 404);
	assert_int_equal(webd_path_errno_status(EXDEV), 403);
	assert_int_equal(webd_path_errno_status(ELOOP), 403);
	assert_int_equal(webd_path_errno_status(EACCES), 403);
	assert_int_equal(webd_path_errno_status(EPERM), 403);
	assert_int_equal(webd_path_errno_status(EMFILE), 503);
	assert_int_equal(webd_path_errno_status(ENFILE), 503);
	assert_int_equal(webd_path_errno_status(EIO), 500);
	assert_int_equal(webd_path_errno_status(EINVAL), 500);
}

int
main(void)
{
	const struct CMUnitTest norm_tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_all_bytes),
		cmocka_unit_test(test_errno_status),
	};
	const struct CMUnitTest open_tests[] = {
		cmocka_unit_test(test_open),
		cmocka_unit_test(test_open_device),
		cmocka_unit_test(test_open_args),
	};
	int rc;

	rc = cmocka_run_group_tests_name("normalize", norm_tests, NULL, NULL);
	rc += cmocka_run_group_tests_name("open", open_tests, setup_tree,
	    teardown_tree);
	return rc;
}
