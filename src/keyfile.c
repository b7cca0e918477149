/* keyfile: CurveZMQ keys and the key files `liftctl keygen` writes (lift/keys.h), in the client
 * library so that liftctl and liftd read keys with the same code. Nothing about who may do
 * what: the authorized-keys list and the ZAP handler are the server's (auth.c). */
#include "keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

static const char z85_chars[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                ".-:+=^!/*?&<>()[]{}@%$#";

int lift_key_parse(const char *s, char out[LIFT_KEY_Z85_LEN + 1])
{
    uint8_t bin[32];
    if (!s || strlen(s) != LIFT_KEY_Z85_LEN)
        return -1;
    for (size_t i = 0; i < LIFT_KEY_Z85_LEN; i++)
        if (!strchr(z85_chars, s[i]) || s[i] == '\0')
            return -1;
    if (!zmq_z85_decode(bin, s))
        return -1;
    memcpy(out, s, LIFT_KEY_Z85_LEN + 1);
    return 0;
}

char *keyfile_trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

FILE *keyfile_open(const char *path, int check_mode, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat sb;
    if (fstat(fd, &sb) < 0) {
        snprintf(err, errlen, "%s: cannot stat: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    if (!S_ISREG(sb.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        close(fd);
        return NULL;
    }
    if (check_mode && (sb.st_mode & 077)) {
        snprintf(err, errlen, "%s: mode %04o lets group or others access it; run: chmod 600 %s",
                 path, (unsigned)(sb.st_mode & 07777), path);
        close(fd);
        return NULL;
    }
    FILE *f = fdopen(fd, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
    }
    return f;
}

/* Reads the next line of f into buf (len bytes). Returns 1 for a line, 0 at end of file, -1
 * for a line longer than len - 2 bytes. */
static int keyfile_next_line(FILE *f, char *buf, size_t len)
{
    if (!fgets(buf, (int)len, f))
        return 0;
    size_t n = strlen(buf);
    if (n == len - 1 && buf[n - 1] != '\n' && !feof(f))
        return -1;
    return 1;
}

int keyfile_next_entry(FILE *f, const char *path, char buf[LIFT_KEY_LINE_MAX + 2], int *lineno,
                       char **line, char *err, size_t errlen)
{
    int r;
    while ((r = keyfile_next_line(f, buf, LIFT_KEY_LINE_MAX + 2)) != 0) {
        ++*lineno;
        if (r < 0) {
            snprintf(err, errlen, "%s:%d: line longer than %d bytes", path, *lineno,
                     LIFT_KEY_LINE_MAX);
            return -1;
        }
        *line = keyfile_trim(buf);
        if (**line != '\0' && **line != '#')
            return 1;
    }
    return 0;
}

/* Split "name = value"; returns 0, or -1 when there is no '='. */
static int split_assignment(char *line, char **name, char **value)
{
    char *eq = strchr(line, '=');
    if (!eq)
        return -1;
    *eq = '\0';
    *name = keyfile_trim(line);
    *value = keyfile_trim(eq + 1);
    return 0;
}

int lift_keyfile_read_secret(const char *path, lift_keypair_t *out, char *err, size_t errlen)
{
    FILE *f = keyfile_open(path, 1, err, errlen);
    if (!f)
        return -1;
    char buf[LIFT_KEY_LINE_MAX + 2];
    int lineno = 0, rc = -1, r;
    char *line, *name, *value;
    memset(out, 0, sizeof *out);
    while ((r = keyfile_next_entry(f, path, buf, &lineno, &line, err, errlen)) > 0) {
        if (split_assignment(line, &name, &value) < 0) {
            snprintf(err, errlen, "%s:%d: expected 'public-key = <z85>' or 'secret-key = <z85>'",
                     path, lineno);
            goto done;
        }
        char *dst;
        if (strcmp(name, "public-key") == 0)
            dst = out->public_z85;
        else if (strcmp(name, "secret-key") == 0)
            dst = out->secret_z85;
        else {
            snprintf(err, errlen, "%s:%d: unknown setting '%.40s' (public-key, secret-key)", path,
                     lineno, name);
            goto done;
        }
        if (*dst) {
            snprintf(err, errlen, "%s:%d: %s given twice", path, lineno, name);
            goto done;
        }
        if (lift_key_parse(value, dst) < 0) {
            snprintf(err, errlen, "%s:%d: %s is not a %d-character Z85 key", path, lineno, name,
                     LIFT_KEY_Z85_LEN);
            goto done;
        }
    }
    if (r < 0)
        goto done;
    if (ferror(f)) {
        snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
        goto done;
    }
    if (!*out->secret_z85 || !*out->public_z85) {
        snprintf(err, errlen,
                 "%s: no %s line (a key file has public-key and secret-key; make one "
                 "with: liftctl keygen -o FILE)",
                 path, *out->secret_z85 ? "public-key" : "secret-key");
        goto done;
    }
    char derived[LIFT_KEY_Z85_LEN + 1];
    if (zmq_curve_public(derived, out->secret_z85) < 0) {
        snprintf(err, errlen, "%s: cannot derive the public key: %s", path,
                 zmq_strerror(zmq_errno()));
        goto done;
    }
    if (strcmp(derived, out->public_z85) != 0) {
        snprintf(err, errlen, "%s: public-key does not belong to secret-key", path);
        goto done;
    }
    rc = 0;
done:
    fclose(f);
    if (rc < 0)
        explicit_bzero(out, sizeof *out); /* no half-read secret lingers */
    explicit_bzero(buf, sizeof buf);
    return rc;
}

int lift_keyfile_read_public(const char *path, char out[LIFT_KEY_Z85_LEN + 1], char *err,
                             size_t errlen)
{
    FILE *f = keyfile_open(path, 0, err, errlen);
    if (!f)
        return -1;
    char buf[LIFT_KEY_LINE_MAX + 2];
    int lineno = 0, rc = -1, r;
    char *line, *name, *value;
    out[0] = '\0';
    while ((r = keyfile_next_entry(f, path, buf, &lineno, &line, err, errlen)) > 0) {
        value = line;
        if (strchr(line, '=') && strlen(line) != LIFT_KEY_Z85_LEN) {
            split_assignment(line, &name, &value);
            if (strcmp(name, "secret-key") == 0) {
                snprintf(err, errlen,
                         "%s:%d: holds a secret-key; pass a file with the public key only", path,
                         lineno);
                goto done;
            }
            if (strcmp(name, "public-key") != 0) {
                snprintf(err, errlen, "%s:%d: unknown setting '%.40s' (public-key)", path, lineno,
                         name);
                goto done;
            }
        }
        if (*out) {
            snprintf(err, errlen, "%s:%d: more than one public key", path, lineno);
            goto done;
        }
        if (lift_key_parse(value, out) < 0) {
            snprintf(err, errlen, "%s:%d: not a %d-character Z85 public key", path, lineno,
                     LIFT_KEY_Z85_LEN);
            goto done;
        }
    }
    if (r < 0)
        goto done;
    if (!*out) {
        snprintf(err, errlen, "%s: no public key in the file", path);
        goto done;
    }
    rc = 0;
done:
    fclose(f);
    if (rc < 0)
        out[0] = '\0';
    return rc;
}

int lift_keypair_new(lift_keypair_t *out, char *err, size_t errlen)
{
    if (!zmq_has("curve")) {
        snprintf(err, errlen, "this libzmq was built without CURVE (libsodium) support");
        return -1;
    }
    if (zmq_curve_keypair(out->public_z85, out->secret_z85) < 0) {
        snprintf(err, errlen, "zmq_curve_keypair: %s", zmq_strerror(zmq_errno()));
        return -1;
    }
    return 0;
}

int lift_keyfile_format(const lift_keypair_t *kp, char *buf, size_t len)
{
    int n =
        snprintf(buf, len,
                 "# Lift CurveZMQ key pair (liftctl keygen). Keep this file secret: mode 0600.\n"
                 "# Hand out the public key only: the server's goes to clients (--server-key),\n"
                 "# a client's goes into liftd's authorized-keys file with a role.\n"
                 "public-key = %s\n"
                 "secret-key = %s\n",
                 kp->public_z85, kp->secret_z85);
    return n < 0 || (size_t)n >= len ? -1 : n;
}
