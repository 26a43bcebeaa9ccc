/*
 * alog.h: access logs. One file, shared by every worker, opened with
 * O_APPEND; each worker batches lines in its own buffer and writes whole
 * lines only, so lines never interleave. A worker flushes when its buffer
 * fills and on a timer of its own (at most a second behind), so a busy
 * daemon does one write per few dozen requests instead of one per request.
 * alog_reopen (SIGUSR1, after logrotate) swaps the descriptor with dup2: a
 * worker writing at that moment writes to the old or the new file.
 */
#ifndef TRIAD_ALOG_H
#define TRIAD_ALOG_H

#include <stddef.h>

#define ALOG_BUF_SIZE	16384
#define ALOG_FLUSH_MS	500	/* a worker's timer */

struct alog;
struct event;
struct event_base;

/* One worker's batch. Zero-initialise it; flush it to the log its lines
   were meant for before it takes another's (alog_worker_switch). */
struct alog_buf {
	char	data[ALOG_BUF_SIZE];
	size_t	len;
};

/* alog_open: path ("-" or NULL: no log). NULL with *cause on error. */
struct alog	*alog_open(const char *path, char **cause);
/* alog_fdopen: a log on a descriptor opened elsewhere (a process that
   cannot open the path: it is sent the file); -1: no log, NULL. */
struct alog	*alog_fdopen(int fd);
void		 alog_close(struct alog *);
/* alog_reopen: opens the path again (after a rename). 0, or -1 with a
   warning logged (the old file goes on being written). A log of
   alog_fdopen has no path: 0. */
int		 alog_reopen(struct alog *);
/*
 * alog_append: adds one line (without its newline) to b, flushing first if
 * it would not fit; a line longer than the buffer is cut. a NULL: no-op.
 */
void		 alog_append(struct alog *, struct alog_buf *b, const char *line,
		    size_t len);
/* alog_flush: writes b out (whole lines) and empties it. */
void		 alog_flush(struct alog *, struct alog_buf *b);

/*
 * One event-loop worker's access log: its batch, the log of its current
 * generation, and the timer that writes the batch out every
 * ALOG_FLUSH_MS, so that a quiet worker's lines reach the file within
 * half a second. Zero-initialise it (inside the worker), then:
 * alog_worker_start on the worker's loop; alog_worker_line per request;
 * alog_worker_switch at a reload (what was batched goes to the old log
 * first, which the old generation still holds open); alog_worker_end
 * before the worker is freed (the batch is written out). After a reload
 * every line goes to the new generation's log, also the line of a request
 * of the old one (a new log of "-": dropped).
 */
struct alog_worker {
	struct alog_buf	 buf;
	struct alog	*log;		/* NULL: no log */
	struct event	*timer;
};
void	alog_worker_start(struct alog_worker *, struct event_base *,
	    struct alog *log);
void	alog_worker_line(struct alog_worker *, const char *line, size_t len);
void	alog_worker_switch(struct alog_worker *, struct alog *log);
/* alog_worker_fdswap: fd, the reopened file a process was sent, replaces
   the log's descriptor (or becomes the log, on alog_fdopen), after the
   batch has gone to the old one. */
void	alog_worker_fdswap(struct alog_worker *, int fd);
void	alog_worker_end(struct alog_worker *);

#endif
