/*
 * server.h: dbproxyd in the lifecycle frame.
 */
#ifndef DBPROXYD_SERVER_H
#define DBPROXYD_SERVER_H

#include "lifecycle.h"

extern const struct lc_ops dbp_ops;

#endif
