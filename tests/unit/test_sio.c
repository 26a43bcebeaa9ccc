/*
 * test_sio.c: common/sio's reader on a real socket pair and event loop:
 * bytes arrive whole and in order, the high-water mark pauses and resumes
 * reading, EOF, the timeout, off means off, and a callback may free all;
 * sio_flush sends a head, a file segment and a tail in one call, and the
 * write callback comes for bytes left to libevent whoever sends them.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "sio.h"
#include "util.h"

struct fx {
	struct event_base	*base;
	struct bufferevent	*bev;
	struct sio_rd		*rd;
	int			 peer;
	int			 reads;		/* read callbacks */
	short			 events;	/* the event callback's what */
	size_t			 drain_to;	/* readcb drains down to this */
	int			 free_in_cb;
	int			 stop_at_len;	/* break the loop past it */
	int			 writes;	/* write callbacks */
};

static void
fx_readcb(struct bufferevent *bev, void *arg)
{
	struct fx *f = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	f->reads++;
	if (f->free_in_cb) {
		sio_rd_free(f->rd);
		bufferevent_free(f->bev);
		f->rd = NULL;
		f->bev = NULL;
		event_base_loopbreak(f->base);
		return;
	}
	if (f->stop_at_len > 0 &&
	    evbuffer_get_length(in) >= (size_t)f->stop_at_len)
		event_base_loopbreak(f->base);
}

static void
fx_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct fx *f = arg;

	f->events = what;
	event_base_loopbreak(f->base);
}

static int
fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	int sv[2];

	assert_non_null(f);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	f->base = event_base_new();
	f->bev = bufferevent_socket_new(f->base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	f->rd = sio_rd_new(f->base, f->bev);
	assert_non_null(f->rd);
	f->peer = sv[1];
	bufferevent_setcb(f->bev, fx_readcb, NULL, fx_eventcb, f);
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	sio_rd_free(f->rd);
	if (f->bev != NULL)
		bufferevent_free(f->bev);
	if (f->peer != -1)
		close(f->peer);
	event_base_free(f->base);
	free(f);
	return 0;
}

/* Runs the loop until a callback breaks it or 2 s pass. */
static void
fx_run(struct fx *f)
{
	struct timeval tv = { 2, 0 };

	event_base_loopexit(f->base, &tv);
	event_base_dispatch(f->base);
}

static void
fx_send(struct fx *f, const unsigned char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(f->peer, p, len);

		assert_true(n > 0);
		p += n;
		len -= (size_t)n;
	}
}

/* 150 KB arrive whole and in order, over several reads. */
static void
test_bytes_in_order(void **state)
{
	struct fx *f = *state;
	size_t len = 150 * 1024, i;
	unsigned char *data = malloc(len), *got;

	for (i = 0; i < len; i++)
		data[i] = (unsigned char)(i * 7 + i / 251);
	sio_rd_set(f->rd, 1);
	fx_send(f, data, 100 * 1024);	/* a socket pair holds ~200 KB */
	f->stop_at_len = (int)len;
	fx_run(f);			/* reads the first 100 KB, waits */
	fx_send(f, data + 100 * 1024, len - 100 * 1024);
	while (evbuffer_get_length(bufferevent_get_input(f->bev)) < len &&
	    f->events == 0)
		fx_run(f);
	assert_int_equal(f->events, 0);
	assert_true(f->reads >= 2);
	got = evbuffer_pullup(bufferevent_get_input(f->bev), -1);
	assert_int_equal(evbuffer_get_length(bufferevent_get_input(f->bev)),
	    len);
	assert_memory_equal(got, data, len);
	free(data);
}

/* Reading stops at the high-water mark and resumes once input drains. */
static void
test_high_water(void **state)
{
	struct fx *f = *state;
	unsigned char buf[5000];
	struct evbuffer *in = bufferevent_get_input(f->bev);

	memset(buf, 'x', sizeof(buf));
	sio_rd_high(f->rd, 1000);
	sio_rd_set(f->rd, 1);
	fx_send(f, buf, sizeof(buf));
	f->stop_at_len = 1000;
	fx_run(f);
	assert_int_equal(evbuffer_get_length(in), 1000);
	/* Full: more loop turns read nothing. */
	{
		struct timeval tv = { 0, 50000 };

		f->stop_at_len = 0;
		event_base_loopexit(f->base, &tv);
		event_base_dispatch(f->base);
	}
	assert_int_equal(evbuffer_get_length(in), 1000);
	evbuffer_drain(in, 600);	/* below the mark: reading resumes */
	f->stop_at_len = 1000;
	fx_run(f);
	assert_int_equal(evbuffer_get_length(in), 1000);
	sio_rd_high(f->rd, 0);		/* no bound: the rest comes */
	f->stop_at_len = 5000 - 600;
	fx_run(f);
	assert_int_equal(evbuffer_get_length(in), 5000 - 600);
}

/* The peer's close is BEV_EVENT_EOF | BEV_EVENT_READING, reading off. */
static void
test_eof(void **state)
{
	struct fx *f = *state;

	sio_rd_set(f->rd, 1);
	fx_send(f, (const unsigned char *)"abc", 3);
	close(f->peer);
	f->peer = -1;
	fx_run(f);
	while (f->events == 0)
		fx_run(f);
	assert_int_equal(f->events, BEV_EVENT_EOF | BEV_EVENT_READING);
	assert_int_equal(evbuffer_get_length(bufferevent_get_input(f->bev)), 3);
}

/* Nothing for the timeout: BEV_EVENT_TIMEOUT | BEV_EVENT_READING. */
static void
test_timeout(void **state)
{
	struct fx *f = *state;
	sio_rd_timeout(f->rd, 50);
	sio_rd_set(f->rd, 1);
	fx_run(f);
	assert_int_equal(f->events, BEV_EVENT_TIMEOUT | BEV_EVENT_READING);
	/* Removing the timeout while reading keeps reading, no timeout. */
	f->events = 0;
	sio_rd_set(f->rd, 1);
	sio_rd_timeout(f->rd, 0);
	{
		struct timeval wait = { 0, 150000 };

		event_base_loopexit(f->base, &wait);
		event_base_dispatch(f->base);
	}
	assert_int_equal(f->events, 0);
}

struct drip {
	struct fx	*f;
	struct event	*ev;
	int		 left;		/* bytes still to send */
};

static void
drip_cb(evutil_socket_t fd, short what, void *arg)
{
	struct drip *d = arg;

	fx_send(d->f, (const unsigned char *)"x", 1);
	if (--d->left == 0)
		event_del(d->ev);
}

/* The timeout counts from the last byte: bytes every 30 ms keep an 80 ms
   timeout away; it comes 80 ms after the last one. */
static void
test_timeout_restarts(void **state)
{
	struct fx *f = *state;
	struct timeval every = { 0, 30000 };
	struct drip d = { f, NULL, 6 };
	double t0, took;

	d.ev = event_new(f->base, -1, EV_PERSIST, drip_cb, &d);
	event_add(d.ev, &every);
	sio_rd_timeout(f->rd, 80);
	sio_rd_set(f->rd, 1);
	t0 = util_now_us() / 1e6;
	fx_run(f);
	took = util_now_us() / 1e6 - t0;
	assert_int_equal(f->events, BEV_EVENT_TIMEOUT | BEV_EVENT_READING);
	assert_int_equal(d.left, 0);
	assert_int_equal(evbuffer_get_length(bufferevent_get_input(f->bev)), 6);
	if (took < 0.23)
		fail_msg("timeout after %.3f s, before the last byte + 80 ms",
		    took);
	event_free(d.ev);
}

/* Off stops the timeout's clock; on again starts it afresh. */
static void
test_timeout_paused(void **state)
{
	struct fx *f = *state;
	struct timeval wait = { 0, 150000 };
	double t0, took;

	sio_rd_timeout(f->rd, 50);
	sio_rd_set(f->rd, 1);
	sio_rd_set(f->rd, 0);
	event_base_loopexit(f->base, &wait);
	event_base_dispatch(f->base);
	assert_int_equal(f->events, 0);
	t0 = util_now_us() / 1e6;
	sio_rd_set(f->rd, 1);
	fx_run(f);
	took = util_now_us() / 1e6 - t0;
	assert_int_equal(f->events, BEV_EVENT_TIMEOUT | BEV_EVENT_READING);
	if (took < 0.04 || took > 1.0)
		fail_msg("timeout %.3f s after reading resumed (50 ms)", took);
}

/* Off means nothing is read; on again reads what waited. */
static void
test_off(void **state)
{
	struct fx *f = *state;
	struct timeval tv = { 0, 50000 };

	sio_rd_set(f->rd, 1);
	sio_rd_set(f->rd, 0);
	fx_send(f, (const unsigned char *)"hello", 5);
	event_base_loopexit(f->base, &tv);
	event_base_dispatch(f->base);
	assert_int_equal(f->reads, 0);
	sio_rd_set(f->rd, 1);
	f->stop_at_len = 5;
	fx_run(f);
	assert_int_equal(f->reads, 1);
}

/* The read callback may free the reader and the bufferevent. */
static void
test_free_in_callback(void **state)
{
	struct fx *f = *state;

	f->free_in_cb = 1;
	sio_rd_set(f->rd, 1);
	fx_send(f, (const unsigned char *)"x", 1);
	fx_run(f);
	assert_int_equal(f->reads, 1);
	assert_null(f->bev);
}

/* sio_rd_start reads what is there at once, then watches the socket. */
static void
test_start(void **state)
{
	struct fx *f = *state;

	fx_send(f, (const unsigned char *)"early", 5);
	sio_rd_start(f->rd);
	assert_int_equal(f->reads, 1);	/* inline, no loop turn */
	fx_send(f, (const unsigned char *)"late", 4);
	f->stop_at_len = 9;
	fx_run(f);
	assert_int_equal(f->reads, 2);
	assert_int_equal(evbuffer_get_length(bufferevent_get_input(f->bev)), 9);
}

/* Nothing there yet: start arms the event and the bytes come later. */
static void
test_start_empty(void **state)
{
	struct fx *f = *state;

	sio_rd_start(f->rd);
	assert_int_equal(f->reads, 0);
	fx_send(f, (const unsigned char *)"x", 1);
	f->stop_at_len = 1;
	fx_run(f);
	assert_int_equal(f->reads, 1);
}

/* A callback run from inside sio_rd_start may free everything. */
static void
test_start_free(void **state)
{
	struct fx *f = *state;

	f->free_in_cb = 1;
	fx_send(f, (const unsigned char *)"x", 1);
	sio_rd_start(f->rd);
	assert_int_equal(f->reads, 1);
	assert_null(f->bev);
}

/* A file of n bytes, each its offset's low byte; the open descriptor. */
static int
fx_file(size_t n)
{
	char path[] = "/tmp/test_sio.XXXXXX";
	unsigned char *p = malloc(n);
	size_t i;
	int fd;

	assert_non_null(p);
	for (i = 0; i < n; i++)
		p[i] = (unsigned char)i;
	assert_true((fd = mkstemp(path)) != -1);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	free(p);
	return fd;
}

/* out gets "head", the file's n bytes (a segment: sendfile), "tail". */
static void
fx_add_file(struct bufferevent *bev, int fd, size_t n)
{
	struct evbuffer *out = bufferevent_get_output(bev);
	struct evbuffer_file_segment *seg;

	evbuffer_add(out, "head", 4);
	seg = evbuffer_file_segment_new(fd, 0, (ev_off_t)n, 0);
	assert_non_null(seg);
	assert_int_equal(evbuffer_add_file_segment(out, seg, 0, (ev_off_t)n),
	    0);
	evbuffer_file_segment_free(seg);
	evbuffer_add(out, "tail", 4);
}

/* Reads exactly "head", the n file bytes and "tail" from the peer. */
static void
fx_expect_file(struct fx *f, size_t n)
{
	unsigned char *p = malloc(n + 8);
	uint64_t end = util_now_us() + 10 * 1000000;	/* bounded: 10 s */
	size_t got = 0, i;
	ssize_t r;

	assert_non_null(p);
	while (got < n + 8) {
		assert_true(util_now_us() < end);
		r = read(f->peer, p + got, n + 8 - got);
		if (r == -1 && errno == EAGAIN) {
			/* the rest is libevent's to write: let it */
			assert_int_equal(event_base_loop(f->base,
			    EVLOOP_ONCE | EVLOOP_NONBLOCK), 0);
			continue;
		}
		assert_true(r > 0);
		got += (size_t)r;
	}
	assert_memory_equal(p, "head", 4);
	for (i = 0; i < n; i++)
		if (p[4 + i] != (unsigned char)i)
			fail_msg("file byte %zu: %u", i, p[4 + i]);
	assert_memory_equal(p + 4 + n, "tail", 4);
	free(p);
}

/* The socket has room: head, file and tail leave in this one call, and
   no write event is left to finish (no epoll_ctl, no extra loop pass). */
static void
test_flush_file(void **state)
{
	struct fx *f = *state;
	int fd = fx_file(3000);

	assert_int_equal(fcntl(f->peer, F_SETFL, O_NONBLOCK), 0);
	sio_init(f->bev, 0);
	fx_add_file(f->bev, fd, 3000);
	assert_int_equal(sio_flush(f->bev, SIO_FILES), 0);
	assert_false(bufferevent_get_enabled(f->bev) & EV_WRITE);
	fx_expect_file(f, 3000);
	close(fd);
}

/* The socket fills: sio_flush stops there, EV_WRITE sends the rest, and
   the bytes arrive whole and in order. */
static void
test_flush_file_full(void **state)
{
	struct fx *f = *state;
	size_t n = 8 << 20;
	int fd = fx_file(n);

	assert_int_equal(fcntl(f->peer, F_SETFL, O_NONBLOCK), 0);
	sio_init(f->bev, 0);
	fx_add_file(f->bev, fd, n);
	assert_true(sio_flush(f->bev, SIO_FILES) > 0);
	assert_true(bufferevent_get_enabled(f->bev) & EV_WRITE);
	fx_expect_file(f, n);
	close(fd);
}

static void
fx_writecb(struct bufferevent *bev, void *arg)
{
	struct fx *f = arg;

	(void)bev;
	f->writes++;
}

/* Reads what the peer socket holds, without running the loop. */
static size_t
fx_drain_peer(struct fx *f)
{
	unsigned char buf[65536];
	size_t got = 0;
	ssize_t r;

	while ((r = read(f->peer, buf, sizeof(buf))) > 0)
		got += (size_t)r;
	return got;
}

/* Bytes sio_flush left to libevent, then sent by a later sio_flush (the
   peer read meanwhile, the loop did not run): the write callback still
   comes, as libevent's own write would have made it. An owner paused
   on back-pressure waits for it (lbd stalled an 8 MiB answer so). */
static void
test_flush_owes_writecb(void **state)
{
	struct fx *f = *state;
	size_t n = 4 << 20, got = 0, left;
	unsigned char *p = calloc(1, n);
	int i;

	assert_non_null(p);
	assert_int_equal(fcntl(f->peer, F_SETFL, O_NONBLOCK), 0);
	bufferevent_setcb(f->bev, fx_readcb, fx_writecb, fx_eventcb, f);
	sio_init(f->bev, 0);
	evbuffer_add(bufferevent_get_output(f->bev), p, n);
	left = sio_flush(f->bev, 0);
	assert_true(left > 0);
	assert_true(bufferevent_get_enabled(f->bev) & EV_WRITE);
	for (i = 0; i < 10000 && left > 0; i++) {
		got += fx_drain_peer(f);
		left = sio_flush(f->bev, 0);
	}
	assert_int_equal(left, 0);
	got += fx_drain_peer(f);
	assert_int_equal(got, n);
	assert_false(bufferevent_get_enabled(f->bev) & EV_WRITE);
	assert_int_equal(f->writes, 0);		/* deferred, not inside */
	(void)event_base_loop(f->base, EVLOOP_NONBLOCK);
	assert_int_equal(f->writes, 1);
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bytes_in_order,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_high_water, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_eof, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_timeout, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_timeout_restarts, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_timeout_paused, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_off, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_free_in_callback,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_start, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_start_empty, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_start_free, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_flush_file, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_flush_file_full, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_flush_owes_writecb,
		    fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
