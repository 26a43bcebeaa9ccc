/*
 * test_alog.c: access logs: whole lines, batched; a worker's timer writes
 * its batch; a reload's switch sends the batch to the old log first;
 * reopen after a rename; a log on a descriptor sent by another process,
 * and its swap (alog_worker_fdswap).
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "alog.h"
#include "util.h"

static char dir[] = "/tmp/triad-test-alog-XXXXXX";

/* dir/name, in a static buffer: one at a time (not twice in one call). */
static const char *
at(const char *name)
{
	static char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

/* The whole file, NUL-terminated, in a static buffer ("" if none). */
static const char *
slurp(const char *path)
{
	static char buf[4 * ALOG_BUF_SIZE];
	ssize_t n;
	int fd;

	buf[0] = '\0';
	if ((fd = open(path, O_RDONLY)) == -1)
		return buf;
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	return buf;
}

static struct alog *
open_log(const char *name)
{
	char *cause = NULL;
	struct alog *a = alog_open(at(name), &cause);

	assert_non_null(a);
	assert_null(cause);
	return a;
}

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_lines_batched(void **state)
{
	struct alog_buf b = { .len = 0 };
	struct alog *a = open_log("a.log");
	char big[ALOG_BUF_SIZE + 10];
	const char *text;
	size_t i;

	(void)state;
	alog_append(a, &b, "one", 3);
	alog_append(a, &b, "two", 3);
	assert_string_equal(slurp(at("a.log")), "");	/* batched */
	alog_flush(a, &b);
	assert_string_equal(slurp(at("a.log")), "one\ntwo\n");
	/* A line that does not fit flushes first; one longer than the
	   buffer is cut, never split across writes. */
	memset(big, 'x', sizeof(big));
	alog_append(a, &b, "three", 5);
	alog_append(a, &b, big, sizeof(big));
	alog_flush(a, &b);
	text = slurp(at("a.log"));
	assert_int_equal(strlen(text), 8 + 6 + ALOG_BUF_SIZE);
	assert_memory_equal(text, "one\ntwo\nthree\n", 14);
	for (i = 14; i < 14 + ALOG_BUF_SIZE - 1; i++)
		assert_int_equal(text[i], 'x');
	assert_int_equal(text[14 + ALOG_BUF_SIZE - 1], '\n');
	/* No log: nothing happens. */
	alog_append(NULL, &b, "lost", 4);
	assert_int_equal(b.len, 0);
	alog_close(a);
	assert_null(alog_open("-", &(char *){ NULL }));
}

static void
test_worker_timer_and_switch(void **state)
{
	struct event_base *base = event_base_new();
	struct timeval tv = { 0, (ALOG_FLUSH_MS + 200) * 1000 };
	struct alog_worker aw;
	struct alog *a = open_log("w1.log"), *b = open_log("w2.log");

	(void)state;
	memset(&aw, 0, sizeof(aw));
	alog_worker_start(&aw, base, a);
	alog_worker_line(&aw, "first", 5);
	/* The timer writes a quiet worker's batch within ALOG_FLUSH_MS. */
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	assert_string_equal(slurp(at("w1.log")), "first\n");
	/* A reload: what was batched goes to the old log, then the new. */
	alog_worker_line(&aw, "old", 3);
	alog_worker_switch(&aw, b);
	assert_string_equal(slurp(at("w1.log")), "first\nold\n");
	alog_worker_line(&aw, "new", 3);
	alog_worker_end(&aw);	/* the batch is written out */
	assert_string_equal(slurp(at("w2.log")), "new\n");
	assert_string_equal(slurp(at("w1.log")), "first\nold\n");
	alog_close(a);
	alog_close(b);
	event_base_free(base);
}

static void
test_reopen_and_fd(void **state)
{
	struct alog_buf buf = { .len = 0 };
	struct alog *a = open_log("r.log");
	struct alog_worker aw;
	char old[128];
	int fd;

	(void)state;
	alog_append(a, &buf, "before", 6);
	alog_flush(a, &buf);
	/* logrotate: rename, then reopen makes a new file. */
	snprintf(old, sizeof(old), "%s", at("r.log"));
	assert_int_equal(rename(old, at("r.log.1")), 0);
	assert_int_equal(alog_reopen(a), 0);
	alog_append(a, &buf, "after", 5);
	alog_flush(a, &buf);
	assert_string_equal(slurp(at("r.log.1")), "before\n");
	assert_string_equal(slurp(at("r.log")), "after\n");
	alog_close(a);

	/* A descriptor sent by another process: it becomes the log of a
	   worker that had none; reopen has no path to open. */
	assert_null(alog_fdopen(-1));
	memset(&aw, 0, sizeof(aw));
	fd = open(at("f.log"), O_WRONLY | O_CREAT | O_APPEND, 0600);
	alog_worker_fdswap(&aw, fd);
	assert_non_null(aw.log);
	alog_worker_line(&aw, "sent", 4);
	assert_int_equal(alog_reopen(aw.log), 0);
	/* The reopened file it is sent next replaces it, after the batch
	   has gone to the old one. */
	fd = open(at("g.log"), O_WRONLY | O_CREAT | O_APPEND, 0600);
	alog_worker_fdswap(&aw, fd);
	alog_worker_line(&aw, "swapped", 7);
	alog_worker_end(&aw);
	assert_string_equal(slurp(at("f.log")), "sent\n");
	assert_string_equal(slurp(at("g.log")), "swapped\n");
	alog_close(aw.log);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_batched),
		cmocka_unit_test(test_worker_timer_and_switch),
		cmocka_unit_test(test_reopen_and_fd),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
