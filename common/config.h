/*
 * config.h: the schema-driven YAML loader (types in config-t.h).
 *
 * Typical use, for a file that is one section:
 *
 *	struct cfg_errors errs = { 0 };
 *	if (cfg_load_file(path, &my_schema, &conf, &errs) == -1) {
 *		cfg_errors_print(&errs, stderr);   (every error, in file order)
 *		cfg_errors_clear(&errs);
 *	}
 *	...
 *	cfg_free(&my_schema, &conf);
 *
 * The topology (topology.h) reads one file with a section per daemon and
 * calls cfg_apply() for each, with the generic schema and the daemon's.
 */
#ifndef TRIAD_CONFIG_H
#define TRIAD_CONFIG_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "config-t.h"

/* ---- errors (config_errors.c) ---- */

/*
 * cfg_errors_add: appends "file:line:col: message" (or "file: message"
 * when at is NULL or its line is 0). Past CFG_MAX_ERRORS the error is only
 * counted. file may be NULL (no prefix at all).
 */
void	cfg_errors_add(struct cfg_errors *, const char *file,
	    const struct cfg_mark *at, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
void	cfg_errors_vadd(struct cfg_errors *, const char *file,
	    const struct cfg_mark *at, const char *fmt, va_list)
	    __attribute__((format(printf, 4, 0)));
/* cfg_errors_count: how many errors were reported, kept or dropped. */
size_t	cfg_errors_count(const struct cfg_errors *);
/* cfg_errors_sort: orders the kept errors by line:col (stable). */
void	cfg_errors_sort(struct cfg_errors *);
/* cfg_errors_print: one error per line, then "N more errors" if any. */
void	cfg_errors_print(const struct cfg_errors *, FILE *);
/* cfg_errors_join: the printed text as one string (caller frees); NULL
   when there is no error. */
char	*cfg_errors_join(const struct cfg_errors *);
/* cfg_errors_clear: frees the messages; the list is empty again. */
void	cfg_errors_clear(struct cfg_errors *);

/* ---- YAML to nodes (config_yaml.c) ---- */

/*
 * cfg_doc_load_file, cfg_doc_load_mem: read one YAML document into a node
 * tree. name is what messages call the buffer. Returns the document, or
 * NULL after adding one error to errs: unreadable or too large file, YAML
 * syntax (libyaml's message and position, with a hint for tabs), an empty
 * document, more than one document, an alias (not supported: an alias bomb
 * cannot blow up), a NUL character, nesting deeper than CFG_MAX_DEPTH or
 * more than CFG_MAX_NODES nodes.
 */
struct cfg_doc	*cfg_doc_load_file(const char *path, struct cfg_errors *);
struct cfg_doc	*cfg_doc_load_mem(const char *name, const void *buf,
		    size_t len, struct cfg_errors *);
void		 cfg_doc_free(struct cfg_doc *);
/* cfg_node_get: the value of key in a mapping node, or NULL. */
const struct cfg_node *cfg_node_get(const struct cfg_node *map,
		    const char *key);
/* cfg_node_kind: "a scalar", "a list" or "a mapping", for messages. */
const char	*cfg_node_kind(const struct cfg_node *);

/* ---- values (config_value.c) ---- */

/* Each returns 0, or -1 with *cause (caller frees) naming what is wrong. */
int	cfg_parse_bool(const char *, int *, char **cause);
int	cfg_parse_int(const char *, int64_t *, char **cause);
int	cfg_parse_size(const char *, uint64_t *, char **cause);
/* Durations need a unit (ms, s, m, h, d), may chain ("1h30m"); "0" is 0. */
int	cfg_parse_duration(const char *, int64_t *ms, char **cause);
/* The shortest exact text of a value: "64k", "1h30m", "0". */
const char *cfg_format_size(uint64_t, char *buf, size_t size);
const char *cfg_format_duration(int64_t ms, char *buf, size_t size);
/*
 * cfg_distance: Damerau-Levenshtein (optimal string alignment) distance,
 * case-insensitive; words longer than 64 bytes are "far" (UINT32_MAX).
 */
unsigned cfg_distance(const char *, const char *);
/* cfg_suggest: the nearest of cands to word if it is near enough, or NULL. */
const char *cfg_suggest(const char *word, const char *const *cands,
	    size_t ncands);

/* ---- schemas (config.c) ---- */

/*
 * cfg_load_file, cfg_load_mem: read a file that is one section described
 * by schema into dst (zeroed first; defaults for every key not present).
 * Returns 0; or -1 with every error in errs (sorted by position), and dst
 * freed and zeroed.
 */
int	cfg_load_file(const char *path, const struct cfg_schema *, void *dst,
	    struct cfg_errors *);
int	cfg_load_mem(const char *name, const void *buf, size_t len,
	    const struct cfg_schema *, void *dst, struct cfg_errors *);
/*
 * cfg_apply: fills each target's dst from the mapping node map: a key
 * belongs to the first target whose schema has it; unknown keys are errors
 * with a "did you mean" (unless CFG_IGNORE_UNKNOWN), so are duplicate keys
 * and missing required keys; absent keys get their default. Returns 0, or
 * -1 when it added errors (dst is still consistent: cfg_free works).
 */
int	cfg_apply(struct cfg_ctx *, const struct cfg_target *, size_t ntargets,
	    const struct cfg_node *map, int flags);
/* cfg_ctx_init: a context for cfg_apply (arg is for custom parsers). */
void	cfg_ctx_init(struct cfg_ctx *, struct cfg_errors *, const char *file,
	    void *arg);
/*
 * cfg_ctx_push: appends ".name" (or "[index]" when name is NULL) to the
 * path shown in messages; returns the old length for cfg_ctx_pop.
 */
size_t	cfg_ctx_push(struct cfg_ctx *, const char *name, size_t index);
void	cfg_ctx_pop(struct cfg_ctx *, size_t oldlen);
/* cfg_error: reports "file:line:col: message" at node (NULL: no place). */
void	cfg_error(struct cfg_ctx *, const struct cfg_node *, const char *fmt,
	    ...) __attribute__((format(printf, 3, 4)));
/* cfg_free: frees what the schema's keys hold in dst, then zeroes it. */
void	cfg_free(const struct cfg_schema *, void *dst);

/* ---- help (config_help.c) ---- */

/*
 * cfg_help: prints every key of schema (recursively, prefixed by prefix,
 * which may be NULL): name, type, range, default, help. triadctl uses it
 * to document the configuration.
 */
void	cfg_help(FILE *, const struct cfg_schema *, const char *prefix);

#endif
