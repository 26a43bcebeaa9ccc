/*
 * test_ctl_http.c: triadctl's HTTP client of the status ports against a
 * peer it cannot trust: a good answer (and the request it sent), no HTTP
 * at all, a head that never ends, silence (the deadline), an answer past
 * the 4 MiB cap, nobody listening; and the status address of an instance
 * bound to the wildcard, which is asked at its host's address.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "addr.h"
#include "ctl.h"
#include "topology.h"

/* The peer: one connection, what it answers, what it received. */
struct peer {
	int		 lfd;
	const char	*answer;	/* NULL: big, or silent when !big */
	size_t		 big;		/* bytes of "x" after a head */
	char		 got[4096];
	pthread_t	 thread;
	struct net_addr	 addr;
	char		 path[108];
};

static void *
peer_main(void *arg)
{
	struct peer *p = arg;
	char *buf;
	ssize_t n;
	size_t len = 0, off;
	int fd;

	if ((fd = accept(p->lfd, NULL, NULL)) == -1)
		return NULL;
	while (len + 1 < sizeof(p->got) && (n = recv(fd, p->got + len,
	    sizeof(p->got) - len - 1, 0)) > 0) {
		len += (size_t)n;
		p->got[len] = '\0';
		if (strstr(p->got, "\r\n\r\n") != NULL &&
		    strstr(p->got, "state=") != NULL)
			break;
		if (strstr(p->got, "\r\n\r\n") != NULL &&
		    strncmp(p->got, "GET", 3) == 0)
			break;
	}
	if (p->answer != NULL)
		(void)send(fd, p->answer, strlen(p->answer), MSG_NOSIGNAL);
	else if (p->big > 0) {
		buf = malloc(65536);
		memset(buf, 'x', 65536);
		(void)send(fd, "HTTP/1.0 200 OK\r\n\r\n", 19, MSG_NOSIGNAL);
		for (off = 0; off < p->big; off += 65536)
			if (send(fd, buf, 65536, MSG_NOSIGNAL) <= 0)
				break;
		free(buf);
	} else
		usleep(500 * 1000);	/* silent past the client's deadline */
	close(fd);
	return NULL;
}

static void
peer_start(struct peer *p, const char *answer, size_t big)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&p->addr.ss;

	memset(p->got, 0, sizeof(p->got));
	p->answer = answer;
	p->big = big;
	snprintf(p->path, sizeof(p->path), "/tmp/test_ctl_http.%d.sock",
	    (int)getpid());
	unlink(p->path);
	memset(&p->addr, 0, sizeof(p->addr));
	sun->sun_family = AF_UNIX;
	snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", p->path);
	p->addr.len = sizeof(*sun);
	p->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_not_equal(p->lfd, -1);
	assert_int_equal(bind(p->lfd, (struct sockaddr *)sun, sizeof(*sun)), 0);
	assert_int_equal(listen(p->lfd, 1), 0);
	assert_int_equal(pthread_create(&p->thread, NULL, peer_main, p), 0);
}

static void
peer_end(struct peer *p)
{
	pthread_join(p->thread, NULL);
	close(p->lfd);
	unlink(p->path);
}

static void
test_good_answer(void **state)
{
	struct peer p;
	char *out = NULL, *cause = NULL;

	peer_start(&p, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n"
	    "web1: drain, weight 1\n", 0);
	assert_int_equal(ctl_http(&p.addr, "POST", "/admin/server",
	    "name=web1&state=drain", 2000, &out, &cause), 200);
	peer_end(&p);
	assert_null(cause);
	assert_string_equal(out, "web1: drain, weight 1\n");
	assert_non_null(strstr(p.got, "POST /admin/server HTTP/1.0\r\n"));
	assert_non_null(strstr(p.got, "Content-Length: 21\r\n"));
	assert_non_null(strstr(p.got, "\r\n\r\nname=web1&state=drain"));
	free(out);

	peer_start(&p, "HTTP/1.1 503 Service Unavailable\r\n\r\n", 0);
	assert_int_equal(ctl_http(&p.addr, "GET", "/health", NULL, 2000, &out,
	    &cause), 503);
	peer_end(&p);
	assert_string_equal(out, "");
	free(out);
}

static void
test_hostile_answers(void **state)
{
	static const char *const bad[] = {
		"SSH-2.0-OpenSSH\r\n",			/* not HTTP */
		"HTTP/1.0 999 What\r\n\r\n",		/* no such status */
		"HTTP/1.0 200 OK\r\nX: y\r\n",		/* head never ends */
		"",					/* closed at once */
	};
	struct peer p;
	char *out = NULL, *cause = NULL;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		peer_start(&p, bad[i], 0);
		assert_int_equal(ctl_http(&p.addr, "GET", "/status", NULL, 2000,
		    &out, &cause), -1);
		peer_end(&p);
		assert_null(out);
		assert_non_null(cause);
		free(cause);
		cause = NULL;
	}
}

static void
test_silence_and_size(void **state)
{
	struct peer p;
	char *out = NULL, *cause = NULL;

	peer_start(&p, NULL, 0);
	assert_int_equal(ctl_http(&p.addr, "GET", "/status", NULL, 100, &out,
	    &cause), -1);
	assert_string_equal(cause, "timed out");
	free(cause);
	cause = NULL;
	peer_end(&p);

	peer_start(&p, NULL, 5 * 1024 * 1024);
	assert_int_equal(ctl_http(&p.addr, "GET", "/status", NULL, 10000,
	    &out, &cause), -1);
	assert_non_null(strstr(cause, "answer over"));
	assert_null(out);
	free(cause);
	peer_end(&p);
}

static void
test_nobody_listening(void **state)
{
	struct net_addr a;
	char *out = NULL, *cause = NULL;

	assert_int_equal(addr_parse("unix:/tmp/test_ctl_http.none.sock", NULL,
	    &a, &cause), 0);
	assert_int_equal(ctl_http(&a, "GET", "/status", NULL, 1000, &out,
	    &cause), -1);
	assert_non_null(strstr(cause, "connect"));
	free(cause);
}

static void
test_status_addr(void **state)
{
	struct topo_instance in;
	struct net_addr a;
	char buf[NET_ADDR_STRLEN], *cause = NULL;

	memset(&in, 0, sizeof(in));
	assert_int_equal(addr_parse_host("10.0.0.7", 0, &in.host_addr, &cause),
	    0);
	assert_int_equal(ctl_status_addr(&in, 0, &a), -1);	/* none */
	assert_int_equal(addr_parse("0.0.0.0:9081", NULL, &in.status, &cause),
	    0);
	assert_int_equal(ctl_status_addr(&in, 0, &a), 0);
	assert_string_equal(addr_format(&a, buf, sizeof(buf)), "10.0.0.7:9081");
	assert_int_equal(ctl_status_addr(&in, 1, &a), 0);
	assert_string_equal(addr_format(&a, buf, sizeof(buf)),
	    "127.0.0.1:9081");
	assert_int_equal(addr_parse("127.0.0.1:9082", NULL, &in.status,
	    &cause), 0);
	assert_int_equal(ctl_status_addr(&in, 0, &a), 0);
	assert_string_equal(addr_format(&a, buf, sizeof(buf)),
	    "127.0.0.1:9082");
	assert_int_equal(addr_parse_host("fd00::7", 0, &in.host_addr, &cause),
	    0);
	assert_int_equal(addr_parse("[::]:9083", NULL, &in.status, &cause), 0);
	assert_int_equal(ctl_status_addr(&in, 0, &a), 0);
	assert_string_equal(addr_format(&a, buf, sizeof(buf)),
	    "[fd00::7]:9083");
	assert_int_equal(ctl_status_addr(&in, 1, &a), 0);
	assert_string_equal(addr_format(&a, buf, sizeof(buf)), "[::1]:9083");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_answer),
		cmocka_unit_test(test_hostile_answers),
		cmocka_unit_test(test_silence_and_size),
		cmocka_unit_test(test_nobody_listening),
		cmocka_unit_test(test_status_addr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
