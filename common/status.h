/*
 * status.h: the status listener every triad daemon runs (libevent's evhttp
 * on the main thread's event_base; it is not on any hot path).
 *
 *   GET  /health   200 "ok" when serving; 503 with the reason while
 *                  draining or when the daemon's health callback says so.
 *   GET  /status   JSON: daemon, instance, pid, version, uptime, config
 *                  generation, state, every metric, then the daemon's own
 *                  members (servers, pools...) from its JSON callback.
 *   GET  /metrics  Prometheus text format 0.0.4 from the metrics registry.
 *   GET  /         an HTML page for people, refreshed by the browser.
 *   POST /admin/…  admin actions registered by the daemon, accepted only
 *                  from loopback or a Unix-socket listener (403 otherwise).
 */
#ifndef TRIAD_STATUS_H
#define TRIAD_STATUS_H

#include <stdint.h>

struct event_base;
struct evbuffer;
struct json;
struct metrics;
struct status;

/* Health: return 1 when healthy, or 0 with *reason (static text). */
typedef int (*status_health_fn)(void *arg, const char **reason);
/* The daemon's members of /status, written into the open top object. */
typedef void (*status_json_fn)(struct json *, void *arg);
/*
 * An admin action. args is the request's query string or form body
 * ("server=web1&state=drain"), never NULL. The handler writes a short
 * plain-text answer to reply and returns an HTTP status (200, 400, 404...).
 */
typedef int (*status_admin_fn)(void *arg, const char *args,
    struct evbuffer *reply);

struct status	*status_new(struct event_base *, const char *daemon,
		    const char *instance, struct metrics *);
void		 status_free(struct status *);
/*
 * status_listen_fd: serves on a listening socket the caller made (TCP or
 * AF_UNIX). The status takes ownership of fd. Returns 0 or -1 with *cause.
 */
int		 status_listen_fd(struct status *, int fd, char **cause);
void		 status_set_generation(struct status *, uint64_t gen);
/* status_set_draining: /health answers 503 "draining" from now on. */
void		 status_set_draining(struct status *, int draining);
void		 status_set_health_cb(struct status *, status_health_fn, void *);
void		 status_set_json_cb(struct status *, status_json_fn, void *);
/* status_admin_register: POST /admin/<name>. Returns 0, -1 if taken. */
int		 status_admin_register(struct status *, const char *name,
		    status_admin_fn fn, void *arg);
/* status_args_get: the URL-decoded value of key in "a=1&b=2" into dst; its length, or -1 when absent, malformed or too long. */
int		 status_args_get(const char *args, const char *key, char *dst,
		    size_t size);

#endif
