/*
 * lbd.h: lbd's shared types (the load balancer). Filled in as lbd grows.
 */
#ifndef LBD_H
#define LBD_H

#endif
