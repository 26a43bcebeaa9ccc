/*
 * test_status.c: the status listener over real sockets (TCP on 127.0.0.1
 * and a Unix socket): health states, JSON, metrics, HTML, admin rules.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/thread.h>

#include "metrics.h"
#include "status.h"

struct fixture {
	struct event_base	*base;
	struct status		*status;
	struct metrics		*metrics;
	struct sockaddr_in	 sin;
	char			 unix_path[108];
	int			 healthy;
	char			 last_args[256];
};

static int
health_cb(void *arg, const char **reason)
{
	struct fixture *f = arg;

	*reason = "no server up";
	return f->healthy;
}

static int
admin_cb(void *arg, const char *args, struct evbuffer *reply)
{
	struct fixture *f = arg;
	char server[64];

	snprintf(f->last_args, sizeof(f->last_args), "%s", args);
	if (status_args_get(args, "server", server, sizeof(server)) < 0) {
		evbuffer_add_printf(reply, "missing server\n");
		return 400;
	}
	evbuffer_add_printf(reply, "drained %s\n", server);
	return 200;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct sockaddr_un sun;
	socklen_t len = sizeof(f->sin);
	char *cause = NULL;
	int fd;

	evthread_use_pthreads();
	f->base = event_base_new();
	f->metrics = metrics_new("triad_testd_");
	metric_add(metrics_counter(f->metrics, "requests_total", "Requests.",
	    NULL), 5);
	f->status = status_new(f->base, "testd", "t<1>", f->metrics);
	f->healthy = 1;
	status_set_health_cb(f->status, health_cb, f);
	assert_int_equal(status_admin_register(f->status, "drain", admin_cb,
	    f), 0);
	assert_int_equal(status_admin_register(f->status, "drain", admin_cb,
	    f), -1);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	f->sin.sin_family = AF_INET;
	f->sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&f->sin, len), 0);
	assert_int_equal(listen(fd, 16), 0);
	getsockname(fd, (struct sockaddr *)&f->sin, &len);
	assert_int_equal(status_listen_fd(f->status, fd, &cause), 0);
	snprintf(f->unix_path, sizeof(f->unix_path), "/tmp/triad-status-%d",
	    (int)getpid());
	unlink(f->unix_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, f->unix_path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(status_listen_fd(f->status, fd, &cause), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	status_free(f->status);
	metrics_free(f->metrics);
	event_base_free(f->base);
	unlink(f->unix_path);
	free(f);
	return 0;
}

struct exchange {
	struct fixture	*f;
	const char	*request;
	int		 use_unix;
	char		 answer[16384];
};

/* The client side, on its own thread: send, read to EOF, stop the loop. */
static void *
client_main(void *arg)
{
	struct exchange *x = arg;
	size_t got = 0;
	ssize_t n;
	int fd;

	if (x->use_unix) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		strcpy(sun.sun_path, x->f->unix_path);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		n = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	} else {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		n = connect(fd, (struct sockaddr *)&x->f->sin,
		    sizeof(x->f->sin));
	}
	if (n == 0 && write(fd, x->request, strlen(x->request)) > 0)
		while (got < sizeof(x->answer) - 1 && (n = read(fd,
		    x->answer + got, sizeof(x->answer) - 1 - got)) > 0)
			got += (size_t)n;
	x->answer[got] = '\0';
	close(fd);
	event_base_loopexit(x->f->base, NULL);
	return NULL;
}

static const char *
ask(struct fixture *f, const char *request, int use_unix)
{
	static struct exchange x;
	struct timeval limit = { 10, 0 };
	pthread_t t;

	memset(&x, 0, sizeof(x));
	x.f = f;
	x.request = request;
	x.use_unix = use_unix;
	pthread_create(&t, NULL, client_main, &x);
	/* Bounded: the loop ends with the client, or after 10 s. */
	event_base_loopexit(f->base, &limit);
	event_base_dispatch(f->base);
	pthread_join(t, NULL);
	return x.answer;
}

#define GET(path) "GET " path " HTTP/1.0\r\n\r\n"

static void
test_health_states(void **state)
{
	struct fixture *f = *state;
	const char *a;

	a = ask(f, GET("/health"), 0);
	assert_non_null(strstr(a, "HTTP/1.0 200"));
	assert_non_null(strstr(a, "\r\n\r\nok\n"));
	f->healthy = 0;
	a = ask(f, GET("/health"), 0);
	assert_non_null(strstr(a, " 503 "));
	assert_non_null(strstr(a, "no server up"));
	f->healthy = 1;
	status_set_draining(f->status, 1);
	a = ask(f, GET("/health"), 0);
	assert_non_null(strstr(a, " 503 "));
	assert_non_null(strstr(a, "draining"));
	status_set_draining(f->status, 0);
}

static void
test_status_json_metrics_html(void **state)
{
	struct fixture *f = *state;
	const char *a;

	status_set_generation(f->status, 7);
	a = ask(f, GET("/status"), 0);
	assert_non_null(strstr(a, "application/json"));
	assert_non_null(strstr(a, "\"daemon\":\"testd\""));
	assert_non_null(strstr(a, "\"generation\":7"));
	assert_non_null(strstr(a, "\"state\":\"serving\""));
	assert_non_null(strstr(a, "\"triad_testd_requests_total\":5"));
	a = ask(f, GET("/metrics"), 0);
	assert_non_null(strstr(a, "text/plain; version=0.0.4"));
	assert_non_null(strstr(a, "# TYPE triad_testd_requests_total counter"
	    "\ntriad_testd_requests_total 5\n"));
	a = ask(f, GET("/"), 0);
	assert_non_null(strstr(a, "<table>"));
	/* The instance name is escaped in the page. */
	assert_non_null(strstr(a, "t&lt;1&gt;"));
	assert_null(strstr(a, "t<1>"));
	a = ask(f, GET("/nothing"), 0);
	assert_non_null(strstr(a, " 404 "));
}

static void
test_admin_rules(void **state)
{
	struct fixture *f = *state;
	const char *a;

	a = ask(f, "POST /admin/drain HTTP/1.0\r\nContent-Length: 16\r\n\r\n"
	    "server=web%201&x", 0);
	assert_non_null(strstr(a, " 200 "));
	assert_non_null(strstr(a, "drained web 1"));
	assert_string_equal(f->last_args, "server=web%201&x");
	a = ask(f, "POST /admin/drain?server=w2 HTTP/1.0\r\n"
	    "Content-Length: 0\r\n\r\n", 1);
	assert_non_null(strstr(a, "drained w2"));
	a = ask(f, "POST /admin/drain HTTP/1.0\r\nContent-Length: 0\r\n\r\n", 0);
	assert_non_null(strstr(a, " 400 "));
	a = ask(f, GET("/admin/drain"), 0);
	assert_non_null(strstr(a, " 405 "));
	a = ask(f, "POST /admin/nope HTTP/1.0\r\nContent-Length: 0\r\n\r\n", 0);
	assert_non_null(strstr(a, " 404 "));
	a = ask(f, "POST /health HTTP/1.0\r\nContent-Length: 0\r\n\r\n", 0);
	assert_non_null(strstr(a, " 405 "));
	a = ask(f, "DELETE / HTTP/1.0\r\n\r\n", 0);
	assert_null(strstr(a, " 200 "));
	a = ask(f, "GARBAGE\r\n\r\n", 0);
	assert_null(strstr(a, " 200 "));
}

static void
test_args_get(void **state)
{
	char v[8];

	assert_int_equal(status_args_get("a=1&server=x%41+y", "server", v,
	    sizeof(v)), 4);
	assert_string_equal(v, "xA y");
	assert_int_equal(status_args_get("a=1", "server", v, sizeof(v)), -1);
	assert_int_equal(status_args_get("server=%4", "server", v,
	    sizeof(v)), -1);
	assert_int_equal(status_args_get("server=%00", "server", v,
	    sizeof(v)), -1);
	assert_int_equal(status_args_get("server=12345678", "server", v,
	    sizeof(v)), -1);
	assert_int_equal(status_args_get("xserver=1&server=2", "server", v,
	    sizeof(v)), 1);
	assert_string_equal(v, "2");
	assert_int_equal(status_args_get("", "server", v, sizeof(v)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_health_states, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_status_json_metrics_html,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_admin_rules, setup,
		    teardown),
		cmocka_unit_test(test_args_get),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
