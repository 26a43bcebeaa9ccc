/*
 * route.h: which requests webd forwards (routes: prefix and Host) rather
 * than serving from the root.
 */
#ifndef WEBD_ROUTE_H
#define WEBD_ROUTE_H

struct hreq;
struct webd_conf;
struct webd_route;

/* The longest-prefix route for r (its Host matching when set), or NULL. */
const struct webd_route *webd_route_match(const struct webd_conf *,
	    const struct hreq *);

#endif
