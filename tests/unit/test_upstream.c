/*
 * test_upstream.c: selection golden vectors (nginx's smooth weighted round
 * robin order, least connections, backups), passive marking with an
 * injected clock, and the per-worker pool against real loopback servers
 * in this process: reuse, idle close, idle limits and timeouts, refused
 * and timed-out connects, marking and recovery.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "addr.h"
#include "net.h"
#include "upstream.h"
#include "util.h"

/* ---- selection ------------------------------------------------------- */

static struct net_addr
addr_of(const char *text)
{
	struct net_addr a;
	char *cause = NULL, host[64];
	size_t len = strlen(text);

	/* addr_parse refuses port 0; a test listener wants any port. */
	if (len > 2 && len < sizeof(host) && strcmp(text + len - 2, ":0") == 0) {
		memcpy(host, text, len - 2);
		host[len - 2] = '\0';
		assert_int_equal(addr_parse_host(host, 0, &a, &cause), 0);
		return a;
	}
	assert_int_equal(addr_parse(text, NULL, &a, &cause), 0);
	return a;
}

/* A group of servers named a, b, c... with the given weights. */
static struct upstream_group *
group(enum upstream_algo algo, const int *weights, const int *backup,
    size_t n)
{
	struct upstream_group *g;
	struct net_addr a = addr_of("127.0.0.1:9");
	char name[2] = "a";
	size_t i;

	g = upstream_group_new("test", algo, 3, 1000);
	for (i = 0; i < n; i++) {
		name[0] = (char)('a' + i);
		upstream_group_add(g, name, &a, weights[i],
		    backup != NULL ? backup[i] : 0);
	}
	return g;
}

/* n picks as a string of server names ("aabacaa"), '-' for none. */
static void
picks(struct upstream_group *g, struct upstream_sel *sel,
    const struct upstream_server *avoid, uint64_t now, char *out, size_t n)
{
	struct upstream_server *s;
	size_t i;

	for (i = 0; i < n; i++) {
		s = upstream_select(g, sel, avoid, now);
		out[i] = s == NULL ? '-' : s->name[0];
	}
	out[n] = '\0';
}

static void
test_rr_order(void **state)
{
	static const int w[] = { 5, 1, 1 };
	struct upstream_group *g = group(UPSTREAM_ROUNDROBIN, w, NULL, 3);
	struct upstream_sel sel;
	char got[32];

	(void)state;
	upstream_sel_init(&sel, g);
	/* nginx's documented order for weights 5, 1, 1. */
	picks(g, &sel, NULL, 0, got, 14);
	assert_string_equal(got, "aabacaaaabacaa");
	upstream_sel_free(&sel);

	/* A weight changed at run time (lbd's admin) takes effect. */
	upstream_sel_init(&sel, g);
	atomic_store(&g->servers[0]->weight, 1);
	picks(g, &sel, NULL, 0, got, 6);
	assert_string_equal(got, "abcabc");
	upstream_sel_free(&sel);
	upstream_group_unref(g);
}

static void
test_rr_avoid(void **state)
{
	static const int w[] = { 1, 1 };
	struct upstream_group *g = group(UPSTREAM_ROUNDROBIN, w, NULL, 2);
	struct upstream_sel sel;
	char got[8];

	(void)state;
	upstream_sel_init(&sel, g);
	/* A retry avoids the server that failed... */
	picks(g, &sel, g->servers[0], 0, got, 3);
	assert_string_equal(got, "bbb");
	/* ...unless it is the only one left. */
	atomic_store(&g->servers[1]->admin, UPSTREAM_ADMIN_MAINT);
	picks(g, &sel, g->servers[0], 0, got, 2);
	assert_string_equal(got, "aa");
	upstream_sel_free(&sel);
	upstream_group_unref(g);
}

static void
test_leastconn(void **state)
{
	static const int w[] = { 1, 1, 2 };
	struct upstream_group *g = group(UPSTREAM_LEASTCONN, w, NULL, 3);
	struct upstream_server **s = g->servers;
	struct upstream_sel sel;
	char got[8];

	(void)state;
	upstream_sel_init(&sel, g);
	/* All idle: a tie of all three, weighted RR among them. */
	picks(g, &sel, NULL, 0, got, 4);
	assert_string_equal(got, "cabc");
	/* a: 0/1 is least. */
	atomic_store(&s[1]->active, 1);
	atomic_store(&s[2]->active, 1);
	picks(g, &sel, NULL, 0, got, 3);
	assert_string_equal(got, "aaa");
	/* a: 2/1, b: 1/1, c: 2/2: b and c tie; c's weight wins more. */
	atomic_store(&s[0]->active, 2);
	atomic_store(&s[1]->active, 1);
	atomic_store(&s[2]->active, 2);
	picks(g, &sel, NULL, 0, got, 3);
	assert_string_equal(got, "cbc");
	/* c: 3/2 > b: 1/1. */
	atomic_store(&s[2]->active, 3);
	picks(g, &sel, NULL, 0, got, 2);
	assert_string_equal(got, "bb");
	/* Unusable servers are never least. */
	atomic_store(&s[1]->admin, UPSTREAM_ADMIN_DRAIN);
	picks(g, &sel, NULL, 0, got, 2);
	assert_string_equal(got, "cc");
	upstream_sel_free(&sel);
	upstream_group_unref(g);
}

static void
test_backup(void **state)
{
	static const int w[] = { 1, 1, 1, 1 }, b[] = { 0, 0, 1, 1 };
	struct upstream_group *g;
	struct upstream_sel sel;
	char got[8];
	int algo;

	(void)state;
	for (algo = 0; algo <= 1; algo++) {
		g = group((enum upstream_algo)algo, w, b, 4);
		upstream_sel_init(&sel, g);
		picks(g, &sel, NULL, 0, got, 4);
		assert_string_equal(got, "abab");
		/* Both actives down: the backups take over, together. */
		atomic_store(&g->servers[0]->check_down, 1);
		atomic_store(&g->servers[1]->admin, UPSTREAM_ADMIN_MAINT);
		picks(g, &sel, NULL, 0, got, 4);
		assert_string_equal(got, "cdcd");
		/* One active returns: it gets everything back. */
		atomic_store(&g->servers[1]->admin, UPSTREAM_ADMIN_READY);
		picks(g, &sel, NULL, 0, got, 3);
		assert_string_equal(got, "bbb");
		/* Nothing usable at all. */
		atomic_store(&g->servers[1]->check_down, 1);
		atomic_store(&g->servers[2]->check_down, 1);
		atomic_store(&g->servers[3]->check_down, 1);
		picks(g, &sel, NULL, 0, got, 2);
		assert_string_equal(got, "--");
		upstream_sel_free(&sel);
		upstream_group_unref(g);
	}
}

static void
test_passive_marking(void **state)
{
	static const int w[] = { 1, 1 };
	struct upstream_group *g = group(UPSTREAM_ROUNDROBIN, w, NULL, 2);
	struct upstream_server *a = g->servers[0];
	struct upstream_sel sel;
	char got[8];

	(void)state;
	upstream_sel_init(&sel, g);
	/* max_fails 3, fail_timeout 1000 ms, clock injected. */
	upstream_server_failed(a, 100);
	upstream_server_failed(a, 100);
	assert_true(upstream_server_usable(a, 100));
	/* A success in between resets the count. */
	upstream_server_ok(a);
	upstream_server_failed(a, 100);
	upstream_server_failed(a, 100);
	assert_true(upstream_server_usable(a, 100));
	upstream_server_failed(a, 100);
	assert_false(upstream_server_usable(a, 100));
	assert_false(upstream_server_usable(a, 1099));
	assert_string_equal(upstream_server_state(a, 500), "down");
	picks(g, &sel, NULL, 500, got, 3);
	assert_string_equal(got, "bbb");
	/* After fail_timeout it is tried again... */
	assert_true(upstream_server_usable(a, 1100));
	/* ...and one more failure puts it back down at once. */
	upstream_server_failed(a, 1100);
	assert_false(upstream_server_usable(a, 2099));
	assert_true(upstream_server_usable(a, 2100));
	/* A success brings it back for good. */
	upstream_server_ok(a);
	assert_true(upstream_server_usable(a, 1200));
	assert_int_equal(atomic_load(&a->fails), 0);
	assert_string_equal(upstream_server_state(a, 1200), "up");
	assert_int_equal(atomic_load(&a->n_failures), 6);
	upstream_sel_free(&sel);
	upstream_group_unref(g);

	/* max_fails 0: never marked. */
	g = upstream_group_new("nomark", UPSTREAM_ROUNDROBIN, 0, 1000);
	a = upstream_group_add(g, "a", &(struct net_addr){ .len = 0 }, 1, 0);
	upstream_server_failed(a, 1);
	upstream_server_failed(a, 1);
	assert_true(upstream_server_usable(a, 1));
	assert_ptr_equal(upstream_group_find(g, "a"), a);
	assert_null(upstream_group_find(g, "b"));
	upstream_group_unref(g);
}

/* ---- the pool, with real servers ------------------------------------- */

#define MAXC	16

/* A loopback server that accepts and keeps connections open. */
struct server {
	struct net_listener	*l;
	struct net_addr		 addr;
	int			 fds[MAXC];
	int			 accepted;
};

static void
server_accept(int fd, const struct net_addr *peer, void *arg)
{
	struct server *sv = arg;

	(void)peer;
	if (sv->accepted < MAXC)
		sv->fds[sv->accepted++] = fd;
	else
		close(fd);
}

static void
server_start(struct server *sv, struct event_base *base, const char *text)
{
	struct net_addr a = addr_of(text);
	char *cause = NULL;
	int fd;

	memset(sv, 0, sizeof(*sv));
	if ((fd = net_listen(&a, NULL, &cause)) == -1)
		fail_msg("%s", cause);
	assert_int_equal(net_local_addr(fd, &sv->addr), 0);
	sv->l = net_listener_new(base, fd, server_accept, sv);
}

static void
server_stop(struct server *sv)
{
	int i;

	for (i = 0; i < sv->accepted && i < MAXC; i++)
		close(sv->fds[i]);
	net_listener_free(sv->l);
}

/* What the ready callback saw. */
struct ready {
	struct upstream_conn	*conn;
	char			 error[256];
	int			 calls;
};

static void
ready_cb(struct upstream_conn *conn, const char *error, void *arg)
{
	struct ready *r = arg;

	r->calls++;
	r->conn = error == NULL ? conn : NULL;
	snprintf(r->error, sizeof(r->error), "%s", error != NULL ? error : "");
}

static void
safety_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(int *)arg = 1;
}

/* Runs base until *v == want; a 10 s safety net turns hangs into fails. */
static void
run_until(struct event_base *base, const int *v, int want)
{
	struct timeval tv = { 10, 0 };
	struct event *ev;
	int expired = 0;

	ev = evtimer_new(base, safety_cb, &expired);
	evtimer_add(ev, &tv);
	while (*v != want && !expired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(ev);
	assert_int_equal(*v, want);
}

static void
run_for(struct event_base *base, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

struct env {
	struct event_base	*base;
	struct upstream_group	*g;
	struct upstream_server	*s;
	struct upstream_pool	*pool;
	struct server		 sv;
};

static void
env_open(struct env *e, const char *listen, int max_idle, uint64_t idle_ms)
{
	struct upstream_pool_conf conf = { .max_idle = max_idle,
	    .idle_timeout_ms = idle_ms, .connect_timeout_ms = 5000 };

	e->base = event_base_new();
	server_start(&e->sv, e->base, listen);
	e->g = upstream_group_new("app", UPSTREAM_ROUNDROBIN, 2, 100);
	e->s = upstream_group_add(e->g, "app1", &e->sv.addr, 1, 0);
	e->pool = upstream_pool_new(e->base, e->g, &conf);
}

static void
env_close(struct env *e)
{
	upstream_pool_free(e->pool);
	upstream_group_unref(e->g);
	server_stop(&e->sv);
	event_base_free(e->base);
}

/* Gets a connection to e->s, waiting for the connect when needed. */
static struct upstream_conn *
get_conn(struct env *e, int *was_ready)
{
	struct ready r = { 0 };
	struct upstream_conn *c;
	int ready;

	c = upstream_get(e->pool, e->s, ready_cb, &r, &ready);
	assert_non_null(c);
	*was_ready = ready;
	if (ready) {
		assert_int_equal(r.calls, 0);
		return c;
	}
	run_until(e->base, &r.calls, 1);
	if (r.conn == NULL)
		fail_msg("connect failed: %s", r.error);
	assert_ptr_equal(r.conn, c);
	return c;
}

static void
test_pool_reuse(void **state)
{
	struct env e;
	struct upstream_conn *c;
	int i, ready, fd0 = -1;

	(void)state;
	env_open(&e, "127.0.0.1:0", 4, 0);
	for (i = 0; i < 4; i++) {
		c = get_conn(&e, &ready);
		assert_int_equal(ready, i > 0);
		assert_int_equal(c->uses, (unsigned)i);
		if (i == 0)
			fd0 = c->fd;
		assert_int_equal(c->fd, fd0);
		assert_int_equal(atomic_load(&e.s->active), 1);
		/* The server hears from the same connection each time. */
		assert_int_equal(write(c->fd, "x", 1), 1);
		upstream_release(c, UPSTREAM_REUSE);
		assert_int_equal(atomic_load(&e.s->active), 0);
		assert_int_equal(upstream_pool_idle(e.pool, e.s), 1);
	}
	run_until(e.base, &e.sv.accepted, 1);
	run_for(e.base, 20);
	assert_int_equal(e.sv.accepted, 1);
	assert_int_equal(atomic_load(&e.s->n_connects), 1);
	assert_int_equal(atomic_load(&e.s->n_reuses), 3);
	/* CLOSE: not pooled. */
	c = get_conn(&e, &ready);
	upstream_release(c, UPSTREAM_CLOSE);
	assert_int_equal(upstream_pool_idle(e.pool, e.s), 0);
	env_close(&e);
}

static void
test_pool_idle_closed_by_server(void **state)
{
	struct env e;
	struct upstream_conn *c;
	int ready, idle;

	(void)state;
	env_open(&e, "127.0.0.1:0", 4, 0);
	c = get_conn(&e, &ready);
	upstream_release(c, UPSTREAM_REUSE);
	run_until(e.base, &e.sv.accepted, 1);
	assert_int_equal(upstream_pool_idle(e.pool, e.s), 1);
	/* The server closes its end: the pool notices and drops it. */
	close(e.sv.fds[0]);
	e.sv.fds[0] = -1;
	idle = 1;
	while (idle != 0) {
		event_base_loop(e.base, EVLOOP_ONCE);
		idle = upstream_pool_idle(e.pool, e.s);
	}
	/* The next get makes a new connection. */
	c = get_conn(&e, &ready);
	assert_int_equal(ready, 0);
	assert_int_equal(c->uses, 0);
	upstream_release(c, UPSTREAM_ABORT);
	run_until(e.base, &e.sv.accepted, 2);
	env_close(&e);
}

static void
test_pool_idle_limits(void **state)
{
	struct env e;
	struct upstream_conn *c[3];
	int i, ready, oldest;

	(void)state;
	env_open(&e, "127.0.0.1:0", 2, 50);
	for (i = 0; i < 3; i++)
		c[i] = get_conn(&e, &ready);
	oldest = c[0]->fd;
	for (i = 0; i < 3; i++)
		upstream_release(c[i], UPSTREAM_REUSE);
	/* max_idle 2: the oldest was closed, the two newest are kept. */
	assert_int_equal(upstream_pool_idle(e.pool, e.s), 2);
	c[0] = get_conn(&e, &ready);
	assert_int_equal(ready, 1);
	assert_true(c[0]->fd != oldest);
	upstream_release(c[0], UPSTREAM_REUSE);
	/* idle_timeout 50 ms: both go after it. */
	run_for(e.base, 150);
	assert_int_equal(upstream_pool_idle(e.pool, e.s), 0);
	env_close(&e);
}

/* A connection whose user watches it (a proxy's bufferevent) is timed
   only: reused within the idle timeout it stays pooled, counted from its
   last release; left alone, it goes after the timeout. */
static void
test_pool_idle_timer_only(void **state)
{
	struct env e;
	struct upstream_conn *c;
	int i, ready, fd;

	(void)state;
	env_open(&e, "127.0.0.1:0", 2, 100);
	c = get_conn(&e, &ready);
	fd = c->fd;
	c->user_watches = 1;
	upstream_release(c, UPSTREAM_REUSE);
	/* Four uses 60 ms apart: 240 ms in all, past 100 ms twice over. */
	for (i = 0; i < 4; i++) {
		run_for(e.base, 60);
		assert_int_equal(upstream_pool_idle(e.pool, e.s), 1);
		c = get_conn(&e, &ready);
		assert_int_equal(ready, 1);
		assert_int_equal(c->fd, fd);
		upstream_release(c, UPSTREAM_REUSE);
	}
	/* Busy past the idle timeout: the pool must not touch it. */
	run_for(e.base, 60);
	c = get_conn(&e, &ready);
	assert_int_equal(c->fd, fd);
	run_for(e.base, 250);
	assert_int_equal(atomic_load(&e.s->active), 1);
	assert_int_equal(write(c->fd, "x", 1), 1);
	upstream_release(c, UPSTREAM_REUSE);
	assert_int_equal(upstream_pool_idle(e.pool, e.s), 1);
	run_for(e.base, 250);
	assert_int_equal(upstream_pool_idle(e.pool, e.s), 0);
	env_close(&e);
}

static void
test_pool_refused_marks_and_recovers(void **state)
{
	struct event_base *base = event_base_new();
	struct upstream_pool_conf conf = { .max_idle = 2,
	    .connect_timeout_ms = 5000 };
	struct upstream_group *g;
	struct upstream_server *s;
	struct upstream_pool *pool;
	struct upstream_conn *c;
	struct server sv;
	struct ready r = { 0 };
	char want[128];
	int i, ready;

	(void)state;
	/* A port nobody listens on (bound, then closed). */
	server_start(&sv, base, "127.0.0.1:0");
	server_stop(&sv);
	g = upstream_group_new("app", UPSTREAM_ROUNDROBIN, 2, 100);
	s = upstream_group_add(g, "app1", &sv.addr, 1, 0);
	pool = upstream_pool_new(base, g, &conf);
	snprintf(want, sizeof(want), "connect 127.0.0.1:%u: Connection refused",
	    addr_port(&sv.addr));
	for (i = 1; i <= 2; i++) {
		assert_ptr_equal(upstream_pool_select(pool, NULL), s);
		c = upstream_get(pool, s, ready_cb, &r, &ready);
		assert_non_null(c);
		assert_int_equal(ready, 0);
		assert_int_equal(r.calls, i - 1);	/* never synchronous */
		run_until(base, &r.calls, i);
		assert_null(r.conn);
		assert_string_equal(r.error, want);
		assert_int_equal(atomic_load(&s->active), 0);
	}
	/* Two failures: down, nothing to select for fail_timeout. */
	assert_null(upstream_pool_select(pool, NULL));
	assert_string_equal(upstream_server_state(s, util_now_ms()), "down");

	/* The server comes back; after the timeout it is tried again. */
	snprintf(want, sizeof(want), "127.0.0.1:%u", addr_port(&sv.addr));
	server_start(&sv, base, want);
	run_for(base, 150);
	assert_ptr_equal(upstream_pool_select(pool, NULL), s);
	r.calls = 0;
	c = upstream_get(pool, s, ready_cb, &r, &ready);
	run_until(base, &r.calls, 1);
	assert_non_null(r.conn);
	upstream_release(c, UPSTREAM_REUSE);
	assert_int_equal(atomic_load(&s->fails), 0);
	assert_int_equal(atomic_load(&s->down_until), 0);
	assert_string_equal(upstream_server_state(s, util_now_ms()), "up");

	/* FAILED on a busy connection counts against the server too. */
	c = upstream_get(pool, s, ready_cb, &r, &ready);
	assert_int_equal(ready, 1);
	upstream_release(c, UPSTREAM_FAILED);
	assert_int_equal(atomic_load(&s->fails), 1);
	assert_int_equal(upstream_pool_idle(pool, s), 0);
	upstream_pool_free(pool);
	upstream_group_unref(g);
	server_stop(&sv);
	event_base_free(base);
}

/* The TCP state of a client socket (TCP_SYN_SENT while unanswered). */
static int
tcp_state(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len);
	return ti.tcpi_state;
}

/*
 * A listener whose accept queue is full and never drained: the kernel
 * drops new SYNs, so a connect to it stays in progress. Returns how many
 * fds are in fds (the listener first); all of fds' size when the kernel
 * never left a connect hanging.
 */
static int
blackhole(struct net_addr *addr, int *fds, int max)
{
	struct net_addr a = addr_of("127.0.0.1:0");
	char *cause = NULL;
	int n = 0, inprog, fd;

	fds[n++] = net_listen(&a, &(struct net_listen_opts){ .backlog = 1 },
	    &cause);
	assert_true(fds[0] != -1);
	assert_int_equal(net_local_addr(fds[0], addr), 0);
	while (n < max) {
		fd = net_connect(addr, &inprog, &cause);
		assert_true(fd != -1);
		fds[n++] = fd;
		if (tcp_state(fd) != TCP_SYN_SENT)
			continue;
		usleep(20000);
		if (tcp_state(fd) == TCP_SYN_SENT)
			break;
	}
	return n;
}

static void
test_pool_connect_timeout(void **state)
{
	struct event_base *base = event_base_new();
	struct upstream_pool_conf conf = { .max_idle = 2,
	    .connect_timeout_ms = 100 };
	struct upstream_group *g;
	struct upstream_server *s;
	struct upstream_pool *pool;
	struct net_addr addr;
	struct ready r = { 0 };
	int fds[64], n, i, ready;

	(void)state;
	n = blackhole(&addr, fds, (int)nitems(fds));
	if (n == (int)nitems(fds))
		skip();		/* the kernel accepted everything */
	g = upstream_group_new("app", UPSTREAM_ROUNDROBIN, 1, 60000);
	s = upstream_group_add(g, "slow", &addr, 1, 0);
	pool = upstream_pool_new(base, g, &conf);
	assert_non_null(upstream_get(pool, s, ready_cb, &r, &ready));
	assert_int_equal(ready, 0);
	run_until(base, &r.calls, 1);
	assert_null(r.conn);
	assert_non_null(strstr(r.error, "timed out after 100 ms"));
	assert_false(upstream_server_usable(s, util_now_ms()));
	upstream_pool_free(pool);
	upstream_group_unref(g);
	for (i = 0; i < n; i++)
		close(fds[i]);
	event_base_free(base);
}

static void
test_pool_unix_and_cancel(void **state)
{
	char dir[] = "/tmp/test_upstream.XXXXXX", text[128];
	struct upstream_conn *c;
	struct ready r = { 0 };
	struct env e;
	int ready;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(text, sizeof(text), "unix:%s/app.sock", dir);
	env_open(&e, text, 4, 0);
	/* A unix connect completes at once: ready without a callback. */
	c = get_conn(&e, &ready);
	assert_int_equal(ready, 1);
	upstream_release(c, UPSTREAM_REUSE);
	c = get_conn(&e, &ready);
	assert_int_equal(c->uses, 1);
	/* The pool goes away while c is in use: c stays valid. */
	upstream_pool_free(e.pool);
	upstream_release(c, UPSTREAM_REUSE);
	e.pool = NULL;
	run_until(e.base, &e.sv.accepted, 1);
	env_close(&e);
	unlink(text + 5);
	rmdir(dir);

	/* A connect cancelled before it ends never calls back. */
	env_open(&e, "127.0.0.1:0", 4, 0);
	c = upstream_get(e.pool, e.s, ready_cb, &r, &ready);
	assert_int_equal(ready, 0);
	upstream_release(c, UPSTREAM_ABORT);
	assert_int_equal(atomic_load(&e.s->active), 0);
	run_until(e.base, &e.sv.accepted, 1);
	run_for(e.base, 20);
	assert_int_equal(r.calls, 0);
	assert_int_equal(atomic_load(&e.s->fails), 0);
	env_close(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rr_order),
		cmocka_unit_test(test_rr_avoid),
		cmocka_unit_test(test_leastconn),
		cmocka_unit_test(test_backup),
		cmocka_unit_test(test_passive_marking),
		cmocka_unit_test(test_pool_reuse),
		cmocka_unit_test(test_pool_idle_closed_by_server),
		cmocka_unit_test(test_pool_idle_limits),
		cmocka_unit_test(test_pool_idle_timer_only),
		cmocka_unit_test(test_pool_refused_marks_and_recovers),
		cmocka_unit_test(test_pool_connect_timeout),
		cmocka_unit_test(test_pool_unix_and_cancel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
