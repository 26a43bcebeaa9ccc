/*
 * config-t.h: the types of the schema-driven configuration loader (types
 * only; prototypes are in config.h).
 *
 * A YAML file is read by libyaml into a small tree of cfg_node (every node
 * keeps its line:col), then a schema table (one cfg_key row per key, after
 * tmux's options_table) turns each mapping into a C struct: the row gives
 * the type, the offset of the field, the range, the default (as text, read
 * by the same code as the file) and the help. Errors are collected in a
 * cfg_errors list as "file:line:col: message", all of them, not only the
 * first.
 */
#ifndef TRIAD_CONFIG_T_H
#define TRIAD_CONFIG_T_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "cidr.h"

/* Limits on what a file may make the loader do. */
#define CFG_MAX_FILE	(1024 * 1024)	/* bytes of YAML */
#define CFG_MAX_NODES	100000		/* scalars, lists and mappings */
#define CFG_MAX_DEPTH	64		/* nesting of lists and mappings */
#define CFG_MAX_ERRORS	100		/* kept; the rest are counted */
#define CFG_MAX_STRING	4096		/* default cap of a string value */
#define CFG_MAX_ITEMS	4096		/* default cap of a list's length */

/* A position in the file, 1-based; line 0 means "not from the file". */
struct cfg_mark {
	unsigned	line, col;
};

enum cfg_node_type {
	CFG_NODE_SCALAR,
	CFG_NODE_SEQ,
	CFG_NODE_MAP,
};

/*
 * One YAML node. A mapping's kids are key, value, key, value...: keys are
 * nodes too, so that errors about a key point at the key.
 */
struct cfg_node {
	enum cfg_node_type	 type;
	struct cfg_mark		 mark;
	char			*str;	/* SCALAR: NUL-terminated text */
	size_t			 len;	/* SCALAR: strlen(str) */
	int			 null;	/* SCALAR: plain "", "~" or "null" */
	struct cfg_node		**kids;	/* SEQ items; MAP key/value pairs */
	size_t			 nkids;
};

/* A parsed file: its name (for messages) and the root node. */
struct cfg_doc {
	char		*file;
	struct cfg_node	*root;
	size_t		 nodes;
};

/* Every error of one load, in file order, each "file:line:col: text". */
struct cfg_errors {
	char		*msg[CFG_MAX_ERRORS];
	struct cfg_mark	 at[CFG_MAX_ERRORS];	/* for sorting */
	size_t		 n;
	size_t		 dropped;	/* errors past CFG_MAX_ERRORS */
};

enum cfg_type {
	CFG_BOOL,	/* int: 0 or 1 (true/false, yes/no, on/off) */
	CFG_INT,	/* int64_t */
	CFG_SIZE,	/* uint64_t bytes: "64k", "1m", "2g", "1t", "512" */
	CFG_DURATION,	/* int64_t ms: "500ms", "30s", "5m", "1h", "2d", "1m30s" */
	CFG_STRING,	/* char *, xstrdup'ed */
	CFG_ENUM,	/* int: names[i] -> values ? values[i] : i */
	CFG_ADDRESS,	/* struct net_addr, through addr_parse() */
	CFG_CIDRS,	/* struct cidr_list */
	CFG_STRINGS,	/* struct cfg_strlist */
	CFG_SECTION,	/* a nested struct at off, described by sub */
	CFG_SECTIONS,	/* struct cfg_array of sub->size elements (a list) */
	CFG_MAP,	/* struct cfg_array from a mapping name -> section */
	CFG_CUSTOM,	/* parse/free callbacks */
};

/* Row flags. */
#define CFG_F_REQUIRED	0x01	/* missing is an error */
#define CFG_F_SCALAR_OK	0x02	/* lists: one value may stand alone */
#define CFG_F_MAPKEY	0x04	/* in a CFG_MAP element: set from its name */
#define CFG_F_SHORTHAND	0x08	/* in a CFG_SECTIONS element: a scalar item
				   sets this key ("on: [web1]") */
#define CFG_F_NONEMPTY	0x10	/* strings and lists: empty is an error */

/* A list of strings, with the position of each item. */
struct cfg_strlist {
	char		**v;
	struct cfg_mark	 *marks;
	size_t		  n;
};

/* A list of structs (CFG_SECTIONS, CFG_MAP). */
struct cfg_array {
	void	*v;	/* n elements of the sub-schema's size */
	size_t	 n;
};

struct cfg_ctx;
struct cfg_key;

/*
 * A custom parser: reads node into slot (the field at key->off). Returns 0,
 * or -1 after reporting with cfg_error(). The free callback (may be NULL)
 * releases what parse stored in slot.
 */
typedef int	(*cfg_parse_fn)(struct cfg_ctx *, const struct cfg_key *,
		    const struct cfg_node *, void *slot);
typedef void	(*cfg_free_fn)(const struct cfg_key *, void *slot);

/* Stores a mark field's offset + 1 so that 0 can mean "no mark". */
#define CFG_MARK(type, field)	(offsetof(type, field) + 1)

/* One row of a schema. Unused fields stay zero. */
struct cfg_key {
	const char		 *name;
	enum cfg_type		  type;
	size_t			  off;		/* offsetof(dst, field) */
	int			  flags;	/* CFG_F_* */
	/*
	 * INT: value range; SIZE: bytes; DURATION: ms; STRING: length;
	 * lists: item count. min == max == 0: the type's own limit.
	 */
	int64_t			  min, max;
	const char		 *def;		/* default, as in the file */
	const char		 *help;
	const char *const	 *names;	/* ENUM: NULL-terminated */
	const int		 *values;	/* ENUM: optional */
	const struct cfg_schema	 *sub;		/* SECTION(S), MAP */
	const char		 *host;		/* ADDRESS: host of a bare port */
	cfg_parse_fn		  parse;	/* CUSTOM */
	cfg_free_fn		  free;		/* CUSTOM, may be NULL */
	const char		 *type_name;	/* CUSTOM: for help */
	size_t			  mark;		/* CFG_MARK(), or 0 */
};

/* A schema: the rows of one section and the struct they fill. */
struct cfg_schema {
	const char		*name;	/* for messages: "lbd", "health" */
	const struct cfg_key	*keys;	/* ends with a row whose name is NULL */
	size_t			 size;	/* sizeof the destination struct */
	size_t			 mark;	/* CFG_MARK(): the mapping's own place */
};

/* One schema and the struct it fills, for cfg_apply(). */
struct cfg_target {
	const struct cfg_schema	*schema;
	void			*dst;
};

/* cfg_apply() flags. */
#define CFG_IGNORE_UNKNOWN	0x01	/* keys no target knows are skipped */
#define CFG_ABSENT		0x02	/* the section is not in the file:
					   defaults only, nothing required */

/* The state of one load, passed to custom parsers. */
struct cfg_ctx {
	struct cfg_errors	*errs;
	const char		*file;
	char			 path[256];	/* "lbd.on[1]" */
	void			*arg;		/* the caller's */
};

#endif
