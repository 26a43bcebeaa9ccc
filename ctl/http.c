/*
 * http.c: the smallest HTTP/1.0 client that talks to the daemons' status
 * ports (common/status.c: evhttp). One request per connection, the answer
 * read until close. Everything is bounded: one deadline for the whole
 * exchange and 4 MiB of answer.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "util.h"

#define CTL_HTTP_MAX	(4 * 1024 * 1024)

/* Waits for events on fd until the deadline; -1 with *cause on timeout. */
static int
ctl_http_wait(int fd, short events, uint64_t deadline, char **cause)
{
	struct pollfd p = { fd, events, 0 };
	uint64_t now;
	int rc;

	for (;;) {
		now = util_now_ms();
		if (now >= deadline) {
			xasprintf(cause, "timed out");
			return -1;
		}
		rc = poll(&p, 1, (int)(deadline - now));
		if (rc > 0)
			return 0;
		if (rc == -1 && errno != EINTR) {
			xasprintf(cause, "poll: %s", strerror(errno));
			return -1;
		}
	}
}

/* A non-blocking connect to a, finished before the deadline. */
static int
ctl_http_connect(const struct net_addr *a, uint64_t deadline, char **cause)
{
	int fd, err = 0;
	socklen_t len = sizeof(err);

	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1) {
		xasprintf(cause, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (const struct sockaddr *)&a->ss, a->len) == -1 &&
	    errno != EINPROGRESS) {
		xasprintf(cause, "connect: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (ctl_http_wait(fd, POLLOUT, deadline, cause) == -1 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1 ||
	    err != 0) {
		if (*cause == NULL)
			xasprintf(cause, "connect: %s", strerror(err));
		close(fd);
		return -1;
	}
	return fd;
}

/* Sends all of buf before the deadline. */
static int
ctl_http_send(int fd, const char *buf, size_t len, uint64_t deadline,
    char **cause)
{
	ssize_t n;

	while (len > 0) {
		if (ctl_http_wait(fd, POLLOUT, deadline, cause) == -1)
			return -1;
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n == -1 && errno != EAGAIN && errno != EINTR) {
			xasprintf(cause, "send: %s", strerror(errno));
			return -1;
		}
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		}
	}
	return 0;
}

/* Reads until close into a new NUL-terminated buffer. */
static char *
ctl_http_recv(int fd, size_t *lenp, uint64_t deadline, char **cause)
{
	size_t len = 0, size = 8192;
	char *buf = xmalloc(size);
	ssize_t n;

	for (;;) {
		if (ctl_http_wait(fd, POLLIN, deadline, cause) == -1)
			break;
		if (len + 1 == size) {
			if (size >= CTL_HTTP_MAX) {
				xasprintf(cause, "answer over %d bytes",
				    CTL_HTTP_MAX);
				break;
			}
			buf = xreallocarray(buf, size, 2);
			size *= 2;
		}
		n = recv(fd, buf + len, size - len - 1, 0);
		if (n == 0) {
			buf[len] = '\0';
			*lenp = len;
			return buf;
		}
		if (n > 0)
			len += (size_t)n;
		else if (errno != EAGAIN && errno != EINTR) {
			xasprintf(cause, "recv: %s", strerror(errno));
			break;
		}
	}
	free(buf);
	return NULL;
}

/* "HTTP/1.x NNN ...\r\n...\r\n\r\nbody": the status, and the body moved
   to the front of buf. */
static int
ctl_http_parse(char *buf, size_t len, char **cause)
{
	char *body;
	int code;

	if (len < 12 || strncmp(buf, "HTTP/1.", 7) != 0 ||
	    (code = atoi(buf + 9)) < 100 || code > 599) {
		xasprintf(cause, "not an HTTP answer");
		return -1;
	}
	if ((body = strstr(buf, "\r\n\r\n")) == NULL) {
		xasprintf(cause, "truncated HTTP answer");
		return -1;
	}
	body += 4;
	memmove(buf, body, len - (size_t)(body - buf) + 1);
	return code;
}

int
ctl_http(const struct net_addr *a, const char *method, const char *path,
    const char *body, int timeout_ms, char **out, char **cause)
{
	uint64_t deadline = util_now_ms() + (uint64_t)timeout_ms;
	char *req, *buf;
	size_t len;
	int fd, code = -1;

	*out = NULL;
	*cause = NULL;
	if ((fd = ctl_http_connect(a, deadline, cause)) == -1)
		return -1;
	if (body == NULL)
		body = "";
	xasprintf(&req, "%s %s HTTP/1.0\r\nHost: triad\r\nUser-Agent: "
	    "triadctl\r\nContent-Type: application/x-www-form-urlencoded\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", method, path,
	    strlen(body), body);
	if (ctl_http_send(fd, req, strlen(req), deadline, cause) == 0 &&
	    (buf = ctl_http_recv(fd, &len, deadline, cause)) != NULL) {
		if ((code = ctl_http_parse(buf, len, cause)) == -1)
			free(buf);
		else
			*out = buf;
	}
	free(req);
	close(fd);
	return code;
}
