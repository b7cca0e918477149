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

/* Reads the next line of f into buf (len bytes). Returns 1 for a line, 0 at end of file, -1
 * for a line longer than len - 2 bytes or holding a NUL byte. */
int keyfile_next_line(FILE *f, char *buf, size_t len);

/* s without leading blanks and trailing blanks and line ends (s is modified; returns a pointer
 * into it). */
char *keyfile_trim(char *s);

#endif
