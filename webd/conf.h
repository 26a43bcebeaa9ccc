/*
 * conf.h: webd's configuration (types in webd.h).
 */
#ifndef WEBD_CONF_H
#define WEBD_CONF_H

#include "lifecycle.h"

extern const struct cfg_schema webd_conf_schema;

/*
 * webd_conf_load: the lifecycle's load step: the topology with webd's
 * section, this instance, the root, MIME types and access log. Returns a
 * struct webd_conf, or NULL with *errors (every error, one per line).
 */
void	*webd_conf_load(const struct lc_opts *, struct lc_settings *,
	    char **errors);
void	 webd_conf_free(void *conf);

#endif
