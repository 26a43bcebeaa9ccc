/*
 * health.h: lbd's active health checks. One checker per generation, on
 * the main thread's event loop (never a worker's): every `interval` each
 * server gets a TCP connect, or an HTTP request whose status must fall in
 * [status_min, status_max], within `timeout`. `fall` failures in a row
 * take a server out (upstream_server_set_check), `rise` successes bring it
 * back (with slowstart). Servers start in service; checks start spread
 * over the first interval so that they never come all at once. Every
 * transition is logged with its reason and counts.
 */
#ifndef LBD_HEALTH_H
#define LBD_HEALTH_H

struct event_base;
struct json;
struct lb_health;
struct lb_checker;
struct upstream_group;

/* lb_health_new: starts checking g (NULL when the type is none). */
struct lb_checker *lb_health_new(struct event_base *, struct upstream_group *,
	    const struct lb_health *);
/* lb_health_free: stops every check (in flight ones too). */
void	lb_health_free(struct lb_checker *);
/* lb_health_conf_check: the health keys make a valid check. 0, or -1
   with *cause. */
int	lb_health_conf_check(const struct lb_health *, char **cause);
/* lb_health_json: the check state of server i, into the open object. */
void	lb_health_json(const struct lb_checker *, size_t i, struct json *);

#endif
