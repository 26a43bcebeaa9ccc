/*
 * autoindex.h: directory listings (nginx's autoindex), in HTML, or in JSON
 * when the client asks for application/json.
 */
#ifndef WEBD_AUTOINDEX_H
#define WEBD_AUTOINDEX_H

struct hconn;
struct webd_file;
struct hreq;

#define WEBD_AUTOINDEX_MAX	10000	/* entries listed at most */

/*
 * webd_autoindex: answers r with the listing of dir (an open directory
 * under root, whose normalized path is path, ending in "/"). Hidden names
 * are left out unless dotfiles is on; symlinks are listed, not followed.
 */
void	webd_autoindex(struct hconn *, struct hreq *,
	    const char *path, const struct webd_file *dir);

#endif
