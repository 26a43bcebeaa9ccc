/*
 * autoindex.c: see autoindex.h.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "autoindex.h"
#include "hconn.h"
#include "fcache.h"
#include "http1.h"
#include "json.h"
#include "util.h"
#include "webd.h"

struct webd_entry {
	char		*name;
	int		 dir;
	uint64_t	 size;
	time_t		 mtime;
};

static int
webd_autoindex_cmp(const void *a, const void *b)
{
	const struct webd_entry *x = a, *y = b;

	if (x->dir != y->dir)
		return y->dir - x->dir;	/* directories first */
	return strcmp(x->name, y->name);
}

/* Reads the directory (a fresh descriptor, so the cached one is kept). */
static size_t
webd_autoindex_read(const struct webd_file *dir, int dotfiles,
    struct webd_entry **out)
{
	struct webd_entry *v = NULL;
	struct dirent *de;
	struct stat st;
	size_t n = 0, cap = 0;
	DIR *d;
	int fd;

	*out = NULL;
	if ((fd = openat(dir->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return 0;
	}
	while ((de = readdir(d)) != NULL && n < WEBD_AUTOINDEX_MAX) {
		if (de->d_name[0] == '.' && (!dotfiles ||
		    strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
		    -1)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[n].name = xstrdup(de->d_name);
		v[n].dir = S_ISDIR(st.st_mode);
		v[n].size = (uint64_t)st.st_size;
		v[n].mtime = st.st_mtim.tv_sec;
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(v, n, sizeof(*v), webd_autoindex_cmp);
	*out = v;
	return n;
}

/* HTML text: <, >, &, " escaped. */
static void
webd_autoindex_html_text(struct evbuffer *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '<': evbuffer_add(b, "&lt;", 4); break;
		case '>': evbuffer_add(b, "&gt;", 4); break;
		case '&': evbuffer_add(b, "&amp;", 5); break;
		case '"': evbuffer_add(b, "&quot;", 6); break;
		default: evbuffer_add(b, s, 1);
		}
	}
}

/* A path segment percent-encoded for an href (RFC 3986 unreserved kept). */
static void
webd_autoindex_href(struct evbuffer *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch) != NULL)
			evbuffer_add(b, s, 1);
		else
			evbuffer_add_printf(b, "%%%c%c", hex[ch >> 4],
			    hex[ch & 15]);
	}
}

static void
webd_autoindex_html(struct evbuffer *b, const char *path,
    const struct webd_entry *v, size_t n)
{
	char date[32];
	struct tm tm;
	size_t i;

	evbuffer_add_printf(b, "<!doctype html>\n<html><head><meta charset="
	    "utf-8><title>Index of ");
	webd_autoindex_html_text(b, path);
	evbuffer_add_printf(b, "</title></head><body><h1>Index of ");
	webd_autoindex_html_text(b, path);
	evbuffer_add_printf(b, "</h1><hr><pre><a href=\"../\">../</a>\n");
	for (i = 0; i < n; i++) {
		gmtime_r(&v[i].mtime, &tm);
		strftime(date, sizeof(date), "%d-%b-%Y %H:%M", &tm);
		evbuffer_add_printf(b, "<a href=\"");
		webd_autoindex_href(b, v[i].name);
		evbuffer_add_printf(b, "%s\">", v[i].dir ? "/" : "");
		webd_autoindex_html_text(b, v[i].name);
		evbuffer_add_printf(b, "%s</a> %s %20llu\n", v[i].dir ? "/" : "",
		    date, (unsigned long long)v[i].size);
	}
	evbuffer_add_printf(b, "</pre><hr></body></html>\n");
}

static void
webd_autoindex_json(struct evbuffer *b, const struct webd_entry *v, size_t n)
{
	struct json j;
	char date[32];
	struct tm tm;
	size_t i;

	json_init(&j, b);
	json_array_open(&j, NULL);
	for (i = 0; i < n; i++) {
		gmtime_r(&v[i].mtime, &tm);
		strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_object_open(&j, NULL);
		json_str(&j, "name", v[i].name);
		json_str(&j, "type", v[i].dir ? "directory" : "file");
		json_str(&j, "mtime", date);
		if (!v[i].dir)
			json_int(&j, "size", (int64_t)v[i].size);
		json_object_close(&j);
	}
	json_array_close(&j);
	evbuffer_add(b, "\n", 1);
}

/* The client prefers JSON when its Accept names application/json. */
static int
webd_autoindex_wants_json(const struct http1_msg *m)
{
	size_t len;
	const char *a = http1_header_get(m, "accept", &len);

	return a != NULL && memmem(a, len, "application/json", 16) != NULL;
}

void
webd_autoindex(struct hconn *c, struct hreq *r, const char *path,
    const struct webd_file *dir)
{
	struct evbuffer *body = evbuffer_new();
	struct webd_entry *v;
	struct http1_out out;
	char buf[1024];
	size_t i, n;
	int json = webd_autoindex_wants_json(r->msg);

	n = webd_autoindex_read(dir, WEBD_CONF(c)->dotfiles, &v);
	if (json)
		webd_autoindex_json(body, v, n);
	else
		webd_autoindex_html(body, path, v, n);
	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
	hconn_head(c, r, &out, buf, sizeof(buf), 200);
	http1_write_header(&out, "Content-Type", 12, json ?
	    "application/json" : "text/html; charset=utf-8", json ? 16 : 24);
	http1_write_header_u64(&out, "Content-Length", 14,
	    evbuffer_get_length(body));
	if (hconn_send_head(c, &out) == 0) {
		r->bytes = evbuffer_get_length(body);
		if (!r->head_only)
			evbuffer_add_buffer(hconn_output(c), body);
	}
	evbuffer_free(body);
}
