/*
 * config_help.c: a schema printed as reference text (see config.h). The
 * same rows that parse the file document it, so the help cannot drift from
 * what the loader accepts.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "util.h"

/* The type column of a row ("size", "one of a|b", "list of strings"). */
static const char *
cfg_help_type(const struct cfg_key *k, char *buf, size_t size)
{
	static const char *const names[] = {
		[CFG_BOOL] = "bool", [CFG_INT] = "int", [CFG_SIZE] = "size",
		[CFG_DURATION] = "duration", [CFG_STRING] = "string",
		[CFG_ADDRESS] = "address", [CFG_CIDRS] = "list of CIDRs",
		[CFG_STRINGS] = "list of strings", [CFG_SECTION] = "section",
		[CFG_SECTIONS] = "list of sections",
		[CFG_MAP] = "mapping of name to section",
	};
	const char *const *n;
	size_t off;

	if (k->type == CFG_CUSTOM)
		return k->type_name != NULL ? k->type_name : "value";
	if (k->type != CFG_ENUM)
		return names[k->type];
	off = (size_t)snprintf(buf, size, "one of ");
	for (n = k->names; *n != NULL && off < size; n++)
		off += (size_t)snprintf(buf + off, size - off, "%s%s",
		    n == k->names ? "" : "|", *n);
	return buf;
}

/* The range column: "1 to 256", "1k to 1g", "at most 63 bytes"... */
static const char *
cfg_help_range(const struct cfg_key *k, char *buf, size_t size)
{
	char lo[32], hi[32];
	const char *unit;

	buf[0] = '\0';
	if (k->min == 0 && k->max == 0)
		return buf;
	switch (k->type) {
	case CFG_INT:
		snprintf(lo, sizeof(lo), "%lld", (long long)k->min);
		snprintf(hi, sizeof(hi), "%lld", (long long)k->max);
		break;
	case CFG_SIZE:
		cfg_format_size((uint64_t)k->min, lo, sizeof(lo));
		cfg_format_size((uint64_t)k->max, hi, sizeof(hi));
		break;
	case CFG_DURATION:
		cfg_format_duration(k->min, lo, sizeof(lo));
		cfg_format_duration(k->max, hi, sizeof(hi));
		break;
	default:
		/* Lengths and counts: 0 means the loader's own cap. */
		unit = k->type == CFG_STRING ? "bytes" : "items";
		snprintf(hi, sizeof(hi), "%lld", (long long)(k->max > 0 ?
		    k->max : k->type == CFG_STRING ? CFG_MAX_STRING :
		    CFG_MAX_ITEMS));
		if (k->min > 0)
			snprintf(buf, size, ", %lld to %s %s",
			    (long long)k->min, hi, unit);
		else
			snprintf(buf, size, ", at most %s %s", hi, unit);
		return buf;
	}
	snprintf(buf, size, ", %s to %s", lo, hi);
	return buf;
}

/* The name a nested schema's rows get before their own. */
static void
cfg_help_prefix(const struct cfg_key *k, const char *prefix, char *buf,
    size_t size)
{
	const char *sep = prefix != NULL && *prefix != '\0' ? "." : "";

	if (prefix == NULL)
		prefix = "";
	if (k->type == CFG_SECTIONS)
		snprintf(buf, size, "%s%s%s[]", prefix, sep, k->name);
	else if (k->type == CFG_MAP)
		snprintf(buf, size, "%s%s%s.NAME", prefix, sep, k->name);
	else
		snprintf(buf, size, "%s%s%s", prefix, sep, k->name);
}

void
cfg_help(FILE *f, const struct cfg_schema *schema, const char *prefix)
{
	const struct cfg_key *k;
	char name[256], type[256], range[96];

	for (k = schema->keys; k->name != NULL; k++) {
		cfg_help_prefix(k, prefix, name, sizeof(name));
		fprintf(f, "%s: %s%s", name, cfg_help_type(k, type,
		    sizeof(type)), cfg_help_range(k, range, sizeof(range)));
		if (k->flags & CFG_F_REQUIRED)
			fprintf(f, ", required");
		else if (k->flags & CFG_F_MAPKEY)
			fprintf(f, ", the entry's name");
		else if (k->def != NULL)
			fprintf(f, ", default %s", k->def);
		fprintf(f, "\n    %s\n", k->help != NULL ? k->help : "");
		if (k->sub != NULL)
			cfg_help(f, k->sub, name);
	}
}
