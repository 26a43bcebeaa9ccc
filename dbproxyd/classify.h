/*
 * classify.h: where a statement may run, from its text (the router adds
 * what it knows of the session: transactions, temporary tables).
 *
 * Comments and whitespace before the first word are skipped; a comment
 * holding triad:primary or triad:replica is a routing hint. Words inside
 * string literals, quoted names and comments never count.
 */
#ifndef DBPROXYD_CLASSIFY_H
#define DBPROXYD_CLASSIFY_H

#include <stddef.h>

/* What a statement is (flags). */
#define DBP_Q_READ		0x0001	/* may run on a replica */
#define DBP_Q_WRITE		0x0002	/* must run on the primary */
#define DBP_Q_SESSION		0x0004	/* SET, USE: replayed per backend */
#define DBP_Q_BEGIN		0x0008	/* BEGIN, START TRANSACTION */
#define DBP_Q_BEGIN_RO		0x0010	/* START TRANSACTION READ ONLY */
#define DBP_Q_END		0x0020	/* COMMIT, ROLLBACK */
#define DBP_Q_TEMP		0x0040	/* CREATE TEMPORARY TABLE */
#define DBP_Q_HINT_PRIMARY	0x0100	/* a triad:primary comment */
#define DBP_Q_HINT_REPLICA	0x0200	/* a triad:replica comment */
#define DBP_Q_MULTI		0x0400	/* more than one statement */
#define DBP_Q_AUTOCOMMIT	0x0800	/* SET autocommit (the flags follow) */
#define DBP_Q_PREPARE		0x1000	/* PREPARE/EXECUTE/DEALLOCATE (SQL) */
#define DBP_Q_USE		0x2000	/* USE: changes the current database */
#define DBP_Q_LOCK		0x4000	/* LOCK TABLES: pins to the primary */
#define DBP_Q_UNLOCK		0x8000	/* UNLOCK TABLES */
#define DBP_Q_CONNSTATE		0x10000	/* reads or sets the connection's own
					   state: user variables, warnings,
					   FOUND_ROWS (never multiplexed) */

/* dbp_classify: the flags of the len bytes of sql (not NUL-terminated). */
int	dbp_classify(const char *sql, size_t len);

#endif
