/*
 * config_errors.c: the list of configuration errors (see config.h).
 *
 * Every error is kept as the final text, "file:line:col: message", so that
 * the daemon, triadctl and the tests print exactly the same lines.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "util.h"

#define CFG_ERROR_MAX	512	/* bytes of one message */

/*
 * Keeps one error on one line whatever a value held: control characters
 * become '?' and the text is cut at CFG_ERROR_MAX bytes.
 */
static void
cfg_errors_clean(char *line)
{
	unsigned char *p;

	if (strlen(line) > CFG_ERROR_MAX)
		memcpy(line + CFG_ERROR_MAX - 3, "...", 4);
	for (p = (unsigned char *)line; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
	}
}

void
cfg_errors_vadd(struct cfg_errors *errs, const char *file,
    const struct cfg_mark *at, const char *fmt, va_list ap)
{
	char *msg, *line;

	if (errs->n == CFG_MAX_ERRORS) {
		errs->dropped++;
		return;
	}
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	if (msg == NULL)
		line = xstrdup("out of memory formatting an error");
	else if (file == NULL) {
		line = msg;
		msg = NULL;
	} else if (at != NULL && at->line != 0)
		xasprintf(&line, "%s:%u:%u: %s", file, at->line, at->col, msg);
	else
		xasprintf(&line, "%s: %s", file, msg);
	free(msg);
	cfg_errors_clean(line);
	errs->at[errs->n].line = at != NULL ? at->line : 0;
	errs->at[errs->n].col = at != NULL ? at->col : 0;
	errs->msg[errs->n++] = line;
}

void
cfg_errors_add(struct cfg_errors *errs, const char *file,
    const struct cfg_mark *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_errors_vadd(errs, file, at, fmt, ap);
	va_end(ap);
}

size_t
cfg_errors_count(const struct cfg_errors *errs)
{
	return errs->n + errs->dropped;
}

/* True when a sorts after b. */
static int
cfg_errors_after(const struct cfg_mark *a, const struct cfg_mark *b)
{
	return a->line > b->line || (a->line == b->line && a->col > b->col);
}

void
cfg_errors_sort(struct cfg_errors *errs)
{
	struct cfg_mark m;
	char *s;
	size_t i, j;

	/* Insertion sort: stable, at most CFG_MAX_ERRORS entries. */
	for (i = 1; i < errs->n; i++) {
		m = errs->at[i];
		s = errs->msg[i];
		for (j = i; j > 0 && cfg_errors_after(&errs->at[j - 1], &m);
		    j--) {
			errs->at[j] = errs->at[j - 1];
			errs->msg[j] = errs->msg[j - 1];
		}
		errs->at[j] = m;
		errs->msg[j] = s;
	}
}

void
cfg_errors_print(const struct cfg_errors *errs, FILE *f)
{
	char *s;

	if ((s = cfg_errors_join(errs)) != NULL)
		fputs(s, f);
	free(s);
}

char *
cfg_errors_join(const struct cfg_errors *errs)
{
	char *s, *t;
	size_t i;

	if (cfg_errors_count(errs) == 0)
		return NULL;
	s = xstrdup("");
	for (i = 0; i < errs->n; i++) {
		xasprintf(&t, "%s%s\n", s, errs->msg[i]);
		free(s);
		s = t;
	}
	if (errs->dropped != 0) {
		xasprintf(&t, "%s(%zu more errors not shown)\n", s,
		    errs->dropped);
		free(s);
		s = t;
	}
	return s;
}

void
cfg_errors_clear(struct cfg_errors *errs)
{
	size_t i;

	for (i = 0; i < errs->n; i++)
		free(errs->msg[i]);
	memset(errs, 0, sizeof(*errs));
}
