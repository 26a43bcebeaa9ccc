/* server.h: lbd's lifecycle operations (server.c). */
#ifndef LBD_SERVER_H
#define LBD_SERVER_H

#include "lifecycle.h"

extern const struct lc_ops lb_ops;

#endif
