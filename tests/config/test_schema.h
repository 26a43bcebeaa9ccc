/*
 * test_schema.h: daemon schemas that stand in for lbd's and webd's own keys
 * in the config tests and the config fuzzer, so that they exercise every
 * type of row through a real topology. Included by one .c file each.
 */
#ifndef TRIAD_TEST_SCHEMA_H
#define TRIAD_TEST_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "topology.h"

struct test_health {
	int64_t		 interval_ms;
	char		*path;
	int64_t		 rise, fall;
};

struct test_backend {
	char		*name;
	int64_t		 weight;
	int		 backup;
	struct cfg_mark	 mark;
};

struct test_lbd {
	int			 balance;
	int64_t			 retries;
	int64_t			 connect_timeout_ms;
	char			*servers;
	struct cidr_list	 allow;
	struct test_health	 health;
	struct cfg_array	 backends;	/* struct test_backend */
};

struct test_route {
	char		*prefix;
	char		*to;
};

struct test_webd {
	char			*root;
	uint64_t		 client_max_body_size;
	int64_t			 keepalive_timeout_ms;
	int			 autoindex;
	struct cidr_list	 trusted_proxies;
	struct cfg_array	 routes;	/* struct test_route */
	struct cfg_strlist	 index;
	struct net_addr		 admin;
};

static const char *const test_balance_names[] = {
	"roundrobin", "leastconn", "source", "uri", "random", NULL,
};

static const struct cfg_key test_health_keys[] = {
	{ .name = "interval", .type = CFG_DURATION, .def = "2s",
	  .min = 100, .max = 3600000,
	  .off = offsetof(struct test_health, interval_ms),
	  .help = "Time between two checks." },
	{ .name = "path", .type = CFG_STRING, .def = "/health",
	  .off = offsetof(struct test_health, path),
	  .help = "Path of the HTTP check." },
	{ .name = "rise", .type = CFG_INT, .def = "2", .min = 1, .max = 100,
	  .off = offsetof(struct test_health, rise),
	  .help = "Good checks before a server is up." },
	{ .name = "fall", .type = CFG_INT, .def = "3", .min = 1, .max = 100,
	  .off = offsetof(struct test_health, fall),
	  .help = "Failed checks before a server is down." },
	{ .name = NULL },
};
static const struct cfg_schema test_health_schema = {
	"health", test_health_keys, sizeof(struct test_health), 0,
};

static const struct cfg_key test_backend_keys[] = {
	{ .name = "name", .type = CFG_STRING,
	  .flags = CFG_F_REQUIRED | CFG_F_SHORTHAND,
	  .off = offsetof(struct test_backend, name), .help = "Server." },
	{ .name = "weight", .type = CFG_INT, .def = "1", .min = 1, .max = 256,
	  .off = offsetof(struct test_backend, weight), .help = "Weight." },
	{ .name = "backup", .type = CFG_BOOL, .def = "false",
	  .off = offsetof(struct test_backend, backup), .help = "Backup." },
	{ .name = NULL },
};
static const struct cfg_schema test_backend_schema = {
	"backend", test_backend_keys, sizeof(struct test_backend),
	CFG_MARK(struct test_backend, mark),
};

static const struct cfg_key test_lbd_keys[] = {
	{ .name = "balance", .type = CFG_ENUM, .names = test_balance_names,
	  .def = "roundrobin", .off = offsetof(struct test_lbd, balance),
	  .help = "Balancing algorithm." },
	{ .name = "retries", .type = CFG_INT, .def = "3", .min = 0, .max = 10,
	  .off = offsetof(struct test_lbd, retries),
	  .help = "Connect retries." },
	{ .name = "connect_timeout", .type = CFG_DURATION, .def = "5s",
	  .min = 1, .max = 3600000,
	  .off = offsetof(struct test_lbd, connect_timeout_ms),
	  .help = "Connect timeout." },
	{ .name = "servers", .type = CFG_STRING, .def = "webd",
	  .off = offsetof(struct test_lbd, servers),
	  .help = "Daemon whose instances are the servers." },
	{ .name = "allow", .type = CFG_CIDRS, .flags = CFG_F_SCALAR_OK,
	  .off = offsetof(struct test_lbd, allow),
	  .help = "Clients allowed." },
	{ .name = "health", .type = CFG_SECTION, .sub = &test_health_schema,
	  .off = offsetof(struct test_lbd, health),
	  .help = "Active health checks." },
	{ .name = "backends", .type = CFG_SECTIONS, .max = 64,
	  .sub = &test_backend_schema,
	  .off = offsetof(struct test_lbd, backends),
	  .help = "Extra servers." },
	{ .name = NULL },
};
static const struct cfg_schema test_lbd_schema = {
	"lbd", test_lbd_keys, sizeof(struct test_lbd), 0,
};

static const struct cfg_key test_route_keys[] = {
	{ .name = "prefix", .type = CFG_STRING, .flags = CFG_F_REQUIRED |
	  CFG_F_NONEMPTY, .off = offsetof(struct test_route, prefix),
	  .help = "Path prefix." },
	{ .name = "to", .type = CFG_STRING, .flags = CFG_F_REQUIRED,
	  .off = offsetof(struct test_route, to), .help = "Upstream." },
	{ .name = NULL },
};
static const struct cfg_schema test_route_schema = {
	"route", test_route_keys, sizeof(struct test_route), 0,
};

static const struct cfg_key test_webd_keys[] = {
	{ .name = "root", .type = CFG_STRING, .flags = CFG_F_REQUIRED |
	  CFG_F_NONEMPTY, .off = offsetof(struct test_webd, root),
	  .help = "Document root." },
	{ .name = "client_max_body_size", .type = CFG_SIZE, .def = "1m",
	  .min = 0, .max = 1024 * 1024 * 1024,
	  .off = offsetof(struct test_webd, client_max_body_size),
	  .help = "Largest request body." },
	{ .name = "keepalive_timeout", .type = CFG_DURATION, .def = "75s",
	  .min = 0, .max = 3600000,
	  .off = offsetof(struct test_webd, keepalive_timeout_ms),
	  .help = "Idle keep-alive time." },
	{ .name = "autoindex", .type = CFG_BOOL, .def = "off",
	  .off = offsetof(struct test_webd, autoindex),
	  .help = "List directories." },
	{ .name = "trusted_proxies", .type = CFG_CIDRS,
	  .flags = CFG_F_SCALAR_OK,
	  .off = offsetof(struct test_webd, trusted_proxies),
	  .help = "Proxies whose X-Forwarded-For is believed." },
	{ .name = "routes", .type = CFG_SECTIONS, .sub = &test_route_schema,
	  .off = offsetof(struct test_webd, routes),
	  .help = "Dynamic routes." },
	{ .name = "index", .type = CFG_STRINGS, .flags = CFG_F_SCALAR_OK,
	  .def = "[index.html]", .off = offsetof(struct test_webd, index),
	  .help = "Index files." },
	{ .name = "admin", .type = CFG_ADDRESS, .host = "127.0.0.1",
	  .def = "8999", .off = offsetof(struct test_webd, admin),
	  .help = "Admin address." },
	{ .name = NULL },
};
static const struct cfg_schema test_webd_schema = {
	"webd", test_webd_keys, sizeof(struct test_webd), 0,
};

#endif
