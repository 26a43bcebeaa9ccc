/*
 * launch.h: starting worker processes from the master's threads.
 */
#ifndef APPD_LAUNCH_H
#define APPD_LAUNCH_H

#include <sys/types.h>

struct appd_app;
struct appd_conf;

/*
 * What a module worker serving the app's own listeners (direct.h) gets
 * besides its control socket: the app's listening sockets (from the
 * app's lfds), its scoreboard slot, the access log. NULL: a worker the
 * master hands requests to.
 */
struct launch_direct {
	int	sb_fd;		/* the scoreboard memfd */
	size_t	nslots, slot;
	int	alog_fd;	/* -1: no access log */
};

/*
 * launch_worker: starts one worker of app: /proc/self/exe in worker mode
 * (posix_spawn, which is safe in a threaded process, unlike fork), with
 * sock as its fd 0 and the app's settings in its environment; for a
 * fastcgi app it then execs the app's command. Signals are reset to their
 * defaults and unblocked in the child. d (may be NULL): a direct worker's
 * descriptors, kept at their numbers. Returns the pid, or -1 with *cause.
 */
pid_t	launch_worker(const struct appd_conf *, const struct appd_app *,
	    int sock, const struct launch_direct *, char **cause);

/*
 * launch_socket: the master's end and the worker's fd 0 for a new worker:
 * a socketpair for a module, and for a fastcgi program (which accept()s
 * on fd 0) a listening Unix socket in the abstract namespace with the
 * master already connected to it. Both close-on-exec, the master's
 * non-blocking. Returns 0, or -1 with *cause.
 */
int	launch_socket(const struct appd_app *, int *master,
	    int *child, char **cause);

/*
 * launch_cgi: one CGI process (RFC 3875) for a request: the worker stub
 * applies the app's limits and identity, then execs script with cgi_env
 * (NAME=value strings, NULL-terminated), the app's env and PATH only.
 * fds are its stdin, stdout and stderr. It leads a process group of its
 * own, so a timeout kills what it started too. Returns the pid, or -1.
 */
pid_t	launch_cgi(const struct appd_conf *, const struct appd_app *,
	    const char *script, char **cgi_env, const int fds[3],
	    char **cause);

#endif
