/*
 * config.c: schema tables applied to YAML nodes (see config.h).
 *
 * cfg_apply() is the heart: it matches the keys of one mapping against the
 * rows of one or more schemas, reports unknown and duplicate keys, parses
 * each value with the parser of its row's type, and gives every absent key
 * its default, parsed from text by the same parser as the file. Nothing
 * stops at the first error: a bad value leaves its field at zero and the
 * walk goes on, so one run shows every mistake.
 */
#include <sys/types.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "util.h"

typedef int (*cfg_type_fn)(struct cfg_ctx *, const struct cfg_key *,
    const struct cfg_node *, void *);

/* Where a key was seen in the mapping being applied. */
struct cfg_seen {
	const struct cfg_node	*key, *val;
};

void
cfg_ctx_init(struct cfg_ctx *ctx, struct cfg_errors *errs, const char *file,
    void *arg)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->errs = errs;
	ctx->file = file;
	ctx->arg = arg;
}

size_t
cfg_ctx_push(struct cfg_ctx *ctx, const char *name, size_t index)
{
	size_t old = strlen(ctx->path), size = sizeof(ctx->path) - old;

	if (name == NULL)
		snprintf(ctx->path + old, size, "[%zu]", index);
	else
		snprintf(ctx->path + old, size, "%s%.64s", old ? "." : "",
		    name);
	return old;
}

void
cfg_ctx_pop(struct cfg_ctx *ctx, size_t oldlen)
{
	if (oldlen < sizeof(ctx->path))
		ctx->path[oldlen] = '\0';
}

void
cfg_error(struct cfg_ctx *ctx, const struct cfg_node *at, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_errors_vadd(ctx->errs, ctx->file, at != NULL ? &at->mark : NULL,
	    fmt, ap);
	va_end(ap);
}

/* The name of the mapping being applied, for "unknown key ... in X". */
static const char *
cfg_where(const struct cfg_ctx *ctx, const struct cfg_target *t)
{
	return ctx->path[0] != '\0' ? ctx->path : t->schema->name;
}

/* Stores at in the mark field that a CFG_MARK() offset names, if any. */
static void
cfg_set_mark(void *dst, size_t mark, const struct cfg_mark *at)
{
	if (mark != 0)
		memcpy((char *)dst + mark - 1, at, sizeof(*at));
}

/* The text of a scalar value, or NULL after an error (a list, a null). */
static const char *
cfg_scalar(struct cfg_ctx *ctx, const struct cfg_node *n)
{
	if (n->type != CFG_NODE_SCALAR) {
		cfg_error(ctx, n, "%s: expected a value, got %s", ctx->path,
		    cfg_node_kind(n));
		return NULL;
	}
	if (n->null) {
		cfg_error(ctx, n, "%s: missing value", ctx->path);
		return NULL;
	}
	return n->str;
}

/* Reports a parser's cause as "path: cause"; returns -1. */
static int
cfg_cause(struct cfg_ctx *ctx, const struct cfg_node *n, char *cause)
{
	cfg_error(ctx, n, "%s: %s", ctx->path, cause);
	free(cause);
	return -1;
}

/* Checks v against the row's range; prints the bounds in its unit. */
static int
cfg_range(struct cfg_ctx *ctx, const struct cfg_key *key,
    const struct cfg_node *n, int64_t v)
{
	char lo[32], hi[32];
	int out;

	if (key->min == 0 && key->max == 0)
		return 0;
	if (key->type == CFG_SIZE)
		out = (uint64_t)v < (uint64_t)key->min ||
		    (uint64_t)v > (uint64_t)key->max;
	else
		out = v < key->min || v > key->max;
	if (!out)
		return 0;
	if (key->type == CFG_SIZE) {
		cfg_format_size((uint64_t)key->min, lo, sizeof(lo));
		cfg_format_size((uint64_t)key->max, hi, sizeof(hi));
	} else if (key->type == CFG_DURATION) {
		cfg_format_duration(key->min, lo, sizeof(lo));
		cfg_format_duration(key->max, hi, sizeof(hi));
	} else {
		snprintf(lo, sizeof(lo), "%lld", (long long)key->min);
		snprintf(hi, sizeof(hi), "%lld", (long long)key->max);
	}
	cfg_error(ctx, n, "%s must be between %s and %s", ctx->path, lo, hi);
	return -1;
}

static int
cfg_type_bool(struct cfg_ctx *ctx, const struct cfg_key *key,
    const struct cfg_node *n, void *slot)
{
	const char *s;
	char *cause;

	if ((s = cfg_scalar(ctx, n)) == NULL)
		return -1;
	if (cfg_parse_bool(s, slot, &cause) == -1)
		return cfg_cause(ctx, n, cause);
	return 0;
}

/*
 * INT, SIZE and DURATION: the text through its parser, then the row's
 * range; sizes are stored unsigned, the others as int64_t.
 */
static int
cfg_type_number(struct cfg_ctx *ctx, const struct cfg_key *key,
    const struct cfg_node *n, void *slot)
{
	const char *s;
	char *cause;
	uint64_t u = 0;
	int64_t v;
	int r;

	if ((s = cfg_scalar(ctx, n)) == NULL)
		return -1;
	if (key->type == CFG_SIZE) {
		r = cfg_parse_size(s, &u, &cause);
		v = (int64_t)u;
	} else if (key->type == CFG_DURATION)
		r = cfg_parse_duration(s, &v, &cause);
	else
		r = cfg_parse_int(s, &v, &cause);
	if (r == -1)
		return cfg_cause(ctx, n, cause);
	if (cfg_range(ctx, key, n, v) == -1)
		return -1;
	if (key->type == CFG_SIZE)
		*(uint64_t *)slot = u;
	else
		*(int64_t *)slot = v;
	return 0;
}

/* A string value between min and max bytes long, copied into *out. */
static int
cfg_string_value(struct cfg_ctx *ctx, const struct cfg_node *n,
    size_t min, size_t max, char **out)
{
	const char *s;

	if ((s = cfg_scalar(ctx, n)) == NULL)
		return -1;
	if (n->len < min) {
		cfg_error(ctx, n, "%s must not be empty", ctx->path);
		return -1;
	}
	if (n->len > max) {
		cfg_error(ctx, n, "%s is too long (%zu bytes, at most %zu)",
		    ctx->path, n->len, max);
		return -1;
	}
	free(*out);
	*out = xstrdup(s);
	return 0;
}

static int
cfg_type_string(struct cfg_ctx *ctx, const struct cfg_key *key,
    const struct cfg_node *n, void *slot)
{
	size_t min, max;

	min = key->min > 0 ? (size_t)key->min : !!(key->flags & CFG_F_NONEMPTY);
	max = key->max > 0 ? (size_t)key->max : CFG_MAX_STRING;
	return cfg_string_value(ctx, n, min, max, slot);
}

/* "a, b, c" from a NULL-terminated name list, into buf. */
static const char *
cfg_join_names(const char *const *names, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (; *names != NULL && off < size; names++)
		off += (size_t)snprintf(buf + off, size - off, "%s%s",
		    off ? ", " : "", *names);
	return buf;
}

static int
cfg_type_enum(struct cfg_ctx *ctx, const struct cfg_key *key,
    const struct cfg_node *n, void *slot)
{
	const char *s, *near;
	char all[256];
	size_t i, count;

	if ((s = cfg_scalar(ctx, n)) == NULL)
		return -1;
	for (i = 0; key->names[i] != NULL; i++) {
		if (strcmp(s, key->names[i]) == 0) {
			*(int *)slot = key->values ? key->values[i] : (int)i;
			return 0;
		}
	}
	count = i;
	cfg_join_names(key->names, all, sizeof(all));
	if ((near = cfg_suggest(s, key->names, count)) != NULL)
		cfg_error(ctx, n, "%s: unknown value '%.64s', did you mean "
		    "'%s'? (one of: %s)", ctx->path, s, near, all);
	else
		cfg_error(ctx, n, "%s: unknown value '%.64s' (one of: %s)",
		    ctx->path, s, all);
	return -1;
}

static int
cfg_type_address(struct cfg_ctx *ctx, const struct cfg_key *key,
    const struct cfg_node *n, void *slot)
{
	const char *s;
	char *cause;

	if ((s = cfg_scalar(ctx, n)) == NULL)
		return -1;
	if (addr_parse(s, key->host, slot, &cause) == -1)
		return cfg_cause(ctx, n, cause);
	return 0;
}

/*
 * The items of a list value: a sequence, or one scalar (or mapping) alone
 * when the row allows it (then *items points to *one, the caller's).
 * Checks the count against the row's bounds. Returns the count, or -1
 * after an error.
 */
static ssize_t
cfg_list_items(struct cfg_ctx *ctx, const struct cfg_key *key,
    const struct cfg_node *n, struct cfg_node *const **items,
    struct cfg_node **one)
{
	size_t min, max, count;

	if (n->type == CFG_NODE_SEQ) {
		*items = n->kids;
		count = n->nkids;
	} else if ((key->flags & CFG_F_SCALAR_OK) && !n->null) {
		*one = (struct cfg_node *)n;
		*items = one;
		count = 1;
	} else {
		cfg_error(ctx, n, "%s: expected a list, got %s", ctx->path,
		    n->null ? "nothing" : cfg_node_kind(n));
		return -1;
	}
	min = key->min > 0 ? (size_t)key->min : !!(key->flags & CFG_F_NONEMPTY);
	max = key->max > 0 ? (size_t)key->max : CFG_MAX_ITEMS;
	if (count < min || count > max) {
		cfg_error(ctx, n, "%s must have between %zu and %zu items, "
		    "not %zu", ctx->path, min, max, count);
		return -1;
	}
	return (ssize_t)count;
}

static int
cfg_type_cidrs(struct cfg_ctx *ctx, const struct cfg_key *key,
    const struct cfg_node *n, void *slot)
{
	struct cfg_node *const *items, *one;
	struct cidr c;
	const char *s;
	char *cause;
	ssize_t i, count;
	size_t old;
	int ret = 0;

	if ((count = cfg_list_items(ctx, key, n, &items, &one)) == -1)
		return -1;
	for (i = 0; i < count; i++) {
		old = cfg_ctx_push(ctx, NULL, (size_t)i);
		if ((s = cfg_scalar(ctx, items[i])) == NULL)
			ret = -1;
		else if (cidr_parse(s, &c, &cause) == -1)
			ret = cfg_cause(ctx, items[i], cause);
		else
			cidr_list_add(slot, &c);
		cfg_ctx_pop(ctx, old);
	}
	return ret;
}

static int
cfg_type_strings(struct cfg_ctx *ctx, const struct cfg_key *key,
    const struct cfg_node *n, void *slot)
{
	struct cfg_strlist *l = slot;
	struct cfg_node *const *items, *one;
	ssize_t i, count;
	size_t old;
	char *s;
	int ret = 0;

	if ((count = cfg_list_items(ctx, key, n, &items, &one)) == -1)
		return -1;
	for (i = 0; i < count; i++) {
		old = cfg_ctx_push(ctx, NULL, (size_t)i);
		s = NULL;
		if (cfg_string_value(ctx, items[i], 1, CFG_MAX_STRING,
		    &s) == -1)
			ret = -1;
		else {
			l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
			l->marks = xreallocarray(l->marks, l->n + 1,
			    sizeof(*l->marks));
			l->marks[l->n] = items[i]->mark;
			l->v[l->n++] = s;
		}
		cfg_ctx_pop(ctx, old);
	}
	return ret;
}

static int
cfg_type_section(struct cfg_ctx *ctx, const struct cfg_key *key,
    const struct cfg_node *n, void *slot)
{
	struct cfg_target t = { key->sub, slot };

	return cfg_apply(ctx, &t, 1, n, 0);
}

/* The row of a schema with the given flag (MAPKEY, SHORTHAND), or NULL. */
static const struct cfg_key *
cfg_flagged(const struct cfg_schema *s, int flag)
{
	const struct cfg_key *k;

	for (k = s->keys; k->name != NULL; k++) {
		if (k->flags & flag)
			return k;
	}
	return NULL;
}

/*
 * One element of a list of sections. A scalar item stands for a mapping of
 * the schema's shorthand key to it ("on: [web1]" = "on: [{host: web1}]").
 */
static int
cfg_element(struct cfg_ctx *ctx, const struct cfg_schema *sub,
    const struct cfg_node *item, void *elem)
{
	struct cfg_target t = { sub, elem };
	const struct cfg_key *sh;
	struct cfg_node k, m, *kids[2];

	if (item->type != CFG_NODE_SCALAR ||
	    (sh = cfg_flagged(sub, CFG_F_SHORTHAND)) == NULL)
		return cfg_apply(ctx, &t, 1, item, 0);
	memset(&k, 0, sizeof(k));
	k.type = CFG_NODE_SCALAR;
	k.mark = item->mark;
	k.str = (char *)sh->name;
	k.len = strlen(sh->name);
	kids[0] = &k;
	kids[1] = (struct cfg_node *)item;
	memset(&m, 0, sizeof(m));
	m.type = CFG_NODE_MAP;
	m.mark = item->mark;
	m.kids = kids;
	m.nkids = 2;
	return cfg_apply(ctx, &t, 1, &m, 0);
}

static int
cfg_type_sections(struct cfg_ctx *ctx, const struct cfg_key *key,
    const struct cfg_node *n, void *slot)
{
	struct cfg_array *a = slot;
	struct cfg_node *const *items, *one;
	ssize_t i, count;
	size_t old;
	int ret = 0;

	if ((count = cfg_list_items(ctx, key, n, &items, &one)) <= 0)
		return (int)count;
	a->v = xcalloc((size_t)count, key->sub->size);
	a->n = (size_t)count;
	for (i = 0; i < count; i++) {
		old = cfg_ctx_push(ctx, NULL, (size_t)i);
		if (cfg_element(ctx, key->sub, items[i],
		    (char *)a->v + (size_t)i * key->sub->size) == -1)
			ret = -1;
		cfg_ctx_pop(ctx, old);
	}
	return ret;
}

/* One name -> section pair of a CFG_MAP: the name goes to the MAPKEY row. */
static int
cfg_map_element(struct cfg_ctx *ctx, const struct cfg_schema *sub,
    const struct cfg_node *k, const struct cfg_node *v, void *elem)
{
	struct cfg_target t = { sub, elem };
	const struct cfg_key *mk;
	int ret = 0;

	if ((mk = cfg_flagged(sub, CFG_F_MAPKEY)) != NULL &&
	    cfg_string_value(ctx, k, 1, mk->max > 0 ? (size_t)mk->max :
	    CFG_MAX_STRING, (char **)((char *)elem + mk->off)) == -1)
		ret = -1;
	if (cfg_apply(ctx, &t, 1, v, 0) == -1)
		ret = -1;
	cfg_set_mark(elem, sub->mark, &k->mark);
	return ret;
}

/*
 * The name of entry i of a CFG_MAP mapping must be a scalar seen for the
 * first time (the count is capped, so the quadratic scan is bounded).
 */
static int
cfg_map_key_ok(struct cfg_ctx *ctx, const struct cfg_node *n, size_t i)
{
	const struct cfg_node *k = n->kids[2 * i], *prev;
	size_t j;

	if (k->type != CFG_NODE_SCALAR) {
		cfg_error(ctx, k, "keys must be plain names, not %s",
		    cfg_node_kind(k));
		return 0;
	}
	for (j = 0; j < i; j++) {
		prev = n->kids[2 * j];
		if (prev->type == CFG_NODE_SCALAR &&
		    strcmp(prev->str, k->str) == 0) {
			cfg_error(ctx, k, "duplicate key '%.64s' in %s (first "
			    "at line %u)", k->str, ctx->path, prev->mark.line);
			return 0;
		}
	}
	return 1;
}

static int
cfg_type_map(struct cfg_ctx *ctx, const struct cfg_key *key,
    const struct cfg_node *n, void *slot)
{
	struct cfg_array *a = slot;
	size_t i, old, count, max;
	int ret = 0;

	if (n->type != CFG_NODE_MAP) {
		cfg_error(ctx, n, "%s: expected a mapping, got %s", ctx->path,
		    n->null ? "nothing" : cfg_node_kind(n));
		return -1;
	}
	count = n->nkids / 2;
	max = key->max > 0 ? (size_t)key->max : CFG_MAX_ITEMS;
	if (count > max || count < (size_t)MAXIMUM(key->min, 0)) {
		cfg_error(ctx, n, "%s must have between %lld and %zu entries, "
		    "not %zu", ctx->path, (long long)key->min, max, count);
		return -1;
	}
	if (count == 0)
		return 0;
	a->v = xcalloc(count, key->sub->size);
	for (i = 0; i < count; i++) {
		if (!cfg_map_key_ok(ctx, n, i)) {
			ret = -1;
			continue;
		}
		old = cfg_ctx_push(ctx, n->kids[2 * i]->str, 0);
		if (cfg_map_element(ctx, key->sub, n->kids[2 * i],
		    n->kids[2 * i + 1], (char *)a->v + a->n * key->sub->size)
		    == -1)
			ret = -1;
		a->n++;
		cfg_ctx_pop(ctx, old);
	}
	return ret;
}

static int
cfg_type_custom(struct cfg_ctx *ctx, const struct cfg_key *key,
    const struct cfg_node *n, void *slot)
{
	return key->parse(ctx, key, n, slot);
}

/* The parser of each type, indexed by enum cfg_type. */
static const cfg_type_fn cfg_types[] = {
	[CFG_BOOL] = cfg_type_bool,
	[CFG_INT] = cfg_type_number,
	[CFG_SIZE] = cfg_type_number,
	[CFG_DURATION] = cfg_type_number,
	[CFG_STRING] = cfg_type_string,
	[CFG_ENUM] = cfg_type_enum,
	[CFG_ADDRESS] = cfg_type_address,
	[CFG_CIDRS] = cfg_type_cidrs,
	[CFG_STRINGS] = cfg_type_strings,
	[CFG_SECTION] = cfg_type_section,
	[CFG_SECTIONS] = cfg_type_sections,
	[CFG_MAP] = cfg_type_map,
	[CFG_CUSTOM] = cfg_type_custom,
};

/* Parses value v of row key into dst, with the key's name on the path. */
static int
cfg_apply_key(struct cfg_ctx *ctx, const struct cfg_key *key,
    const struct cfg_node *v, void *dst)
{
	size_t old;
	int ret;

	old = cfg_ctx_push(ctx, key->name, 0);
	cfg_set_mark(dst, key->mark, &v->mark);
	ret = cfg_types[key->type](ctx, key, v, (char *)dst + key->off);
	cfg_ctx_pop(ctx, old);
	return ret;
}

/* True for the types whose default is YAML text (a list or a mapping). */
static int
cfg_default_is_yaml(enum cfg_type t)
{
	return t == CFG_CIDRS || t == CFG_STRINGS || t == CFG_SECTION ||
	    t == CFG_SECTIONS || t == CFG_MAP;
}

/*
 * An absent key: an error if required (unless the whole mapping is absent),
 * else its default text parsed like the file (a list or mapping default is
 * read as YAML), else zero. A section without a default still gets its own
 * keys' defaults, but its required keys are required only when it is
 * written: an optional section may hold mandatory keys.
 */
static int
cfg_apply_default(struct cfg_ctx *ctx, const struct cfg_target *owner,
    const struct cfg_key *key, const struct cfg_node *map, int flags)
{
	void *dst = owner->dst;
	struct cfg_target t;
	struct cfg_node n;
	struct cfg_doc *doc;
	size_t old;
	int ret;

	if ((key->flags & CFG_F_REQUIRED) && !(flags & CFG_ABSENT)) {
		cfg_error(ctx, map, "missing required key '%s' in %s",
		    key->name, cfg_where(ctx, owner));
		return -1;
	}
	memset(&n, 0, sizeof(n));
	if (key->def != NULL && cfg_default_is_yaml(key->type)) {
		if ((doc = cfg_doc_load_mem(key->name, key->def, strlen(key->def),
		    ctx->errs)) == NULL)
			return -1;
		ret = cfg_apply_key(ctx, key, doc->root, dst);
		cfg_doc_free(doc);
	} else if (key->def != NULL) {
		n.type = CFG_NODE_SCALAR;
		n.str = (char *)key->def;
		n.len = strlen(key->def);
		ret = cfg_apply_key(ctx, key, &n, dst);
	} else if (key->type == CFG_SECTION) {
		n.type = CFG_NODE_MAP;
		n.mark = map->mark;
		t.schema = key->sub;
		t.dst = (char *)dst + key->off;
		old = cfg_ctx_push(ctx, key->name, 0);
		ret = cfg_apply(ctx, &t, 1, &n, CFG_ABSENT);
		cfg_ctx_pop(ctx, old);
	} else
		return 0;
	/* A default leaves no mark: it is not in the file. */
	if (key->mark != 0)
		memset((char *)dst + key->mark - 1, 0, sizeof(struct cfg_mark));
	return ret;
}

/* Finds the row named name: *ti is its target, *ki its index there. */
static const struct cfg_key *
cfg_lookup(const struct cfg_target *t, size_t nt, const char *name,
    size_t *ti, size_t *ki)
{
	const struct cfg_key *k;

	for (*ti = 0; *ti < nt; (*ti)++) {
		for (k = t[*ti].schema->keys; k->name != NULL; k++) {
			if (!(k->flags & CFG_F_MAPKEY) &&
			    strcmp(k->name, name) == 0) {
				*ki = (size_t)(k - t[*ti].schema->keys);
				return k;
			}
		}
	}
	return NULL;
}

/* How many rows a schema has. */
static size_t
cfg_nkeys(const struct cfg_schema *s)
{
	size_t n = 0;

	while (s->keys[n].name != NULL)
		n++;
	return n;
}

/* "unknown key 'balence' in lbd, did you mean 'balance'?" */
static void
cfg_unknown(struct cfg_ctx *ctx, const struct cfg_target *t, size_t nt,
    const struct cfg_node *k)
{
	const char **names, *near = NULL;
	const struct cfg_key *row;
	size_t i, n = 0, total = 0;

	/* Past the error cap nobody reads the hint: skip the distances. */
	if (cfg_errors_count(ctx->errs) < CFG_MAX_ERRORS) {
		for (i = 0; i < nt; i++)
			total += cfg_nkeys(t[i].schema);
		names = xcalloc(total + 1, sizeof(*names));
		for (i = 0; i < nt; i++) {
			for (row = t[i].schema->keys; row->name; row++)
				if (!(row->flags & CFG_F_MAPKEY))
					names[n++] = row->name;
		}
		near = cfg_suggest(k->str, names, n);
		free(names);
	}
	if (near != NULL)
		cfg_error(ctx, k, "unknown key '%.64s' in %s, did you mean "
		    "'%s'?", k->str, cfg_where(ctx, t), near);
	else
		cfg_error(ctx, k, "unknown key '%.64s' in %s", k->str,
		    cfg_where(ctx, t));
}

/*
 * First pass over a mapping: finds the row of every key, reports keys that
 * are not scalars, unknown or repeated. seen has one slot per row of every
 * target, target after target (base[i] is where target i starts).
 */
static void
cfg_scan(struct cfg_ctx *ctx, const struct cfg_target *t, size_t nt,
    const struct cfg_node *map, int flags, struct cfg_seen *seen,
    const size_t *base)
{
	const struct cfg_node *k;
	struct cfg_seen *s;
	size_t i, ti, ki;

	for (i = 0; i + 1 < map->nkids; i += 2) {
		k = map->kids[i];
		if (k->type != CFG_NODE_SCALAR) {
			cfg_error(ctx, k, "keys must be plain names, not %s",
			    cfg_node_kind(k));
			continue;
		}
		if (cfg_lookup(t, nt, k->str, &ti, &ki) == NULL) {
			if (!(flags & CFG_IGNORE_UNKNOWN))
				cfg_unknown(ctx, t, nt, k);
			continue;
		}
		s = &seen[base[ti] + ki];
		if (s->key != NULL) {
			cfg_error(ctx, k, "duplicate key '%s' in %s (first at "
			    "line %u)", k->str, cfg_where(ctx, t),
			    s->key->mark.line);
			continue;
		}
		s->key = k;
		s->val = map->kids[i + 1];
	}
}

/* Second pass: each row of each target, from the file or by default. */
static int
cfg_fill(struct cfg_ctx *ctx, const struct cfg_target *t, size_t nt,
    const struct cfg_node *map, const struct cfg_seen *seen, int flags)
{
	const struct cfg_key *k;
	size_t i, j = 0;
	int ret = 0;

	for (i = 0; i < nt; i++) {
		if (!(flags & CFG_ABSENT))
			cfg_set_mark(t[i].dst, t[i].schema->mark, &map->mark);
		for (k = t[i].schema->keys; k->name != NULL; k++, j++) {
			if (seen[j].val != NULL)
				ret |= cfg_apply_key(ctx, k, seen[j].val,
				    t[i].dst);
			else if (!(k->flags & CFG_F_MAPKEY))
				ret |= cfg_apply_default(ctx, &t[i], k, map,
				    flags);
		}
	}
	return ret ? -1 : 0;
}

int
cfg_apply(struct cfg_ctx *ctx, const struct cfg_target *t, size_t nt,
    const struct cfg_node *map, int flags)
{
	struct cfg_node empty;
	struct cfg_seen *seen;
	size_t i, *base, total = 0, before = cfg_errors_count(ctx->errs);

	if (map->type == CFG_NODE_SCALAR && map->null) {
		/* "lbd:" alone: an empty section, all defaults. */
		memset(&empty, 0, sizeof(empty));
		empty.type = CFG_NODE_MAP;
		empty.mark = map->mark;
		map = &empty;
	}
	if (map->type != CFG_NODE_MAP) {
		cfg_error(ctx, map, "%s: expected a mapping, got %s",
		    cfg_where(ctx, t), cfg_node_kind(map));
		return -1;
	}
	base = xcalloc(nt, sizeof(*base));
	for (i = 0; i < nt; i++) {
		base[i] = total;
		total += cfg_nkeys(t[i].schema);
	}
	seen = xcalloc(total + 1, sizeof(*seen));
	cfg_scan(ctx, t, nt, map, flags, seen, base);
	cfg_fill(ctx, t, nt, map, seen, flags);
	free(seen);
	free(base);
	return cfg_errors_count(ctx->errs) == before ? 0 : -1;
}

/* Reads doc (and frees it) into dst through schema; see cfg_load_file. */
static int
cfg_load_doc(struct cfg_doc *doc, const struct cfg_schema *schema,
    void *dst, struct cfg_errors *errs)
{
	struct cfg_target t = { schema, dst };
	struct cfg_ctx ctx;
	int ret;

	memset(dst, 0, schema->size);
	if (doc == NULL)
		return -1;
	cfg_ctx_init(&ctx, errs, doc->file, NULL);
	ret = cfg_apply(&ctx, &t, 1, doc->root, 0);
	cfg_doc_free(doc);
	if (ret == -1) {
		cfg_free(schema, dst);
		cfg_errors_sort(errs);
	}
	return ret;
}

int
cfg_load_file(const char *path, const struct cfg_schema *schema, void *dst,
    struct cfg_errors *errs)
{
	return cfg_load_doc(cfg_doc_load_file(path, errs), schema, dst, errs);
}

int
cfg_load_mem(const char *name, const void *buf, size_t len,
    const struct cfg_schema *schema, void *dst, struct cfg_errors *errs)
{
	return cfg_load_doc(cfg_doc_load_mem(name, buf, len, errs), schema,
	    dst, errs);
}

/* Frees one row's value at slot. */
static void
cfg_free_key(const struct cfg_key *k, void *slot)
{
	struct cfg_strlist *l = slot;
	struct cfg_array *a = slot;
	size_t i;

	switch (k->type) {
	case CFG_STRING:
		free(*(char **)slot);
		break;
	case CFG_STRINGS:
		for (i = 0; i < l->n; i++)
			free(l->v[i]);
		free(l->v);
		free(l->marks);
		break;
	case CFG_CIDRS:
		cidr_list_free(slot);
		break;
	case CFG_SECTION:
		cfg_free(k->sub, slot);
		break;
	case CFG_SECTIONS:
	case CFG_MAP:
		for (i = 0; i < a->n; i++)
			cfg_free(k->sub, (char *)a->v + i * k->sub->size);
		free(a->v);
		break;
	case CFG_CUSTOM:
		if (k->free != NULL)
			k->free(k, slot);
		break;
	default:
		break;
	}
}

void
cfg_free(const struct cfg_schema *schema, void *dst)
{
	const struct cfg_key *k;

	for (k = schema->keys; k->name != NULL; k++)
		cfg_free_key(k, (char *)dst + k->off);
	memset(dst, 0, schema->size);
}
