/*
 * evsock.c: see evsock.h.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <string.h>

#include <event2/buffer.h>

#include "evsock.h"

ssize_t
evsock_recv(int fd, struct evbuffer *in, size_t want)
{
	struct evbuffer_iovec v[2];
	ssize_t n;
	int nv;

	if ((nv = evbuffer_reserve_space(in, (ev_ssize_t)want, v, 2)) <= 0) {
		errno = ENOMEM;
		return -1;
	}
	if (v[0].iov_len >= want || nv == 1) {
		nv = 1;
		if (v[0].iov_len > want)
			v[0].iov_len = want;
		n = recv(fd, v[0].iov_base, v[0].iov_len, 0);
	} else {
		if (v[1].iov_len > want - v[0].iov_len)
			v[1].iov_len = want - v[0].iov_len;
		n = readv(fd, (struct iovec *)v, 2);
	}
	if (n <= 0)
		return n;
	if ((size_t)n <= v[0].iov_len) {
		v[0].iov_len = (size_t)n;
		nv = 1;
	} else
		v[1].iov_len = (size_t)n - v[0].iov_len;
	if (evbuffer_commit_space(in, v, nv) == -1) {
		errno = ENOMEM;
		return -1;
	}
	return n;
}

ssize_t
evsock_send(int fd, struct evbuffer *out)
{
	struct evbuffer_iovec v[EVSOCK_IOV];
	struct iovec iov[EVSOCK_IOV];
	struct msghdr m;
	size_t len = evbuffer_get_length(out);
	unsigned char tmp[EVSOCK_PULLUP], *p;
	ssize_t n;
	int i, nv;

	if (len == 0)
		return 0;
	/* A small output (an answer's head and body) goes in one send(2):
	   cheaper than sendmsg's header and vector copies, and more than a
	   copy of a few KiB. Spread over chains, it is copied to the stack,
	   not pulled up: a pullup allocates a chain per call. */
	if (len <= EVSOCK_PULLUP) {
		if (evbuffer_get_contiguous_space(out) >= len)
			p = evbuffer_pullup(out, -1);	/* no copy */
		else {
			(void)evbuffer_copyout(out, tmp, len);
			p = tmp;
		}
		if ((n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT)) > 0)
			(void)evbuffer_drain(out, (size_t)n);
		return n;
	}
	nv = evbuffer_peek(out, -1, NULL, v, EVSOCK_IOV);
	if (nv <= 0)
		return 0;
	if (nv > EVSOCK_IOV)
		nv = EVSOCK_IOV;	/* the rest goes on the next call */
	for (i = 0; i < nv; i++) {
		iov[i].iov_base = v[i].iov_base;
		iov[i].iov_len = v[i].iov_len;
	}
	memset(&m, 0, sizeof(m));
	m.msg_iov = iov;
	m.msg_iovlen = (size_t)nv;
	if ((n = sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT)) > 0)
		(void)evbuffer_drain(out, (size_t)n);
	return n;
}
