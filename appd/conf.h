/*
 * conf.h: appd's configuration: the schema of the topology's `appd:`
 * section (types in appd.h), and the lifecycle's load step.
 */
#ifndef APPD_CONF_H
#define APPD_CONF_H

#include "appd.h"
#include "lifecycle.h"

/* The `appd:` section: apps and database (triadctl links it too). */
extern const struct cfg_schema appd_conf_schema;
extern const char *const appd_kind_names[];
extern const char *const appd_pm_names[];

/*
 * appd_conf_load: the lifecycle's load step: the topology with appd's
 * section, this instance, then the checks the schema cannot express (what
 * each kind needs, routes used twice, the database address). Returns a
 * struct appd_conf, or NULL with *errors (every error, one per line).
 */
void	*appd_conf_load(const struct lc_opts *, struct lc_settings *,
	    char **errors);
void	 appd_conf_free(void *conf);
/*
 * appd_conf_check: the semantic checks of an appd_conf filled by the
 * schema (kinds, routes, pool sizes); self_host names the host for
 * `database: {address: dbproxyd}` (NULL: skip that). Returns 0, or -1
 * with *cause listing every problem, one per line (caller frees).
 */
int	 appd_conf_check(struct appd_conf *, const struct topology *,
	    const char *conf_path, const char *self_host, char **cause);
/*
 * appd_conf_app: the app whose route is the longest prefix of path, among
 * those the master serves (an app with its own listen is not one).
 */
const struct appd_app *appd_conf_app(const struct appd_conf *,
	    const char *path, size_t len);
/*
 * appd_conf_http: hs for appd's clients from sc, the same in the master
 * and in a direct worker (which has sc from the master's environment).
 */
void	 appd_conf_http(struct hconn_settings *hs,
	    const struct hconn_server_conf *sc);

#endif
