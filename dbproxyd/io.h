/*
 * io.h: one non-blocking socket with an input and an output evbuffer,
 * for the client and server sides of dbproxyd.
 *
 * Why not bufferevents: a bufferevent writes only when the loop next
 * reports the socket writable and reads with an ioctl(FIONREAD) first, so
 * a query through a proxy cost about 15 system calls (strace: 4
 * epoll_wait, 5 epoll_ctl, 2 ioctl per query). Here a write goes out at
 * once (EV_WRITE only when the kernel buffer is full), the read event
 * stays registered (a paused reader keeps what arrives, up to a cap), and
 * reads go into reserved evbuffer space: about 6 calls per query.
 *
 * Errors found while writing are reported from the loop, never from
 * inside the call, so a caller's state stays valid after any io call.
 */
#ifndef DBPROXYD_IO_H
#define DBPROXYD_IO_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

struct event;
struct event_base;
struct evbuffer;
struct net_addr;

#define DBP_IO_EOF	0x01
#define DBP_IO_ERROR	0x02
#define DBP_IO_TIMEOUT	0x04
#define DBP_IO_CONNECTED 0x08

struct dbp_io;
typedef void (*dbp_io_cb)(struct dbp_io *, void *arg);
typedef void (*dbp_io_event_cb)(struct dbp_io *, short what, void *arg);

struct ssl_st;
struct ssl_ctx_st;
struct dbp_io_batch;

struct dbp_io {
	int		 fd;
	struct ssl_st	*ssl;		/* NULL: plain */
	struct evbuffer	*raw;		/* TLS: ciphertext to send */
	struct event	*rev, *wev, *tev;
	struct evbuffer	*in, *out;
	dbp_io_cb	 on_read;	/* bytes arrived */
	dbp_io_cb	 on_drain;	/* out fell to low (see dbp_io_low) */
	dbp_io_event_cb	 on_event;	/* EOF, ERROR, TIMEOUT, CONNECTED */
	void		*arg;
	size_t		 in_cap;	/* stop reading past this many
					   (default: no cap) */
	size_t		 low;		/* on_drain threshold; SIZE_MAX: off */
	int		 connecting;
	int		 failed;	/* a write failed: reported soon */
	int		 reading;	/* rev is added */
	int		 writing;	/* wev is added */
	struct dbp_io_batch *batch;	/* flush_soon's, NULL: at once */
	int		 soon;		/* in batch's list */
	TAILQ_ENTRY(dbp_io) soon_link;
};

/* dbp_io_new: io on a connected socket (owned: closed by dbp_io_free). */
struct dbp_io	*dbp_io_new(struct event_base *, int fd, dbp_io_cb on_read,
		    dbp_io_cb on_drain, dbp_io_event_cb on_event, void *arg);
/* dbp_io_connect: a connecting socket to a; CONNECTED or ERROR follows.
   NULL when the connect failed at once. */
struct dbp_io	*dbp_io_connect(struct event_base *, const struct net_addr *a,
		    dbp_io_cb on_read, dbp_io_cb on_drain,
		    dbp_io_event_cb on_event, void *arg);
void		 dbp_io_free(struct dbp_io *);
/* dbp_io_write: appends and sends what the kernel takes now. */
void		 dbp_io_write(struct dbp_io *, const void *, size_t);
/* dbp_io_packet: payload as one MySQL packet (frames of at most 16 MB,
   sequence ids from *seq on), appended without a copy into a temporary,
   then sent. */
void		 dbp_io_packet(struct dbp_io *, uint8_t *seq, const void *,
		    size_t);
/* dbp_io_packet_add: the same, appended only (flush later). */
void		 dbp_io_packet_add(struct dbp_io *, uint8_t *seq, const void *,
		    size_t);
/* dbp_io_flush: sends what out holds (after adding to it directly). */
void		 dbp_io_flush(struct dbp_io *);
/*
 * Batching: a worker's ios share a batch. dbp_io_flush_soon sends out at
 * the end of the loop's current pass (after every event this pass
 * reported was handled), once per io however often it was asked, so a
 * pass that read several commands and answers writes them all together
 * rather than one write, and one wake-up of a peer, between reads.
 * Without a batch, or with much queued, it is dbp_io_flush.
 */
struct dbp_io_batch *dbp_io_batch_new(struct event_base *);
void		 dbp_io_batch_free(struct dbp_io_batch *);
/*
 * dbp_io_batch_busy_poll: after a read on one of its ios, the worker's
 * loop polls without sleeping (sched_yield between polls, so other
 * runnable threads on the CPU go first) until us microseconds pass with
 * no read. Why: a sleeping worker is woken by each command and each
 * answer, and where waking an idle CPU is slow (a virtual machine's
 * halted vCPU) that wake-up costs more than the proxying. 0: off.
 *
 * It polls only while *inflight (the worker's commands sent and not yet
 * answered) is at most 1: one client waits, and its next packet is what
 * polling hastens. With more, packets come often enough to keep the
 * worker awake, and polling only takes the CPU from the servers and
 * clients beside it (read-only transactions at 8 and 32 clients: 10-25 %
 * fewer queries per second with it). inflight may be NULL: always.
 */
void		 dbp_io_batch_busy_poll(struct dbp_io_batch *, int64_t us,
		    const int *inflight);
void		 dbp_io_flush_soon(struct dbp_io *);
/* dbp_io_timeout: TIMEOUT after ms (0: none), replacing the last one. */
void		 dbp_io_timeout(struct dbp_io *, int64_t ms);
/* dbp_io_pause: stop (1) or resume (0) reading from the socket. */
void		 dbp_io_pause(struct dbp_io *, int pause);
/* dbp_io_pending: bytes queued to send (plaintext and ciphertext). */
size_t		 dbp_io_pending(const struct dbp_io *);
/* dbp_io_low: on_drain once out holds at most low bytes (SIZE_MAX: off). */
void		 dbp_io_low(struct dbp_io *, size_t low);

/*
 * io_tls.c: TLS on an io, through memory BIOs, so bytes already read (a
 * ClientHello right behind the SSLRequest) are not lost.
 * dbp_io_tls_start: the server side of TLS from now on: what in holds is
 * handed to TLS. 0, or -1 (no SSL object).
 * dbp_io_tls_input: raw bytes read from the socket; plaintext lands in
 * in. 0, or -1 on a TLS error (the connection must go).
 * dbp_io_tls_output: plaintext of out into ciphertext (raw). 0 or -1.
 */
int		 dbp_io_tls_start(struct dbp_io *, struct ssl_ctx_st *);
int		 dbp_io_tls_input(struct dbp_io *, const void *, size_t);
int		 dbp_io_tls_output(struct dbp_io *);
void		 dbp_io_tls_free(struct dbp_io *);

#endif
