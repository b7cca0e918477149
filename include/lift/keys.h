/* Lift keys: CurveZMQ key pairs and the key files that hold them, for the clients' and liftd's
 * encrypted connections (lift_client_opts_t's server_key, public_key, secret_key). A key file
 * is what `liftctl keygen` writes; the server's authorized-keys list is not handled here. */
#ifndef LIFT_KEYS_H
#define LIFT_KEYS_H

#include <stddef.h>

#define LIFT_KEY_Z85_LEN 40    /* characters of a Z85-encoded CurveZMQ key */
#define LIFT_KEY_LINE_MAX 1024 /* bytes in one line of a key file */

/* A CurveZMQ key pair, Z85 text (NUL-terminated). secret is "" when only the public key is
 * known. */
typedef struct {
    char public_z85[LIFT_KEY_Z85_LEN + 1]; /* public key */
    char secret_z85[LIFT_KEY_Z85_LEN + 1]; /* secret key, or "" */
} lift_keypair_t;

/* A bare Z85 key: 40 characters that decode to 32 bytes. Returns 0 (copied into out), or -1.
 * Any thread. */
int lift_key_parse(const char *s, char out[LIFT_KEY_Z85_LEN + 1]);

/* Reads a secret key file: regular file, not accessible by group or others (mode & 077 == 0),
 * lines `public-key = <z85>` and `secret-key = <z85>` (blank lines and # comments allowed),
 * the public key must belong to the secret key. Returns 0, or -1 with a message naming the
 * file and the problem in err (out is then zeroed: no half-read secret). Any thread. */
int lift_keyfile_read_secret(const char *path, lift_keypair_t *out, char *err, size_t errlen);

/* Reads a public key from a file: a `public-key = <z85>` line or a line holding just the key
 * (comments allowed). A file holding a secret-key is refused (a secret must not be handed
 * around as a server key). Returns 0, or -1 with a message in err. Any thread. */
int lift_keyfile_read_public(const char *path, char out[LIFT_KEY_Z85_LEN + 1], char *err,
                             size_t errlen);

/* A fresh key pair (zmq_curve_keypair). Returns 0, or -1 with a message in err (a libzmq built
 * without CURVE support). Any thread. */
int lift_keypair_new(lift_keypair_t *out, char *err, size_t errlen);

/* The text of a secret key file for kp (what lift_keyfile_read_secret reads) into buf of len
 * bytes. Returns the length, or -1 when buf is too small. The caller writes it out (mode 0600)
 * and clears buf. */
int lift_keyfile_format(const lift_keypair_t *kp, char *buf, size_t len);

#endif
