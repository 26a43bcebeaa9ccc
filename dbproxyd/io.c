/*
 * io.c: sockets without bufferevents (see io.h).
 */

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "evsock.h"
#include "io.h"
#include "net.h"
#include "proto.h"
#include "util.h"

#define DBP_IO_READ	(64 * 1024)	/* bytes reserved per read */
#define DBP_IO_SOON_MAX	(64 * 1024)	/* more queued: flush at once */
#define DBP_IO_YIELDED_US 5		/* a yield this long ran another task */

struct dbp_io_batch {
	TAILQ_HEAD(, dbp_io)	 ios;	/* to flush at the pass's end */
	struct event		*ev;	/* active while ios is not empty */
	int			 armed;
	struct event		*spin;	/* busy poll: a zero timer */
	int			 spinning;
	int64_t			 spin_us;	/* budget after the last read */
	uint64_t		 last_read_us;
	const int		*inflight;	/* poll while <= 1 (or NULL) */
};

/* One client waits (or none): polling may save it a wake-up. */
static int
dbp_io_spin_worth(const struct dbp_io_batch *b)
{
	return b->inflight == NULL || *b->inflight <= 1;
}

static void dbp_io_readable(evutil_socket_t, short, void *);
static void dbp_io_writable(evutil_socket_t, short, void *);
static void dbp_io_timer(evutil_socket_t, short, void *);

/* An io on fd, its events made but not added. */
static struct dbp_io *
dbp_io_alloc(struct event_base *base, int fd, dbp_io_cb on_read,
    dbp_io_cb on_drain, dbp_io_event_cb on_event, void *arg)
{
	struct dbp_io *io = xcalloc(1, sizeof(*io));

	io->fd = fd;
	io->in = evbuffer_new();
	io->out = evbuffer_new();
	io->on_read = on_read;
	io->on_drain = on_drain;
	io->on_event = on_event;
	io->arg = arg;
	io->in_cap = SIZE_MAX;
	io->low = SIZE_MAX;
	io->rev = event_new(base, fd, EV_READ | EV_PERSIST, dbp_io_readable,
	    io);
	io->wev = event_new(base, fd, EV_WRITE | EV_PERSIST, dbp_io_writable,
	    io);
	io->tev = evtimer_new(base, dbp_io_timer, io);
	return io;
}

struct dbp_io *
dbp_io_new(struct event_base *base, int fd, dbp_io_cb on_read,
    dbp_io_cb on_drain, dbp_io_event_cb on_event, void *arg)
{
	struct dbp_io *io;

	evutil_make_socket_nonblocking(fd);
	io = dbp_io_alloc(base, fd, on_read, on_drain, on_event, arg);
	event_add(io->rev, NULL);
	io->reading = 1;
	return io;
}

struct dbp_io *
dbp_io_connect(struct event_base *base, const struct net_addr *a,
    dbp_io_cb on_read, dbp_io_cb on_drain, dbp_io_event_cb on_event,
    void *arg)
{
	struct dbp_io *io;
	char *cause = NULL;
	int fd, inprog;

	if ((fd = net_connect(a, &inprog, &cause)) == -1) {
		free(cause);
		return NULL;
	}
	io = dbp_io_alloc(base, fd, on_read, on_drain, on_event, arg);
	io->connecting = 1;
	event_add(io->wev, NULL);	/* writable: the connect ended */
	io->writing = 1;
	return io;
}

void
dbp_io_free(struct dbp_io *io)
{
	if (io == NULL)
		return;
	if (io->soon) {
		/* What it was asked to send goes now (as it would have). */
		TAILQ_REMOVE(&io->batch->ios, io, soon_link);
		io->soon = 0;
		dbp_io_flush(io);
	}
	event_free(io->rev);
	event_free(io->wev);
	event_free(io->tev);
	dbp_io_tls_free(io);
	evbuffer_free(io->in);
	evbuffer_free(io->out);
	close(io->fd);
	free(io);
}

/* Reports an error from the loop (never from inside a caller's call). */
static void
dbp_io_fail(struct dbp_io *io)
{
	io->failed = 1;
	if (!io->writing) {
		event_add(io->wev, NULL);
		io->writing = 1;
	}
	event_active(io->wev, EV_WRITE, 0);
}

void
dbp_io_flush(struct dbp_io *io)
{
	struct evbuffer *wire = io->ssl != NULL ? io->raw : io->out;
	ssize_t n;

	if (io->connecting || io->failed)
		return;
	if (io->ssl != NULL && dbp_io_tls_output(io) == -1) {
		dbp_io_fail(io);
		return;
	}
	while (evbuffer_get_length(wire) > 0) {
		n = evsock_send(io->fd, wire);
		if (n > 0)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			break;
		dbp_io_fail(io);
		return;
	}
	if (evbuffer_get_length(wire) > 0 && !io->writing) {
		event_add(io->wev, NULL);
		io->writing = 1;
	} else if (evbuffer_get_length(wire) == 0 && io->writing) {
		event_del(io->wev);
		io->writing = 0;
	}
}

void
dbp_io_write(struct dbp_io *io, const void *p, size_t n)
{
	evbuffer_add(io->out, p, n);
	dbp_io_flush(io);
}

void
dbp_io_packet(struct dbp_io *io, uint8_t *seq, const void *payload,
    size_t len)
{
	dbp_io_packet_add(io, seq, payload, len);
	dbp_io_flush(io);
}

/* dbp_frames' sink for an evbuffer. */
static void
dbp_io_put(void *arg, const void *p, size_t n)
{
	evbuffer_add(arg, p, n);
}

void
dbp_io_packet_add(struct dbp_io *io, uint8_t *seq, const void *payload,
    size_t len)
{
	dbp_frames(seq, payload, len, dbp_io_put, io->out);
}

/* The end of a loop pass: every io asked for flushes once. */
static void
dbp_io_batch_run(evutil_socket_t fd, short ev, void *arg)
{
	struct dbp_io_batch *b = arg;
	struct dbp_io *io;

	(void)fd;
	(void)ev;
	b->armed = 0;
	while ((io = TAILQ_FIRST(&b->ios)) != NULL) {
		TAILQ_REMOVE(&b->ios, io, soon_link);
		io->soon = 0;
		dbp_io_flush(io);
	}
}

/* Busy poll: the loop polls again without sleeping (a zero timer makes
   epoll_wait return at once) until spin_us passed without a read; each
   turn yields the CPU to whatever else is runnable on it. A yield that
   gave the CPU away (it returned late) ends the spinning until the next
   read: the CPU has other work, so polling would only take from it, and
   it will not halt, which is what polling saves. */
static void
dbp_io_spin(evutil_socket_t fd, short ev, void *arg)
{
	static const struct timeval zero = { 0, 0 };
	struct dbp_io_batch *b = arg;
	uint64_t now = util_now_us();

	(void)fd;
	(void)ev;
	if (now - b->last_read_us > (uint64_t)b->spin_us ||
	    !dbp_io_spin_worth(b)) {
		b->spinning = 0;
		return;
	}
	sched_yield();
	if (util_now_us() - now > DBP_IO_YIELDED_US) {
		b->spinning = 0;
		return;
	}
	evtimer_add(b->spin, &zero);
}

/* A read happened: the budget starts again (and the spinning). */
static void
dbp_io_spin_kick(struct dbp_io_batch *b)
{
	static const struct timeval zero = { 0, 0 };

	if (b == NULL || b->spin_us <= 0)
		return;
	b->last_read_us = util_now_us();
	if (!b->spinning && dbp_io_spin_worth(b)) {
		b->spinning = 1;
		evtimer_add(b->spin, &zero);
	}
}

struct dbp_io_batch *
dbp_io_batch_new(struct event_base *base)
{
	struct dbp_io_batch *b = xcalloc(1, sizeof(*b));

	TAILQ_INIT(&b->ios);
	b->ev = event_new(base, -1, 0, dbp_io_batch_run, b);
	b->spin = evtimer_new(base, dbp_io_spin, b);
	return b;
}

void
dbp_io_batch_busy_poll(struct dbp_io_batch *b, int64_t us,
    const int *inflight)
{
	b->spin_us = us;
	b->inflight = inflight;
}

void
dbp_io_batch_free(struct dbp_io_batch *b)
{
	if (b == NULL)
		return;
	event_free(b->ev);
	event_free(b->spin);
	free(b);
}

void
dbp_io_flush_soon(struct dbp_io *io)
{
	struct dbp_io_batch *b = io->batch;

	if (b == NULL || dbp_io_pending(io) >= DBP_IO_SOON_MAX) {
		dbp_io_flush(io);
		return;
	}
	if (io->soon)
		return;
	io->soon = 1;
	TAILQ_INSERT_TAIL(&b->ios, io, soon_link);
	if (!b->armed) {
		b->armed = 1;
		/* Appended to the pass's active events: runs after them. */
		event_active(b->ev, EV_TIMEOUT, 0);
	}
}

void
dbp_io_timeout(struct dbp_io *io, int64_t ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (ms <= 0)
		evtimer_del(io->tev);
	else
		evtimer_add(io->tev, &tv);
}

/* Adds or removes the read event to match the wish and the cap. */
static void
dbp_io_sync_read(struct dbp_io *io, int want)
{
	if (want && evbuffer_get_length(io->in) >= io->in_cap)
		want = 0;
	if (want && !io->reading)
		event_add(io->rev, NULL);
	else if (!want && io->reading)
		event_del(io->rev);
	io->reading = want;
}

void
dbp_io_pause(struct dbp_io *io, int pause)
{
	if (pause)
		dbp_io_sync_read(io, 0);
	else
		dbp_io_sync_read(io, 1);
}

size_t
dbp_io_pending(const struct dbp_io *io)
{
	return evbuffer_get_length(io->out) + (io->raw != NULL ?
	    evbuffer_get_length(io->raw) : 0);
}

void
dbp_io_low(struct dbp_io *io, size_t low)
{
	io->low = low;
}

/* TLS: one read of ciphertext, deciphered into in; the handshake's
   answers go out. 1 when the reader should run, 0 when not, -1 gone. */
static int
dbp_io_read_tls(struct dbp_io *io)
{
	char buf[16384];
	ssize_t n;

	n = read(io->fd, buf, sizeof(buf));
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		io->on_event(io, n == 0 ? DBP_IO_EOF : DBP_IO_ERROR, io->arg);
		return -1;
	}
	if (dbp_io_tls_input(io, buf, (size_t)n) == -1) {
		io->on_event(io, DBP_IO_ERROR, io->arg);
		return -1;
	}
	dbp_io_flush(io);
	return evbuffer_get_length(io->in) > 0;
}

/* Readable: TLS, or one read into reserved space (no FIONREAD); then
   the reader, and a pause past in_cap. */
static void
dbp_io_readable(evutil_socket_t fd, short ev, void *arg)
{
	struct dbp_io *io = arg;
	ssize_t n;

	(void)ev;
	if (io->ssl != NULL) {
		if (dbp_io_read_tls(io) == 1)
			io->on_read(io, io->arg);
		return;
	}
	n = evsock_recv(fd, io->in, DBP_IO_READ);
	if (n > 0)
		dbp_io_spin_kick(io->batch);
	else {
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		io->on_event(io, n == 0 ? DBP_IO_EOF : DBP_IO_ERROR, io->arg);
		return;
	}
	/* A paused reader (the client while a command runs) keeps what
	   comes, up to in_cap; past it the kernel holds the rest. */
	if (evbuffer_get_length(io->in) >= io->in_cap)
		dbp_io_sync_read(io, 0);
	io->on_read(io, io->arg);
}

/* Writable: a connect ended, a failed write is reported, or the
   rest of out goes (and on_drain when it fell to low). */
static void
dbp_io_writable(evutil_socket_t fd, short ev, void *arg)
{
	struct dbp_io *io = arg;

	(void)ev;
	if (io->failed) {
		io->on_event(io, DBP_IO_ERROR, io->arg);
		return;
	}
	if (io->connecting) {
		io->connecting = 0;
		event_del(io->wev);
		io->writing = 0;
		if (net_connect_result(fd) != 0) {
			io->on_event(io, DBP_IO_ERROR, io->arg);
			return;
		}
		event_add(io->rev, NULL);
		io->reading = 1;
		io->on_event(io, DBP_IO_CONNECTED, io->arg);
		return;
	}
	dbp_io_flush(io);
	if (io->failed)
		return;
	if (dbp_io_pending(io) <= io->low && io->on_drain != NULL) {
		io->low = SIZE_MAX;
		io->on_drain(io, io->arg);
	}
}

/* The timeout set with dbp_io_timeout(). */
static void
dbp_io_timer(evutil_socket_t fd, short ev, void *arg)
{
	struct dbp_io *io = arg;

	(void)fd;
	(void)ev;
	io->on_event(io, DBP_IO_TIMEOUT, io->arg);
}
