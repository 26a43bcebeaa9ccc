/*
 * lifecycle.c: the main thread: start-up order, signals, reload by
 * generations, graceful stop and the systemd watchdog. See lifecycle.h.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "lifecycle.h"
#include "lifecycle_int.h"
#include "log.h"
#include "metrics.h"
#include "net.h"
#include "sdnotify.h"
#include "status.h"
#include "util.h"

#define LC_STOP_POLL_MS		50
#define LC_DEFAULT_SHUTDOWN_MS	10000

struct lifecycle {
	const struct lc_ops	*ops;
	struct lc_opts		 opts;
	struct event_base	*base;
	struct metrics		*metrics;
	struct status		*status;
	struct lc_gen		*gen;		/* current; main's reference */
	uint64_t		 next_gen;
	struct lc_worker	 workers[LC_MAX_WORKERS];
	unsigned		 nworkers;
	int			 stopping;
	uint64_t		 stop_deadline_ms;
	struct event		*sig[4], *stop_poll, *watchdog;
	uint64_t		 wd_seen[LC_MAX_WORKERS];
	struct metric		*m_reloads, *m_reload_fail;
	void			*data;
};

const struct lc_opts *lc_opts(struct lifecycle *lc) { return &lc->opts; }
struct event_base *lc_base(struct lifecycle *lc) { return lc->base; }
struct metrics *lc_metrics(struct lifecycle *lc) { return lc->metrics; }
struct status *lc_status(struct lifecycle *lc) { return lc->status; }
struct lc_gen *lc_current(struct lifecycle *lc) { return lc->gen; }
unsigned lc_nworkers(struct lifecycle *lc) { return lc->nworkers; }
void *lc_data(struct lifecycle *lc) { return lc->data; }
void lc_set_data(struct lifecycle *lc, void *d) { lc->data = d; }
const struct lc_ops *lc_ops(struct lifecycle *lc) { return lc->ops; }

struct lc_worker *
lc_worker(struct lifecycle *lc, unsigned i)
{
	return i < lc->nworkers ? &lc->workers[i] : NULL;
}

/* Logs a multi-line error list one line at a time. */
static void
lc_log_errors(const char *errors)
{
	const char *p = errors, *nl;

	while (p != NULL && *p != '\0') {
		nl = strchr(p, '\n');
		log_warnx("%.*s", nl ? (int)(nl - p) : (int)strlen(p), p);
		p = nl ? nl + 1 : NULL;
	}
}

/*
 * lc_load: one generation from the configuration file, or NULL with the
 * errors in *errors. Applies defaults to the generic settings.
 */
static struct lc_gen *
lc_load(struct lifecycle *lc, char **errors)
{
	struct lc_gen *g = xcalloc(1, sizeof(*g));
	long ncpu;

	g->ops = lc->ops;
	atomic_init(&g->refs, 1);
	*errors = NULL;
	if ((g->conf = lc->ops->load(&lc->opts, &g->settings, errors)) ==
	    NULL) {
		free(g);
		if (*errors == NULL)
			*errors = xstrdup("configuration rejected");
		return NULL;
	}
	if (g->settings.workers == 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		g->settings.workers = ncpu > 0 ? (unsigned)ncpu : 1;
	}
	if (g->settings.workers > LC_MAX_WORKERS)
		g->settings.workers = LC_MAX_WORKERS;
	if (g->settings.shutdown_timeout_ms == 0)
		g->settings.shutdown_timeout_ms = LC_DEFAULT_SHUTDOWN_MS;
	g->id = ++lc->next_gen;
	return g;
}

/* Applies the log settings of a generation. */
static void
lc_apply_log(struct lc_gen *g)
{
	if (g->settings.log_level > 0)
		log_set_level((enum log_level)g->settings.log_level);
	if (g->settings.error_log[0] != '\0' &&
	    log_open_file(g->settings.error_log) == -1)
		log_warn("error log %s", g->settings.error_log);
}

/*
 * Waits (bounded) until every live worker runs generation id, so that
 * "in service" and READY=1 mean what they say: a connection accepted from
 * now on gets the new configuration. The workers swap within a loop turn.
 */
static void
lc_wait_swapped(struct lifecycle *lc, uint64_t id)
{
	uint64_t deadline = util_now_ms() + 2000;
	unsigned i, behind;

	do {
		for (behind = 0, i = 0; i < lc->nworkers; i++)
			if (atomic_load(&lc->workers[i].gen_id) != id &&
			    !atomic_load(&lc->workers[i].done))
				behind++;
		if (behind == 0)
			return;
		usleep(1000);
	} while (util_now_ms() < deadline);
	log_warnx("%u worker(s) still on an old generation", behind);
}

/* SIGHUP: a new generation, swapped in only when it loads and prepares. */
static void
lc_reload(struct lifecycle *lc)
{
	struct lc_gen *g, *old = lc->gen;
	char *errors = NULL, *cause = NULL;
	unsigned i;

	sdnotify_send("RELOADING=1");
	log_info("reloading %s", lc->opts.conf_path);
	if ((g = lc_load(lc, &errors)) == NULL ||
	    lc->ops->prepare(lc, g, old, &cause) == -1) {
		lc_log_errors(errors != NULL ? errors : cause);
		log_warnx("reload failed: keeping generation %llu",
		    (unsigned long long)old->id);
		lc_gen_unref(g);
		metric_inc(lc->m_reload_fail);
	} else {
		if (g->settings.workers != lc->nworkers)
			log_warnx("workers changed to %u: takes effect at "
			    "restart", g->settings.workers);
		lc_apply_log(g);
		lc->gen = g;
		for (i = 0; i < lc->nworkers; i++)
			lc_worker_publish(&lc->workers[i], g);
		lc_wait_swapped(lc, g->id);
		status_set_generation(lc->status, g->id);
		lc_gen_unref(old);
		metric_inc(lc->m_reloads);
		log_info("generation %llu in service", (unsigned long long)g->id);
	}
	free(errors);
	free(cause);
	sdnotify_sendf("READY=1\nSTATUS=serving, generation %llu",
	    (unsigned long long)lc->gen->id);
}

/* Polls the workers during a stop; ends the main loop once all are done. */
static void
lc_stop_poll(evutil_socket_t fd, short ev, void *arg)
{
	struct lifecycle *lc = arg;
	unsigned i, done = 0;

	for (i = 0; i < lc->nworkers; i++)
		done += atomic_load(&lc->workers[i].done) ? 1 : 0;
	if (done == lc->nworkers) {
		event_base_loopexit(lc->base, NULL);
		return;
	}
	if (util_now_ms() >= lc->stop_deadline_ms) {
		log_warnx("shutdown timeout: closing %u busy worker(s)",
		    lc->nworkers - done);
		for (i = 0; i < lc->nworkers; i++)
			lc_worker_kill(&lc->workers[i]);
	}
}

/* SIGTERM/SIGINT: the first drains, a second one stops at once. */
static void
lc_stop(struct lifecycle *lc, int sig)
{
	struct timeval tv = { 0, LC_STOP_POLL_MS * 1000 };
	unsigned i;

	if (lc->stopping) {
		log_notice("signal %d again: stopping now", sig);
		lc->stop_deadline_ms = 0;
		return;
	}
	lc->stopping = 1;
	sdnotify_send("STOPPING=1");
	log_notice("signal %d: draining (at most %llums)", sig,
	    (unsigned long long)lc->gen->settings.shutdown_timeout_ms);
	status_set_draining(lc->status, 1);
	lc->stop_deadline_ms = util_now_ms() +
	    lc->gen->settings.shutdown_timeout_ms;
	for (i = 0; i < lc->nworkers; i++)
		lc_worker_stop(&lc->workers[i]);
	lc->stop_poll = event_new(lc->base, -1, EV_PERSIST, lc_stop_poll, lc);
	event_add(lc->stop_poll, &tv);
}

static void
lc_signal(evutil_socket_t sig, short ev, void *arg)
{
	struct lifecycle *lc = arg;

	switch (sig) {
	case SIGHUP:
		if (!lc->stopping)
			lc_reload(lc);
		break;
	case SIGUSR1:
		log_info("reopening logs");
		if (log_reopen() == -1)
			log_warn("reopening the error log");
		if (lc->ops->reopen != NULL)
			lc->ops->reopen(lc);
		break;
	default:
		lc_stop(lc, (int)sig);
	}
}

/*
 * The systemd watchdog is fed only when every worker's heartbeat moved
 * since the last feed: a worker stuck in a loop lets systemd restart us.
 */
static void
lc_watchdog(evutil_socket_t fd, short ev, void *arg)
{
	struct lifecycle *lc = arg;
	unsigned i;
	uint64_t hb;
	int ok = 1;

	for (i = 0; i < lc->nworkers; i++) {
		hb = atomic_load(&lc->workers[i].heartbeat);
		if (hb == lc->wd_seen[i] && !atomic_load(&lc->workers[i].done)) {
			log_warnx("worker %u has not turned its loop", i + 1);
			ok = 0;
		}
		lc->wd_seen[i] = hb;
	}
	if (ok)
		sdnotify_send("WATCHDOG=1");
}

static void
lc_signals(struct lifecycle *lc)
{
	static const int sigs[4] = { SIGHUP, SIGTERM, SIGINT, SIGUSR1 };
	uint64_t wd = sdnotify_watchdog_usec();
	unsigned i;

	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < nitems(sigs); i++) {
		lc->sig[i] = evsignal_new(lc->base, sigs[i], lc_signal, lc);
		evsignal_add(lc->sig[i], NULL);
	}
	if (wd > 0) {
		struct timeval tv = { (time_t)(wd / 2 / 1000000),
		    (suseconds_t)(wd / 2 % 1000000) };

		lc->watchdog = event_new(lc->base, -1, EV_PERSIST, lc_watchdog,
		    lc);
		event_add(lc->watchdog, &tv);
	}
}

/* Opens one status listener (TCP or Unix) and hands it to status. */
static int
lc_status_listen(struct lifecycle *lc, const struct net_addr *a, char **cause)
{
	/* One status socket per instance: no SO_REUSEPORT, so a second
	   process on the same port fails at bind instead of sharing it. */
	struct net_listen_opts o = { .backlog = 128, .mode = 0660,
	    .no_reuseport = 1 };
	int fd;

	if (a->len == 0)
		return 0;
	if ((fd = net_listen(a, &o, cause)) == -1)
		return -1;
	return status_listen_fd(lc->status, fd, cause);
}

/* Detaches from the terminal unless -f: logs go to syslog then. */
static void
lc_detach(struct lifecycle *lc)
{
	int fd;

	if (lc->opts.foreground)
		return;
	if (daemon(0, 1) == -1)
		fatal("daemon");
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, 0);
		dup2(fd, 1);
		if (lc->gen->settings.error_log[0] == '\0') {
			dup2(fd, 2);
			log_set_target(LOG_TARGET_SYSLOG);
		}
		if (fd > 2)
			close(fd);
	}
}

/* Start-up after the configuration loaded; returns 0 or -1 with *cause. */
static int
lc_start(struct lifecycle *lc, char **cause)
{
	struct lc_settings *s = &lc->gen->settings;
	char name[64];
	unsigned i;

	snprintf(name, sizeof(name), "triad_%s_", lc->ops->name);
	lc->metrics = metrics_new(name);
	lc->m_reloads = metrics_counter(lc->metrics, "reloads_total",
	    "Configuration reloads that took effect.", NULL);
	lc->m_reload_fail = metrics_counter(lc->metrics,
	    "reload_failures_total", "Reloads rejected (old kept).", NULL);
	if ((lc->base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	lc->status = status_new(lc->base, lc->ops->name, s->instance,
	    lc->metrics);
	status_set_generation(lc->status, lc->gen->id);
	/* The pidfile first: a second copy is told who runs, not EADDRINUSE. */
	if (s->pidfile[0] != '\0' && lc_pidfile_write(s->pidfile, cause) == -1)
		return -1;
	if (lc_status_listen(lc, &s->status, cause) == -1 ||
	    lc_status_listen(lc, &s->status_unix, cause) == -1)
		return -1;
	if (lc->ops->setup != NULL && lc->ops->setup(lc, cause) == -1)
		return -1;
	if (lc->ops->prepare(lc, lc->gen, NULL, cause) == -1)
		return -1;
	if (lc_privdrop(s->user, s->group, cause) == -1)
		return -1;
	lc->nworkers = s->workers;
	for (i = 0; i < lc->nworkers; i++)
		if (lc_worker_spawn(lc, &lc->workers[i], i + 1, lc->gen) == -1)
			fatalx("cannot start worker %u", i + 1);
	lc_signals(lc);
	return 0;
}

static void
lc_free(struct lifecycle *lc)
{
	unsigned i;

	for (i = 0; i < nitems(lc->sig); i++)
		if (lc->sig[i] != NULL)
			event_free(lc->sig[i]);
	if (lc->stop_poll != NULL)
		event_free(lc->stop_poll);
	if (lc->watchdog != NULL)
		event_free(lc->watchdog);
	status_free(lc->status);
	if (lc->base != NULL)
		event_base_free(lc->base);
	lc_gen_unref(lc->gen);
	metrics_free(lc->metrics);
}

int
lc_main(int argc, char **argv, const struct lc_ops *ops)
{
	struct lifecycle lc;
	char *errors = NULL, *cause = NULL;
	unsigned i;
	int rc;

	memset(&lc, 0, sizeof(lc));
	lc.ops = ops;
	log_init(ops->name, LOG_LEVEL_INFO);
	if ((rc = lc_parse_args(argc, argv, ops->name, &lc.opts)) != 0)
		return rc > 0 ? 0 : 1;
	if (lc.opts.verbose > 0)
		log_set_level(lc.opts.verbose > 1 ? LOG_LEVEL_DEBUG :
		    LOG_LEVEL_INFO);
	evthread_use_pthreads();
	if ((lc.gen = lc_load(&lc, &errors)) == NULL) {
		fprintf(stderr, "%s", errors);
		if (errors[0] != '\0' && errors[strlen(errors) - 1] != '\n')
			fputc('\n', stderr);
		free(errors);
		return 1;
	}
	if (lc.opts.test_only) {
		printf("configuration OK\n");
		lc_gen_unref(lc.gen);
		return 0;
	}
	log_set_instance(lc.gen->settings.instance);
	lc_apply_log(lc.gen);
	lc_detach(&lc);
	if (lc_start(&lc, &cause) == -1) {
		log_warnx("%s", cause);
		free(cause);
		lc_free(&lc);
		return 1;
	}
	log_info("started: generation 1, %u worker(s)", lc.nworkers);
	sdnotify_sendf("READY=1\nSTATUS=serving, generation 1\nMAINPID=%ld",
	    (long)getpid());
	event_base_dispatch(lc.base);
	for (i = 0; i < lc.nworkers; i++)
		lc_worker_join(&lc.workers[i]);
	if (ops->teardown != NULL)
		ops->teardown(&lc);
	if (lc.gen->settings.pidfile[0] != '\0')
		unlink(lc.gen->settings.pidfile);
	log_notice("stopped");
	lc_free(&lc);
	return 0;
}
