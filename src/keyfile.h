/* keyfile: the key files of lift/keys.h (src/keyfile.c, in the client library), and the line
 * reading they share with the server's authorized-keys file (auth.c). Private to src/: programs
 * outside liftd use lift/keys.h. No ZAP, no roles. */
#ifndef LIFT_KEYFILE_H
#define LIFT_KEYFILE_H

#include <stddef.h>
#include <stdio.h>

#include "lift/keys.h"

/* Opens a key file for reading and checks it: a regular file and, when check_mode, one that
 * group and others cannot access. Returns the stream (caller fcloses), or NULL with a message
 * naming the path in err. Any thread. */
FILE *keyfile_open(const char *path, int check_mode, char *err, size_t errlen);

/* Reads lines of f (path names it in messages) into buf (LIFT_KEY_LINE_MAX + 2 bytes) up to
 * the next one that is neither blank nor a '#' comment, counting every line read in *lineno.
 * Returns 1 with *line the trimmed line (a pointer into buf), 0 at end of file or on a read
 * error (see ferror(f)), or -1 with "PATH:LINE: line longer than ..." in err. */
int keyfile_next_entry(FILE *f, const char *path, char buf[LIFT_KEY_LINE_MAX + 2], int *lineno,
                       char **line, char *err, size_t errlen);

/* s without leading blanks and trailing blanks and line ends (s is modified; returns a pointer
 * into it). */
char *keyfile_trim(char *s);

#endif
