/* peers: per-connection accounting of replies liftd holds, so that none is ever dropped.
 * A connection (ROUTER routing id) has `held` replies not yet handed to libzmq: requests being
 * handled, waiting for their batch's commit or for a report, and replies libzmq refused for now
 * (EAGAIN: the connection's send queue, SERVER_SNDHWM, is full because the client reads slower
 * than it sends). Those wait here in order and are sent when the connection drains. A request
 * arriving while its connection holds LIFT_MAX_IN_FLIGHT is answered RESOURCE_EXHAUSTED at once
 * (that reply is held too, so it is never lost either). No I/O of its own; not thread-safe (the
 * server loop owns it). */
#ifndef LIFT_PEERS_H
#define LIFT_PEERS_H

#include <stddef.h>
#include <stdint.h>

typedef struct peers peers_t;
typedef struct peers_entry peers_entry_t;

#define PEERS_DELIMITER 1 /* REQ-style envelope: an empty frame before the reply */
#define PEERS_BLOCK 2     /* out of memory to queue it: the send may block */

/* Send one reply to a connection (flags: PEERS_DELIMITER, PEERS_BLOCK), without blocking unless
 * PEERS_BLOCK: 0 sent, 1 would block (try later), -1 the connection is gone (the reply cannot
 * be delivered). */
typedef int (*peers_send_fn)(void *arg, const uint8_t *rid, size_t rid_len, int flags,
                             const uint8_t *bytes, size_t len);

peers_t *peers_new(peers_send_fn send, void *arg);
void peers_destroy(peers_t **self_p);

/* Take one request of connection rid. Returns the connection's entry, which stays valid until
 * this request's reply is handed to peers_reply (one lookup per request), with *admit 1 when
 * the request may be handled (the connection held fewer than `limit` replies) or 0 when it
 * must be refused with RESOURCE_EXHAUSTED; either way its reply is now held. NULL when out of
 * memory (nothing held: handle the request and reply with peer NULL). */
peers_entry_t *peers_take(peers_t *self, const uint8_t *rid, size_t rid_len, uint32_t limit,
                          int *admit);

/* Replies held for the connection of an entry peers_take returned. */
uint32_t peers_held(const peers_entry_t *peer);

/* Deliver the reply of a request taken with peers_take: sent now, or queued behind the replies
 * the connection could not take yet. peer is what peers_take returned for the request, or NULL
 * to look the connection up by rid (a report's reply, or when peers_take failed). Takes
 * ownership of bytes (malloc'd; NULL = no reply: the hold is released). Returns 1 when the
 * reply could not be delivered because the connection is gone, else 0. */
int peers_reply(peers_t *self, peers_entry_t *peer, const uint8_t *rid, size_t rid_len,
                int delimiter, uint8_t *bytes, size_t len);

/* Send what the connections can take now. Returns the replies sent. */
size_t peers_flush(peers_t *self);

/* Replies and bytes waiting in queues (not yet taken by libzmq), all connections. */
size_t peers_queued(const peers_t *self);
size_t peers_queued_bytes(const peers_t *self);

#endif
