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

struct alog;

/* One worker's batch. Zero-initialise it, then use with one alog. */
struct alog_buf {
	char	data[ALOG_BUF_SIZE];
	size_t	len;
};

/* alog_open: path ("-" or NULL: no log). NULL with *cause on error. */
struct alog	*alog_open(const char *path, char **cause);
void		 alog_close(struct alog *);
/* alog_reopen: opens the path again (after a rename). 0, or -1 (errno). */
int		 alog_reopen(struct alog *);
/*
 * alog_append: adds one line (without its newline) to b, flushing first if
 * it would not fit; a line longer than the buffer is cut. a NULL: no-op.
 */
void		 alog_append(struct alog *, struct alog_buf *b, const char *line,
		    size_t len);
/* alog_flush: writes b out (whole lines) and empties it. */
void		 alog_flush(struct alog *, struct alog_buf *b);

#endif
