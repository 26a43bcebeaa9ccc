/*
 * resp.h: where a server's response ends, without decoding it.
 *
 * dbproxyd forwards result packets unchanged; it only walks the first
 * frame of each logical packet to know when the response to a command is
 * over: an OK or ERR, or a result set's last EOF/OK, with
 * SERVER_MORE_RESULTS_EXISTS meaning another result follows. The status
 * flags of the last OK/EOF say whether a transaction is open. A
 * COM_STMT_PREPARE answer also gives the statement id and its counts.
 */
#ifndef DBPROXYD_RESP_H
#define DBPROXYD_RESP_H

#include <stddef.h>
#include <stdint.h>

enum dbp_resp_kind {
	DBP_RK_RESULT,	/* COM_QUERY, COM_STMT_EXECUTE: results */
	DBP_RK_PREPARE,	/* COM_STMT_PREPARE */
	DBP_RK_SIMPLE,	/* one OK, ERR or EOF packet */
	DBP_RK_FIELDS,	/* COM_FIELD_LIST: definitions until EOF or ERR */
	DBP_RK_ONE,	/* one packet, whatever it is (COM_STATISTICS) */
};

enum dbp_resp_ret {
	DBP_R_MORE,	/* the packet is taken; more packets follow */
	DBP_R_DONE,	/* the packet is taken and ends the response */
	DBP_R_NEED,	/* call again with the packet's whole payload */
	DBP_R_BAD,	/* not a valid response: drop the connection */
};

struct dbp_resp {
	int		 kind;		/* enum dbp_resp_kind */
	int		 state;
	int		 deprecate_eof;
	uint64_t	 left;		/* definitions still to come */
	uint16_t	 status;	/* of the last OK/EOF seen */
	int		 have_status;
	uint16_t	 err;		/* ERR code, 0 if none */
	int		 results;	/* result sets and OKs so far */
	/* DBP_RK_PREPARE */
	uint32_t	 stmt_id;
	uint16_t	 ncols, nparams;
};

void	dbp_resp_start(struct dbp_resp *, enum dbp_resp_kind,
	    int deprecate_eof);
/*
 * dbp_resp_feed: the first frame of the next logical packet: avail bytes
 * of it at p, len its payload length (avail may be less than len; the
 * walker asks for the whole frame with DBP_R_NEED only for the small
 * packets whose content it reads). Continuation frames of split packets
 * are not fed.
 */
/* dbp_resp_in_rows: the walker expects rows (or their end) next. */
int	dbp_resp_in_rows(const struct dbp_resp *);
enum dbp_resp_ret dbp_resp_feed(struct dbp_resp *, const uint8_t *p,
	    size_t avail, size_t len);

#endif
