/*
 * log.c: levels, targets and the line format. See log.h for the contract.
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX	2048

static struct {
	char		 name[64];	/* "webd" or "webd[web1]" */
	char		 prog[32];
	enum log_level	 level;
	enum log_target	 target;
	int		 fd;		/* stderr or the opened file */
	char		*path;		/* the file, for log_reopen */
	pthread_mutex_t	 reopen_lock;
} log_state = {
	.name = "triad", .prog = "triad", .level = LOG_LEVEL_INFO,
	.target = LOG_TARGET_STDERR, .fd = 2,
	.reopen_lock = PTHREAD_MUTEX_INITIALIZER,
};

static const char *const log_level_names[] = {
	[LOG_LEVEL_ERR] = "err", [LOG_LEVEL_WARN] = "warning",
	[LOG_LEVEL_NOTICE] = "notice", [LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

void
log_init(const char *progname, enum log_level level)
{
	snprintf(log_state.prog, sizeof(log_state.prog), "%s", progname);
	snprintf(log_state.name, sizeof(log_state.name), "%s", progname);
	log_state.level = level;
	log_state.target = getenv("JOURNAL_STREAM") != NULL ?
	    LOG_TARGET_JOURNAL : LOG_TARGET_STDERR;
}

void
log_set_instance(const char *instance)
{
	if (instance == NULL || *instance == '\0')
		snprintf(log_state.name, sizeof(log_state.name), "%s",
		    log_state.prog);
	else
		snprintf(log_state.name, sizeof(log_state.name), "%s[%s]",
		    log_state.prog, instance);
}

void
log_set_level(enum log_level level)
{
	log_state.level = level;
}

enum log_level
log_get_level(void)
{
	return log_state.level;
}

void
log_set_target(enum log_target target)
{
	if (target == LOG_TARGET_SYSLOG)
		openlog(log_state.prog, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_state.target = target;
}

int
log_level_parse(const char *name)
{
	size_t i;

	if (strcmp(name, "warn") == 0 || strcmp(name, "error") == 0)
		return strcmp(name, "warn") == 0 ? LOG_LEVEL_WARN : LOG_LEVEL_ERR;
	for (i = 0; i < sizeof(log_level_names) / sizeof(log_level_names[0]);
	    i++)
		if (log_level_names[i] != NULL &&
		    strcmp(name, log_level_names[i]) == 0)
			return (int)i;
	return -1;
}

int
log_open_file(const char *path)
{
	char *copy;

	if ((copy = strdup(path)) == NULL)
		return -1;
	pthread_mutex_lock(&log_state.reopen_lock);
	free(log_state.path);
	log_state.path = copy;
	pthread_mutex_unlock(&log_state.reopen_lock);
	return log_reopen();
}

/*
 * log_reopen: opens the file again and swaps the descriptor with dup2, so a
 * thread writing at the same moment writes to the old or the new file, never
 * to a closed descriptor.
 */
int
log_reopen(void)
{
	int fd, saved, rc = 0;

	pthread_mutex_lock(&log_state.reopen_lock);
	if (log_state.path != NULL) {
		fd = open(log_state.path,
		    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (fd == -1)
			rc = -1;
		else {
			if (log_state.fd == 2)
				log_state.fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
			else
				dup2(fd, log_state.fd);
			saved = errno;
			close(fd);
			errno = saved;
			if (log_state.fd == -1)
				rc = -1;
		}
	}
	pthread_mutex_unlock(&log_state.reopen_lock);
	return rc;
}

size_t
log_format_line(char *buf, size_t size, enum log_level level, int errnum,
    const char *fmt, va_list ap)
{
	size_t n = 0;
	int r;

	if (size == 0)
		return 0;
	buf[0] = '\0';
	if (log_state.target == LOG_TARGET_JOURNAL) {
		r = snprintf(buf, size, "<%d>%s: ", (int)level, log_state.name);
	} else if (log_state.target == LOG_TARGET_STDERR) {
		struct timespec ts;
		struct tm tm;
		char tbuf[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%S", &tm);
		r = snprintf(buf, size, "%s.%03ldZ %s %s: ", tbuf,
		    ts.tv_nsec / 1000000, log_state.name,
		    log_level_names[level]);
	} else
		r = 0;
	if (r > 0)
		n = (size_t)r < size ? (size_t)r : size - 1;
	r = vsnprintf(buf + n, size - n, fmt, ap);
	if (r > 0)
		n += (size_t)r < size - n ? (size_t)r : size - n - 1;
	if (errnum != 0 && n < size - 1) {
		r = snprintf(buf + n, size - n, ": %s", strerror(errnum));
		if (r > 0)
			n += (size_t)r < size - n ? (size_t)r : size - n - 1;
	}
	/* Mark a truncated line so that a reader knows it was cut. */
	if (n == size - 1 && size > 4)
		memcpy(buf + size - 4, "...", 4);
	return n;
}

void
log_vlog(enum log_level level, int with_errno, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	int saved = errno;
	size_t n;

	if (level > log_state.level) {
		errno = saved;
		return;
	}
	n = log_format_line(line, sizeof(line) - 1, level,
	    with_errno ? saved : 0, fmt, ap);
	if (log_state.target == LOG_TARGET_SYSLOG) {
		syslog((int)level, "%s", line);
	} else {
		line[n++] = '\n';
		/* One write per line keeps lines whole between threads. */
		(void)!write(log_state.fd, line, n);
	}
	errno = saved;
}

#define LOG_FN(fn, level, with_errno)					\
void									\
fn(const char *fmt, ...)						\
{									\
	va_list ap;							\
	va_start(ap, fmt);						\
	log_vlog(level, with_errno, fmt, ap);				\
	va_end(ap);							\
}
LOG_FN(log_warn, LOG_LEVEL_WARN, 1)
LOG_FN(log_warnx, LOG_LEVEL_WARN, 0)
LOG_FN(log_notice, LOG_LEVEL_NOTICE, 0)
LOG_FN(log_info, LOG_LEVEL_INFO, 0)
LOG_FN(log_debug, LOG_LEVEL_DEBUG, 0)

/* Logs at LOG_LEVEL_ERR and exits 1: the end of fatal and fatalx. */
static void __attribute__((noreturn, format(printf, 2, 0)))
log_fatal(int with_errno, const char *fmt, va_list ap)
{
	log_vlog(LOG_LEVEL_ERR, with_errno, fmt, ap);
	exit(1);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_fatal(1, fmt, ap);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_fatal(0, fmt, ap);
}
