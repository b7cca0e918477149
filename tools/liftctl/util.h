/* util: what every liftctl sub-command shares besides output files (out.h): the options and
 * exit codes, command-line flags and values (numbers, times, enums, keys), the connection to
 * liftd and the error messages. No output files, no sub-command of its own. */
#ifndef LIFTCTL_UTIL_H
#define LIFTCTL_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lift/client.h"
#include "lift/local.h"
#include "lift/text.h"

/* Exit codes shared by every sub-command. */
#define LIFTCTL_OK 0    /* success */
#define LIFTCTL_ERR 1   /* server or validation error */
#define LIFTCTL_USAGE 2 /* bad command line */

typedef struct {
    const char *endpoint;     /* server endpoint(s), e.g. tcp://127.0.0.1:5555 or a,b,c */
    const char *endpoint_src; /* where endpoint came from, for messages: "--endpoint" or
                                 "LIFT_ENDPOINT" */
    int json;                 /* 1: machine-readable JSON output */
    int timeout_ms;           /* per-attempt request timeout */
    int retries;              /* attempts before giving up (1 = no retry) */
    const char *server_key;   /* CURVE: server public key, Z85 or a file (env LIFT_SERVER_KEY) */
    const char *key_file;     /* CURVE: this client's key file (env LIFT_KEY) */
} liftctl_opts_t;

/* Every parse helper prints
 * "liftctl: <flag>: <what is wrong with the value> (<bound>)" to stderr and returns -1 on bad
 * input, 0 on success (then *out is set). Single-threaded, like the whole tool. */

/* argv[*i] is "--name VALUE" or "--name=VALUE": 1, *value set, *i at the last word used;
 * not this flag: 0; the value is missing: prints and returns -1. */
int liftctl_flag(int argc, char **argv, int *i, const char *name, const char **value);

/* argv[*i] is a global flag (--endpoint --json --timeout --retries --server-key --key-file),
 * accepted after the sub-command too: applies it to *opts and returns 1 (*i advanced as for
 * liftctl_flag), not one: 0, a bad value: -1 (printed). */
int liftctl_global_flag(liftctl_opts_t *opts, int argc, char **argv, int *i);

/* 1 if arg is "--help" or "-h". */
int liftctl_is_help(const char *arg);

/* The sub-command of a command that has them (experiment, holdout): argv[1]; or NULL after
 * calling help, with stdout and *rc = LIFTCTL_OK for --help / -h, with stderr and
 * *rc = LIFTCTL_USAGE when there is no argv[1]. */
const char *liftctl_sub_command(int argc, char **argv, void (*help)(FILE *out), int *rc);

/* 1 when s is a valid experiment or holdout key: [a-z0-9-_.]{1,LIFT_KEY_MAX}. */
int liftctl_valid_key(const char *s);

/* A finite double in the interval lo..hi; lo_open / hi_open exclude the bound. */
int liftctl_parse_double(const char *flag, const char *s, double lo, int lo_open, double hi,
                         int hi_open, double *out);

/* A namespace range "ID:LO:HI", split at the last two colons so that the id may hold colons:
 * *id_len is the id's length (it starts at s), 0 <= *lo < *hi <= 1. */
int liftctl_parse_namespace(const char *flag, const char *s, size_t *id_len, double *lo,
                            double *hi);

/* An integer (decimal, no trailing characters) in [lo, hi]. */
int liftctl_parse_int64(const char *flag, const char *s, int64_t lo, int64_t hi, int64_t *out);

/* A time: epoch milliseconds, "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM[:SS[.fraction]]" with a zone
 * (Z, or an offset +HH:MM / -HH:MM), as liftctl_time_scan(LIFTCTL_TIME_FLAG). */
int liftctl_parse_time(const char *flag, const char *s, int64_t *out_ms);

/* The one date-time parser of liftctl (flags and event files). LIFTCTL_TIME_FLAG: a date
 * "YYYY-MM-DD" alone (midnight UTC), or with "THH:MM[:SS[.fraction]]" and a zone;
 * LIFTCTL_TIME_ISO: ISO-8601 "YYYY-MM-DDTHH:MM:SS[.fraction]" with a zone, seconds required.
 * T and Z may be lower case; the zone is Z or +HH[:]MM / -HH[:]MM; the fraction (1..9 digits)
 * is truncated to milliseconds; :60 is the next minute. Returns 0 with *out_ms (epoch ms), -1
 * when s does not have the form, -2 for a field out of range or a year before 1970. Prints
 * nothing. */
#define LIFTCTL_TIME_FLAG 0
#define LIFTCTL_TIME_ISO 1
int liftctl_time_scan(const char *s, int mode, int64_t *out_ms);

/* Calls fn(flag, item, arg) for each item of the comma-separated list s, in order, with the
 * item copied and NUL-terminated (s is not modified). An empty s or an empty item is an error
 * (printed); so is fn's -1 (fn prints its own message). Returns 0 or -1. */
int liftctl_each_item(const char *flag, const char *s,
                      int (*fn)(const char *flag, const char *item, void *arg), void *arg);

/* An enum name via one of lift.h's tables; the error lists the allowed names. */
int liftctl_parse_enum(const char *flag, const char *s, int (*parse)(const char *, int *),
                       const char *(*names)(void), int *out);

/* Formats epoch ms as "YYYY-MM-DDTHH:MM:SSZ" (".mmm" when not whole seconds) into buf. */
void liftctl_format_time(int64_t ms, char *buf, size_t len);

/* A client for opts' endpoint, timeout and attempts, encrypted with CurveZMQ when
 * opts->server_key or opts->key_file is set (both are then required); NULL after printing why.
 * Caller destroys. */
lift_client_t *liftctl_connect(const liftctl_opts_t *opts);

/* The same endpoints and keys for a local evaluator (lift/local.h); NULL after printing why. */
lift_local_t *liftctl_connect_local(const liftctl_opts_t *opts);

/* Prints "liftctl: <CODE>: <message>" for a failed call and returns LIFTCTL_ERR. */
int liftctl_fail(lift_client_t *client, lift_err_t err);

/* Prints "liftctl: <message>" and a pointer to "liftctl <cmd> --help"; returns LIFTCTL_USAGE. */
int liftctl_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
