/*
 * config_yaml.c: one YAML document into a tree of cfg_node (see config.h).
 *
 * libyaml's event API is used rather than its document API so that every
 * limit is ours: aliases are refused where they appear (an alias bomb never
 * expands), nesting and node counts are bounded, and every node keeps the
 * line:col of its first character. The first problem ends the read: after a
 * syntax error the rest of the stream means nothing.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "config.h"
#include "log.h"
#include "util.h"

/* The reader's state while the events of one stream are turned into nodes. */
struct cfg_yaml {
	const char		*file;
	struct cfg_errors	*errs;
	const unsigned char	*buf;
	size_t			 len;
	struct cfg_node		*root;
	struct cfg_node		*stack[CFG_MAX_DEPTH];
	size_t			 depth;
	size_t			 nodes;
	int			 docs;
	int			 failed;
};

/* Reports the one error of this read at a libyaml mark and ends the read. */
static void
cfg_yaml_fail(struct cfg_yaml *y, const yaml_mark_t *m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
cfg_yaml_fail(struct cfg_yaml *y, const yaml_mark_t *m, const char *fmt, ...)
{
	struct cfg_mark at = { 0, 0 };
	va_list ap;

	if (m != NULL) {
		at.line = (unsigned)m->line + 1;
		at.col = (unsigned)m->column + 1;
	}
	va_start(ap, fmt);
	cfg_errors_vadd(y->errs, y->file, &at, fmt, ap);
	va_end(ap);
	y->failed = 1;
}

/* Frees a node and everything below it. */
static void
cfg_node_free(struct cfg_node *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nkids; i++)
		cfg_node_free(n->kids[i]);
	free(n->kids);
	free(n->str);
	free(n);
}

/*
 * Appends kid to the list or mapping parent. The array doubles whenever
 * the count reaches a power of two, so a long list costs n, not n^2.
 */
static void
cfg_node_add(struct cfg_node *parent, struct cfg_node *kid)
{
	size_t n = parent->nkids;

	if (n == 0 || (n >= 4 && (n & (n - 1)) == 0))
		parent->kids = xreallocarray(parent->kids, n == 0 ? 4 : 2 * n,
		    sizeof(*parent->kids));
	parent->kids[parent->nkids++] = kid;
}

/*
 * A new node at the event's start, linked under the innermost open list or
 * mapping (or as the root). NULL after an error (too many nodes).
 */
static struct cfg_node *
cfg_yaml_node(struct cfg_yaml *y, const yaml_event_t *ev,
    enum cfg_node_type type)
{
	struct cfg_node *n;

	if (++y->nodes > CFG_MAX_NODES) {
		cfg_yaml_fail(y, &ev->start_mark, "more than %d YAML nodes",
		    CFG_MAX_NODES);
		return NULL;
	}
	n = xcalloc(1, sizeof(*n));
	n->type = type;
	n->mark.line = (unsigned)ev->start_mark.line + 1;
	n->mark.col = (unsigned)ev->start_mark.column + 1;
	if (y->depth > 0)
		cfg_node_add(y->stack[y->depth - 1], n);
	else if (y->root == NULL)
		y->root = n;
	else {
		/* Cannot happen: one document, so one root. */
		cfg_node_free(n);
		return NULL;
	}
	return n;
}

/* A scalar event: refuses NUL bytes (from "\0" escapes), marks nulls. */
static void
cfg_yaml_scalar(struct cfg_yaml *y, const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	struct cfg_node *n;

	if (strlen(v) != len) {
		cfg_yaml_fail(y, &ev->start_mark, "NUL character in a value");
		return;
	}
	if ((n = cfg_yaml_node(y, ev, CFG_NODE_SCALAR)) == NULL)
		return;
	n->str = xstrndup(v, len);
	n->len = len;
	n->null = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    (len == 0 || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	    strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0);
}

/* The start of a list or mapping: a new node that later nodes go under. */
static void
cfg_yaml_open(struct cfg_yaml *y, const yaml_event_t *ev,
    enum cfg_node_type type)
{
	struct cfg_node *n;

	if (y->depth == CFG_MAX_DEPTH) {
		cfg_yaml_fail(y, &ev->start_mark,
		    "lists and mappings nested deeper than %d levels",
		    CFG_MAX_DEPTH);
		return;
	}
	if ((n = cfg_yaml_node(y, ev, type)) != NULL)
		y->stack[y->depth++] = n;
}

/* One event; sets y->failed to stop. Returns 1 at the end of the stream. */
static int
cfg_yaml_event(struct cfg_yaml *y, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (y->docs++ > 0)
			cfg_yaml_fail(y, &ev->start_mark,
			    "only one YAML document is allowed");
		break;
	case YAML_ALIAS_EVENT:
		cfg_yaml_fail(y, &ev->start_mark, "YAML aliases are not "
		    "supported ('*%.64s')", ev->data.alias.anchor);
		break;
	case YAML_SCALAR_EVENT:
		cfg_yaml_scalar(y, ev);
		break;
	case YAML_SEQUENCE_START_EVENT:
		cfg_yaml_open(y, ev, CFG_NODE_SEQ);
		break;
	case YAML_MAPPING_START_EVENT:
		cfg_yaml_open(y, ev, CFG_NODE_MAP);
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (y->depth > 0)
			y->depth--;
		break;
	case YAML_STREAM_END_EVENT:
		return 1;
	default:
		break;
	}
	return 0;
}

/* Line and column of a byte offset, for reader errors (no mark there). */
static void
cfg_yaml_offset_mark(const struct cfg_yaml *y, size_t off, yaml_mark_t *m)
{
	size_t i;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < off && i < y->len; i++) {
		if (y->buf[i] == '\n') {
			m->line++;
			m->column = 0;
		} else
			m->column++;
	}
}

/* Turns libyaml's error into our one error, with a hint for tabs. */
static void
cfg_yaml_syntax(struct cfg_yaml *y, const yaml_parser_t *p)
{
	yaml_mark_t m = p->problem_mark;
	const char *problem = p->problem != NULL ? p->problem : "error";

	if (p->error == YAML_MEMORY_ERROR) {
		cfg_yaml_fail(y, NULL, "out of memory reading YAML");
		return;
	}
	if (p->error == YAML_READER_ERROR) {
		cfg_yaml_offset_mark(y, p->problem_offset, &m);
		cfg_yaml_fail(y, &m, "%s (byte 0x%02x)", problem,
		    (unsigned)p->problem_value & 0xff);
		return;
	}
	if (m.index < y->len && y->buf[m.index] == '\t') {
		cfg_yaml_fail(y, &m, "tab character: YAML indents with spaces "
		    "only");
		return;
	}
	if (p->context != NULL)
		cfg_yaml_fail(y, &m, "YAML syntax error: %s (%s at line %zu)",
		    problem, p->context, p->context_mark.line + 1);
	else
		cfg_yaml_fail(y, &m, "YAML syntax error: %s", problem);
}

/* Runs the parser over the buffer until the end, an error or a limit. */
static void
cfg_yaml_run(struct cfg_yaml *y)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int end = 0;

	if (!yaml_parser_initialize(&p))
		fatalx("yaml_parser_initialize failed");
	yaml_parser_set_input_string(&p, y->buf, y->len);
	while (!end && !y->failed) {
		if (!yaml_parser_parse(&p, &ev)) {
			cfg_yaml_syntax(y, &p);
			break;
		}
		end = cfg_yaml_event(y, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
}

struct cfg_doc *
cfg_doc_load_mem(const char *name, const void *buf, size_t len,
    struct cfg_errors *errs)
{
	struct cfg_yaml y;
	struct cfg_doc *doc;
	struct cfg_mark start = { 1, 1 };

	memset(&y, 0, sizeof(y));
	y.file = name;
	y.errs = errs;
	y.buf = buf;
	y.len = len;
	if (len > CFG_MAX_FILE) {
		cfg_errors_add(errs, name, NULL, "larger than %d bytes",
		    CFG_MAX_FILE);
		return NULL;
	}
	cfg_yaml_run(&y);
	if (!y.failed && (y.root == NULL ||
	    (y.root->type == CFG_NODE_SCALAR && y.root->null))) {
		cfg_errors_add(errs, name, &start, "the file is empty");
		y.failed = 1;
	}
	if (y.failed) {
		cfg_node_free(y.root);
		return NULL;
	}
	doc = xcalloc(1, sizeof(*doc));
	doc->file = xstrdup(name);
	doc->root = y.root;
	doc->nodes = y.nodes;
	return doc;
}

/* Reads at most CFG_MAX_FILE + 1 bytes of fd; NULL with errno on error. */
static char *
cfg_read_fd(int fd, size_t *len)
{
	char *buf = xmalloc(CFG_MAX_FILE + 1);
	ssize_t r;

	*len = 0;
	while (*len <= CFG_MAX_FILE) {
		r = read(fd, buf + *len, CFG_MAX_FILE + 1 - *len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			free(buf);
			return NULL;
		}
		if (r == 0)
			break;
		*len += (size_t)r;
	}
	return buf;
}

struct cfg_doc *
cfg_doc_load_file(const char *path, struct cfg_errors *errs)
{
	struct cfg_doc *doc;
	char *buf;
	size_t len;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		cfg_errors_add(errs, path, NULL, "cannot open: %s",
		    strerror(errno));
		return NULL;
	}
	if ((buf = cfg_read_fd(fd, &len)) == NULL) {
		cfg_errors_add(errs, path, NULL, "cannot read: %s",
		    strerror(errno));
		close(fd);
		return NULL;
	}
	close(fd);
	doc = cfg_doc_load_mem(path, buf, len, errs);
	free(buf);
	return doc;
}

void
cfg_doc_free(struct cfg_doc *doc)
{
	if (doc == NULL)
		return;
	cfg_node_free(doc->root);
	free(doc->file);
	free(doc);
}

const struct cfg_node *
cfg_node_get(const struct cfg_node *map, const char *key)
{
	size_t i;

	if (map == NULL || map->type != CFG_NODE_MAP)
		return NULL;
	for (i = 0; i + 1 < map->nkids; i += 2) {
		if (map->kids[i]->type == CFG_NODE_SCALAR &&
		    strcmp(map->kids[i]->str, key) == 0)
			return map->kids[i + 1];
	}
	return NULL;
}

const char *
cfg_node_kind(const struct cfg_node *n)
{
	switch (n->type) {
	case CFG_NODE_SEQ:
		return "a list";
	case CFG_NODE_MAP:
		return "a mapping";
	default:
		return "a scalar";
	}
}
