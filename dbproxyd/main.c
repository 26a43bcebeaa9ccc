/*
 * main.c: dbproxyd, triad's MySQL router. Everything is in the library so
 * that tests link the real code.
 */
#include "lifecycle.h"
#include "server.h"

int
main(int argc, char **argv)
{
	return lc_main(argc, argv, &dbp_ops);
}
