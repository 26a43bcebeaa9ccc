/*
 * server.h: appd in the lifecycle frame.
 */
#ifndef APPD_SERVER_H
#define APPD_SERVER_H

#include "lifecycle.h"

extern const struct lc_ops appd_ops;

#endif
