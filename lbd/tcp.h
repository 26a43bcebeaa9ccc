/*
 * tcp.h: lbd's layer-4 mode: a client session relayed byte for byte to a
 * server, with retries on connect failure (redispatched to another
 * server) and back-pressure both ways.
 */
#ifndef LBD_TCP_H
#define LBD_TCP_H

#include "addr.h"

struct lb_worker;

/* The accept callback of a tcp-mode listener (arg: the lb_worker). */
void	lb_tcp_accept(int fd, const struct net_addr *peer, void *arg);
/* Ends every open session (worker end). */
void	lb_tcp_close_all(struct lb_worker *);

#endif
