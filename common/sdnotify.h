/*
 * sdnotify.h: systemd's notification protocol (sd_notify(3)), written here
 * against the documented wire format instead of linking libsystemd: one
 * datagram of "KEY=VALUE\n" lines to the AF_UNIX socket named by
 * $NOTIFY_SOCKET ('@' = abstract namespace). That is all triad needs, and it
 * keeps libsystemd and its dependencies out of every daemon.
 */
#ifndef TRIAD_SDNOTIFY_H
#define TRIAD_SDNOTIFY_H

#include <stdint.h>

/*
 * sdnotify_send: sends state ("READY=1", "STATUS=...") when run under
 * systemd. Returns 1 when sent, 0 when there is no $NOTIFY_SOCKET, -1 on
 * error with errno.
 */
int		sdnotify_send(const char *state);
int		sdnotify_sendf(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));
/*
 * sdnotify_watchdog_usec: the watchdog period asked by systemd
 * ($WATCHDOG_USEC, for this pid when $WATCHDOG_PID is set), 0 when none.
 */
uint64_t	sdnotify_watchdog_usec(void);

#endif
