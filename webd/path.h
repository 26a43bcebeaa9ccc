/*
 * path.h: from a request-target to an open file under the document root,
 * without ever leaving the root.
 *
 * Two steps, kept apart so that each can be tested alone:
 *
 * 1. webd_path_normalize() turns the target ("/a/%2e%2e/b%20c?x") into a
 *    decoded, normalized path ("/b c"), or refuses it with the HTTP status
 *    to answer. It is pure (no file system) and never allocates.
 * 2. webd_path_open() opens that path relative to the root's descriptor
 *    with openat2(RESOLVE_BENEATH), so that neither ".." nor a symbolic
 *    link can resolve outside the root, and refuses what is neither a
 *    regular file nor a directory.
 *
 * Normalization rules (nginx-like, stricter; a refusal is 400 unless said):
 * - the target must start with "/"; in target mode the query ("?...") is
 *   cut off first; a raw "#", space or control byte is refused;
 * - "%XX" needs two hex digits; the decoded byte must not be NUL, "/"
 *   (%2F: refused, not merged, to keep URL -> file 1:1), "\" or a control
 *   byte (< 0x20, 0x7f); decoding is done once: "%252e" is the literal
 *   three bytes "%2e";
 *   a raw "\" is refused as well (no Windows-style separators);
 * - bytes >= 0x80 (raw or decoded) must be valid shortest-form UTF-8: no
 *   overlong forms (%c0%ae), no surrogates (%ed%a0%80), nothing above
 *   U+10FFFF;
 * - empty segments ("//") and "." segments are dropped; ".." removes the
 *   segment before it, and a ".." at the root is refused (a traversal
 *   attempt is an error, never clamped); the result ends with "/" when
 *   the last segment was empty, "." or ".." (RFC 3986 5.2.4), so a
 *   directory request stays one;
 * - a segment that starts with "." ("/.git/config", "/.env", "/...") is
 *   hidden: 404 unless WEBD_PATH_DOTFILES; "/.well-known" as the first
 *   segment is never hidden (RFC 8615);
 * - the path must fit in the caller's buffer with its NUL, else 414; this
 *   holds at every step of the reading, before a later ".." shortens it
 *   ("/a/b/../c" needs room for "/a/b"): the work stays bounded by the
 *   buffer, whatever the target.
 * The result is idempotent: normalizing it again with WEBD_PATH_DECODED
 * gives it back unchanged.
 */
#ifndef WEBD_PATH_H
#define WEBD_PATH_H

#include <sys/stat.h>

#include <stddef.h>

/* Options of webd_path_normalize. */
#define WEBD_PATH_DOTFILES	0x01	/* hidden segments are served */
#define WEBD_PATH_DECODED	0x02	/* input is a decoded path: "%", "?",
					   "#" and space are plain bytes */

/* Findings of webd_path_normalize (webd_path_res.flags). */
#define WEBD_PATH_DIR		0x01	/* ends with "/" */
#define WEBD_PATH_HIDDEN	0x02	/* a segment starts with "." */

/* Return values: 0 or the HTTP status to answer. */
#define WEBD_PATH_OK		0
#define WEBD_PATH_BAD		400
#define WEBD_PATH_NOTFOUND	404	/* hidden segment */
#define WEBD_PATH_TOOLONG	414

struct webd_path_res {
	size_t		 len;	/* strlen(out) when 0 or 404 */
	unsigned	 flags;	/* WEBD_PATH_DIR, WEBD_PATH_HIDDEN */
	const char	*why;	/* static text for the log when refused */
};

/*
 * webd_path_normalize: normalizes the len bytes at in (a request-target,
 * or a decoded path with WEBD_PATH_DECODED) into out (size bytes, NUL
 * terminated). opts: WEBD_PATH_DOTFILES, WEBD_PATH_DECODED. Returns
 * WEBD_PATH_OK, or the status to answer: 400 (malformed or traversal),
 * 404 (hidden segment: out and res still hold the path, for the log) or
 * 414 (too long). res is always filled; on 400 and 414 out is "".
 */
int	webd_path_normalize(const char *in, size_t len, unsigned opts,
	    char *out, size_t size, struct webd_path_res *res);

/* Options of webd_path_open. */
#define WEBD_PATH_OUTSIDE	0x01	/* symlinks may lead outside root */
#define WEBD_PATH_NOOPENAT2	0x02	/* force the fallback walk (tests) */

/*
 * webd_path_open: opens path (normalized, starting with "/"; "/" is the
 * root itself) below the directory rootfd, read-only, close-on-exec,
 * non-blocking (a FIFO cannot hang the worker) and never as a controlling
 * terminal. Without WEBD_PATH_OUTSIDE it uses openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_MAGICLINKS): a ".." or a symlink (absolute or relative) that
 * resolves outside the root fails with EXDEV; symlinks that stay inside
 * are followed. With WEBD_PATH_OUTSIDE only magic links (/proc/self/fd/N)
 * are refused. On a kernel without openat2 (ENOSYS, or EPERM from a
 * seccomp filter; detected once) or with WEBD_PATH_NOOPENAT2 it walks the
 * path one component at a time with O_NOFOLLOW, which is stricter: every
 * symlink is refused (ELOOP), even one that stays inside (with
 * WEBD_PATH_OUTSIDE the walk is one plain openat, following links).
 * A path with a ".." component is refused (EXDEV) in every mode.
 * Returns the descriptor (caller closes) with *st filled (st may be
 * NULL), or -1 with *err set (errno is set too): ENXIO when the file is
 * neither regular nor a directory (FIFO, device, socket).
 */
int	webd_path_open(int rootfd, const char *path, unsigned opts,
	    struct stat *st, int *err);

/*
 * webd_path_errno_status: the HTTP status for an error of webd_path_open.
 * 404: ENOENT, ENOTDIR, ENAMETOOLONG, ENXIO (not a regular file, as
 * nginx). 403: EXDEV and ELOOP (a symlink or ".." leaving the root, or a
 * symlink refused by the fallback; nginx's disable_symlinks answers 403
 * too), EACCES, EPERM. 503: EMFILE, ENFILE, ENOMEM (worth a retry on
 * another server). 500: anything else.
 */
int	webd_path_errno_status(int err);

#endif
