/*
 * cgi.c: the cgi kind (see cgi.h). A CGI response ends when the script
 * closes its stdout; up to 64 KiB of it is held so that small answers go
 * out with a Content-Length, past that the body streams.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "appd.h"
#include "cgi.h"
#include "cgihead.h"
#include "fcgi.h"
#include "http1.h"
#include "launch.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"
#include "proc.h"
#include "request.h"
#include "sio.h"
#include "util.h"

#define CGI_HOLD	65536
#define CGI_REAP_MS	5
#define CGI_MAX_VARS	300

struct appd_cgi {
	struct appd_cgi		*next, *prev;
	struct appd_pool	*pool;
	struct appd_req		*q;
	pid_t			 pid;
	struct bufferevent	*out, *in, *err;
	struct event		*timer, *reaper;
	unsigned		 reap_tries;
	int			 timed_out;
	char			 what[160];
};

char *
cgi_script(const char *root, const char *path, size_t len)
{
	const char *p = path, *end = path + len, *seg, *next, *stop = NULL;
	char *s;

	if (len == 0 || path[0] != '/' || memchr(path, '%', len) ||
	    memchr(path, '\\', len) || memchr(path, '\0', len))
		return NULL;
	for (seg = p + 1; seg <= end; seg = next + 1) {
		next = memchr(seg, '/', (size_t)(end - seg));
		if (next == NULL)
			next = end;
		if ((next - seg == 1 && seg[0] == '.') ||
		    (next - seg == 2 && seg[0] == '.' && seg[1] == '.'))
			return NULL;
		if (stop == NULL && memchr(seg, '.', (size_t)(next - seg)))
			stop = next;
		if (next == end)
			break;
	}
	if (stop == NULL)
		stop = end;
	xasprintf(&s, "%s%.*s", root, (int)(stop - path), path);
	return s;
}

static void
cgi_unlink(struct appd_cgi *g)
{
	struct appd_pool *pool = g->pool;

	if (g->prev != NULL)
		g->prev->next = g->next;
	else
		pool->cgis = g->next;
	if (g->next != NULL)
		g->next->prev = g->prev;
}

/* Closes g's pipes and timers and frees it (the process is reaped). */
static void
cgi_release(struct appd_cgi *g)
{
	if (g->q != NULL)
		g->q->cgi = NULL;
	if (g->out != NULL)
		bufferevent_free(g->out);
	if (g->in != NULL)
		bufferevent_free(g->in);
	if (g->err != NULL)
		bufferevent_free(g->err);
	if (g->timer != NULL)
		event_free(g->timer);
	if (g->reaper != NULL)
		event_free(g->reaper);
	cgi_unlink(g);
	free(g);
}

/* Frees g; its slot in the pool is free again. */
static void
cgi_free(struct appd_cgi *g)
{
	struct appd_pool *pool = g->pool;

	cgi_release(g);
	pool_cgi_done(pool);
}

/* Polls waitpid after the script's stdout closed or it was killed. */
static void
cgi_reap_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct appd_cgi *g = arg;
	struct timeval tv = { 0, CGI_REAP_MS * 1000 };
	int status;
	pid_t r = waitpid(g->pid, &status, WNOHANG);

	if (r == 0) {
		if (++g->reap_tries == g->pool->app->kill_grace_ms / CGI_REAP_MS)
			kill(-g->pid, SIGKILL);
		evtimer_add(g->reaper, &tv);
		return;
	}
	if (r > 0 && WIFSIGNALED(status) && !g->timed_out)
		log_warnx("app %s: cgi %s (pid %d) killed by signal %d (%s)",
		    g->pool->app->name, g->what, (int)g->pid, WTERMSIG(status),
		    strsignal(WTERMSIG(status)));
	else if (r > 0 && WIFEXITED(status) && WEXITSTATUS(status) != 0)
		log_warnx("app %s: cgi %s (pid %d) exited with status %d",
		    g->pool->app->name, g->what, (int)g->pid,
		    WEXITSTATUS(status));
	cgi_free(g);
}

static void
cgi_reap(struct appd_cgi *g)
{
	if (g->reaper == NULL)
		g->reaper = evtimer_new(g->pool->w->lc->base, cgi_reap_cb, g);
	if (!evtimer_pending(g->reaper, NULL))
		cgi_reap_cb(-1, 0, g);
}

/* Ends the request with status (or a close when its head is out). */
static void
cgi_fail(struct appd_cgi *g, int status, const char *tc)
{
	struct appd_req *q = g->q;

	g->q = NULL;
	if (q != NULL) {
		q->cgi = NULL;
		if (q->c != NULL)
			appd_req_fail(q, status, tc);
		else
			appd_req_free(q);
	}
}

/* Sends the head once it is parsed; complete: the body is all there. */
static int
cgi_flush(struct appd_cgi *g, int complete)
{
	struct appd_req *q = g->q;
	struct cgihead h;
	const char *why = "no response head", *buf;
	size_t len = evbuffer_get_length(q->out), used, hl;
	int rc;

	if (!q->head_done) {
		if (!complete && len < CGI_HOLD)
			return 0;
		hl = MINIMUM(len, CGIHEAD_MAX + 4);
		buf = (const char *)evbuffer_pullup(q->out, (ev_ssize_t)hl);
		rc = cgihead_parse(buf, hl, &h, &used, &why);
		if (rc != 1 || appd_req_head(q, &h, len - used, complete) == -1) {
			log_warnx("app %s: cgi %s: %s", g->pool->app->name,
			    g->what, rc == 1 ? "a head appd refuses" : why);
			return -1;
		}
		evbuffer_drain(q->out, used);
		q->head_done = 1;
	}
	if ((len = evbuffer_get_length(q->out)) > 0)
		appd_req_data(q, q->out, len);
	return 0;
}

static void
cgi_out_read(struct bufferevent *bev, void *arg)
{
	struct appd_cgi *g = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	const struct appd_conf *c = g->pool->gen->conf;

	if (g->q == NULL || g->q->c == NULL) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	g->q->resp_bytes += evbuffer_get_length(in);
	if (g->q->resp_bytes > c->max_response_size) {
		kill(-g->pid, SIGKILL);
		cgi_fail(g, 502, "SD");
		return;
	}
	evbuffer_add_buffer(g->q->out, in);
	if (cgi_flush(g, 0) == -1) {
		kill(-g->pid, SIGTERM);
		cgi_fail(g, 502, "SD");
	}
}

/* stdout closed: the response is complete. */
static void
cgi_out_event(struct bufferevent *bev, short what, void *arg)
{
	struct appd_cgi *g = arg;
	struct appd_req *q = g->q;

	bufferevent_free(g->out);
	g->out = NULL;
	evtimer_del(g->timer);
	if (q != NULL && q->c != NULL) {
		if (cgi_flush(g, 1) == -1)
			cgi_fail(g, 502, "SD");
		else {
			g->q = NULL;
			q->cgi = NULL;
			appd_req_done(q);
		}
	} else
		cgi_fail(g, 502, "SD");
	cgi_reap(g);
}

/* stderr: appd's log, line by line (bounded). */
static void
cgi_err_read(struct bufferevent *bev, void *arg)
{
	struct appd_cgi *g = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char *line;
	size_t n;

	while ((line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF)) != NULL) {
		log_warnx("app %s: cgi %s stderr: %.*s", g->pool->app->name,
		    g->what, (int)MINIMUM(n, 2048), line);
		free(line);
	}
	if (evbuffer_get_length(in) > 4096)
		evbuffer_drain(in, evbuffer_get_length(in));
}

static void
cgi_err_event(struct bufferevent *bev, short what, void *arg)
{
	struct appd_cgi *g = arg;

	bufferevent_free(g->err);
	g->err = NULL;
}

/* The body went to stdin (or the script closed it): close our end. */
static void
cgi_in_done(struct bufferevent *bev, void *arg)
{
	struct appd_cgi *g = arg;

	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
		bufferevent_free(g->in);
		g->in = NULL;
	}
}

static void
cgi_in_event(struct bufferevent *bev, short what, void *arg)
{
	struct appd_cgi *g = arg;

	bufferevent_free(g->in);
	g->in = NULL;
}

static void
cgi_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct appd_cgi *g = arg;

	log_warnx("app %s: cgi %s (pid %d) ran past request_timeout (%lld "
	    "ms): SIGTERM to its process group", g->pool->app->name, g->what,
	    (int)g->pid, (long long)g->pool->app->request_timeout_ms);
	metric_inc(g->pool->m->timeouts);
	g->timed_out = 1;
	kill(-g->pid, SIGTERM);
	cgi_fail(g, 504, "sH");
	cgi_reap(g);
}

void
cgi_reading(struct appd_cgi *g, int on)
{
	sio_reading(g->out, NULL, on);
}

void
cgi_detach(struct appd_cgi *g)
{
	g->q = NULL;
	kill(-g->pid, SIGTERM);
	cgi_reap(g);
}

/* The request's meta-variables as NAME=value strings (caller frees). */
static char **
cgi_env(const struct appd_req *q)
{
	struct fcgi_buf nv = { 0 };
	const uint8_t *n, *v;
	uint32_t nl, vl;
	size_t off = 0, k = 0;
	char **env = xcalloc(CGI_MAX_VARS + 1, sizeof(*env));

	proc_params(q, &nv);
	while (k < CGI_MAX_VARS && fcgi_nv_next(nv.p, nv.len, &off, &n, &nl,
	    &v, &vl) == 1)
		xasprintf(&env[k++], "%.*s=%.*s", (int)nl, (const char *)n,
		    (int)vl, (const char *)v);
	fcgi_buf_free(&nv);
	return env;
}

static void
cgi_env_free(char **env)
{
	size_t i;

	for (i = 0; env[i] != NULL; i++)
		free(env[i]);
	free(env);
}

/* The three pipes and the process; -1 after answering the request. */
static int
cgi_spawn(struct appd_cgi *g, const char *script)
{
	int in[2], out[2], err[2], fds[3];
	char **env, *cause = NULL;

	if (pipe2(in, O_CLOEXEC) == -1)
		return -1;
	if (pipe2(out, O_CLOEXEC) == -1) {
		close(in[0]), close(in[1]);
		return -1;
	}
	if (pipe2(err, O_CLOEXEC) == -1) {
		close(in[0]), close(in[1]), close(out[0]), close(out[1]);
		return -1;
	}
	fds[0] = in[0], fds[1] = out[1], fds[2] = err[1];
	env = cgi_env(g->q);
	g->pid = launch_cgi(g->pool->gen->conf, g->pool->app, script, env,
	    fds, &cause);
	cgi_env_free(env);
	close(in[0]), close(out[1]), close(err[1]);
	if (g->pid == -1) {
		log_warnx("app %s: %s", g->pool->app->name, cause);
		free(cause);
		close(in[1]), close(out[0]), close(err[0]);
		return -1;
	}
	evutil_make_socket_nonblocking(in[1]);
	evutil_make_socket_nonblocking(out[0]);
	evutil_make_socket_nonblocking(err[0]);
	g->in = bufferevent_socket_new(g->pool->w->lc->base, in[1],
	    BEV_OPT_CLOSE_ON_FREE);
	g->out = bufferevent_socket_new(g->pool->w->lc->base, out[0],
	    BEV_OPT_CLOSE_ON_FREE);
	g->err = bufferevent_socket_new(g->pool->w->lc->base, err[0],
	    BEV_OPT_CLOSE_ON_FREE);
	return 0;
}

/* Starts the bufferevents: body in, response and stderr out. */
static void
cgi_wire(struct appd_cgi *g)
{
	const struct appd_app *a = g->pool->app;
	struct timeval tv = { a->request_timeout_ms / 1000,
	    (a->request_timeout_ms % 1000) * 1000 };

	bufferevent_setcb(g->out, cgi_out_read, NULL, cgi_out_event, g);
	bufferevent_enable(g->out, EV_READ);
	bufferevent_setcb(g->err, cgi_err_read, NULL, cgi_err_event, g);
	bufferevent_enable(g->err, EV_READ);
	bufferevent_setcb(g->in, NULL, cgi_in_done, cgi_in_event, g);
	if (evbuffer_get_length(g->q->body) > 0) {
		bufferevent_write_buffer(g->in, g->q->body);
		bufferevent_enable(g->in, EV_WRITE);
	} else {
		bufferevent_free(g->in);
		g->in = NULL;
	}
	g->timer = evtimer_new(g->pool->w->lc->base, cgi_timeout, g);
	evtimer_add(g->timer, &tv);
}

void
cgi_run(struct appd_pool *pool, struct appd_req *q)
{
	const struct http1_msg *m = &q->msg;
	const char *t = http1_span_ptr(m, m->target), *qs;
	struct appd_cgi *g = xcalloc(1, sizeof(*g));
	struct stat st;
	char *script;
	int status = 0;

	g->pool = pool;
	g->q = q;
	q->cgi = g;
	g->next = pool->cgis;
	if (pool->cgis != NULL)
		pool->cgis->prev = g;
	pool->cgis = g;
	q->t_run_us = util_now_us();
	qs = memchr(t, '?', m->target.len);
	snprintf(g->what, sizeof(g->what), "%.*s", (int)MINIMUM(qs ?
	    (size_t)(qs - t) : m->target.len, 120), t);
	script = cgi_script(pool->app->root_path, t, qs ? (size_t)(qs - t) :
	    m->target.len);
	if (script == NULL)
		status = 400;
	else if (stat(script, &st) == -1 || !S_ISREG(st.st_mode))
		status = 404;
	else if (access(script, X_OK) == -1)
		status = 403;
	else if (cgi_spawn(g, script) == -1)
		status = 502;
	free(script);
	if (status != 0) {
		cgi_fail(g, status, "SC");
		cgi_free(g);
		return;
	}
	cgi_wire(g);
}

void
cgi_shutdown(struct appd_pool *pool)
{
	struct appd_cgi *g;
	int st;

	while ((g = pool->cgis) != NULL) {
		g->q = NULL;
		kill(-g->pid, SIGKILL);
		waitpid(g->pid, &st, 0);
		cgi_release(g);
	}
}
