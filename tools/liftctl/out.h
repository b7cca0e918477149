/* out: liftctl's output: files given with -o (replaced whole, or written in place for a
 * device), JSON printed safely for a terminal, and standard output that remembers its first
 * write error. It parses no flags and talks to no server. */
#ifndef LIFTCTL_OUT_H
#define LIFTCTL_OUT_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

/* json_dumpf(j, out, flags) and a newline, through lift_safe_json_fputs (lift/text.h): DEL,
 * C1 controls and layout controls as \u escapes (the same JSON value, every byte printable).
 * 0, or -1 when j cannot be encoded or the write failed. */
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

/* A write stream over o->fd (o->fd and o->flags set; owned by the stream: fclose closes the
 * descriptor) that keeps o->err, the first write error, up to date; line buffered on a
 * terminal, unbuffered for LIFTCTL_OUT_SECRET. NULL (errno set) if stdio cannot make one.
 * liftctl's main wraps standard output in one to fail on a write error. */
FILE *liftctl_out_stream(liftctl_out_t *o);

#endif
