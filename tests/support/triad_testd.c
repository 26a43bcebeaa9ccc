/*
 * triad_testd.c: a minimal daemon built only for tests. It runs in the
 * lifecycle frame like every triad daemon (topology, status port, workers,
 * reload by generations, graceful stop, sd_notify) around a trivial
 * service, so that the harness and the lifecycle are proven end to end
 * before any real daemon exists.
 *
 * It stands in for webd: it reads the `webd` section of a topology, with
 * one key of its own, `greeting` (and `fail_prepare`, to make a reload
 * fail after loading).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "config.h"
#include "lifecycle.h"
#include "log.h"
#include "net.h"
#include "topology.h"
#include "util.h"

struct testd_conf {
	char		*greeting;
	int		 fail_prepare;
	struct topology	*topo;
	const struct topo_instance *self;
	/* Listening sockets made by prepare, one per worker (REUSEPORT). */
	int		 fds[LC_MAX_WORKERS];
	unsigned	 nfds;
};

static const struct cfg_key testd_keys[] = {
	{ .name = "greeting", .type = CFG_STRING, .def = "hello",
	  .off = offsetof(struct testd_conf, greeting),
	  .help = "What every answer says." },
	{ .name = "fail_prepare", .type = CFG_BOOL, .def = "false",
	  .off = offsetof(struct testd_conf, fail_prepare),
	  .help = "Make prepare fail (tests a rejected reload)." },
	{ .name = NULL },
};
static const struct cfg_schema testd_schema = {
	.name = "webd", .keys = testd_keys, .size = sizeof(struct testd_conf),
};

/*
 * A connection: lines "sleep MS" are answered after MS milliseconds with
 * "gen G greeting TEXT", where G is the generation the connection started
 * with. That makes reload (in-flight keeps its generation) and graceful
 * stop (in-flight finishes) observable from outside.
 */
struct testd_conn {
	struct testd_conn	*next, *prev;	/* the worker's open list */
	struct lc_worker	*w;
	struct testd_worker	*tw;
	struct lc_gen		*gen;
	struct bufferevent	*bev;
	struct event		*timer;
};

struct testd_worker {
	struct net_listener	*listener;
	struct testd_conn	*conns;	/* freed at worker_end if still open */
};

static void
testd_conn_close(struct testd_conn *c)
{
	struct lc_worker *w = c->w;
	struct testd_worker *tw = w->data;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		tw->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	if (c->timer != NULL)
		event_free(c->timer);
	bufferevent_free(c->bev);
	lc_gen_unref(c->gen);
	free(c);
	lc_worker_conn_close(w);
}

static void
testd_conn_answer(evutil_socket_t fd, short ev, void *arg)
{
	struct testd_conn *c = arg;
	const struct testd_conf *conf = c->gen->conf;

	evbuffer_add_printf(bufferevent_get_output(c->bev),
	    "gen %llu greeting %s\n", (unsigned long long)c->gen->id,
	    conf->greeting);
	event_free(c->timer);
	c->timer = NULL;
	bufferevent_enable(c->bev, EV_READ);
}

static void
testd_conn_read(struct bufferevent *bev, void *arg)
{
	struct testd_conn *c = arg;
	char *line;
	size_t len;
	long ms;

	if (c->timer != NULL)
		return;
	if ((line = evbuffer_readln(bufferevent_get_input(bev), &len,
	    EVBUFFER_EOL_CRLF)) == NULL) {
		if (evbuffer_get_length(bufferevent_get_input(bev)) > 1024)
			testd_conn_close(c);
		return;
	}
	if (sscanf(line, "sleep %ld", &ms) != 1 || ms < 0 || ms > 60000) {
		evbuffer_add_printf(bufferevent_get_output(bev), "error\n");
		free(line);
		return;
	}
	free(line);
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	c->timer = evtimer_new(c->w->base, testd_conn_answer, c);
	evtimer_add(c->timer, &tv);
	bufferevent_disable(bev, EV_READ);
}

static void
testd_conn_event(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		testd_conn_close(arg);
}

static void
testd_accept(int fd, const struct net_addr *peer, void *arg)
{
	struct lc_worker *w = arg;
	struct testd_conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	c->w = w;
	c->gen = lc_gen_ref(w->gen);
	c->bev = bufferevent_socket_new(w->base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(c->bev, testd_conn_read, NULL, testd_conn_event, c);
	bufferevent_enable(c->bev, EV_READ);
	c->next = ((struct testd_worker *)w->data)->conns;
	if (c->next != NULL)
		c->next->prev = c;
	((struct testd_worker *)w->data)->conns = c;
	lc_worker_conn_open(w);
}

static void *
testd_load(const struct lc_opts *opts, struct lc_settings *s, char **errors)
{
	struct testd_conf *c = xcalloc(1, sizeof(*c));

	c->topo = lc_conf_load(opts, "webd", &testd_schema, c, s, &c->self,
	    errors);
	if (c->topo == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

static void
testd_free_conf(void *arg)
{
	struct testd_conf *c = arg;
	unsigned i;

	for (i = 0; i < c->nfds; i++)
		if (c->fds[i] != -1)
			close(c->fds[i]);
	topo_free(c->topo);
	cfg_free(&testd_schema, c);
	free(c);
}

/* One SO_REUSEPORT socket per worker on the instance's first address. */
static int
testd_prepare(struct lifecycle *lc, struct lc_gen *gen, struct lc_gen *old,
    char **cause)
{
	struct testd_conf *c = gen->conf;
	unsigned i;

	if (c->fail_prepare) {
		xasprintf(cause, "prepare refused (fail_prepare is set)");
		return -1;
	}
	if (c->self->nlisten == 0) {
		xasprintf(cause, "instance %s has no listen address",
		    c->self->name);
		return -1;
	}
	for (i = 0; i < gen->settings.workers; i++) {
		c->fds[i] = net_listen(&c->self->listen[0], NULL, cause);
		if (c->fds[i] == -1)
			return -1;
		c->nfds = i + 1;
	}
	return 0;
}

/* Takes this worker's socket out of the generation into a listener. */
static struct net_listener *
testd_listener(struct lc_worker *w)
{
	struct testd_conf *c = w->gen->conf;
	int fd = c->fds[w->id - 1];

	c->fds[w->id - 1] = -1;
	return net_listener_new(w->base, fd, testd_accept, w);
}

static int
testd_worker_start(struct lc_worker *w)
{
	struct testd_worker *tw = xcalloc(1, sizeof(*tw));

	tw->listener = testd_listener(w);
	w->data = tw;
	return 0;
}

static void
testd_worker_reload(struct lc_worker *w, struct lc_gen *old)
{
	struct testd_worker *tw = w->data;

	net_listener_free(tw->listener);
	tw->listener = testd_listener(w);
}

static void
testd_worker_stop_accept(struct lc_worker *w)
{
	struct testd_worker *tw = w->data;

	net_listener_free(tw->listener);
	tw->listener = NULL;
}

static void
testd_worker_end(struct lc_worker *w)
{
	struct testd_worker *tw = w->data;

	/* Past shutdown_timeout the loop ended with connections still open. */
	while (tw->conns != NULL)
		testd_conn_close(tw->conns);
	net_listener_free(tw->listener);
	free(tw);
	w->data = NULL;
}

static const struct lc_ops testd_ops = {
	.name = "testd",
	.load = testd_load,
	.free_conf = testd_free_conf,
	.prepare = testd_prepare,
	.worker_start = testd_worker_start,
	.worker_reload = testd_worker_reload,
	.worker_stop_accept = testd_worker_stop_accept,
	.worker_end = testd_worker_end,
};

int
main(int argc, char **argv)
{
	return lc_main(argc, argv, &testd_ops);
}
