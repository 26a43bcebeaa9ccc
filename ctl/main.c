/* main.c: triadctl's entry point (the commands are in ctl.c). */
#include "ctl.h"

int
main(int argc, char **argv)
{
	return ctl_main(argc, argv);
}
