/* liftctl: shared declarations of the command-line client's sub-commands.
 * Each sub-command lives in tools/cmd_<name>.c and is dispatched by tools/liftctl.c;
 * none of them speaks ZeroMQ directly: they go through include/lift/client.h. */
#ifndef LIFTCTL_H
#define LIFTCTL_H

#include <stddef.h>
#include <stdint.h>

#include "lift/client.h"

/* Exit codes shared by every sub-command. */
#define LIFTCTL_OK 0    /* success */
#define LIFTCTL_ERR 1   /* server or validation error */
#define LIFTCTL_USAGE 2 /* bad command line */

typedef struct {
    const char *endpoint; /* server endpoint, e.g. tcp://127.0.0.1:5555 */
    int json;             /* 1: machine-readable JSON output */
    int timeout_ms;       /* per-attempt request timeout */
    int retries;          /* attempts before giving up (1 = no retry) */
    const char *server_key; /* CURVE: server public key, Z85 or a file (env LIFT_SERVER_KEY) */
    const char *key_file;   /* CURVE: this client's key file (env LIFT_KEY) */
} liftctl_opts_t;

/* Sub-commands: argv[0] is the sub-command's name; return one of the exit codes above. */
int cmd_experiment(const liftctl_opts_t *opts, int argc, char **argv);
int cmd_assign(const liftctl_opts_t *opts, int argc, char **argv);
int cmd_bucket(const liftctl_opts_t *opts, int argc, char **argv);
int cmd_power(const liftctl_opts_t *opts, int argc, char **argv);
int cmd_track(const liftctl_opts_t *opts, int argc, char **argv);
int cmd_report(const liftctl_opts_t *opts, int argc, char **argv);
int cmd_keygen(const liftctl_opts_t *opts, int argc, char **argv);

/* Helpers shared by the sub-commands (tools/liftctl.c). Every parse helper prints
 * "liftctl: <flag>: <what is wrong with the value> (<bound>)" to stderr and returns -1 on bad
 * input, 0 on success (then *out is set). Single-threaded, like the whole tool. */

/* argv[*i] is "--name VALUE" or "--name=VALUE": 1, *value set, *i at the last word used;
 * not this flag: 0; the value is missing: prints and returns -1. */
int liftctl_flag(int argc, char **argv, int *i, const char *name, const char **value);

/* argv[*i] is a global flag (--endpoint --json --timeout --retries --server-key --key-file), accepted after the
 * sub-command too: applies it to *opts and returns 1 (*i advanced as for liftctl_flag),
 * not one: 0, a bad value: -1 (printed). */
int liftctl_global_flag(liftctl_opts_t *opts, int argc, char **argv, int *i);

/* 1 if arg is "--help" or "-h". */
int liftctl_is_help(const char *arg);

/* A finite double in the interval lo..hi; lo_open / hi_open exclude the bound. */
int liftctl_parse_double(const char *flag, const char *s, double lo, int lo_open, double hi,
                         int hi_open, double *out);

/* An integer (decimal, no trailing characters) in [lo, hi]. */
int liftctl_parse_int64(const char *flag, const char *s, int64_t lo, int64_t hi, int64_t *out);

/* A time: epoch milliseconds, "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM[:SS[.mmm]]Z" (UTC). */
int liftctl_parse_time(const char *flag, const char *s, int64_t *out_ms);

/* Date pieces for the time parsers (liftctl_parse_time, track's ISO-8601): reads exactly `digits`
 * decimal digits at *p into *v and advances *p (-1, nothing moved, on a non-digit); the days in
 * month m (1..12) of year y, Gregorian leap years. */
int liftctl_take_digits(const char **p, int digits, int *v);
int liftctl_days_in_month(int y, int m);

/* An enum name via one of lift.h's tables; the error lists the allowed names. */
int liftctl_parse_enum(const char *flag, const char *s, int (*parse)(const char *, int *),
                       const char *(*names)(void), int *out);

/* Formats epoch ms as "YYYY-MM-DDTHH:MM:SSZ" (".mmm" when not whole seconds) into buf. */
void liftctl_format_time(int64_t ms, char *buf, size_t len);

/* A client for opts' endpoint, timeout and attempts, encrypted with CurveZMQ when
 * opts->server_key or opts->key_file is set (both are then required); NULL after printing why.
 * Caller destroys. */
lift_client_t *liftctl_connect(const liftctl_opts_t *opts);

/* Prints "liftctl: <CODE>: <message>" for a failed call and returns LIFTCTL_ERR. */
int liftctl_fail(lift_client_t *client, lift_err_t err);

/* Prints "liftctl: <message>" and a pointer to "liftctl <cmd> --help"; returns LIFTCTL_USAGE. */
int liftctl_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
