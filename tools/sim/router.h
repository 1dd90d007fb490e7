/*
 * router.h - the MHD access handler.
 */
#ifndef SIM_ROUTER_H
#define SIM_ROUTER_H

#include <microhttpd.h>

/* MHD_AccessHandlerCallback; cls is the struct sim. */
enum MHD_Result router_handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version,
                              const char *upload_data, size_t *upload_data_size,
                              void **con_cls);

#endif
