/* peers: replies held per connection; a queue per connection for replies libzmq cannot take
 * yet. A chained hash table keyed by routing id. An entry that holds nothing stays (the next
 * request of that connection needs no allocation) until PEERS_IDLE_MAX entries exist, when the
 * idle ones are swept. */
#include "peers.h"

#include <stdlib.h>
#include <string.h>

#define PEERS_BUCKETS 1024
#define PEERS_IDLE_MAX 4096 /* entries kept before idle ones are freed */
#define RID_MAX 256

typedef struct queued {
    struct queued *next;
    int delimiter;
    uint8_t *bytes;
    size_t len;
} queued_t;

struct peers_entry {
    struct peers_entry *next; /* hash chain */
    uint8_t rid[RID_MAX];
    size_t rid_len;
    uint32_t held;         /* replies not yet handed to libzmq */
    queued_t *head, *tail; /* replies waiting for room, oldest first */
};

struct peers {
    peers_send_fn send;
    void *arg;
    peers_entry_t *bucket[PEERS_BUCKETS];
    size_t queued;       /* replies in every queue */
    size_t queued_bytes; /* their bytes */
    size_t entries;      /* entries in the table */
};

peers_t *peers_new(peers_send_fn send, void *arg)
{
    peers_t *self = calloc(1, sizeof *self);
    if (self) {
        self->send = send;
        self->arg = arg;
    }
    return self;
}

static void free_queue(peers_entry_t *p)
{
    while (p->head) {
        queued_t *q = p->head;
        p->head = q->next;
        free(q->bytes);
        free(q);
    }
    p->tail = NULL;
}

void peers_destroy(peers_t **self_p)
{
    peers_t *self = *self_p;
    if (!self)
        return;
    for (int b = 0; b < PEERS_BUCKETS; b++)
        while (self->bucket[b]) {
            peers_entry_t *p = self->bucket[b];
            self->bucket[b] = p->next;
            free_queue(p);
            free(p);
        }
    free(self);
    *self_p = NULL;
}

static uint32_t hash(const uint8_t *rid, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ rid[i]) * 16777619u;
    return h % PEERS_BUCKETS;
}

static peers_entry_t **find(peers_t *self, const uint8_t *rid, size_t len)
{
    if (len > RID_MAX)
        len = RID_MAX;
    peers_entry_t **pp = &self->bucket[hash(rid, len)];
    while (*pp && !((*pp)->rid_len == len && memcmp((*pp)->rid, rid, len) == 0))
        pp = &(*pp)->next;
    return pp;
}

/* Free every entry that holds nothing (connections that are idle or gone). */
static void sweep(peers_t *self)
{
    for (int b = 0; b < PEERS_BUCKETS; b++) {
        peers_entry_t **pp = &self->bucket[b];
        while (*pp) {
            peers_entry_t *p = *pp;
            if (p->held == 0 && !p->head) {
                *pp = p->next;
                free(p);
                self->entries--;
            } else {
                pp = &p->next;
            }
        }
    }
}

peers_entry_t *peers_take(peers_t *self, const uint8_t *rid, size_t rid_len, uint32_t limit,
                          int *admit)
{
    if (rid_len > RID_MAX)
        rid_len = RID_MAX;
    peers_entry_t **pp = find(self, rid, rid_len);
    if (!*pp) {
        if (self->entries >= PEERS_IDLE_MAX) {
            sweep(self);
            pp = find(self, rid, rid_len);
        }
        peers_entry_t *p = calloc(1, sizeof *p);
        if (!p)
            return NULL;
        memcpy(p->rid, rid, rid_len);
        p->rid_len = rid_len;
        *pp = p;
        self->entries++;
    }
    peers_entry_t *p = *pp;
    *admit = p->held < limit;
    p->held++;
    return p;
}

uint32_t peers_held(const peers_entry_t *peer)
{
    return peer->held;
}

/* One reply of p left liftd (sent, or undeliverable): release it. */
static void release(peers_entry_t *p)
{
    if (p->held)
        p->held--;
}

static int enqueue(peers_t *self, peers_entry_t *p, int delimiter, uint8_t *bytes, size_t len)
{
    queued_t *q = malloc(sizeof *q);
    if (!q)
        return -1;
    q->next = NULL;
    q->delimiter = delimiter;
    q->bytes = bytes;
    q->len = len;
    if (p->tail)
        p->tail->next = q;
    else
        p->head = q;
    p->tail = q;
    self->queued++;
    self->queued_bytes += len;
    return 0;
}

/* Send the head of p's queue while the connection takes it (a connection that is gone has its
 * queue dropped). */
static void drain(peers_t *self, peers_entry_t *p, size_t *sent)
{
    while (p->head) {
        queued_t *q = p->head;
        int rc = self->send(self->arg, p->rid, p->rid_len, q->delimiter, q->bytes, q->len);
        if (rc == 1)
            return;
        p->head = q->next;
        if (!p->head)
            p->tail = NULL;
        self->queued--;
        self->queued_bytes -= q->len;
        free(q->bytes);
        free(q);
        if (rc < 0) {
            /* Gone: nobody to answer. Every queued reply is released with it. */
            while (p->head) {
                q = p->head;
                p->head = q->next;
                self->queued--;
                self->queued_bytes -= q->len;
                free(q->bytes);
                free(q);
                if (p->held)
                    p->held--;
            }
            p->tail = NULL;
            release(p);
            return;
        }
        (*sent)++;
        if (p->held)
            p->held--;
    }
}

int peers_reply(peers_t *self, peers_entry_t *p, const uint8_t *rid, size_t rid_len, int delimiter,
                uint8_t *bytes, size_t len)
{
    if (!p)
        p = *find(self, rid, rid_len);
    if (!p) { /* not taken through peers_take: send as is */
        int rc =
            bytes ? self->send(self->arg, rid, rid_len, delimiter | PEERS_BLOCK, bytes, len) : 0;
        free(bytes);
        return rc < 0;
    }
    if (!bytes) {
        release(p);
        return 0;
    }
    if (!p->head) {
        int rc = self->send(self->arg, p->rid, p->rid_len, delimiter, bytes, len);
        if (rc != 1) {
            free(bytes);
            release(p);
            return rc < 0;
        }
    }
    if (enqueue(self, p, delimiter, bytes, len) < 0) {
        /* No memory to keep it: send it blocking rather than lose it. */
        int rc = self->send(self->arg, p->rid, p->rid_len, delimiter | PEERS_BLOCK, bytes, len);
        free(bytes);
        release(p);
        return rc < 0;
    }
    return 0;
}

size_t peers_flush(peers_t *self)
{
    size_t sent = 0;
    if (!self->queued)
        return 0;
    for (int b = 0; b < PEERS_BUCKETS; b++) {
        for (peers_entry_t *p = self->bucket[b]; p; p = p->next)
            if (p->head)
                drain(self, p, &sent);
    }
    return sent;
}

size_t peers_queued(const peers_t *self)
{
    return self->queued;
}

size_t peers_queued_bytes(const peers_t *self)
{
    return self->queued_bytes;
}
