/*
 * mime.h: file name -> Content-Type, from a types file in the usual
 * format (etc/mime.types):
 *
 *	# comment (also after whitespace at the end of a line)
 *	text/html	html htm
 *	image/png	png
 *
 * One type and one or more extensions per line, separated by spaces or
 * tabs; CRLF line ends are accepted. Extensions are matched without
 * regard to case. When an extension appears twice, the LAST line wins (as
 * in nginx): a site can append overrides at the end of the shipped file.
 *
 * Text types get "; charset=utf-8" appended: text/ (any), application/json,
 * application/javascript, application/xml and any "+json" or "+xml" type
 * (image/svg+xml, application/manifest+json), unless the type already
 * carries parameters (";"). The same holds for the default type.
 *
 * Limits (a types file is trusted but may be broken): WEBD_MIME_MAX_FILE
 * bytes, WEBD_MIME_MAX_LINE bytes per line, WEBD_MIME_MAX_EXT bytes per
 * extension (letters, digits, "-", "_", "+"), WEBD_MIME_MAX_TYPE bytes per
 * type, WEBD_MIME_MAX_ENTRIES extensions. A NUL byte is an error.
 *
 * The table is immutable once loaded: lookups from every worker thread
 * need no lock.
 */
#ifndef WEBD_MIME_H
#define WEBD_MIME_H

#include <stddef.h>

#define WEBD_MIME_MAX_FILE	(1024 * 1024)
#define WEBD_MIME_MAX_LINE	4096
#define WEBD_MIME_MAX_EXT	32
#define WEBD_MIME_MAX_TYPE	127
#define WEBD_MIME_MAX_ENTRIES	20000
#define WEBD_MIME_MAX_ERRORS	20
#define WEBD_MIME_DEFAULT_TYPE	"application/octet-stream"

struct webd_mime;

/*
 * webd_mime_load: reads the types file at path. default_type is the type
 * for unknown names (NULL: WEBD_MIME_DEFAULT_TYPE). Returns the table (free
 * with webd_mime_free), or NULL with *cause (caller frees): a file that
 * cannot be read ("path: No such file or directory"), or every error of
 * the file, one per line, each "path:line: message" (the first
 * WEBD_MIME_MAX_ERRORS, then "N more errors").
 */
struct webd_mime *webd_mime_load(const char *path, const char *default_type,
	    char **cause);
/*
 * webd_mime_parse: the same from len bytes in memory; name prefixes the
 * errors in place of the path.
 */
struct webd_mime *webd_mime_parse(const char *name, const char *text,
	    size_t len, const char *default_type, char **cause);
/*
 * webd_mime_lookup: the Content-Type for filename (a path or a name): the
 * extension is what follows the last "." of the last segment, if that "."
 * is not the segment's first byte (".htaccess" has none). No extension or
 * an unknown one gives the default type. The string lives as long as the
 * table.
 */
const char *webd_mime_lookup(const struct webd_mime *table,
	    const char *filename);
/* webd_mime_count: how many extensions the table maps. */
size_t	webd_mime_count(const struct webd_mime *table);
/* webd_mime_free: frees the table and its strings; NULL is a no-op. */
void	webd_mime_free(struct webd_mime *table);

#endif
