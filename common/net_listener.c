/*
 * net_listener.c: the accept path of one worker (see net.h).
 *
 * One persistent read event on the listening fd, plus one timer for the
 * EMFILE back-off. The read event is added only while accepting is wanted
 * (enabled, not paused for lack of fds, the worker below its connection
 * limit), so a paused listener costs nothing and cannot spin: the kernel
 * keeps the pending connections in the backlog until we come back.
 *
 * libevent's evconnlistener is not used: on EMFILE it only calls an error
 * callback and keeps the fd readable, which is the busy loop we want to
 * avoid, and it has no notion of a connection limit.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "addr.h"
#include "log.h"
#include "net.h"
#include "util.h"

/* Connections accepted per wakeup: bounded so other events get a turn. */
#define NET_ACCEPT_BATCH	64
/* How long an EMFILE pause lasts unless net_listener_resume() ends it. */
#define NET_PAUSE_MS		100

struct net_listener {
	struct event_base	*base;
	struct event		*ev;
	struct event		*timer;
	int			 fd;
	int			 family;
	char			 name[NET_ADDR_STRLEN];
	net_accept_fn		 cb;
	void			*arg;
	int			 enabled;	/* net_listener_enable() */
	int			 full;		/* net_listeners_count: at max */
	int			 fd_pause;	/* EMFILE-type back-off */
	int			 armed;		/* ev is added */
	int			 in_accept;	/* inside the accept loop */
	int			 dying;		/* freed from the callback */
	int			 complained;	/* logged this episode */
	unsigned long		 pauses;
};

static void	net_listener_accept_cb(evutil_socket_t, short, void *);
static void	net_listener_timer_cb(evutil_socket_t, short, void *);

/* Adds or removes the read event so that it matches what is wanted. */
static void
net_listener_update(struct net_listener *l)
{
	int want;

	want = l->enabled && !l->fd_pause && !l->full;
	if (want == l->armed)
		return;
	if (want)
		event_add(l->ev, NULL);
	else
		event_del(l->ev);
	l->armed = want;
}

struct net_listener *
net_listener_new(struct event_base *base, int fd, net_accept_fn cb,
    void *arg)
{
	struct net_listener *l;
	struct net_addr self;

	l = xcalloc(1, sizeof(*l));
	l->base = base;
	l->fd = fd;
	l->cb = cb;
	l->arg = arg;
	l->enabled = 1;
	if (net_local_addr(fd, &self) == 0) {
		l->family = self.ss.ss_family;
		addr_format(&self, l->name, sizeof(l->name));
	} else
		util_strlcpy(l->name, "(unknown)", sizeof(l->name));
	l->ev = event_new(base, fd, EV_READ | EV_PERSIST,
	    net_listener_accept_cb, l);
	l->timer = evtimer_new(base, net_listener_timer_cb, l);
	if (l->ev == NULL || l->timer == NULL)
		fatalx("net_listener_new: out of memory");
	net_listener_update(l);
	return l;
}

static void
net_listener_close_cb(evutil_socket_t fd, short what, void *arg)
{
	close(fd);
}

/*
 * Worker bases queue their epoll changes until the next epoll_wait (the
 * changelist, see lifecycle_worker.c). A Unix listener is shared by dup()
 * between workers, and closing one copy does not take the open file out
 * of an epoll set: were it closed before the queued removal applies, the
 * removal would fail and the set would keep reporting the socket. So a
 * Unix listener is closed from the loop, after the changes are applied.
 * TCP listeners are never dup()ed and close at once (a socket left open
 * could still be handed connections by SO_REUSEPORT).
 */
static void
net_listener_close(struct event_base *base, int fd)
{
	int domain = 0;
	socklen_t len = sizeof(domain);

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 &&
	    domain == AF_UNIX && base != NULL &&
	    event_base_once(base, fd, EV_TIMEOUT, net_listener_close_cb, NULL,
	    &(struct timeval){ 0, 0 }) == 0)
		return;
	close(fd);
}

static void
net_listener_destroy(struct net_listener *l)
{
	struct event_base *base = event_get_base(l->ev);

	event_free(l->ev);
	event_free(l->timer);
	net_listener_close(base, l->fd);
	free(l);
}

void
net_listener_free(struct net_listener *l)
{
	if (l == NULL)
		return;
	if (l->in_accept) {
		/* The accept loop is on the stack: it frees l on return. */
		l->enabled = 0;
		l->dying = 1;
		net_listener_update(l);
		return;
	}
	net_listener_destroy(l);
}

/*
 * Starts an EMFILE-type pause: no accept until the timer fires or an fd is
 * known to be free. One log line per episode, not per pause, so a long
 * shortage logs once and "accepting again" once.
 */
static void
net_listener_pause(struct net_listener *l, int err)
{
	struct timeval tv = { 0, NET_PAUSE_MS * 1000 };

	l->pauses++;
	if (!l->complained) {
		log_warnx("accept on %s: %s; pausing accepts, retrying every "
		    "%d ms", l->name, strerror(err), NET_PAUSE_MS);
		l->complained = 1;
	}
	l->fd_pause = 1;
	net_listener_update(l);
	evtimer_add(l->timer, &tv);
}

static void
net_listener_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net_listener *l = arg;

	(void)fd;
	(void)what;
	l->fd_pause = 0;
	net_listener_update(l);
}

/*
 * What to do after accept4 failed with err: 1 try the next connection
 * (that one was aborted by the peer or the network), 0 stop this round.
 */
static int
net_listener_error(struct net_listener *l, int err)
{
	switch (err) {
	case EAGAIN:
		return 0;
	case EINTR:
	case ECONNABORTED:
	case EPROTO:
	case ENETDOWN:
	case ENOPROTOOPT:
	case EHOSTDOWN:
	case ENONET:
	case EHOSTUNREACH:
	case EOPNOTSUPP:
	case ENETUNREACH:
		return 1;
	default:
		/* EMFILE, ENFILE, ENOBUFS, ENOMEM and the unexpected. */
		net_listener_pause(l, err);
		return 0;
	}
}

/* Hands one accepted socket to the callback. */
static void
net_listener_deliver(struct net_listener *l, int fd,
    const struct net_addr *peer)
{
	int one = 1;

	if (l->family == AF_INET || l->family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	if (l->complained) {
		log_info("accept on %s: accepting again after %lu pauses",
		    l->name, l->pauses);
		l->complained = 0;
	}
	l->cb(fd, peer, l->arg);
}

static void
net_listener_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct net_listener *l = arg;
	struct net_addr peer;
	int fd, i;

	(void)what;
	l->in_accept = 1;
	for (i = 0; i < NET_ACCEPT_BATCH && l->armed; i++) {
		memset(&peer, 0, sizeof(peer));
		peer.len = sizeof(peer.ss);
		fd = accept4(lfd, (struct sockaddr *)&peer.ss, &peer.len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (net_listener_error(l, errno))
				continue;
			break;
		}
		net_listener_deliver(l, fd, &peer);
	}
	l->in_accept = 0;
	if (l->dying)
		net_listener_destroy(l);
}

void
net_listener_resume(struct net_listener *l)
{
	if (!l->fd_pause)
		return;
	evtimer_del(l->timer);
	l->fd_pause = 0;
	net_listener_update(l);
}

void
net_listener_enable(struct net_listener *l, int on)
{
	l->enabled = on != 0;
	net_listener_update(l);
}

int
net_listener_paused(const struct net_listener *l)
{
	return !l->armed;
}

unsigned long
net_listener_pauses(const struct net_listener *l)
{
	return l->pauses;
}

int
net_listener_fd(const struct net_listener *l)
{
	return l->fd;
}

/* The worker's max pause, apart from net_listener_enable's (an owner's
   drain or balancing) and from an EMFILE pause. */
static void
net_listeners_full(struct net_listener **l, size_t n, int full)
{
	size_t i;

	for (i = 0; i < n; i++) {
		l[i]->full = full;
		net_listener_update(l[i]);	/* a no-op unless it changed */
	}
}

void
net_listeners_count(struct net_listener **l, size_t n, size_t *count,
    int delta, size_t max, int stopping)
{
	*count = delta > 0 ? *count + 1 : *count - 1;
	if (max == 0)		/* no limit */
		return;
	if (delta > 0 && *count >= max)
		net_listeners_full(l, n, 1);
	else if (delta < 0 && *count < max && !stopping)
		net_listeners_full(l, n, 0);
}

void
net_listeners_limit(struct net_listener **l, size_t n, size_t count,
    size_t max)
{
	net_listeners_full(l, n, max > 0 && count >= max);
}
