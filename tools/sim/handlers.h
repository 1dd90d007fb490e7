/*
 * handlers.h - the endpoint handlers the router dispatches to.
 *
 * Each answers one request completely (queues a response) and returns
 * MHD's result.  Files: auth.c (login/logout), camera.c, logs.c, stream.c,
 * qplay.c, debug.c (/sim/... and /qvrentry).
 */
#ifndef SIM_HANDLERS_H
#define SIM_HANDLERS_H

#include <microhttpd.h>

struct req;

enum MHD_Result handle_login(struct req *r);
enum MHD_Result handle_logout(struct req *r);
enum MHD_Result handle_camera_status(struct req *r);
enum MHD_Result handle_liveimage(struct req *r);
enum MHD_Result handle_mrec(struct req *r);
enum MHD_Result handle_logs(struct req *r);
enum MHD_Result handle_getstream(struct req *r);
enum MHD_Result handle_qplay(struct req *r);
enum MHD_Result handle_qvrentry(struct req *r);
enum MHD_Result handle_sim_frames(struct req *r);
enum MHD_Result handle_sim_stats(struct req *r);
enum MHD_Result handle_sim_control(struct req *r);

#endif
