/* server.h: webd's lifecycle operations (server.c). */
#ifndef WEBD_SERVER_H
#define WEBD_SERVER_H

#include "lifecycle.h"

extern const struct lc_ops webd_ops;

#endif
