/* conf.h: lbd's configuration: its schema and the load step. */
#ifndef LBD_CONF_H
#define LBD_CONF_H

#include "lifecycle.h"

extern const struct cfg_schema lb_conf_schema;

/*
 * lb_conf_load: the lifecycle's load step: the topology with lbd's
 * section, this instance, the server group (every instance of the daemon
 * named by `servers`, those in `backup` kept in reserve). Returns a
 * struct lb_conf, or NULL with *errors.
 */
void	*lb_conf_load(const struct lc_opts *, struct lc_settings *,
	    char **errors);
void	 lb_conf_free(void *conf);

#endif
