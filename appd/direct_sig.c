/*
 * direct_sig.c: crash and timeout handlers of direct module workers (see
 * direct_sig.h).
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "direct_sig.h"
#include "scoreboard.h"

#define DSIG_STACK	(64 * 1024)

static volatile sig_atomic_t	 dsig_fd = -1;
static volatile sig_atomic_t	 dsig_out;	/* answer bytes left */
static struct sb_slot		*dsig_slot;
static int			 dsig_stop_fd = -1;
static char			 dsig_app[64];

#define DSIG_BODY(s, r)	"{\"error\":\"" r "\",\"status\":" #s "}\n"
#define DSIG_RESP(s, r)	"HTTP/1.1 " #s " " r "\r\nServer: triad-appd\r\n" \
	"Content-Type: application/json\r\nConnection: close\r\n" \
	"Content-Length: "

static const char dsig_502_head[] = DSIG_RESP(502, "Bad Gateway");
static const char dsig_502_body[] = DSIG_BODY(502, "Bad Gateway");
static const char dsig_504_head[] = DSIG_RESP(504, "Gateway Timeout");
static const char dsig_504_body[] = DSIG_BODY(504, "Gateway Timeout");

/* Appends s to buf at *n (bounded): strlen and memcpy by hand. */
static void
dsig_cat(char *buf, size_t size, size_t *n, const char *s)
{
	while (*s != '\0' && *n + 1 < size)
		buf[(*n)++] = *s++;
}

/* Appends the decimal v. */
static void
dsig_num(char *buf, size_t size, size_t *n, unsigned long v)
{
	char d[24];
	size_t k = 0;

	do
		d[k++] = (char)('0' + v % 10);
	while ((v /= 10) != 0 && k < sizeof(d));
	while (k > 0 && *n + 1 < size)
		buf[(*n)++] = d[--k];
}

/* The status line, fields, Content-Length and body, in one write. */
static void
dsig_answer(const char *head, size_t hlen, const char *body, size_t blen)
{
	char buf[512];
	size_t n = 0;
	int fd = dsig_fd;

	if (fd < 0 || dsig_out)
		return;
	dsig_fd = -1;
	memcpy(buf, head, hlen);
	n = hlen;
	dsig_num(buf, sizeof(buf), &n, blen);
	dsig_cat(buf, sizeof(buf), &n, "\r\n\r\n");
	memcpy(buf + n, body, blen);
	(void)!write(fd, buf, n + blen);
}

/* "appd: app A: worker P: WHY while running GET /x" to stderr. */
static void
dsig_log(const char *why, int sig)
{
	char buf[400];
	size_t n = 0;
	int busy = dsig_slot != NULL && atomic_load(&dsig_slot->state) ==
	    SB_BUSY;

	dsig_cat(buf, sizeof(buf), &n, "appd: app ");
	dsig_cat(buf, sizeof(buf), &n, dsig_app);
	dsig_cat(buf, sizeof(buf), &n, ": worker ");
	dsig_num(buf, sizeof(buf), &n, (unsigned long)getpid());
	dsig_cat(buf, sizeof(buf), &n, why);
	dsig_num(buf, sizeof(buf), &n, (unsigned long)sig);
	if (busy) {
		dsig_cat(buf, sizeof(buf), &n, " while running ");
		dsig_slot->what[SB_WHAT - 1] = '\0';
		dsig_cat(buf, sizeof(buf), &n, dsig_slot->what);
	}
	dsig_cat(buf, sizeof(buf), &n, "\n");
	(void)!write(2, buf, n);
}

/* A crash: 502 if nothing left yet, a log line, then the signal kills. */
static void
dsig_crash(int sig)
{
	struct sigaction sa;

	dsig_answer(dsig_502_head, sizeof(dsig_502_head) - 1, dsig_502_body,
	    sizeof(dsig_502_body) - 1);
	dsig_log(": crashed, signal ", sig);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(sig, &sa, NULL);
	raise(sig);	/* delivered once this handler returns */
}

/*
 * SIGTERM: the master's request_timeout mark on the running request
 * (504 and exit), or a stop (the loop reads the pipe).
 */
static void
dsig_term(int sig)
{
	struct sb_slot *s = dsig_slot;

	if (s != NULL && atomic_load(&s->state) == SB_BUSY &&
	    atomic_load(&s->kill_seq) == atomic_load(&s->seq)) {
		dsig_answer(dsig_504_head, sizeof(dsig_504_head) - 1,
		    dsig_504_body, sizeof(dsig_504_body) - 1);
		dsig_log(": past request_timeout, signal ", sig);
		_exit(0);
	}
	if (dsig_stop_fd != -1)
		(void)!write(dsig_stop_fd, "T", 1);
}

static void	*dsig_stack;

int
dsig_init(struct sb_slot *slot, const char *app, int stop_fd)
{
	static const int crash[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL,
	    SIGABRT };
	struct sigaction sa;
	stack_t st;
	size_t i;

	dsig_slot = slot;
	dsig_stop_fd = stop_fd;
	for (i = 0; app[i] != '\0' && i + 1 < sizeof(dsig_app); i++)
		dsig_app[i] = app[i];
	dsig_app[i] = '\0';
	/* Kept for the worker's life (the kernel holds it; so do we, so
	   that it is not counted a leak at exit). */
	if (dsig_stack == NULL && (dsig_stack = malloc(DSIG_STACK)) == NULL)
		return -1;
	st.ss_sp = dsig_stack;
	st.ss_size = DSIG_STACK;
	st.ss_flags = 0;
	if (sigaltstack(&st, NULL) == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sigfillset(&sa.sa_mask);
	sa.sa_flags = SA_ONSTACK;
	sa.sa_handler = dsig_crash;
	for (i = 0; i < sizeof(crash) / sizeof(crash[0]); i++)
		sigaction(crash[i], &sa, NULL);
	sa.sa_handler = dsig_term;
	sa.sa_flags = SA_ONSTACK | SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	return 0;
}

void
dsig_arm(int fd)
{
	dsig_out = 0;
	dsig_fd = fd;
}

void
dsig_sent(void)
{
	dsig_out = 1;
}

void
dsig_disarm(void)
{
	dsig_fd = -1;
}
