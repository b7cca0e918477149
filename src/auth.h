/* auth: who may talk to liftd. The authorized-keys file (public key -> role), the ZAP handler
 * (RFC 27) that admits only listed keys, and the table of which request types each role may
 * send. Key files themselves are lift/keys.h (the client library). It knows nothing of the
 * store or the handlers; the server asks it questions. */
#ifndef LIFT_AUTH_H
#define LIFT_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "lift/keys.h"
#include "log.h"

#define AUTH_DOMAIN "lift"  /* ZAP domain of liftd's ROUTER */
#define AUTH_MAX_KEYS 65536 /* entries in an authorized-keys file */

/* Roles, weakest first. A connection's role travels as its ZAP User-Id (the role's name). */
typedef enum {
    AUTH_ROLE_NONE = 0, /* unknown: may do nothing */
    AUTH_ROLE_READER,   /* get, list, report, ping */
    AUTH_ROLE_SENDER,   /* assign, assign_batch, track, ping */
    AUTH_ROLE_ADMIN     /* everything, experiment changes included */
} auth_role_t;

/* "admin", "sender", "reader" ("none" for AUTH_ROLE_NONE). Static string; any thread. */
const char *auth_role_name(auth_role_t role);

/* Parse a role name; returns 0 and sets *out, or -1 for an unknown name. Any thread. */
int auth_role_parse(const char *name, auth_role_t *out);

/* 1 if `role` may send a request whose lift.Request body case is `body_case`
 * (Lift__Request__BodyCase), else 0. A request with no body is allowed through (the handlers
 * answer INVALID_ARGUMENT without touching the store). Pure; any thread. */
int auth_role_allows(auth_role_t role, int body_case);

/* The request type's name for messages ("create_experiment", ...). Static string. */
const char *auth_request_name(int body_case);

/* What `role` may send, comma-separated, for messages. Static string. */
const char *auth_role_allowed_list(auth_role_t role);

/* ---- authorized keys + ZAP handler ---------------------------------------------------------
 * auth_t owns the list of authorized keys and a thread answering ZAP requests on
 * inproc://zeromq.zap.01 of the given ZeroMQ context. Fail-closed: only the CURVE mechanism in
 * domain AUTH_DOMAIN with a listed key is accepted (User-Id = the key's role); anything else,
 * malformed requests included, is refused. */
typedef struct auth auth_t;

/* Load the authorized-keys file (`<z85 public key> <role> [comment]` per line; blank lines and
 * # comments allowed; same permission rule as a secret file), bind the ZAP socket and start the
 * handler thread. Call before binding any CURVE server socket on zmq_ctx. Returns NULL with a
 * message naming the file, line and problem in err. */
auth_t *auth_new(void *zmq_ctx, const char *keys_path, log_level_t log_level, char *err,
                 size_t errlen);

/* Re-read the authorized-keys file (SIGHUP). On success the new list applies to connections
 * made from now on and 0 is returned; on failure the old list stays and -1 is returned with the
 * reason in err. Connections already made keep the role they were given. Server thread. */
int auth_reload(auth_t *self, char *err, size_t errlen);

/* Number of keys in the current list. Any thread. */
size_t auth_key_count(auth_t *self);

/* Stop the handler thread, close its socket and free; accepts NULL; sets *self_p to NULL.
 * Close the CURVE sockets first: with no handler bound, libzmq would admit every key. */
void auth_destroy(auth_t **self_p);

#endif
