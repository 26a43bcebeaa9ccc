/*
 * main.c: webd, triad's static web server and dynamic-route proxy.
 * Everything is in the library (server.c and friends) so that tests link
 * the real code.
 */
#include "lifecycle.h"
#include "server.h"

int
main(int argc, char **argv)
{
	return lc_main(argc, argv, &webd_ops);
}
