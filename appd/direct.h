/*
 * direct.h: a module worker that serves its app's own listeners (the
 * app's `listen`, php-fpm's listen per pool): it accepts HTTP/1.1
 * connections itself with common/hconn in its own event loop and runs
 * the module for each request under the app's routes, with no hand-off
 * to or from the master. The master stays the supervisor through the
 * scoreboard (scoreboard.h) and the worker's control socket (fd 0):
 *
 *   master -> worker	'S' stop: stop accepting, finish, close (drain);
 *			'L' with a descriptor (SCM_RIGHTS): the access log
 *			was reopened (SIGUSR1); EOF: the master is gone.
 *   worker -> master	'R' max_requests reached: draining, start my
 *			replacement.
 *
 * A drain answers every further request with Connection: close, closes
 * connections still idle after DIRECT_DRAIN_IDLE_MS and exits when the
 * last one is gone (see docs/ARCHITECTURE.md for the keep-alive race).
 */
#ifndef APPD_DIRECT_H
#define APPD_DIRECT_H

struct triad_app_module;

#define DIRECT_DRAIN_IDLE_MS	1000

/* The environment a direct worker reads (launch.c writes it). */
#define DIRECT_ENV_FDS		"TRIAD_APPD_DIRECT_FDS"	/* "5,6" */
#define DIRECT_ENV_SB		"TRIAD_APPD_SB"		/* "fd,slots,slot" */
#define DIRECT_ENV_ALOG		"TRIAD_APPD_ALOG_FD"
#define DIRECT_ENV_ROUTES	"TRIAD_APPD_ROUTES"	/* "\n"-separated */
#define DIRECT_ENV_TRUSTED	"TRIAD_APPD_TRUSTED"	/* CIDRs, spaces */
#define DIRECT_ENV_HTTP		"TRIAD_APPD_HTTP"	/* limits, below */
#define DIRECT_ENV_MAXREQ	"TRIAD_APPD_MAX_REQUESTS"

/*
 * direct_serve: runs the worker of app with module m (init done) until
 * its drain ends. Returns 0, or -1 when its settings were unusable
 * (logged).
 */
int	direct_serve(const char *app, const struct triad_app_module *m);

#endif
