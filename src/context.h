/* context: the client API's offer context (lift_context_t) as the wire's Lift__Context, for the
 * client library's requests and its local evaluator alike. Copies fields only: validating them
 * is decide.c's and liftd's. */
#ifndef LIFT_CONTEXT_H
#define LIFT_CONTEXT_H

#include "lift/client.h"

/* Initialise *c and fill it from *ctx (a zero field is left unset); ctx NULL leaves *c empty.
 * c borrows nothing from ctx. Thread-safe. */
void context_from_client(Lift__Context *c, const lift_context_t *ctx);

#endif
