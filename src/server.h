/* server: liftd's ROUTER loop. Drains a batch of requests, decodes each and checks it against
 * the role of the connection it came on (CurveZMQ + ZAP, see auth.h), runs them through the
 * handlers inside one store transaction (handlers.h: the batch contract), commits once (group
 * commit) and only then sends the replies. Single-threaded; knows nothing of SQL, nor of what a
 * request means. */
#ifndef LIFT_SERVER_H
#define LIFT_SERVER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "lift/limits.h"
#include "log.h"

/* The request bounds (a frame of at most LIFT_MAX_REQUEST_BYTES, LIFT_BATCH_MAX items) are the
 * protocol's, in lift/limits.h with the arithmetic behind them; these are the loop's own. */
#define SERVER_MAX_BATCH 512                  /* requests drained into one transaction */
#define SERVER_BATCH_BYTES (64 * 1024 * 1024) /* reply bytes held for one commit, at most */
#define SERVER_HWM 128                        /* requests queued per peer (then back-pressure) */
/* Replies queued per peer. Larger than SERVER_HWM because libzmq returns pipe credit in
 * batches of HWM/2, so a pipelined client with 64 requests in flight could see replies refused
 * at 128; a peer never has more replies queued than requests it sent and has not read. */
#define SERVER_SNDHWM 4096
/* Bytes of replies waiting for connections that read slower than they send, all connections:
 * past it liftd reads no new request until they drain. */
#define SERVER_QUEUED_BYTES (256 * 1024 * 1024)

typedef struct {
    const char *endpoint;        /* ZeroMQ endpoint to bind, e.g. tcp://127.0.0.1:5555 */
    const char *store;           /* store URI: sqlite:DIR or postgresql://... (store.h) */
    log_level_t log_level;       /* log threshold */
    const char *currency;        /* ISO 4217 code of all amounts in this deployment */
    int64_t clock_skew_ms;       /* events further in the future are rejected */
    const char *curve_secret;    /* the server's key file (liftctl keygen); NULL = no CURVE */
    const char *authorized_keys; /* public keys and roles; required with curve_secret */
    int insecure;                /* 1: allow a non-loopback endpoint without CURVE */
    int64_t max_store_bytes;     /* storage quota (store_set_max_bytes); 0 = none */
} server_config_t;

typedef struct server server_t;

/* Open the store, load the registry, start the ZAP handler (with curve_secret) and bind the
 * ROUTER. Refuses a non-loopback endpoint without CURVE unless cfg->insecure. NULL with a
 * message on failure. */
server_t *server_new(const server_config_t *cfg, char *err, size_t errlen);

/* Serve until *stop becomes non-zero (set from a signal handler), then finish the batch in
 * hand: commit, reply, return 0. Whenever *reload is non-zero (SIGHUP; may be NULL) it is
 * cleared and the authorized-keys file re-read. Returns -1 on a fatal socket error. */
int server_run(server_t *self, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload);

/* 1 if endpoint only accepts connections from this host (tcp on 127.0.0.0/8, [::1] or
 * localhost; ipc://; inproc://), else 0. Pure. */
int server_endpoint_is_local(const char *endpoint);

/* Close everything; accepts NULL; sets *self_p to NULL. */
void server_destroy(server_t **self_p);

#endif
