/*
 * test_net.c: listeners and connects over real sockets: 127.0.0.1, ::1 and
 * a Unix socket in a temporary folder, SO_REUSEPORT pairs, the EMFILE pause
 * (with RLIMIT_NOFILE lowered in the test), the worker's connection limit,
 * and the errors a person reads when an address is bad or taken.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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
#include "listeners.h"
#include "net.h"
#include "util.h"

#define MAX_ACCEPTED	64

struct acc {
	struct net_listener	*l;
	int			 fds[MAX_ACCEPTED];
	struct net_addr		 peers[MAX_ACCEPTED];
	int			 n;
	int			 free_in_cb;
};

static void
acc_cb(int fd, const struct net_addr *peer, void *arg)
{
	struct acc *a = arg;

	if (a->n >= MAX_ACCEPTED) {
		close(fd);
		return;
	}
	a->peers[a->n] = *peer;
	a->fds[a->n++] = fd;
	if (a->free_in_cb) {
		net_listener_free(a->l);
		a->l = NULL;
	}
}

static void
acc_close_all(struct acc *a)
{
	int i;

	for (i = 0; i < a->n; i++)
		close(a->fds[i]);
	a->n = 0;
}

static void
safety_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(int *)arg = 1;
}

/*
 * Runs base until *counter reaches want. A 10 s safety timer turns a hang
 * into a failure; it is not a timing assertion.
 */
static void
run_until(struct event_base *base, const int *counter, int want)
{
	struct timeval tv = { 10, 0 };
	struct event *ev;
	int expired = 0;

	ev = evtimer_new(base, safety_cb, &expired);
	evtimer_add(ev, &tv);
	while (*counter < want && !expired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(ev);
	assert_int_equal(*counter, want);
}

/* Runs base for ms milliseconds of wall time. */
static void
run_for(struct event_base *base, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

static struct net_addr
parse(const char *text)
{
	struct net_addr a;
	char *cause = NULL;

	assert_int_equal(addr_parse(text, NULL, &a, &cause), 0);
	return a;
}

/* Listens on text (port 0 allowed through addr_parse_host) and reports
 * the bound address in *bound. */
static int
listen_on(const char *host, struct net_addr *bound,
    const struct net_listen_opts *o)
{
	struct net_addr a;
	char *cause = NULL;
	int fd;

	assert_int_equal(addr_parse_host(host, 0, &a, &cause), 0);
	fd = net_listen(&a, o, &cause);
	if (fd == -1)
		fail_msg("net_listen %s: %s", host, cause);
	assert_int_equal(net_local_addr(fd, bound), 0);
	return fd;
}

/* A blocking client connect (the test's side of the wire). */
static int
client_connect(const struct net_addr *a)
{
	char *cause = NULL;
	int fd, inprog;

	fd = net_connect(a, &inprog, &cause);
	if (fd == -1)
		fail_msg("net_connect: %s", cause);
	return fd;
}

static void
check_accept_on(const char *host, int family)
{
	struct event_base *base = event_base_new();
	struct acc a = { 0 };
	struct net_addr bound, local;
	int lfd, c, flags, nodelay = 0;
	socklen_t len = sizeof(nodelay);

	lfd = listen_on(host, &bound, NULL);
	assert_true(fcntl(lfd, F_GETFD) & FD_CLOEXEC);
	assert_true(fcntl(lfd, F_GETFL) & O_NONBLOCK);
	a.l = net_listener_new(base, lfd, acc_cb, &a);
	c = client_connect(&bound);
	run_until(base, &a.n, 1);
	assert_int_equal(a.peers[0].ss.ss_family, family);
	assert_int_equal(net_local_addr(c, &local), 0);
	assert_true(addr_equal(&a.peers[0], &local));
	flags = fcntl(a.fds[0], F_GETFL);
	assert_true(flags & O_NONBLOCK);
	assert_true(fcntl(a.fds[0], F_GETFD) & FD_CLOEXEC);
	getsockopt(a.fds[0], IPPROTO_TCP, TCP_NODELAY, &nodelay, &len);
	assert_int_equal(nodelay, 1);
	close(c);
	acc_close_all(&a);
	net_listener_free(a.l);
	event_base_free(base);
}

static void
test_accept_v4(void **state)
{
	(void)state;
	check_accept_on("127.0.0.1", AF_INET);
}

static void
test_accept_v6(void **state)
{
	(void)state;
	check_accept_on("::1", AF_INET6);
}

static void
test_v6only(void **state)
{
	struct net_addr b4, b6;
	char *cause = NULL;
	int fd4, fd6, v6only = 0;
	socklen_t len = sizeof(v6only);

	(void)state;
	/* "[::]:P" with IPV6_V6ONLY leaves "0.0.0.0:P" free to bind. */
	fd6 = listen_on("::", &b6, &(struct net_listen_opts){
	    .no_reuseport = 1 });
	getsockopt(fd6, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &len);
	assert_int_equal(v6only, 1);
	assert_int_equal(addr_parse_host("0.0.0.0", addr_port(&b6), &b4,
	    &cause), 0);
	fd4 = net_listen(&b4, &(struct net_listen_opts){ .no_reuseport = 1 },
	    &cause);
	if (fd4 == -1)
		fail_msg("%s", cause);
	close(fd4);
	close(fd6);
}

static void
test_unix(void **state)
{
	struct event_base *base = event_base_new();
	char dir[] = "/tmp/test_net.XXXXXX", text[200];
	struct acc a = { 0 };
	struct net_addr addr;
	struct stat st;
	char *cause = NULL;
	int lfd, c, stale;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(text, sizeof(text), "unix:%s/s.sock", dir);
	addr = parse(text);

	/* A stale socket file (bound, closed) is replaced. */
	stale = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(stale, (struct sockaddr *)&addr.ss, addr.len), 0);
	close(stale);
	lfd = net_listen(&addr, &(struct net_listen_opts){ .mode = 0600 },
	    &cause);
	if (lfd == -1)
		fail_msg("%s", cause);
	assert_int_equal(stat(text + 5, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);

	a.l = net_listener_new(base, lfd, acc_cb, &a);
	c = client_connect(&addr);
	run_until(base, &a.n, 1);
	assert_int_equal(a.peers[0].ss.ss_family, AF_UNIX);

	/* A live one is not stolen (its probe connect is accepted). */
	assert_int_equal(net_listen(&addr, NULL, &cause), -1);
	assert_non_null(strstr(cause, "Address already in use"));
	free(cause);
	run_until(base, &a.n, 2);
	close(c);
	acc_close_all(&a);
	net_listener_free(a.l);

	/* A regular file in the way is an error, and it is kept. */
	unlink(text + 5);
	close(open(text + 5, O_CREAT | O_WRONLY, 0600));
	assert_int_equal(net_listen(&addr, NULL, &cause), -1);
	assert_non_null(strstr(cause, "File exists"));
	free(cause);
	assert_int_equal(access(text + 5, F_OK), 0);
	unlink(text + 5);
	rmdir(dir);
	event_base_free(base);
}

static void
test_reuseport_pair(void **state)
{
	struct event_base *base = event_base_new();
	struct acc a1 = { 0 }, a2 = { 0 };
	struct net_addr b1, b2;
	char *cause = NULL;
	int fd1, fd2, i, total = 0, clients[20];

	(void)state;
	fd1 = listen_on("127.0.0.1", &b1, NULL);
	fd2 = net_listen(&b1, NULL, &cause);
	if (fd2 == -1)
		fail_msg("second SO_REUSEPORT listener: %s", cause);
	assert_int_equal(net_local_addr(fd2, &b2), 0);
	assert_true(addr_equal(&b1, &b2));
	a1.l = net_listener_new(base, fd1, acc_cb, &a1);
	a2.l = net_listener_new(base, fd2, acc_cb, &a2);
	for (i = 0; i < 20; i++)
		clients[i] = client_connect(&b1);
	while (total < 20) {
		event_base_loop(base, EVLOOP_ONCE);
		total = a1.n + a2.n;
	}
	assert_int_equal(total, 20);
	for (i = 0; i < 20; i++)
		close(clients[i]);
	acc_close_all(&a1);
	acc_close_all(&a2);
	net_listener_free(a1.l);
	net_listener_free(a2.l);
	event_base_free(base);
}

static void
test_port_in_use(void **state)
{
	struct net_addr b;
	char *cause = NULL, want[128];
	int fd;

	(void)state;
	fd = listen_on("127.0.0.1", &b, &(struct net_listen_opts){
	    .no_reuseport = 1 });
	assert_int_equal(net_listen(&b, NULL, &cause), -1);
	assert_int_equal(errno, EADDRINUSE);
	snprintf(want, sizeof(want), "bind 127.0.0.1:%u: Address already in use",
	    addr_port(&b));
	assert_string_equal(cause, want);
	free(cause);
	close(fd);
}

static void
test_bad_addresses(void **state)
{
	struct net_addr a;
	char *cause = NULL;

	(void)state;
	a = parse("192.0.2.1:8080");	/* TEST-NET-1: not ours */
	assert_int_equal(net_listen(&a, NULL, &cause), -1);
	assert_string_equal(cause,
	    "bind 192.0.2.1:8080: Cannot assign requested address");
	free(cause);

	a = parse("unix:/nonexistent-dir/x/y.sock");
	assert_int_equal(net_listen(&a, NULL, &cause), -1);
	assert_non_null(strstr(cause, "unix:/nonexistent-dir/x/y.sock"));
	assert_non_null(strstr(cause, "No such file or directory"));
	free(cause);

	memset(&a, 0, sizeof(a));
	a.ss.ss_family = AF_UNSPEC;
	assert_int_equal(net_listen(&a, NULL, &cause), -1);
	assert_non_null(strstr(cause, "not supported"));
	free(cause);
	assert_int_equal(net_connect(&a, &(int){ 0 }, &cause), -1);
	free(cause);
}

static void
test_connect_refused(void **state)
{
	struct net_addr b;
	char *cause = NULL;
	int fd, inprog, err;

	(void)state;
	/* Bind a port, close it: nobody listens there now. */
	close(listen_on("127.0.0.1", &b, NULL));
	fd = net_connect(&b, &inprog, &cause);
	if (fd == -1) {
		assert_int_equal(errno, ECONNREFUSED);
		assert_non_null(strstr(cause, "Connection refused"));
		free(cause);
		return;
	}
	assert_int_equal(inprog, 1);
	/* Loopback answers with RST; the socket turns writable. */
	assert_int_equal(poll(&(struct pollfd){ .fd = fd, .events = POLLOUT },
	    1, 10000), 1);
	err = net_connect_result(fd);
	assert_int_equal(err, ECONNREFUSED);
	close(fd);

	b = parse("unix:/nonexistent-dir/none.sock");
	assert_int_equal(net_connect(&b, &inprog, &cause), -1);
	assert_int_equal(errno, ENOENT);
	free(cause);
}

/* acc_cb, counted as a worker counts (net_listeners_count, max 2). */
static size_t counted;

static void
acc_counted_cb(int fd, const struct net_addr *peer, void *arg)
{
	struct acc *a = arg;

	acc_cb(fd, peer, arg);
	net_listeners_count(&a->l, 1, &counted, 1, 2, 0);
}

/* The limit on a real socket: at 2 the third connection stays in the
   backlog; a close lets it in; a disable holds even below the limit. */
static void
test_max_conns(void **state)
{
	struct event_base *base = event_base_new();
	struct acc a = { 0 };
	struct net_addr b;
	int lfd, c[3], i;

	(void)state;
	counted = 0;
	lfd = listen_on("127.0.0.1", &b, NULL);
	a.l = net_listener_new(base, lfd, acc_counted_cb, &a);
	for (i = 0; i < 3; i++)
		c[i] = client_connect(&b);
	run_until(base, &a.n, 2);
	assert_true(net_listener_paused(a.l));
	assert_int_equal(counted, 2);
	/* Paused: the loop times out with the third still in the backlog. */
	run_for(base, 50);
	assert_int_equal(a.n, 2);
	net_listeners_count(&a.l, 1, &counted, -1, 2, 0);
	assert_false(net_listener_paused(a.l));
	run_until(base, &a.n, 3);
	assert_true(net_listener_paused(a.l));

	/* Disabled (draining): no accept even below the limit. */
	net_listeners_count(&a.l, 1, &counted, -1, 2, 0);
	net_listener_enable(a.l, 0);
	assert_true(net_listener_paused(a.l));
	net_listener_enable(a.l, 1);
	assert_false(net_listener_paused(a.l));
	for (i = 0; i < 3; i++)
		close(c[i]);
	acc_close_all(&a);
	net_listener_free(a.l);
	event_base_free(base);
}

/* A worker's count over two listeners: both pause at max and resume
   below it, but not while the worker is stopping. */
static void
test_listeners_count(void **state)
{
	struct event_base *base = event_base_new();
	struct net_listener *l[2];
	struct net_addr b;
	size_t count = 0;
	int i;

	(void)state;
	for (i = 0; i < 2; i++)
		l[i] = net_listener_new(base, listen_on("127.0.0.1", &b, NULL),
		    acc_cb, NULL);
	net_listeners_count(l, 2, &count, 1, 2, 0);
	assert_false(net_listener_paused(l[0]) || net_listener_paused(l[1]));
	net_listeners_count(l, 2, &count, 1, 2, 0);
	assert_int_equal(count, 2);
	assert_true(net_listener_paused(l[0]) && net_listener_paused(l[1]));
	net_listeners_count(l, 2, &count, -1, 2, 0);
	assert_int_equal(count, 1);
	assert_false(net_listener_paused(l[0]) || net_listener_paused(l[1]));
	net_listeners_count(l, 2, &count, 1, 2, 0);
	net_listeners_count(l, 2, &count, -1, 2, 1);	/* stopping */
	assert_true(net_listener_paused(l[0]) && net_listener_paused(l[1]));
	/* A reload sets the limit at the count (1 open, max 1): paused at
	   once; a higher one resumes at once. */
	net_listeners_limit(l, 2, count, 1);
	assert_true(net_listener_paused(l[0]) && net_listener_paused(l[1]));
	net_listeners_limit(l, 2, count, 3);
	assert_false(net_listener_paused(l[0]) || net_listener_paused(l[1]));
	/* Under the count (2 open, max 1): it takes both closes. */
	net_listeners_count(l, 2, &count, 1, 3, 0);
	net_listeners_limit(l, 2, count, 1);
	assert_true(net_listener_paused(l[0]) && net_listener_paused(l[1]));
	net_listeners_count(l, 2, &count, -1, 1, 0);	/* 1: still full */
	assert_true(net_listener_paused(l[0]) && net_listener_paused(l[1]));
	net_listeners_count(l, 2, &count, -1, 1, 0);
	assert_int_equal(count, 0);
	assert_false(net_listener_paused(l[0]) || net_listener_paused(l[1]));
	/* Paused at 2 of 2, a reload raises it to 3: the next close
	   resumes, whether or not the reload called net_listeners_limit. */
	net_listeners_count(l, 2, &count, 1, 2, 0);
	net_listeners_count(l, 2, &count, 1, 2, 0);
	assert_true(net_listener_paused(l[0]) && net_listener_paused(l[1]));
	net_listeners_count(l, 2, &count, -1, 3, 0);
	assert_false(net_listener_paused(l[0]) || net_listener_paused(l[1]));
	/* The owner's disable is its own: a close below max does not end
	   it (appd's direct workers pause a listener to balance). */
	net_listener_enable(l[0], 0);
	net_listeners_count(l, 2, &count, 1, 3, 0);
	net_listeners_count(l, 2, &count, -1, 3, 0);
	assert_true(net_listener_paused(l[0]));
	assert_false(net_listener_paused(l[1]));
	net_listener_enable(l[0], 1);
	/* max 0: no limit, whatever the count. */
	net_listeners_count(l, 2, &count, 1, 0, 0);
	net_listeners_limit(l, 2, count, 0);
	assert_false(net_listener_paused(l[0]) || net_listener_paused(l[1]));
	for (i = 0; i < 2; i++)
		net_listener_free(l[i]);
	event_base_free(base);
}

static void
test_free_in_callback(void **state)
{
	struct event_base *base = event_base_new();
	struct acc a = { 0 };
	struct net_addr b;
	int lfd, c1, c2;

	(void)state;
	lfd = listen_on("127.0.0.1", &b, NULL);
	a.l = net_listener_new(base, lfd, acc_cb, &a);
	a.free_in_cb = 1;
	c1 = client_connect(&b);
	c2 = client_connect(&b);
	run_until(base, &a.n, 1);
	assert_null(a.l);
	/* The second connection is never delivered to a freed listener. */
	run_for(base, 30);
	assert_int_equal(a.n, 1);
	close(c1);
	close(c2);
	acc_close_all(&a);
	event_base_free(base);
}

/* Fills the fd table with dup()s until EMFILE; returns how many. */
static int
fill_fds(int *fds, int max)
{
	int n = 0, fd;

	while (n < max && (fd = dup(0)) != -1)
		fds[n++] = fd;
	assert_int_equal(errno, EMFILE);
	return n;
}

static void
test_emfile_pause(void **state)
{
	struct event_base *base = event_base_new();
	struct rlimit old, low;
	struct acc a = { 0 };
	struct net_addr b;
	int lfd, c, n, i, fds[256];
	unsigned long pauses;

	(void)state;
	lfd = listen_on("127.0.0.1", &b, NULL);
	a.l = net_listener_new(base, lfd, acc_cb, &a);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)lfd + 64;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);

	/* Leave exactly one fd for the client; none for accept4. */
	n = fill_fds(fds, (int)nitems(fds));
	assert_true(n > 0);
	close(fds[--n]);
	c = client_connect(&b);

	/* Each pause is 100 ms: in 350 ms a spinning loop would count
	 * thousands of attempts, a paused listener at most a handful. */
	run_for(base, 350);
	pauses = net_listener_pauses(a.l);
	assert_int_equal(a.n, 0);
	assert_true(pauses >= 1);
	assert_true(pauses <= 5);

	/* Free fds: resume picks up the connection waiting in the backlog. */
	for (i = 0; i < n; i++)
		close(fds[i]);
	net_listener_resume(a.l);
	run_until(base, &a.n, 1);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	close(c);
	acc_close_all(&a);
	net_listener_free(a.l);
	event_base_free(base);
}

/* TCP_QUICKACK as getsockopt reads it: 0 once delayed_ack turned it off. */
static int
quickack(int fd)
{
	int v = -1;
	socklen_t len = sizeof(v);

	assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &v, &len),
	    0);
	return v;
}

/* The listeners' opts: none, one set for every address, or one each. */
static void
test_listeners_opts(void **state)
{
	static const struct net_listen_opts http = { .delayed_ack = 1 };
	const struct net_listen_opts each[2] = { { .delayed_ack = 1 }, { 0 } };
	const struct { const struct net_listen_opts *opts; size_t nopts;
	    int want[2]; } c[] = {
		{ NULL, 0, { 1, 1 } },
		{ &http, 1, { 0, 0 } },
		{ each, 2, { 0, 1 } },
	};
	struct net_addr a[2];
	char *cause = NULL;
	size_t i, k;

	(void)state;
	for (k = 0; k < 2; k++) {	/* port 0: any free one */
		assert_int_equal(addr_parse("127.0.0.1:1", NULL, &a[k], &cause),
		    0);
		assert_int_equal(addr_set_port(&a[k], 0), 0);
	}
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct listeners l = { .opts = c[i].opts, .nopts = c[i].nopts };

		if (listeners_bind(&l, a, 2, 1, &cause) != 0)
			fail_msg("listeners_bind: %s", cause);
		for (k = 0; k < 2; k++)
			assert_int_equal(quickack(l.fds[k]), c[i].want[k]);
		listeners_close(&l);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept_v4),
		cmocka_unit_test(test_accept_v6),
		cmocka_unit_test(test_v6only),
		cmocka_unit_test(test_unix),
		cmocka_unit_test(test_reuseport_pair),
		cmocka_unit_test(test_port_in_use),
		cmocka_unit_test(test_bad_addresses),
		cmocka_unit_test(test_connect_refused),
		cmocka_unit_test(test_max_conns),
		cmocka_unit_test(test_listeners_count),
		cmocka_unit_test(test_listeners_opts),
		cmocka_unit_test(test_free_in_callback),
		cmocka_unit_test(test_emfile_pause),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
