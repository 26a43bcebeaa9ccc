/*
 * cond.h: webd's validators and conditional requests (RFC 9110 8.8, 13).
 *
 * Pure functions on field values (pointer and length, not NUL-terminated,
 * NULL when the field is absent) so that they can be tested alone; nothing
 * is allocated. The server core takes the values from the request with
 * http1_header_get. A field sent twice (one list over two lines) is only
 * seen through its first line that way: for If-None-Match that can only
 * turn a 304 into a 200, for If-Match a 200 into a 412, both safe.
 *
 * ETag (8.8.3). A file's tag is strong and built like nginx's:
 *
 *	"<hex mtime sec>-<hex size>"		nginx's own form
 *	"<hex sec>.<hex nsec>-<hex size>"	when the mtime has nanoseconds
 *	... "-<hex inode>"			with WEBD_COND_ETAG_INODE
 *	... "-gz" / "-br"			a precompressed variant
 *
 * nginx leaves out the nanoseconds; we add them when there are some,
 * because a strong tag must change whenever the bytes do, and two writes
 * of the same size within a second are common (editors, deploys). A
 * filesystem without them gives nginx's tag, so clients' caches survive a
 * switch. The inode is off by default: the three web servers of a site
 * hold copies of the same files with different inodes, and a tag that
 * differs per server defeats caches behind the load balancer (Apache's
 * FileETag advice). A precompressed file (index.html.gz) is another
 * representation of the same resource, so its tag differs even when its
 * mtime and size happen to equal the original's (RFC 9110 8.8.3.3).
 */
#ifndef WEBD_COND_H
#define WEBD_COND_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* The longest tag: quotes, 16+8+16+16 hex, 3 separators, "-" variant. */
#define WEBD_COND_ETAG_SIZE	80
#define WEBD_COND_VARIANT_MAX	8	/* bytes of a variant suffix */

#define WEBD_COND_ETAG_INODE	0x1	/* put the inode in the tag */

/* What the tag is made of; fill from struct stat (st_mtim, st_ino). */
struct webd_cond_file {
	int64_t		mtime_sec;
	long		mtime_nsec;
	uint64_t	size;
	uint64_t	ino;
};

/*
 * webd_cond_etag: the strong tag of f, quotes included, into buf (NUL-
 * terminated). variant is NULL for the file as it is, or a short suffix
 * naming a precompressed representation ("gz", "br": at most
 * WEBD_COND_VARIANT_MAX bytes of etagc, letters and digits in practice).
 * flags: WEBD_COND_ETAG_INODE or 0. Returns the length, or 0 (buf empty)
 * when variant is too long or holds a byte an entity-tag cannot.
 */
size_t	webd_cond_etag(char buf[WEBD_COND_ETAG_SIZE],
	    const struct webd_cond_file *f, int flags, const char *variant);

/* A field value: v NULL when the field is absent. */
struct webd_cond_field {
	const char	*v;
	size_t		 len;
};

/* The request side of the conditions. */
struct webd_cond_req {
	struct webd_cond_field	if_match;
	struct webd_cond_field	if_none_match;
	struct webd_cond_field	if_modified_since;
	struct webd_cond_field	if_unmodified_since;
	struct webd_cond_field	if_range;
	int			get_or_head;	/* the method is GET or HEAD */
	time_t			now;		/* request time, 0: unknown */
};

/* The selected representation: its validators. */
struct webd_cond_rep {
	const char	*etag;		/* full tag with quotes, NULL: none */
	size_t		 etag_len;
	time_t		 last_modified;
	int		 has_last_modified;
};

/* The verdict; the values are the status to answer. */
enum webd_cond_result {
	WEBD_COND_PROCEED = 200,	/* go on (Range is decided next) */
	WEBD_COND_NOT_MODIFIED = 304,
	WEBD_COND_FAILED = 412,
};

/*
 * webd_cond_evaluate: the preconditions of req against rep, in the order
 * of RFC 9110 13.2.2:
 *  1. If-Match: "*" is true (call this only for a resource that exists:
 *     13.2.1 says to ignore preconditions when the answer without them
 *     would not be 2xx, so 404 never comes here); otherwise true when a
 *     listed tag equals rep's by the strong comparison. False -> 412.
 *     An invalid list matches nothing.
 *  2. If-Unmodified-Since, only without If-Match: false (412) when the
 *     resource changed after the date. An invalid date is ignored.
 *  3. If-None-Match: "*" is false; otherwise false when a listed tag
 *     equals rep's by the weak comparison (W/ ignored). False -> 304 for
 *     GET and HEAD, 412 for other methods. An invalid list matches
 *     nothing (the request proceeds: a 200 is always safe).
 *  4. If-Modified-Since, only without If-None-Match and for GET or HEAD:
 *     false (304) when last_modified <= date (RFC semantics, which is
 *     nginx's "if_modified_since before"; nginx's default "exact" wants
 *     equality). An invalid date is ignored, and so is a date after now
 *     (when now is known, Apache's rule): a client clock ahead of ours
 *     would otherwise keep a stale copy.
 * Returns PROCEED, NOT_MODIFIED or FAILED. Range and If-Range come next:
 * see webd_cond_if_range.
 */
enum webd_cond_result webd_cond_evaluate(const struct webd_cond_req *req,
	    const struct webd_cond_rep *rep);

/*
 * webd_cond_if_range: whether a Range header may be honoured (RFC 9110
 * 13.1.5): 1 when there is no If-Range, or when it holds a strong tag
 * equal to rep's strong tag, or a date equal to last_modified to the
 * second (nginx's rule) while last_modified is a strong validator, that
 * is at least one second before now when now is known (8.8.2.2). A weak
 * tag, a different tag or date, an invalid value: 0, send the whole
 * representation with 200. Call it only when the request has a Range
 * (13.1.5: If-Range without Range is ignored).
 */
int	webd_cond_if_range(const struct webd_cond_req *req,
	    const struct webd_cond_rep *rep);

#endif
