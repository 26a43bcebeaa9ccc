/*
 * main.c: appd, triad's application server. `appd --appd-worker` is a
 * worker process the master started (worker.c); anything else is the
 * master in the lifecycle frame (server.c).
 */
#include <string.h>

#include "lifecycle.h"
#include "server.h"
#include "worker.h"

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], APPD_WORKER_FLAG) == 0)
		return worker_main(argc, argv);
	return lc_main(argc, argv, &appd_ops);
}
