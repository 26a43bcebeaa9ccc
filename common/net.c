/*
 * net.c: listening sockets and outgoing connects (see net.h). The accept
 * path on an event_base lives in net_listener.c.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "net.h"
#include "util.h"

/*
 * Sets *cause to "what ADDR: strerror(err)". Returns -1 so that callers
 * can write "return net_fail(...)". Keeps errno as err.
 */
static int
net_fail(char **cause, const char *what, const struct net_addr *a, int err)
{
	char buf[NET_ADDR_STRLEN];

	xasprintf(cause, "%s %s: %s", what, addr_format(a, buf, sizeof(buf)),
	    strerror(err));
	errno = err;
	return -1;
}

/* Closes fd keeping errno, and returns -1. */
static int
net_close_fail(int fd)
{
	int saved = errno;

	close(fd);
	errno = saved;
	return -1;
}

static int
net_setopt(int fd, int level, int name, int value)
{
	return setsockopt(fd, level, name, &value, sizeof(value));
}

/* The TCP socket options of a listener (see net_listen). */
static int
net_listen_tcp_opts(int fd, const struct net_addr *a,
    const struct net_listen_opts *o, char **cause)
{
	if (net_setopt(fd, SOL_SOCKET, SO_REUSEADDR, 1) == -1)
		return net_fail(cause, "SO_REUSEADDR", a, errno);
	if (!o->no_reuseport &&
	    net_setopt(fd, SOL_SOCKET, SO_REUSEPORT, 1) == -1)
		return net_fail(cause, "SO_REUSEPORT", a, errno);
	if (a->ss.ss_family == AF_INET6 &&
	    net_setopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1) == -1)
		return net_fail(cause, "IPV6_V6ONLY", a, errno);
	if (o->defer_accept > 0 && net_setopt(fd, IPPROTO_TCP,
	    TCP_DEFER_ACCEPT, o->defer_accept) == -1)
		return net_fail(cause, "TCP_DEFER_ACCEPT", a, errno);
	/* IP_FREEBIND also governs IPv6 sockets' bind on Linux. */
	if (o->freebind && net_setopt(fd, IPPROTO_IP, IP_FREEBIND, 1) == -1)
		return net_fail(cause, "IP_FREEBIND", a, errno);
	return 0;
}

/*
 * Removes a stale AF_UNIX socket file before bind. A socket file nobody
 * accepts on (connect gets ECONNREFUSED) is stale and removed; a live one
 * or any other kind of file is left alone and reported, so a second
 * instance never steals the socket of a running one.
 */
static int
net_unix_unlink_stale(const struct net_addr *a, char **cause)
{
	const char *path = ((const struct sockaddr_un *)&a->ss)->sun_path;
	struct stat st;
	int fd, r, err;

	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 : net_fail(cause, "stat", a, errno);
	if (!S_ISSOCK(st.st_mode))
		return net_fail(cause, "bind", a, EEXIST);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return net_fail(cause, "socket", a, errno);
	r = connect(fd, (const struct sockaddr *)&a->ss, a->len);
	err = errno;
	close(fd);
	if (r == 0)
		return net_fail(cause, "bind", a, EADDRINUSE);
	if (err != ECONNREFUSED)
		return net_fail(cause, "connect to old socket", a, err);
	if (unlink(path) == -1 && errno != ENOENT)
		return net_fail(cause, "unlink stale socket", a, errno);
	return 0;
}

int
net_listen(const struct net_addr *a, const struct net_listen_opts *opts,
    char **cause)
{
	static const struct net_listen_opts defaults;
	const struct net_listen_opts *o = opts != NULL ? opts : &defaults;
	int fd, family = a->ss.ss_family;
	const char *path = ((const struct sockaddr_un *)&a->ss)->sun_path;

	*cause = NULL;
	if (family != AF_INET && family != AF_INET6 && family != AF_UNIX)
		return net_fail(cause, "listen", a, EAFNOSUPPORT);
	if (family == AF_UNIX && net_unix_unlink_stale(a, cause) == -1)
		return -1;
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return net_fail(cause, "socket", a, errno);
	if (family != AF_UNIX && net_listen_tcp_opts(fd, a, o, cause) == -1)
		return net_close_fail(fd);
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) == -1) {
		net_fail(cause, "bind", a, errno);
		return net_close_fail(fd);
	}
	/* Before listen(2) nobody can connect, so the mode is never open. */
	if (family == AF_UNIX &&
	    chmod(path, o->mode != 0 ? o->mode : 0660) == -1) {
		net_fail(cause, "chmod", a, errno);
		unlink(path);
		return net_close_fail(fd);
	}
	if (listen(fd, o->backlog > 0 ? o->backlog : NET_BACKLOG_DEFAULT)
	    == -1) {
		net_fail(cause, "listen", a, errno);
		if (family == AF_UNIX)
			unlink(path);
		return net_close_fail(fd);
	}
	/* Best effort: an optimisation, never a reason to refuse. */
	if (o->delayed_ack && family != AF_UNIX)
		(void)net_setopt(fd, IPPROTO_TCP, TCP_QUICKACK, 0);
	return fd;
}

void
net_quickack(int fd)
{
	(void)net_setopt(fd, IPPROTO_TCP, TCP_QUICKACK, 1);
}

int
net_connect(const struct net_addr *a, int *in_progress, char **cause)
{
	int fd, family = a->ss.ss_family;

	*cause = NULL;
	*in_progress = 0;
	if (family != AF_INET && family != AF_INET6 && family != AF_UNIX)
		return net_fail(cause, "connect", a, EAFNOSUPPORT);
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return net_fail(cause, "socket", a, errno);
	if (family != AF_UNIX)
		(void)net_setopt(fd, IPPROTO_TCP, TCP_NODELAY, 1);
	if (connect(fd, (const struct sockaddr *)&a->ss, a->len) == 0)
		return fd;
	if (errno == EINPROGRESS) {
		*in_progress = 1;
		return fd;
	}
	net_fail(cause, "connect", a, errno);
	return net_close_fail(fd);
}

int
net_connect_result(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		return errno;
	return err;
}

int
net_local_addr(int fd, struct net_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->len = sizeof(out->ss);
	return getsockname(fd, (struct sockaddr *)&out->ss, &out->len);
}

int
net_peer_addr(int fd, struct net_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->len = sizeof(out->ss);
	return getpeername(fd, (struct sockaddr *)&out->ss, &out->len);
}
