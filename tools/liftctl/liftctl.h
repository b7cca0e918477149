/* liftctl: shared declarations of the command-line client's sub-commands.
 * Each sub-command lives in tools/cmd_<name>.c and is dispatched by tools/liftctl.c;
 * none of them speaks ZeroMQ directly: they go through include/lift/client.h. */
#ifndef LIFTCTL_H
#define LIFTCTL_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <stdio.h>

#include "lift/client.h"
#include "lift/local.h"
#include "lift/text.h"

/* Exit codes shared by every sub-command. */
#define LIFTCTL_OK 0    /* success */
#define LIFTCTL_ERR 1   /* server or validation error */
#define LIFTCTL_USAGE 2 /* bad command line */

typedef struct {
    const char *endpoint; /* server endpoint(s), e.g. tcp://127.0.0.1:5555 or a,b,c */
    const char *endpoint_src; /* where endpoint came from, for messages: "--endpoint" or
                                 "LIFT_ENDPOINT" */
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
int cmd_holdout(const liftctl_opts_t *opts, int argc, char **argv);

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

/* 1 when s is a valid experiment or holdout key: [a-z0-9-_.]{1,LIFT_KEY_MAX}. */
int liftctl_valid_key(const char *s);

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

/* json_dumpf(j, out, flags) and a newline, through lift_safe_json_fputs (lift/text.h): DEL,
 * C1 controls and layout controls as \u escapes (the same JSON value, every byte printable). 0, or -1 when j cannot be
 * encoded or the write failed. */
int liftctl_json_print(const json_t *j, FILE *out, size_t flags);

/* An output file (-o FILE) that never replaces what is there by surprise:
 * - a new path, or an existing regular file: written to a temporary file in the same directory,
 *   flushed, fsync'ed and renamed over the path at liftctl_out_close (readers see the old file or
 *   the whole new one; the directory is synced too). With LIFTCTL_OUT_NOREPLACE an existing
 *   regular file is an error (EEXIST) and the rename cannot replace one made meanwhile.
 * - a FIFO, character or block device (/dev/null, /dev/full, a terminal), also reached through
 *   a symbolic link (/dev/stdout, /dev/fd/N): opened and written in place, nothing created,
 *   replaced or chmod'ed; a write error (ENOSPC of /dev/full) fails liftctl_out_close.
 * - a directory, a socket, or a symbolic link to a regular file or to nothing: refused, nothing
 *   touched (liftctl neither replaces a link nor the file behind it: give the target's path).
 * path NULL means standard output. `flag` names the option in messages ("-o"). Every failure
 * prints "liftctl: <flag>: '<path>': <why>" to stderr. LIFTCTL_OUT_SECRET: mode 0600 (else
 * 0666 & ~umask) and no stdio buffer (the text is not copied into one). The struct must stay
 * where it is (not copied) from open to close. Single-threaded. */
#define LIFTCTL_OUT_NOREPLACE 1 /* an existing regular file is an error (keygen, no --force) */
#define LIFTCTL_OUT_SECRET 2    /* mode 0600, unbuffered */

typedef struct {
    const char *flag; /* option name for messages */
    const char *path; /* as given; NULL: standard output */
    int flags;        /* LIFTCTL_OUT_* */
    char tmp[4096];   /* temporary file renamed over path; "" when written in place */
    FILE *f;          /* where to write */
    int fd;           /* f's descriptor (-1 for standard output) */
    int err;          /* first write error on f (errno), 0 if none */
} liftctl_out_t;

/* Opens o for path as above: 0, or -1 (printed; nothing to close). */
int liftctl_out_open(liftctl_out_t *o, const char *flag, const char *path, int flags);

/* Finishes o: ok != 0 publishes the output (rename, or the last flush of an in-place file),
 * ok == 0 discards a temporary file. Returns 0, or -1 after printing the write error (also
 * when ok == 0 and nothing is printed: the caller said why). Always releases o. */
int liftctl_out_close(liftctl_out_t *o, int ok);

/* Writes n bytes at s to fd, retrying short writes and EINTR: 0, or -1 with errno set. For
 * text that must not pass through a stdio buffer (a secret key). */
int liftctl_write_all(int fd, const void *s, size_t n);

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
