/*
 * worker.h: appd's worker processes. The master starts each one as
 * `appd --appd-worker` (a new exec of itself: forking a threaded process is
 * unsafe), with its settings in TRIAD_APPD_* environment variables and
 * its FastCGI socket as fd 0. The worker applies the app's rlimits, working
 * directory and user, then either execs a FastCGI program (php-cgi) or
 * hosts a module: dlopen, version check, init, then one request at a time
 * read from the socket as FastCGI records.
 */
#ifndef APPD_WORKER_H
#define APPD_WORKER_H

#define APPD_WORKER_FLAG	"--appd-worker"

/* worker_main: the worker process; returns its exit status. */
int	worker_main(int argc, char **argv);

#endif
