/*
 * alog.c: see alog.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "alog.h"
#include "log.h"
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

struct alog *
alog_fdopen(int fd)
{
	struct alog *a;

	if (fd < 0)
		return NULL;
	a = xcalloc(1, sizeof(*a));
	a->fd = fd;
	pthread_mutex_init(&a->lock, NULL);
	return a;
}

/* fd takes the place of a's descriptor (writers see one or the
   other: dup2 is atomic) and is closed. */
static void
alog_fdswap(struct alog *a, int fd)
{
	pthread_mutex_lock(&a->lock);
	dup2(fd, a->fd);
	close(fd);
	pthread_mutex_unlock(&a->lock);
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
	int fd;

	if (a == NULL || a->path == NULL)
		return 0;
	if ((fd = alog_open_fd(a->path)) == -1) {
		log_warn("reopening the access log %s", a->path);
		return -1;
	}
	alog_fdswap(a, fd);
	return 0;
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

static void
alog_worker_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct alog_worker *aw = arg;

	(void)fd;
	(void)ev;
	alog_flush(aw->log, &aw->buf);
}

void
alog_worker_start(struct alog_worker *aw, struct event_base *base,
    struct alog *log)
{
	struct timeval tv = { 0, ALOG_FLUSH_MS * 1000 };

	aw->log = log;
	aw->timer = event_new(base, -1, EV_PERSIST, alog_worker_tick, aw);
	event_add(aw->timer, &tv);
}

void
alog_worker_line(struct alog_worker *aw, const char *line, size_t len)
{
	alog_append(aw->log, &aw->buf, line, len);
}

void
alog_worker_switch(struct alog_worker *aw, struct alog *log)
{
	alog_flush(aw->log, &aw->buf);
	aw->log = log;
}

void
alog_worker_fdswap(struct alog_worker *aw, int fd)
{
	alog_flush(aw->log, &aw->buf);
	if (aw->log != NULL)
		alog_fdswap(aw->log, fd);
	else
		aw->log = alog_fdopen(fd);
}

void
alog_worker_end(struct alog_worker *aw)
{
	alog_flush(aw->log, &aw->buf);
	if (aw->timer != NULL)
		event_free(aw->timer);
	aw->timer = NULL;
}
