/*
 * topology-t.h: the types of the topology (types only; see topology.h).
 *
 * One YAML file, identical on every host, describes the whole site: the
 * hosts, then one section per daemon saying where its instances run. The
 * "as written" structs (topo_on, topo_section, topo_mariadb) are filled by
 * schema tables; topo_instance is the resolved view a daemon uses.
 */
#ifndef TRIAD_TOPOLOGY_T_H
#define TRIAD_TOPOLOGY_T_H

#include <stdint.h>

#include "addr.h"
#include "cidr.h"
#include "config-t.h"

#define TOPO_MAX_LISTEN	16	/* service addresses of one instance */
#define TOPO_NAME_MAX	63	/* host and instance names */

enum topo_daemon_id {
	TOPO_LBD,
	TOPO_WEBD,
	TOPO_APPD,
	TOPO_DBPROXYD,
	TOPO_NDAEMONS,
};

/* hosts: NAME: { address: IP } */
struct topo_host {
	char		*name;
	char		*address;	/* numeric IPv4 or IPv6, as written */
	struct net_addr	 addr;		/* the same, port 0 */
	struct cfg_mark	 mark, address_mark;
};

/* One item of a daemon's `on` list, as written. */
struct topo_on {
	char			*host;
	char			*name;		/* NULL: the host's name */
	struct cfg_strlist	 listen;	/* empty: the section's */
	char			*status;	/* NULL: the section's */
	struct cfg_mark		 mark, status_mark;
};

/* The generic keys of a daemon's section, as written. */
struct topo_section {
	struct cfg_array	 on;		/* struct topo_on */
	struct cfg_strlist	 listen;
	char			*status;
	int64_t			 workers;
	char			*user, *group, *pidfile;
	int64_t			 shutdown_timeout_ms;
	int			 log_level;	/* enum log_level; 0: keep */
	char			*error_log, *access_log;
	struct cfg_mark		 mark, status_mark;
};

/*
 * One instance of a daemon, resolved: addresses parsed with the host's
 * address as default host (the status port defaults to 127.0.0.1), and the
 * section's settings copied in. Strings point into the topology.
 */
struct topo_instance {
	const char	*daemon;	/* "webd" */
	const char	*name;		/* instance name, unique per daemon */
	const char	*host;		/* host name */
	struct net_addr	 host_addr;	/* port 0 */
	struct net_addr	 listen[TOPO_MAX_LISTEN];
	size_t		 nlisten;
	struct cfg_mark	 listen_mark[TOPO_MAX_LISTEN];	/* where written */
	struct net_addr	 status;	/* len 0: no status listener */
	struct cfg_mark	 status_mark;
	unsigned	 workers;	/* 0: one per CPU */
	const char	*user, *group, *pidfile;	/* NULL: not set */
	int64_t		 shutdown_timeout_ms;
	int		 log_level;	/* enum log_level; 0: keep */
	const char	*error_log, *access_log;	/* NULL: not set */
	struct cfg_mark	 mark;		/* its `on` item */
};

/* A daemon's section and its instances, in `on` order. */
struct topo_daemon {
	const char		*name;
	int			 present;	/* the section is in the file */
	struct topo_section	 conf;
	struct topo_instance	*inst;
	size_t			 ninst;
};

/* mariadb: { primary: HOST, replicas: [HOST...], port: N } */
struct topo_mariadb {
	char			*primary;
	struct cfg_strlist	 replicas;
	int64_t			 port;
	struct cfg_mark		 mark, primary_mark;
};

struct topology {
	char			*file;
	char			*site;
	struct cidr_list	 admin_networks;
	struct cfg_array	 hosts;		/* struct topo_host */
	struct topo_daemon	 daemons[TOPO_NDAEMONS];
	struct topo_mariadb	 mariadb;
};

/*
 * What one load checks besides the generic keys: the section of daemon is
 * also read with schema into dst (its specific keys; unknown keys there
 * are errors). Sections without a spec are read for their generic keys
 * only. schema may be NULL: no specific keys, but unknown ones are errors.
 * A schema may not reuse a generic key's name (that is reported).
 */
struct topo_spec {
	const char		*daemon;	/* "lbd", "webd", ... */
	const struct cfg_schema	*schema;
	void			*dst;
};

#endif
