/*
 * alog.c: see alog.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alog.h"
#include "util.h"

struct alog {
	char		*path;
	int		 fd;
	pthread_mutex_t	 lock;	/* reopen against reopen only */
};

static int
alog_open_fd(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

struct alog *
alog_open(const char *path, char **cause)
{
	struct alog *a;
	int fd;

	if (path == NULL || strcmp(path, "-") == 0 || *path == '\0')
		return NULL;
	if ((fd = alog_open_fd(path)) == -1) {
		xasprintf(cause, "access log %s: %s", path, strerror(errno));
		return NULL;
	}
	a = xcalloc(1, sizeof(*a));
	a->path = xstrdup(path);
	a->fd = fd;
	pthread_mutex_init(&a->lock, NULL);
	return a;
}

void
alog_close(struct alog *a)
{
	if (a == NULL)
		return;
	close(a->fd);
	pthread_mutex_destroy(&a->lock);
	free(a->path);
	free(a);
}

int
alog_reopen(struct alog *a)
{
	int fd, rc = 0;

	if (a == NULL)
		return 0;
	pthread_mutex_lock(&a->lock);
	if ((fd = alog_open_fd(a->path)) == -1)
		rc = -1;
	else {
		dup2(fd, a->fd);
		close(fd);
	}
	pthread_mutex_unlock(&a->lock);
	return rc;
}

void
alog_flush(struct alog *a, struct alog_buf *b)
{
	size_t off = 0;
	ssize_t n;

	if (a == NULL)
		return;
	while (off < b->len) {
		n = write(a->fd, b->data + off, b->len - off);
		if (n <= 0 && errno != EINTR)
			break;	/* a full disk loses log lines, not requests */
		if (n > 0)
			off += (size_t)n;
	}
	b->len = 0;
}

void
alog_append(struct alog *a, struct alog_buf *b, const char *line, size_t len)
{
	if (a == NULL)
		return;
	if (len > sizeof(b->data) - 1)
		len = sizeof(b->data) - 1;
	if (b->len + len + 1 > sizeof(b->data))
		alog_flush(a, b);
	memcpy(b->data + b->len, line, len);
	b->len += len;
	b->data[b->len++] = '\n';
}
