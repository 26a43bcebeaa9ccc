/*
 * direct_pool.c: the master's side of apps whose module workers serve
 * their own listeners (see direct_pool.h and direct.h).
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "appd.h"
#include "direct.h"
#include "direct_pool.h"
#include "hconn.h"
#include "launch.h"
#include "log.h"
#include "metrics.h"
#include "net.h"
#include "pool.h"
#include "proc.h"
#include "respond.h"
#include "topology-t.h"
#include "util.h"

#define DIRECT_REJECT_BATCH	64

static _Atomic unsigned direct_alog_epoch;

static void	direct_scan_counts(struct appd_proc *, struct sb_slot *);

/* ---- listening sockets ---- */

/* The same address bound by the generation before, or -1. */
static int
direct_bound(const struct appd_conf *old, const struct net_addr *a)
{
	const struct appd_app *v;
	size_t i, k;

	if (old == NULL)
		return -1;
	v = old->apps.v;
	for (i = 0; i < old->apps.n; i++)
		for (k = 0; k < v[i].nladdrs; k++)
			if (v[i].lfds[k] >= 0 && addr_equal(&v[i].laddrs[k], a))
				return v[i].lfds[k];
	return -1;
}

int
direct_bind(struct appd_conf *c, const struct appd_conf *old, char **cause)
{
	struct appd_app *v = c->apps.v;
	struct net_listen_opts o;
	size_t i, k;
	int fd;

	for (i = 0; i < c->apps.n; i++)
		for (k = 0; k < v[i].nladdrs; k++) {
			o = hconn_listen_opts;
			o.backlog = v[i].queue > 0 ? (int)MINIMUM(v[i].queue,
			    65535) : 1;
			o.no_reuseport = 1;	/* one queue, all workers */
			if ((fd = direct_bound(old, &v[i].laddrs[k])) >= 0) {
				fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
				/* The backlog follows a changed queue. */
				if (fd >= 0)
					(void)listen(fd, o.backlog);
			} else
				fd = net_listen(&v[i].laddrs[k], &o, cause);
			if (fd == -1) {
				if (*cause == NULL)
					xasprintf(cause, "app %s: %s", v[i].name,
					    strerror(errno));
				return -1;
			}
			v[i].lfds[k] = fd;
		}
	return 0;
}

void
direct_unbind(struct appd_app *a)
{
	size_t k;

	for (k = 0; k < a->nladdrs; k++)
		if (a->lfds[k] >= 0) {
			close(a->lfds[k]);
			a->lfds[k] = -1;
		}
}

/* ---- the control socket ---- */

int64_t
direct_drain_ms(const struct appd_pool *pool)
{
	const struct appd_conf *c = pool->gen->conf;

	return pool->app->request_timeout_ms + pool->app->kill_grace_ms +
	    c->srv.header_timeout_ms + DIRECT_DRAIN_IDLE_MS;
}

/* 'R' from a worker: it served max_requests and drains; replace it. */
static void
direct_ctl_read(struct bufferevent *bev, void *arg)
{
	struct appd_proc *p = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char b[64];
	size_t n, i;

	while ((n = (size_t)evbuffer_remove(in, b, sizeof(b))) > 0)
		for (i = 0; i < n; i++) {
			if (b[i] != 'R' || p->state == APPD_PROC_STOPPING ||
			    p->state == APPD_PROC_DEAD)
				continue;
			log_info("app %s: worker %d served %s requests: "
			    "recycled", p->pool->app->name, (int)p->pid,
			    p->pool->app->max_requests > 0 ? "max_requests" :
			    "its");
			metric_inc(p->pool->m->recycles);
			pool_proc_stop(p, SIGTERM);
		}
}

void
direct_proc_stop(struct appd_proc *p)
{
	if (p->bev != NULL)
		bufferevent_write(p->bev, "S", 1);
}

int
direct_proc_closed(struct appd_proc *p)
{
	struct direct_pool *dp = p->pool->dp;
	struct sb_slot *s;

	if (dp == NULL || p->slot < 0)
		return 0;
	s = &dp->sb.slots[p->slot];
	direct_scan_counts(p, s);	/* its last numbers */
	if (atomic_load(&s->state) != SB_BUSY)
		return 0;
	s->what[SB_WHAT - 1] = '\0';
	snprintf(p->last, sizeof(p->last), "%s", s->what);
	if (!p->timed_out)
		metric_inc(p->pool->m->errors);
	return 1;
}

void
direct_proc_forget(struct appd_proc *p)
{
	struct direct_pool *dp = p->pool->dp;

	if (dp != NULL && p->slot >= 0 && (size_t)p->slot < dp->sb.n) {
		atomic_store(&dp->sb.slots[p->slot].state, SB_FREE);
		dp->used[p->slot] = 0;
	}
	p->slot = -1;
}

/* ---- spawning ---- */

/* The access log for a worker: O_APPEND, its own descriptor; or -1. */
static int
direct_alog_open(const struct appd_pool *pool)
{
	const struct appd_conf *c = pool->gen->conf;
	const char *path = c->self->access_log;
	char *p;
	int fd;

	if (path == NULL || strcmp(path, "-") == 0)
		return -1;
	p = lc_conf_path(c->conf_path, path);
	fd = open(p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1)
		log_warn("app %s: access log %s", pool->app->name, p);
	free(p);
	return fd;
}

/* A free slot, zeroed, or -1. */
static int
direct_slot(struct direct_pool *dp)
{
	size_t i;

	for (i = 0; i < dp->sb.n; i++)
		if (!dp->used[i]) {
			memset(&dp->sb.slots[i], 0, sizeof(dp->sb.slots[i]));
			dp->used[i] = 1;
			return (int)i;
		}
	return -1;
}

struct appd_proc *
direct_spawn(struct appd_pool *pool)
{
	struct direct_pool *dp = pool->dp;
	struct launch_direct ld;
	struct appd_proc *p;
	char *cause = NULL;
	int m, child, slot;
	pid_t pid;

	if ((slot = direct_slot(dp)) == -1)
		return NULL;	/* drainers hold them: after a reap */
	if (launch_socket(pool->app, &m, &child, &cause) == -1) {
		log_warnx("app %s: %s", pool->app->name, cause);
		free(cause);
		dp->used[slot] = 0;
		return NULL;
	}
	ld.sb_fd = dp->sb.fd;
	ld.nslots = dp->sb.n;
	ld.slot = (size_t)slot;
	ld.alog_fd = direct_alog_open(pool);
	pid = launch_worker(pool->gen->conf, pool->app, child, &ld, &cause);
	close(child);
	if (ld.alog_fd >= 0)
		close(ld.alog_fd);
	if (pid == -1) {
		log_warnx("app %s: %s", pool->app->name, cause);
		free(cause);
		close(m);
		dp->used[slot] = 0;
		return NULL;
	}
	if ((p = proc_new(pool, pid, m)) == NULL)
		return NULL;
	p->slot = slot;
	proc_set_reader(p, direct_ctl_read);
	return p;
}

/* ---- the scan ---- */

/*
 * Requests (begun, as the master counts those it hands out) and the
 * latencies of those ended, since the last scan.
 */
static void
direct_scan_counts(struct appd_proc *p, struct sb_slot *s)
{
	struct appd_app_metrics *m = p->pool->m;
	uint64_t v = atomic_load_explicit(&s->seq, memory_order_relaxed), h, k;
	size_t b;

	if (v == p->seen_requests)
		return;
	metric_add(m->requests, (int64_t)(v - p->seen_requests));
	p->seen_requests = v;
	p->idle_since_ms = util_now_ms();	/* it works: not idle */
	for (b = 0; b < SB_BUCKETS; b++) {
		h = atomic_load_explicit(&s->hist[b], memory_order_relaxed);
		for (k = p->seen_hist[b]; k < h; k++)
			metric_observe(m->latency, b < metrics_latency_us_nbounds ?
			    metrics_latency_us_bounds[b] :
			    2 * metrics_latency_us_bounds[b - 1]);
		p->seen_hist[b] = h;
	}
}

/* request_timeout: logged, 504 from the worker, SIGTERM, then SIGKILL. */
static void
direct_timeout(struct appd_proc *p, struct sb_slot *s)
{
	const struct appd_app *a = p->pool->app;

	s->what[SB_WHAT - 1] = '\0';
	snprintf(p->last, sizeof(p->last), "%s", s->what);
	log_warnx("app %s: %s on worker %d ran past request_timeout "
	    "(%lld ms): SIGTERM, SIGKILL after %lld ms", a->name, p->last,
	    (int)p->pid, (long long)a->request_timeout_ms,
	    (long long)a->kill_grace_ms);
	metric_inc(p->pool->m->timeouts);
	metric_inc(p->pool->m->errors);
	p->timed_out = 1;
	atomic_store(&s->kill_seq, atomic_load(&s->seq));
	pool_proc_stop(p, SIGTERM);
}

/* One worker's slot: counters, idle or busy, a request past its time. */
static void
direct_scan_proc(struct appd_proc *p, struct sb_slot *s, uint64_t now)
{
	uint32_t st = atomic_load_explicit(&s->state, memory_order_acquire);
	uint64_t t = atomic_load_explicit(&s->start_us, memory_order_relaxed);

	direct_scan_counts(p, s);
	if (p->state == APPD_PROC_IDLE && st == SB_BUSY)
		pool_proc_state(p, APPD_PROC_BUSY);
	else if (p->state == APPD_PROC_BUSY && st != SB_BUSY)
		pool_proc_state(p, APPD_PROC_IDLE);
	if (st == SB_BUSY && !p->timed_out && now > t && now - t >=
	    (uint64_t)p->pool->app->request_timeout_ms * 1000)
		direct_timeout(p, s);
}

/*
 * The connections waiting on a Unix listener, from sock_diag (what `ss
 * -xl` shows as Recv-Q): -1 when the kernel does not say.
 */
static int
direct_unix_queue(int fd)
{
	struct {
		struct nlmsghdr		nh;
		struct unix_diag_req	r;
	} req;
	union {
		struct nlmsghdr		nh;
		char			buf[1024];
	} ans;
	struct unix_diag_rqlen rq;
	struct stat st;
	struct rtattr *a;
	ssize_t n;
	int s, len, q = -1;

	if (fstat(fd, &st) == -1 || (s = socket(AF_NETLINK, SOCK_DGRAM |
	    SOCK_CLOEXEC, NETLINK_SOCK_DIAG)) == -1)
		return -1;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.r.sdiag_family = AF_UNIX;
	req.r.udiag_states = 1 << 10;		/* TCP_LISTEN */
	req.r.udiag_ino = (uint32_t)st.st_ino;
	req.r.udiag_show = UDIAG_SHOW_RQLEN;
	req.r.udiag_cookie[0] = req.r.udiag_cookie[1] = ~0U;	/* none */
	if (send(s, &req, sizeof(req), 0) == (ssize_t)sizeof(req) &&
	    (n = recv(s, &ans, sizeof(ans), 0)) > 0 && NLMSG_OK(&ans.nh,
	    (size_t)n) && ans.nh.nlmsg_type == SOCK_DIAG_BY_FAMILY) {
		len = (int)ans.nh.nlmsg_len -
		    NLMSG_LENGTH(sizeof(struct unix_diag_msg));
		for (a = (struct rtattr *)((struct unix_diag_msg *)
		    NLMSG_DATA(&ans.nh) + 1); RTA_OK(a, len);
		    a = RTA_NEXT(a, len))
			if (a->rta_type == UNIX_DIAG_RQLEN &&
			    RTA_PAYLOAD(a) >= sizeof(rq)) {
				memcpy(&rq, RTA_DATA(a), sizeof(rq));
				q = (int)rq.udiag_rqueue;
			}
	}
	close(s);
	return q;
}

/* Connections waiting in the accept queues; *pending: any at all. */
static uint64_t
direct_queue(const struct appd_app *a, int *pending)
{
	struct tcp_info ti;
	socklen_t len;
	struct pollfd pfd;
	uint64_t q = 0;
	size_t k;
	int uq;

	*pending = 0;
	for (k = 0; k < a->nladdrs; k++) {
		len = sizeof(ti);
		if (a->laddrs[k].ss.ss_family != AF_UNIX &&
		    getsockopt(a->lfds[k], IPPROTO_TCP, TCP_INFO, &ti,
		    &len) == 0) {
			q += ti.tcpi_unacked;	/* a listener's accept queue */
			*pending |= ti.tcpi_unacked > 0;
			continue;
		}
		if (a->laddrs[k].ss.ss_family == AF_UNIX &&
		    (uq = direct_unix_queue(a->lfds[k])) >= 0) {
			q += (uint64_t)uq;
			*pending |= uq > 0;
			continue;
		}
		/* No count from the kernel: whether one waits. */
		pfd.fd = a->lfds[k];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN)) {
			q++;
			*pending = 1;
		}
	}
	return q;
}

/* Accepts of every worker (a stuck queue sees none). */
static uint64_t
direct_accepts(const struct direct_pool *dp)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < dp->sb.n; i++)
		n += atomic_load_explicit(&dp->sb.slots[i].accepts,
		    memory_order_relaxed);
	return n;
}

/* Accepts up to n waiting connections and answers them 503. */
static void
direct_reject(struct direct_pool *dp, uint64_t n)
{
	const struct appd_app *a = dp->pool->app;
	struct net_addr peer;
	size_t k;
	int fd;

	for (k = 0; k < a->nladdrs && n > 0; k++)
		while (n > 0) {
			memset(&peer, 0, sizeof(peer));
			peer.len = sizeof(peer.ss);
			fd = accept4(a->lfds[k], (struct sockaddr *)&peer.ss,
			    &peer.len, SOCK_NONBLOCK | SOCK_CLOEXEC);
			if (fd == -1)
				break;
			n--;
			hconn_accept(fd, &peer, &dp->rej);
		}
}

/*
 * The queue, and its 503s: while connections wait, every worker is busy
 * and no worker accepts, the ones that waited at the first such scan are
 * still there (a queue is FIFO); once that is queue_timeout ago, they are
 * answered 503.
 */
static void
direct_scan_queue(struct direct_pool *dp, uint64_t now)
{
	struct appd_pool *pool = dp->pool;
	int pending;
	uint64_t q = direct_queue(pool->app, &pending), acc;

	metric_add(pool->m->queued, (int64_t)q - (int64_t)pool->qlen);
	pool->qlen = (size_t)q;
	acc = direct_accepts(dp);
	if (!pending || pool->nidle > 0 || pool->retired ||
	    (dp->stuck_since_us != 0 && acc != dp->stuck_accepts)) {
		dp->stuck_since_us = 0;
		return;
	}
	if (dp->stuck_since_us == 0) {
		dp->stuck_since_us = now;
		dp->stuck_accepts = acc;
		dp->stuck_queue = q;
		return;
	}
	if (now - dp->stuck_since_us < (uint64_t)pool->app->queue_timeout_ms *
	    1000)
		return;
	direct_reject(dp, MINIMUM(dp->stuck_queue, DIRECT_REJECT_BATCH));
	dp->stuck_since_us = 0;
}

/* SIGUSR1 reopened the access log: each worker gets the new file. */
static void
direct_scan_alog(struct direct_pool *dp)
{
	char c[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { (void *)"L", 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = c, .msg_controllen = sizeof(c) };
	struct cmsghdr *cm;
	struct appd_proc *p;
	int fd;

	dp->alog_epoch = atomic_load(&direct_alog_epoch);
	for (p = dp->pool->procs; p != NULL; p = p->next) {
		if (p->bev == NULL || (fd = direct_alog_open(dp->pool)) == -1)
			continue;
		memset(c, 0, sizeof(c));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
		if (sendmsg(bufferevent_getfd(p->bev), &mh, MSG_DONTWAIT |
		    MSG_NOSIGNAL) == -1)
			log_warn("app %s: access log to worker %d",
			    dp->pool->app->name, (int)p->pid);
		close(fd);
	}
}

/* ondemand: a connection waits and no worker is idle: one more. */
static void
direct_watch_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct direct_pool *dp = arg;

	if (dp->pool->nidle == 0)
		pool_grow(dp->pool);
}

/*
 * Every DIRECT_SCAN_MS: each worker's slot, the queue, a reopened access
 * log, the ondemand watch, and the pool mode's number of workers.
 */
static void
direct_scan_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct direct_pool *dp = arg;
	struct appd_pool *pool = dp->pool;
	struct appd_proc *p, *next;
	uint64_t now = util_now_us();
	size_t k;

	for (p = pool->procs; p != NULL; p = next) {
		next = p->next;
		if (p->slot >= 0 && p->state != APPD_PROC_DEAD)
			direct_scan_proc(p, &dp->sb.slots[p->slot], now);
	}
	direct_scan_queue(dp, now);
	if (dp->alog_epoch != atomic_load(&direct_alog_epoch))
		direct_scan_alog(dp);
	if (pool->app->pm == APPD_PM_ONDEMAND && !pool->retired &&
	    pool->nidle == 0)
		for (k = 0; k < pool->app->nladdrs; k++)
			event_add(dp->watch[k], NULL);
	if (!pool->retired)
		pool_grow_to_target(pool);
}

void
direct_reopen(void)
{
	atomic_fetch_add(&direct_alog_epoch, 1);
}

/* ---- the pool ---- */

/* The 503 side: a connection accepted by the master gets 503, closes. */
static int
direct_reject_handle(struct hconn *c, struct hreq *r)
{
	struct direct_pool *dp = c->w->arg;

	metric_inc(dp->pool->m->rejections);
	metric_inc(dp->pool->m->errors);
	r->close = 1;
	r->server = dp->pool->app->name;
	respond_reject(c, r, dp->pool->app->retry_after);
	return 0;
}

/* A 503's access-log line, in the master's log. */
static void
direct_reject_log(struct hconn *c, const struct hreq *r)
{
	const struct appd_conf *conf = c->conf;
	struct direct_pool *dp = c->w->arg;
	char line[2048];
	size_t n;

	if (conf->access != NULL &&
	    (n = respond_log_line(c, r, line, sizeof(line))) > 0)
		alog_worker_line(&dp->pool->w->alog, line, n);
}

/* appd's HTTP settings of the connection's generation. */
static const struct hconn_settings *
direct_reject_settings(const void *conf)
{
	return &((const struct appd_conf *)conf)->hs;
}

static const struct hconn_ops direct_reject_ops = {
	.settings = direct_reject_settings,
	.handle = direct_reject_handle,
	.error_page = respond_error_page,
	.log = direct_reject_log,
};

int
direct_pool_init(struct appd_pool *pool)
{
	struct direct_pool *dp = xcalloc(1, sizeof(*dp));
	struct event_base *base = pool->w->lc->base;
	struct timeval tv = { 0, DIRECT_SCAN_MS * 1000 };
	char *cause = NULL;
	size_t k;

	/* Room for a full pool and as many drainers being replaced. */
	if (sb_create(&dp->sb, 2 * pool->max + 2, &cause) == -1) {
		log_warnx("app %s: %s", pool->app->name, cause);
		free(cause);
		free(dp);
		return -1;
	}
	dp->pool = pool;
	dp->used = xcalloc(dp->sb.n, 1);
	dp->alog_epoch = atomic_load(&direct_alog_epoch);
	hconn_worker_init(&dp->rej, pool->w->lc, &direct_reject_ops,
	    &appd_hconn_metrics, dp, 100000);
	dp->scan = event_new(base, -1, EV_PERSIST, direct_scan_cb, dp);
	evtimer_add(dp->scan, &tv);
	for (k = 0; k < pool->app->nladdrs; k++)
		dp->watch[k] = event_new(base, pool->app->lfds[k], EV_READ,
		    direct_watch_cb, dp);
	pool->dp = dp;
	return 0;
}

void
direct_pool_free(struct appd_pool *pool)
{
	struct direct_pool *dp = pool->dp;
	size_t k;

	if (dp == NULL)
		return;
	hconn_close_all(&dp->rej);
	event_free(dp->scan);
	for (k = 0; k < pool->app->nladdrs; k++)
		if (dp->watch[k] != NULL)
			event_free(dp->watch[k]);
	sb_free(&dp->sb);
	free(dp->used);
	free(dp);
	pool->dp = NULL;
}
