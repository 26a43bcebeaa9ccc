/*
 * topology.h: the site's one YAML file (see topology-t.h for the types).
 *
 *	site: www.foobar.com
 *	admin_networks: [10.10.0.0/24]        # default: loopback
 *	hosts:
 *	  web1: { address: 10.10.0.11 }
 *	webd:
 *	  on: [web1, { host: web1, name: webd2, listen: 8082, status: 9082 }]
 *	  listen: 8081                         # host's address when bare
 *	  status: 9081                         # 127.0.0.1 when bare
 *	  workers: 2
 *	  root: /srv/www                       # webd's own key (its schema)
 *	mariadb: { primary: web1, replicas: [web2], port: 3306 }
 *
 * Each daemon loads the file with a spec for its own section, then picks
 * its instance with topo_find(); triadctl passes all four specs.
 */
#ifndef TRIAD_TOPOLOGY_H
#define TRIAD_TOPOLOGY_H

#include <stdio.h>

#include "config.h"
#include "topology-t.h"

/* The top-level schema and the generic keys of every daemon (for help). */
extern const struct cfg_schema topo_schema;
extern const struct cfg_schema topo_section_schema;

/*
 * topo_load_file, topo_load_mem: read and check a topology. Each spec's
 * dst is zeroed and filled from its daemon's section (defaults when the
 * section is absent). Cross checks: `on` names a known host, instance
 * names are unique per daemon, no port (or unix socket) is used twice on
 * one host, mariadb names known hosts and no replica is the primary.
 * Returns the topology; or NULL with every error in errs (sorted by line)
 * and every spec's dst freed. On success the caller frees the topology
 * with topo_free and each dst with cfg_free(spec->schema, dst).
 */
struct topology	*topo_load_file(const char *path, const struct topo_spec *,
		    size_t nspecs, struct cfg_errors *);
struct topology	*topo_load_mem(const char *name, const void *buf,
		    size_t len, const struct topo_spec *, size_t nspecs,
		    struct cfg_errors *);
/*
 * topo_load_file_all: the same, but the topology (and the specs' dst)
 * come back also after errors, unsorted, so that a tool can add its own
 * checks and report everything in one pass (sort errs after). NULL only
 * when the file is not a readable YAML document. Values may then be
 * missing: NULL strings, empty lists, instances without addresses.
 */
struct topology	*topo_load_file_all(const char *path, const struct topo_spec *,
		    size_t nspecs, struct cfg_errors *);
void		 topo_free(struct topology *);

/* topo_daemon: the section of "lbd", "webd", "appd" or "dbproxyd". */
const struct topo_daemon *topo_daemon(const struct topology *,
		    const char *daemon);
/* topo_host: the host named name, or NULL. */
const struct topo_host *topo_host(const struct topology *, const char *name);
/*
 * topo_find: "my instance" of daemon on host (NULL: any host), named
 * instance (NULL: the only one there). Returns it, or NULL with *cause:
 * "no webd instance on host 'x' (instances: a, b)", "host web1 runs 2
 * webd instances (webd1, webd2): pick one with --instance", ...
 */
const struct topo_instance *topo_find(const struct topology *,
		    const char *daemon, const char *host, const char *instance,
		    char **cause);

/*
 * topo_help: documents every key: the top level, the generic keys of a
 * daemon section (as DAEMON.*), then each spec's own keys.
 */
void		 topo_help(FILE *, const struct topo_spec *, size_t nspecs);

/* Resolution and cross checks (topology_check.c), called by the loader. */
void		 topo_resolve(struct topology *, struct cfg_ctx *);

#endif
