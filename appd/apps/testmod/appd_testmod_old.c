/*
 * appd_testmod_old.c: a module that claims an API version appd does not
 * speak (0), to check that it is refused with a clear error.
 */
#include "triad_app.h"

static int
old_handle(struct triad_req *req)
{
	return triad_resp_write(req, "should never run\n", 17);
}

__attribute__((visibility("default")))
const struct triad_app_module triad_app_module = {
	0, "old", 0, old_handle, 0,
};
