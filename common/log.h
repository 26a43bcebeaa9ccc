/*
 * log.h: the one logging API of triad (after relayd's log.c).
 *
 * Every line carries the daemon's name and instance ("webd[web1]"). Output
 * goes to stderr, with "<N>" syslog-priority prefixes when JOURNAL_STREAM is
 * set (journald reads them), or to syslog. All functions preserve errno.
 * log_warn and fatal append strerror(errno); the "x" variants do not.
 * The functions are thread-safe: one line is one write(2).
 */
#ifndef TRIAD_LOG_H
#define TRIAD_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LEVEL_ERR = 3,
	LOG_LEVEL_WARN = 4,
	LOG_LEVEL_NOTICE = 5,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};

enum log_target {
	LOG_TARGET_STDERR,	/* plain lines with a timestamp */
	LOG_TARGET_JOURNAL,	/* "<N>" prefixed, no timestamp */
	LOG_TARGET_SYSLOG,
};

/*
 * log_init: sets the program name and the default level. The target is the
 * journal when JOURNAL_STREAM is set in the environment, stderr otherwise.
 */
void	log_init(const char *progname, enum log_level level);
/* log_set_instance: the instance name shown after the program ("web1"). */
void	log_set_instance(const char *instance);
void	log_set_level(enum log_level level);
enum log_level log_get_level(void);
void	log_set_target(enum log_target target);
/* log_level_parse: "debug".."err" to a level; -1 when unknown. */
int	log_level_parse(const char *name);
/*
 * log_open_file: sends log lines to path (append) instead of stderr; called
 * again (on SIGUSR1) it reopens the same path. Returns 0, or -1 with errno.
 */
int	log_open_file(const char *path);
int	log_reopen(void);

void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_notice(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_vlog(enum log_level, int with_errno, const char *, va_list)
	    __attribute__((format(printf, 3, 0)));
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * log_format_line: formats one line as the logger would write it, into buf
 * (always NUL-terminated, truncated with "..." if needed). Returns the
 * length. Exposed for the tests and for access logs that share the prefix.
 */
size_t	log_format_line(char *buf, size_t size, enum log_level level,
	    int errnum, const char *fmt, va_list ap)
	    __attribute__((format(printf, 5, 0)));

#endif
