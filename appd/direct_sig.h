/*
 * direct_sig.h: the last words of a module worker that serves its own
 * listener (direct.c). It runs one request at a time, so when the module
 * crashes (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT) a handler on an
 * alternate stack answers that request 502 (Connection: close) if no
 * byte of its answer left yet, writes a log line, and dies of the same
 * signal so that the master reaps it, logs the signal and respawns. At
 * request_timeout the master marks the request on the scoreboard and
 * sends SIGTERM: the running request gets 504 and the worker exits. Any
 * other SIGTERM asks for a quick stop through a pipe the loop watches.
 * Everything the handlers do is async-signal-safe: write(2) of text
 * made in advance or copied byte by byte, sigaction, raise, _exit.
 */
#ifndef APPD_DIRECT_SIG_H
#define APPD_DIRECT_SIG_H

struct sb_slot;

/*
 * dsig_init: installs the handlers; slot is the worker's scoreboard slot,
 * app its name (for the log line), stop_fd the pipe written on a SIGTERM
 * that is not a timeout. 0, or -1 (no alternate stack).
 */
int	dsig_init(struct sb_slot *slot, const char *app, int stop_fd);
/* dsig_arm: a request runs; fd is where its 502/504 may go (-1: none). */
void	dsig_arm(int fd);
/* dsig_sent: bytes of the running request's answer left: no 502 now. */
void	dsig_sent(void);
/* dsig_disarm: no request runs. */
void	dsig_disarm(void);

#endif
