/*
 * test_lbd_check.c: lbd's active health checks (lbd/health.c) against real
 * loopback servers run on the test's own event loop: a listener that
 * accepts, a closed port, HTTP servers that answer a scripted status,
 * garbage, an oversized head, a bare-LF head, nothing at all, or one byte
 * at a time. Covers tcp and http verdicts, status ranges, exact rise and
 * fall counts, the request bytes, timeouts, one check in flight per
 * server, the spread of first checks, logged transitions, the /status
 * JSON and freeing with checks in flight.
 *
 * No assertion depends on timing: the loop runs until a condition holds,
 * and a deadline only turns a hang into a failure. Scripted servers answer
 * only as many checks as the test allowed (fs_allow), so a test stops
 * between two checks and sees the state after exactly k of them.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/event.h>

#include "addr.h"
#include "health.h"
#include "json.h"
#include "lbd.h"
#include "log.h"
#include "net.h"
#include "upstream.h"
#include "util.h"

#define DEADLINE_MS	5000	/* a hang fails the test; never a verdict */
#define FS_SCRIPT	16
#define FS_IN		2048
#define FS_OUT		8192

enum fs_mode {
	FS_ANSWER,	/* answer each request head (script or fixed text) */
	FS_SILENT,	/* accept, read, never answer */
	FS_CLOSE,	/* close at once after accept */
	FS_DRIP,	/* answer one byte every drip_ms */
};

struct fs;

/* One accepted connection of a fake server. */
struct fs_conn {
	struct fs	*s;
	int		 fd;
	struct event	*rd;
	struct event	*drip;
	char		 in[FS_IN];
	size_t		 inlen;
	int		 headed;	/* request head complete */
	int		 answered;
	char		 out[FS_OUT];
	size_t		 outlen, outoff;
	struct fs_conn	*next;
};

/* A fake server on 127.0.0.1, driven by the test's event base. */
struct fs {
	struct event_base	*base;
	int			 lfd;
	struct event		*ev;
	struct net_addr		 addr;
	enum fs_mode		 mode;
	const char		*fixed;		/* answer text, or NULL */
	int			 script[FS_SCRIPT];	/* statuses, in order */
	size_t			 nscript;
	size_t			 allowed;	/* answers allowed so far */
	size_t			 answers;
	int			 drip_ms;
	int			 accepted, open, maxopen;
	int			 seq;		/* accept order stamp */
	char			 req[FS_IN];	/* first request head */
	size_t			 reqlen;
	struct fs_conn		*conns;
};

static int	 accept_seq;	/* shared by all fake servers of a test */
static char	 log_path[64];

/* ---- fake servers --------------------------------------------------- */

static void
fs_conn_close(struct fs_conn *c)
{
	struct fs_conn **pp;

	for (pp = &c->s->conns; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	event_free(c->rd);
	if (c->drip != NULL)
		event_free(c->drip);
	close(c->fd);
	c->s->open--;
	free(c);
}

/* The answer to the next request: fixed text or the next scripted status
   (the last one repeats). */
static void
fs_compose(struct fs_conn *c)
{
	struct fs *s = c->s;
	int st;
	int n;

	if (s->fixed != NULL) {
		util_strlcpy(c->out, s->fixed, sizeof(c->out));
		c->outlen = strlen(c->out);
		return;
	}
	st = s->script[s->answers < s->nscript ? s->answers : s->nscript - 1];
	n = snprintf(c->out, sizeof(c->out),
	    "HTTP/1.1 %d Test\r\nContent-Length: 0\r\n\r\n", st);
	c->outlen = (size_t)n;
}

static void
fs_drip_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct fs_conn *c = arg;
	struct timeval tv = { 0, c->s->drip_ms * 1000 };

	(void)fd;	/* -1 when the timer fires */
	(void)ev;
	if (c->outoff < c->outlen && write(c->fd, c->out + c->outoff, 1) == 1)
		c->outoff++;
	if (c->outoff < c->outlen)
		evtimer_add(c->drip, &tv);
}

/* Answers c if its head is in and the test allows one more answer. */
static void
fs_try_answer(struct fs_conn *c)
{
	struct fs *s = c->s;
	ssize_t n;

	if (!c->headed || c->answered || s->mode == FS_SILENT ||
	    s->answers >= s->allowed)
		return;
	fs_compose(c);
	s->answers++;
	c->answered = 1;
	if (s->mode == FS_DRIP) {
		c->drip = evtimer_new(s->base, fs_drip_cb, c);
		fs_drip_cb(-1, 0, c);
		return;
	}
	n = write(c->fd, c->out, c->outlen);
	assert_int_equal(n, (ssize_t)c->outlen);
}

static void
fs_read_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct fs_conn *c = arg;
	struct fs *s = c->s;
	ssize_t n;

	(void)ev;
	n = read(fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen);
	if (n == -1 && errno == EAGAIN)
		return;
	if (n <= 0) {
		fs_conn_close(c);
		return;
	}
	c->inlen += (size_t)n;
	c->in[c->inlen] = '\0';
	if (c->headed || strstr(c->in, "\r\n\r\n") == NULL)
		return;
	c->headed = 1;
	if (s->reqlen == 0) {
		memcpy(s->req, c->in, c->inlen + 1);
		s->reqlen = c->inlen;
	}
	fs_try_answer(c);
}

/* Closes the connections whose peer already closed, even if their EOF
   event has not run yet: `open` then counts the checker's sockets that
   are open at this moment, whatever order the loop runs events in. */
static void
fs_reap(struct fs *s)
{
	struct fs_conn *c, *next;
	char b;

	for (c = s->conns; c != NULL; c = next) {
		next = c->next;
		if (recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 0)
			fs_conn_close(c);
	}
}

static void
fs_accept_cb(evutil_socket_t lfd, short ev, void *arg)
{
	struct fs *s = arg;
	struct fs_conn *c;
	int fd;

	(void)ev;
	if ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1)
		return;
	s->accepted++;
	s->seq = ++accept_seq;
	fs_reap(s);
	if (s->mode == FS_CLOSE) {
		close(fd);
		return;
	}
	if (++s->open > s->maxopen)
		s->maxopen = s->open;
	c = xcalloc(1, sizeof(*c));
	c->s = s;
	c->fd = fd;
	c->rd = event_new(s->base, fd, EV_READ | EV_PERSIST, fs_read_cb, c);
	event_add(c->rd, NULL);
	c->next = s->conns;
	s->conns = c;
}

/* Starts a fake server on 127.0.0.1 (an ephemeral port). */
static struct fs *
fs_new(struct event_base *base, enum fs_mode mode)
{
	struct fs *s = xcalloc(1, sizeof(*s));
	struct net_addr a;
	char *cause = NULL;

	s->base = base;
	s->mode = mode;
	s->allowed = SIZE_MAX;
	s->drip_ms = 1;
	assert_int_equal(addr_parse_host("127.0.0.1", 0, &a, &cause), 0);
	if ((s->lfd = net_listen(&a, NULL, &cause)) == -1)
		fail_msg("net_listen: %s", cause);
	assert_int_equal(net_local_addr(s->lfd, &s->addr), 0);
	s->ev = event_new(base, s->lfd, EV_READ | EV_PERSIST, fs_accept_cb, s);
	event_add(s->ev, NULL);
	return s;
}

/* Scripted statuses, answered one check at a time as fs_allow permits. */
static struct fs *
fs_script(struct event_base *base, const int *st, size_t n)
{
	struct fs *s = fs_new(base, FS_ANSWER);

	assert_true(n > 0 && n <= FS_SCRIPT);
	memcpy(s->script, st, n * sizeof(*st));
	s->nscript = n;
	s->allowed = 0;
	return s;
}

/* Lets the server answer up to `total` requests in all. */
static void
fs_allow(struct fs *s, size_t total)
{
	struct fs_conn *c, *next;

	s->allowed = total;
	for (c = s->conns; c != NULL; c = next) {
		next = c->next;
		fs_try_answer(c);
	}
}

static void
fs_free(struct fs *s)
{
	while (s->conns != NULL)
		fs_conn_close(s->conns);
	event_free(s->ev);
	close(s->lfd);
	free(s);
}

/* An address where nothing listens: bound, then closed. */
static struct net_addr
closed_port(void)
{
	struct net_addr a, bound;
	char *cause = NULL;
	int fd;

	assert_int_equal(addr_parse_host("127.0.0.1", 0, &a, &cause), 0);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a.ss, a.len), 0);
	assert_int_equal(net_local_addr(fd, &bound), 0);
	close(fd);
	return bound;
}

/* ---- running the loop until something holds -------------------------- */

struct waiter {
	struct event_base	*base;
	int			(*pred)(void *);
	void			*arg;
};

static void
tick_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct waiter *w = arg;

	(void)fd;
	(void)ev;
	if (w->pred == NULL || w->pred(w->arg))
		event_base_loopbreak(w->base);
}

/* Runs base until pred(arg) holds or max_ms pass (pred NULL: just the
   time). Returns pred's last answer. Own deadline event, freed here, so
   that no loopexit outlives this run. */
static int
run_until(struct event_base *base, int (*pred)(void *), void *arg,
    int max_ms)
{
	struct waiter w = { base, pred, arg }, wd = { base, NULL, NULL };
	struct timeval tick = { 0, 1000 };
	struct timeval dl = { max_ms / 1000, (max_ms % 1000) * 1000 };
	struct event *t, *d;

	if (pred != NULL && pred(arg))
		return 1;
	t = event_new(base, -1, EV_PERSIST, tick_cb, &w);
	d = evtimer_new(base, tick_cb, &wd);
	event_add(t, &tick);
	evtimer_add(d, &dl);
	event_base_dispatch(base);
	event_free(t);
	event_free(d);
	return pred == NULL ? 1 : pred(arg);
}

/* ---- the checker's state, as /status shows it ------------------------ */

struct ckstate {
	long long	 ok, failed, last_us;
	char		 last[128];
};

static long long
json_num(const char *j, const char *key)
{
	char pat[32];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	if ((p = strstr(j, pat)) == NULL)
		fail_msg("no %s in %s", key, j);
	return strtoll(p + strlen(pat), NULL, 10);
}

/* Server i's check state through lb_health_json (the real /status path). */
static struct ckstate
ck_state(const struct lb_checker *ck, size_t i)
{
	struct evbuffer *b = evbuffer_new();
	struct ckstate st;
	struct json j;
	const char *p, *e;
	char *s;

	json_init(&j, b);
	json_object_open(&j, NULL);
	lb_health_json(ck, i, &j);
	json_object_close(&j);
	evbuffer_add(b, "", 1);
	s = (char *)evbuffer_pullup(b, -1);
	st.ok = json_num(s, "ok");
	st.failed = json_num(s, "failed");
	st.last_us = json_num(s, "last_us");
	p = strstr(s, "\"last\":\"");
	e = p != NULL ? strchr(p + 8, '"') : NULL;
	if (e == NULL)
		fail_msg("no last in %s", s);
	else
		snprintf(st.last, sizeof(st.last), "%.*s", (int)(e - p - 8),
		    p + 8);
	evbuffer_free(b);
	return st;
}

struct done_pred {
	const struct lb_checker	*ck;
	size_t			 i;
	long long		 n;
};

static int
done_at_least(void *arg)
{
	struct done_pred *d = arg;
	struct ckstate st = ck_state(d->ck, d->i);

	return st.ok + st.failed >= d->n;
}

/* Runs until server i has had n checks in all; fails on the deadline. */
static struct ckstate
wait_checks(struct event_base *base, const struct lb_checker *ck, size_t i,
    long long n)
{
	struct done_pred d = { ck, i, n };

	if (!run_until(base, done_at_least, &d, DEADLINE_MS))
		fail_msg("server %zu: %lld checks not done in time", i, n);
	return ck_state(ck, i);
}

static int
fs_accepted_one(void *arg)
{
	return ((struct fs *)arg)->accepted >= 1;
}

static int
fs_none_open(void *arg)
{
	return ((struct fs *)arg)->open == 0;
}

/* ---- setup ------------------------------------------------------------ */

static struct lb_health
conf(int type, int64_t interval, int64_t timeout, int64_t rise, int64_t fall)
{
	struct lb_health h = {
		.type = type, .method = (char *)"GET", .path = (char *)"/",
		.host = (char *)"localhost", .status_min = 200,
		.status_max = 399, .interval_ms = interval,
		.timeout_ms = timeout, .rise = rise, .fall = fall,
	};

	return h;
}

/*
 * One test's world: an event base, a fake server (or none: a closed
 * port), a one-server group "s1" pointing at it, and the checker.
 */
struct rig {
	struct event_base	*base;
	struct fs		*s;
	struct upstream_group	*g;
	struct lb_checker	*ck;
};

static void
rig_group(struct rig *r, const struct net_addr *a)
{
	r->g = upstream_group_new("g", UPSTREAM_ROUNDROBIN, 0, 0);
	upstream_group_add(r->g, "s1", a, 1, 0);
}

/* A fake server in the given mode; the checker starts with rig_start. */
static void
rig_init(struct rig *r, enum fs_mode mode)
{
	memset(r, 0, sizeof(*r));
	r->base = event_base_new();
	r->s = fs_new(r->base, mode);
	rig_group(r, &r->s->addr);
}

/* No server: s1 is a port where nothing listens. */
static void
rig_init_closed(struct rig *r)
{
	struct net_addr a = closed_port();

	memset(r, 0, sizeof(*r));
	r->base = event_base_new();
	rig_group(r, &a);
}

/* A scripted server (see fs_script). */
static void
rig_init_script(struct rig *r, const int *st, size_t n)
{
	memset(r, 0, sizeof(*r));
	r->base = event_base_new();
	r->s = fs_script(r->base, st, n);
	rig_group(r, &r->s->addr);
}

static void
rig_start(struct rig *r, const struct lb_health *h)
{
	r->ck = lb_health_new(r->base, r->g, h);
	assert_non_null(r->ck);
}

static void
rig_end(struct rig *r)
{
	lb_health_free(r->ck);
	if (r->s != NULL)
		fs_free(r->s);
	if (r->g != NULL)
		upstream_group_unref(r->g);
	event_base_free(r->base);
}

/* Runs until s1 has had n checks in all. */
static struct ckstate
rig_wait(struct rig *r, long long n)
{
	return wait_checks(r->base, r->ck, 0, n);
}

static int
rig_down(const struct rig *r)
{
	return atomic_load(&r->g->servers[0]->check_down);
}

/* The log so far (the checker's transitions), NUL-terminated. */
static char *
log_text(void)
{
	static char buf[65536];
	ssize_t n;
	int fd;

	fd = open(log_path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static int
setup(void **state)
{
	(void)state;
	accept_seq = 0;
	assert_int_equal(truncate(log_path, 0), 0);
	return 0;
}

/* ---- tests ------------------------------------------------------------ */

/* Nothing to check: no checker at all. */
static void
test_none(void **state)
{
	struct rig r;
	struct upstream_group *empty;
	struct lb_health h = conf(0, 20, 50, 1, 1);

	(void)state;
	rig_init_closed(&r);
	assert_null(lb_health_new(r.base, r.g, &h));
	h.type = 1;
	empty = upstream_group_new("e", UPSTREAM_ROUNDROBIN, 0, 0);
	assert_null(lb_health_new(r.base, empty, &h));
	lb_health_free(NULL);
	lb_health_json(NULL, 0, NULL);
	upstream_group_unref(empty);
	rig_end(&r);
}

/* A listener: every TCP check passes; an UP server stays UP silently. */
static void
test_tcp_up(void **state)
{
	struct rig r;
	struct lb_health h = conf(1, 20, 500, 2, 2);
	struct ckstate st;

	(void)state;
	rig_init(&r, FS_ANSWER);
	rig_start(&r, &h);
	st = ck_state(r.ck, 0);
	assert_string_equal(st.last, "not checked yet");
	assert_int_equal(st.ok + st.failed, 0);
	st = rig_wait(&r, 3);
	assert_int_equal(st.failed, 0);
	assert_string_equal(st.last, "TCP connect ok");
	assert_int_equal(rig_down(&r), 0);
	assert_true(r.s->accepted >= 2);
	assert_null(strstr(log_text(), "server s1 is"));
	rig_end(&r);
}

/* A closed port: refused; with fall 2 the first failure keeps it up,
   the second takes it out, logged with the reason and the counts. */
static void
test_tcp_refused_falls(void **state)
{
	struct rig r;
	struct lb_health h = conf(1, 30, 500, 2, 2);
	struct ckstate st;
	const char *log;

	(void)state;
	rig_init_closed(&r);
	rig_start(&r, &h);
	st = rig_wait(&r, 1);
	assert_int_equal(st.failed, 1);
	assert_non_null(strstr(st.last, "refused"));
	assert_int_equal(rig_down(&r), 0);
	st = rig_wait(&r, 2);
	assert_int_equal(st.failed, 2);
	assert_int_equal(rig_down(&r), 1);
	assert_string_equal(upstream_server_state(r.g->servers[0],
	    util_now_ms()), "check-down");
	log = log_text();
	assert_non_null(strstr(log, "server s1 is DOWN: "));
	assert_non_null(strstr(log, "refused (2/2 checks failed)"));
	/* Down stays down, with no second transition line. */
	rig_wait(&r, 4);
	assert_int_equal(rig_down(&r), 1);
	log = log_text();
	assert_null(strstr(strstr(log, "is DOWN") + 1, "is DOWN"));
	rig_end(&r);
}

/* A server the checks had out comes back after exactly rise passes, and
   its slowstart clock (up_since) starts then. */
static void
test_tcp_rises(void **state)
{
	struct rig r;
	struct lb_health h = conf(1, 30, 500, 3, 1);

	(void)state;
	rig_init(&r, FS_ANSWER);
	upstream_server_set_check(r.g->servers[0], 1, 0);
	atomic_store(&r.g->servers[0]->up_since, 0);
	rig_start(&r, &h);
	rig_wait(&r, 2);
	assert_int_equal(rig_down(&r), 1);
	assert_int_equal(atomic_load(&r.g->servers[0]->up_since), 0);
	rig_wait(&r, 3);
	assert_int_equal(rig_down(&r), 0);
	assert_true(atomic_load(&r.g->servers[0]->up_since) > 0);
	assert_non_null(strstr(log_text(),
	    "server s1 is UP: TCP connect ok (3/3 checks passed)"));
	rig_end(&r);
}

/* The request is exactly what the issue says, with the configured
   method, path and Host. */
static void
test_http_request(void **state)
{
	struct rig r;
	struct lb_health h = conf(2, 30, 1000, 1, 1);
	struct ckstate st;

	(void)state;
	rig_init(&r, FS_ANSWER);
	r.s->fixed = "HTTP/1.1 204 No Content\r\n\r\n";
	h.method = (char *)"HEAD";
	h.path = (char *)"/hc?x=1";
	h.host = (char *)"h.example:8080";
	rig_start(&r, &h);
	st = rig_wait(&r, 1);
	assert_string_equal(r.s->req, "HEAD /hc?x=1 HTTP/1.1\r\n"
	    "Host: h.example:8080\r\nConnection: close\r\n"
	    "User-Agent: triad-lbd-check\r\n\r\n");
	assert_int_equal(st.ok, 1);
	assert_string_equal(st.last, "HTTP status 204");
	assert_true(st.last_us > 0);
	rig_end(&r);
}

struct range_case {
	int	 status, min, max, pass;
};

/* One check with fall 1 against a server answering c->status. */
static void
one_status(const struct range_case *c)
{
	struct rig r;
	struct lb_health h = conf(2, 30, 1000, 1, 1);
	struct ckstate st;
	char want[32];

	rig_init_script(&r, &c->status, 1);
	h.status_min = c->min;
	h.status_max = c->max;
	rig_start(&r, &h);
	fs_allow(r.s, 1);
	st = rig_wait(&r, 1);
	snprintf(want, sizeof(want), "HTTP status %d", c->status);
	assert_string_equal(st.last, want);
	if (st.ok != c->pass || rig_down(&r) != !c->pass)
		fail_msg("status %d in %d-%d: ok %lld down %d", c->status,
		    c->min, c->max, st.ok, rig_down(&r));
	rig_end(&r);
}

/* The status range is inclusive at both ends. */
static void
test_http_status_range(void **state)
{
	static const struct range_case cases[] = {
		{ 200, 200, 399, 1 }, { 399, 200, 399, 1 },
		{ 302, 200, 399, 1 }, { 400, 200, 399, 0 },
		{ 503, 200, 399, 0 }, { 404, 200, 399, 0 },
		{ 503, 500, 503, 1 }, { 504, 500, 503, 0 },
		{ 200, 204, 204, 0 }, { 204, 204, 204, 1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < nitems(cases); i++)
		one_status(&cases[i]);
}

/* fall 3, rise 2, one check at a time: two failures keep it up, a pass
   resets the count, three in a row take it out; then a pass, a failure
   (which resets the passes) and a pass keep it out, and the second pass
   in a row brings it back. */
static void
test_http_rise_fall_exact(void **state)
{
	static const int script[] = { 503, 503, 200, 503, 503, 503, 200,
	    503, 200, 200, 200 };
	static const int want_down[] = { 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0 };
	struct rig r;
	struct lb_health h = conf(2, 20, 2000, 2, 3);
	struct ckstate st;
	const char *log;
	size_t k;

	(void)state;
	rig_init_script(&r, script, nitems(script));
	rig_start(&r, &h);
	for (k = 0; k < nitems(script); k++) {
		fs_allow(r.s, k + 1);
		st = rig_wait(&r, (long long)k + 1);
		assert_int_equal(st.ok + st.failed, k + 1);
		if (rig_down(&r) != want_down[k])
			fail_msg("after check %zu (%d): down %d", k + 1,
			    script[k], rig_down(&r));
	}
	assert_int_equal(st.ok, 5);
	assert_int_equal(st.failed, 6);
	log = log_text();
	assert_non_null(strstr(log,
	    "server s1 is DOWN: HTTP status 503 (3/3 checks failed)"));
	assert_non_null(strstr(log,
	    "server s1 is UP: HTTP status 200 (2/2 checks passed)"));
	assert_true(strstr(log, "is DOWN") < strstr(log, "is UP"));
	rig_end(&r);
}

struct bad_case {
	enum fs_mode	 mode;
	const char	*answer;
	const char	*why;		/* in the last result */
};

/* One check with fall 1 that must fail, its reason containing why. */
static void
one_bad(enum fs_mode mode, const char *answer, const char *why)
{
	struct rig r;
	struct lb_health h = conf(2, 30, 300, 1, 1);
	struct ckstate st;

	rig_init(&r, mode);
	r.s->fixed = answer;
	rig_start(&r, &h);
	st = rig_wait(&r, 1);
	if (st.failed != 1 || strstr(st.last, why) == NULL ||
	    rig_down(&r) != 1)
		fail_msg("answer %.40s: failed %lld last '%s' down %d",
		    answer != NULL ? answer : "(none)", st.failed, st.last,
		    rig_down(&r));
	rig_end(&r);
}

/* Hostile or broken answers all fail the check, with a reason. */
static void
test_http_bad_answers(void **state)
{
	static const struct bad_case cases[] = {
		{ FS_ANSWER, "garbage\r\n\r\n", "bad answer" },
		{ FS_ANSWER, "HTTP/1.1 200 OK\n\n", "bad answer" },
		{ FS_ANSWER, "HTTP/2.0 200 OK\r\n\r\n", "bad answer" },
		{ FS_ANSWER, "HTTP/1.1 2000 OK\r\n\r\n", "bad answer" },
		{ FS_ANSWER, "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
		  "bad answer" },
		{ FS_ANSWER, "\r\nHTTP/1.1 200 OK\r\n\r\n", "bad answer" },
		{ FS_CLOSE, NULL, "closed before the answer" },
		{ FS_SILENT, NULL, "timeout after 300ms" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < nitems(cases); i++)
		one_bad(cases[i].mode, cases[i].answer, cases[i].why);
}

/* A head over the checker's bound fails, whichever limit says so first
   (the parser's header limits or the read buffer). */
static void
test_http_huge_head(void **state)
{
	static char big[7000];
	size_t n;

	(void)state;
	n = (size_t)snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\n");
	while (n + 40 < sizeof(big))
		n += (size_t)snprintf(big + n, sizeof(big) - n,
		    "X-Pad: %030zu\r\n", n);
	one_bad(FS_ANSWER, big, "");
}

/* An answer that arrives one byte at a time, well within the timeout,
   passes: the head is parsed across reads. */
static void
test_http_byte_by_byte(void **state)
{
	struct rig r;
	struct lb_health h = conf(2, 30, 3000, 1, 1);
	struct ckstate st;

	(void)state;
	rig_init(&r, FS_DRIP);
	r.s->fixed = "HTTP/1.1 200 OK\r\nServer: drip\r\n\r\n";
	rig_start(&r, &h);
	st = rig_wait(&r, 1);
	assert_int_equal(st.ok, 1);
	assert_string_equal(st.last, "HTTP status 200");
	assert_int_equal(rig_down(&r), 0);
	rig_end(&r);
}

/* A server that never answers: each check times out, and with an
   interval shorter than the timeout there is still never more than one
   check in flight. */
static void
test_timeout_one_in_flight(void **state)
{
	struct rig r;
	struct lb_health h = conf(2, 20, 60, 1, 2);
	struct ckstate st;

	(void)state;
	rig_init(&r, FS_SILENT);
	rig_start(&r, &h);
	st = rig_wait(&r, 4);
	assert_int_equal(st.ok, 0);
	assert_string_equal(st.last, "timeout after 60ms");
	assert_int_equal(rig_down(&r), 1);
	assert_true(r.s->accepted >= 4);
	assert_int_equal(r.s->maxopen, 1);
	assert_non_null(strstr(log_text(),
	    "server s1 is DOWN: timeout after 60ms (2/2 checks failed)"));
	rig_end(&r);
}

/*
 * The timeout bounds the whole check, not each read: a server dripping
 * one byte per 40 ms under a 100 ms timeout must fail (a persistent read
 * event re-armed with the full timeout after every read would let such a
 * server hold a check open for up to 4096 reads and pass it).
 * health.c now re-arms the event for what is left of the check's
 * timeout, so the check fails as it should.
 */
static void
test_timeout_whole_check(void **state)
{
	struct rig r;
	struct lb_health h = conf(2, 30, 100, 1, 1);
	struct ckstate st;

	(void)state;
	rig_init(&r, FS_DRIP);
	r.s->drip_ms = 40;
	r.s->fixed = "HTTP/1.1 200 OK\r\n\r\n";
	rig_start(&r, &h);
	st = rig_wait(&r, 1);
	assert_string_equal(st.last, "timeout after 100ms");
	assert_int_equal(st.failed, 1);
	rig_end(&r);
}

/* First checks are spread over the interval in table order, not all at
   once: four servers, interval 1 s, are first contacted in order, the
   first at once (the others 250, 500 and 750 ms later). */
static void
test_spread(void **state)
{
	struct event_base *base = event_base_new();
	struct upstream_group *g;
	struct lb_health h = conf(1, 1000, 1000, 1, 1);
	struct lb_checker *ck;
	struct fs *s[4];
	char name[8];
	size_t i;

	(void)state;
	g = upstream_group_new("g", UPSTREAM_ROUNDROBIN, 0, 0);
	for (i = 0; i < nitems(s); i++) {
		s[i] = fs_new(base, FS_ANSWER);
		snprintf(name, sizeof(name), "s%zu", i);
		upstream_group_add(g, name, &s[i]->addr, 1, 0);
	}
	ck = lb_health_new(base, g, &h);
	assert_true(run_until(base, fs_accepted_one, s[0], DEADLINE_MS));
	assert_int_equal(s[3]->accepted, 0);
	assert_true(run_until(base, fs_accepted_one, s[3], DEADLINE_MS));
	for (i = 0; i < nitems(s); i++) {
		assert_int_equal(s[i]->accepted, 1);
		assert_int_equal(s[i]->seq, (int)i + 1);
	}
	lb_health_free(ck);
	for (i = 0; i < nitems(s); i++)
		fs_free(s[i]);
	upstream_group_unref(g);
	event_base_free(base);
}

/* Freeing with a check in flight closes its socket and leaves no event
   behind (ASan would see a callback on freed memory); freeing before any
   check started is clean too. */
static void
test_free_in_flight(void **state)
{
	struct rig r;
	struct lb_health h = conf(2, 10, 5000, 1, 1);

	(void)state;
	rig_init(&r, FS_SILENT);
	rig_start(&r, &h);
	assert_true(run_until(r.base, fs_accepted_one, r.s, DEADLINE_MS));
	assert_int_equal(r.s->open, 1);
	lb_health_free(r.ck);
	/* The server sees the check's socket closed. */
	assert_true(run_until(r.base, fs_none_open, r.s, DEADLINE_MS));
	run_until(r.base, NULL, NULL, 50);
	assert_int_equal(r.s->accepted, 1);
	/* Never started: only timers to cancel. */
	rig_start(&r, &h);
	lb_health_free(r.ck);
	r.ck = NULL;
	run_until(r.base, NULL, NULL, 30);
	assert_int_equal(r.s->accepted, 1);
	rig_end(&r);
}

/* The group outlives the caller's reference while the checker holds it. */
static void
test_group_ref(void **state)
{
	struct rig r;
	struct lb_health h = conf(1, 20, 500, 1, 1);

	(void)state;
	rig_init(&r, FS_ANSWER);
	rig_start(&r, &h);
	upstream_group_unref(r.g);
	r.g = NULL;
	wait_checks(r.base, r.ck, 0, 2);
	rig_end(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_none, setup),
		cmocka_unit_test_setup(test_tcp_up, setup),
		cmocka_unit_test_setup(test_tcp_refused_falls, setup),
		cmocka_unit_test_setup(test_tcp_rises, setup),
		cmocka_unit_test_setup(test_http_request, setup),
		cmocka_unit_test_setup(test_http_status_range, setup),
		cmocka_unit_test_setup(test_http_rise_fall_exact, setup),
		cmocka_unit_test_setup(test_http_bad_answers, setup),
		cmocka_unit_test_setup(test_http_huge_head, setup),
		cmocka_unit_test_setup(test_http_byte_by_byte, setup),
		cmocka_unit_test_setup(test_timeout_one_in_flight, setup),
		cmocka_unit_test_setup(test_timeout_whole_check, setup),
		cmocka_unit_test_setup(test_spread, setup),
		cmocka_unit_test_setup(test_free_in_flight, setup),
		cmocka_unit_test_setup(test_group_ref, setup),
	};
	int fd, rc;

	snprintf(log_path, sizeof(log_path), "/tmp/test_lbd_check.XXXXXX");
	if ((fd = mkstemp(log_path)) == -1)
		return 1;
	close(fd);
	log_init("test_lbd_check", LOG_LEVEL_INFO);
	if (log_open_file(log_path) != 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(log_path);
	return rc;
}
