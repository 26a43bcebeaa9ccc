/* test_log.c: the line format, levels, errno preservation, file reopen. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"

static size_t fmt(char *, size_t, enum log_level, int, const char *, ...)
    __attribute__((format(printf, 5, 6)));

static size_t
fmt(char *buf, size_t size, enum log_level lvl, int err, const char *f, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, f);
	n = log_format_line(buf, size, lvl, err, f, ap);
	va_end(ap);
	return n;
}

static void
test_journal_prefix(void **state)
{
	char buf[256];

	setenv("JOURNAL_STREAM", "8:1234", 1);
	log_init("webd", LOG_LEVEL_INFO);
	log_set_instance("web1");
	fmt(buf, sizeof(buf), LOG_LEVEL_WARN, 0, "bad %s", "thing");
	assert_string_equal(buf, "<4>webd[web1]: bad thing");
	fmt(buf, sizeof(buf), LOG_LEVEL_ERR, ENOENT, "open %s", "/x");
	assert_string_equal(buf, "<3>webd[web1]: open /x: No such file or "
	    "directory");
	unsetenv("JOURNAL_STREAM");
}

static void
test_stderr_format(void **state)
{
	char buf[256];

	unsetenv("JOURNAL_STREAM");
	log_init("lbd", LOG_LEVEL_INFO);
	log_set_instance(NULL);
	fmt(buf, sizeof(buf), LOG_LEVEL_INFO, 0, "hello %d", 42);
	/* 2026-01-01T00:00:00.000Z lbd info: hello 42 */
	assert_non_null(strstr(buf, "Z lbd info: hello 42"));
	assert_int_equal(buf[4], '-');
	assert_int_equal(buf[10], 'T');
}

static void
test_truncation(void **state)
{
	char buf[32], big[200];

	setenv("JOURNAL_STREAM", "1:1", 1);
	log_init("appd", LOG_LEVEL_INFO);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(fmt(buf, sizeof(buf), LOG_LEVEL_INFO, 0, "%s", big),
	    31);
	assert_int_equal(strlen(buf), 31);
	assert_string_equal(buf + 28, "...");
	unsetenv("JOURNAL_STREAM");
}

static void
test_levels(void **state)
{
	assert_int_equal(log_level_parse("debug"), LOG_LEVEL_DEBUG);
	assert_int_equal(log_level_parse("warn"), LOG_LEVEL_WARN);
	assert_int_equal(log_level_parse("warning"), LOG_LEVEL_WARN);
	assert_int_equal(log_level_parse("error"), LOG_LEVEL_ERR);
	assert_int_equal(log_level_parse("loud"), -1);
	assert_int_equal(log_level_parse(""), -1);
}

/* Reads a small file whole into buf (NUL-terminated). */
static void
slurp(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* Writes through the file target, filters by level, keeps errno. */
static void
test_file_and_errno(void **state)
{
	char path[] = "/tmp/triad-test-log-XXXXXX", buf[512], moved[600];
	int fd;

	unsetenv("JOURNAL_STREAM");
	log_init("dbproxyd", LOG_LEVEL_INFO);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(log_open_file(path), 0);
	errno = EPIPE;
	log_debug("hidden");
	log_warn("visible");
	assert_int_equal(errno, EPIPE);
	/* Reopen after a rename (logrotate) writes to the new file. */
	snprintf(moved, sizeof(moved), "%s.1", path);
	assert_int_equal(rename(path, moved), 0);
	assert_int_equal(log_reopen(), 0);
	log_info("after reopen");
	slurp(moved, buf, sizeof(buf));
	assert_null(strstr(buf, "hidden"));
	assert_non_null(strstr(buf, "visible: Broken pipe"));
	assert_null(strstr(buf, "after reopen"));
	slurp(path, buf, sizeof(buf));
	assert_non_null(strstr(buf, "after reopen"));
	unlink(path);
	unlink(moved);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_journal_prefix),
		cmocka_unit_test(test_stderr_format),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_file_and_errno),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
