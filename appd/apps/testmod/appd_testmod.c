/*
 * appd_testmod.c: a module for appd's tests and benchmark: .../hello (the
 * smallest answer), /t/echo (method, path, query, a header and the body
 * back), /t/crash (a segfault), /t/sleep?ms=N (slow), /t/stream (three
 * flushed parts), /t/exit (the worker exits), /t/pid (which worker),
 * /t/segv, /t/fpe, /t/abort (real faults), /t/streamcrash.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "triad_app.h"

static int
testmod_echo(struct triad_req *req)
{
	const char *h = triad_req_header(req, "X-Test");
	const char *ra = triad_req_param(req, "REMOTE_ADDR");
	const char *https = triad_req_param(req, "HTTPS");
	const char *ct = triad_req_header(req, "Content-Type");
	char a[64];
	size_t len;
	const char *body = triad_req_body(req, &len);

	triad_resp_header(req, "Content-Type", "text/plain");
	triad_resp_printf(req, "method=%s\npath=%s\nquery=%s\nx-test=%s\n"
	    "remote=%s\nhttps=%s\nct=%s\na=%s\nbody=%zu:",
	    triad_req_method(req), triad_req_path(req), triad_req_query(req),
	    h ? h : "-", ra ? ra : "-", https ? https : "-", ct ? ct : "-",
	    triad_req_query_param(req, "a", a, sizeof(a)) ? a : "-", len);
	triad_resp_write(req, body, len);
	return 0;
}

/* ?kb=N kilobytes of 'x' in flushed 64 KiB parts (a streamed export). */
static int
testmod_big(struct triad_req *req)
{
	static char part[65536];
	char buf[16];
	long kb = 0, done;

	if (triad_req_query_param(req, "kb", buf, sizeof(buf)) != NULL)
		kb = atol(buf);
	memset(part, 'x', sizeof(part));
	triad_resp_header(req, "Content-Type", "application/octet-stream");
	for (done = 0; done < kb; done += 64) {
		if (triad_resp_write(req, part, (size_t)(kb - done < 64 ?
		    kb - done : 64) * 1024) == -1 || triad_resp_flush(req) == -1)
			return 0;
	}
	return 0;
}

static int
testmod_stream(struct triad_req *req)
{
	int i;

	triad_resp_header(req, "Content-Type", "text/plain");
	for (i = 0; i < 3; i++) {
		triad_resp_printf(req, "part %d\n", i);
		if (triad_resp_flush(req) == -1)
			return 0;
		usleep(50000);
	}
	return 0;
}

/*
 * Real faults, not raise(): /segv writes through NULL, /fpe divides by
 * zero, /abort aborts, /streamcrash crashes after a flushed part. Not
 * instrumented by UBSan, which would end the worker before the fault.
 */
__attribute__((no_sanitize("undefined"))) static int
testmod_fault(struct triad_req *req, const char *p)
{
	static volatile int zero, seven = 7;
	volatile int *null = NULL;

	if (strcmp(p, "/segv") == 0)
		*null = 1;
	else if (strcmp(p, "/fpe") == 0)
		return triad_resp_printf(req, "%d\n", seven / zero);
	else if (strcmp(p, "/abort") == 0)
		abort();
	else if (strcmp(p, "/streamcrash") == 0) {
		triad_resp_printf(req, "part 0\n");
		triad_resp_flush(req);
		raise(SIGSEGV);
	}
	return -1;
}

/* Routes on the last segment, so any app prefix reaches the same tests. */
static int
testmod_handle(struct triad_req *req)
{
	const char *p = strrchr(triad_req_path(req), '/');
	char buf[32] = "0";

	if (strcmp(p, "/hello") == 0) {
		triad_resp_header(req, "Content-Type", "text/plain");
		return triad_resp_write(req, "hello\n", 6);
	}
	if (strcmp(p, "/echo") == 0)
		return testmod_echo(req);
	if (strcmp(p, "/crash") == 0)
		raise(SIGSEGV);
	if (strcmp(p, "/exit") == 0)
		_exit(7);
	if (strcmp(p, "/sleep") == 0) {
		if (triad_req_query_param(req, "ms", buf, sizeof(buf)) != NULL)
			usleep((useconds_t)atoi(buf) * 1000);
		return triad_resp_printf(req, "slept %s\n", buf);
	}
	if (strcmp(p, "/stream") == 0)
		return testmod_stream(req);
	if (strcmp(p, "/big") == 0)
		return testmod_big(req);
	if (strcmp(p, "/pid") == 0)
		return triad_resp_printf(req, "%d\n", (int)getpid());
	if (strcmp(p, "/fail") == 0)
		return -1;
	if (strcmp(p, "/segv") == 0 || strcmp(p, "/fpe") == 0 ||
	    strcmp(p, "/abort") == 0 || strcmp(p, "/streamcrash") == 0)
		return testmod_fault(req, p);
	triad_resp_status(req, 404);
	return triad_resp_printf(req, "no such test route\n");
}

TRIAD_APP_MODULE("testmod", NULL, testmod_handle, NULL);
