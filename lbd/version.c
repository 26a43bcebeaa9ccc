/* version.c: lbd's version string (keeps lbd_lib non-empty early on). */
#include "lbd.h"

const char *lb_version(void);

const char *
lb_version(void)
{
	return "0.1.0";
}
