/* out: liftctl's output files (-o), JSON made safe for a terminal and the error-keeping
 * stream over standard output (out.h). It parses no flags and talks to no server. */
#include "out.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lift/text.h"

int liftctl_json_print(const json_t *j, FILE *out, size_t flags)
{
    char *text = json_dumps(j, flags);
    if (text == NULL)
        return -1;
    int rc = lift_safe_json_fputs(text, out) == 0 && fputc('\n', out) != EOF ? 0 : -1;
    free(text);
    return rc;
}

/* ---- output files ------------------------------------------------------------------------ */

int liftctl_write_all(int fd, const void *s, size_t n)
{
    const char *p = s;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        if (w == 0) {
            errno = EIO;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* stdio cookie over o->fd that remembers the first write error in o->err: stdio keeps only a
 * flag, and by the time the caller checks it errno says something else. */
static ssize_t cookie_write(void *cookie, const char *buf, size_t n)
{
    liftctl_out_t *o = cookie;
    if (liftctl_write_all(o->fd, buf, n) == 0)
        return (ssize_t)n;
    if (o->err == 0)
        o->err = errno;
    return -1;
}

static int cookie_close(void *cookie)
{
    liftctl_out_t *o = cookie;
    int rc = o->fd >= 0 ? close(o->fd) : 0;
    if (rc != 0 && o->err == 0)
        o->err = errno;
    o->fd = -1;
    return rc;
}

FILE *liftctl_out_stream(liftctl_out_t *o)
{
    cookie_io_functions_t io = {
        .read = NULL, .write = cookie_write, .seek = NULL, .close = cookie_close};
    FILE *f = fopencookie(o, "w", io);
    if (f == NULL)
        return NULL;
    if (o->flags & LIFTCTL_OUT_SECRET)
        setvbuf(f, NULL, _IONBF, 0);
    else if (isatty(o->fd))
        setvbuf(f, NULL, _IOLBF, BUFSIZ);
    return f;
}

static int out_fail(liftctl_out_t *o, const char *why)
{
    fprintf(stderr, "liftctl: %s: '%s': %s\n", o->flag, o->path, why);
    return -1;
}

/* Writes in place into the existing non-regular file at o->path (a FIFO or a device). */
static int out_open_in_place(liftctl_out_t *o, int follow)
{
    int fd = open(o->path, O_WRONLY | O_NOCTTY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
    if (fd < 0)
        return out_fail(o, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
        close(fd); /* it changed between the check and the open: touch nothing */
        return out_fail(o, "changed while being opened; not written");
    }
    o->fd = fd;
    if ((o->f = liftctl_out_stream(o)) == NULL) {
        close(fd);
        o->fd = -1;
        return out_fail(o, strerror(errno));
    }
    return 0;
}

int liftctl_out_open(liftctl_out_t *o, const char *flag, const char *path, int flags)
{
    memset(o, 0, sizeof *o);
    o->flag = flag ? flag : "-o";
    o->path = path;
    o->flags = flags;
    o->fd = -1;
    if (path == NULL) {
        o->f = stdout;
        return 0;
    }
    struct stat ls, ts;
    char why[4200];
    if (lstat(path, &ls) == 0) {
        if (S_ISLNK(ls.st_mode)) {
            char target[4096];
            ssize_t n = readlink(path, target, sizeof target - 1);
            target[n > 0 ? n : 0] = '\0';
            if (stat(path, &ts) != 0) {
                snprintf(why, sizeof why,
                         "is a symbolic link to '%s', which %s; not followed (give the target's "
                         "path)",
                         target, errno == ENOENT ? "does not exist" : strerror(errno));
                return out_fail(o, why);
            }
            if (S_ISREG(ts.st_mode) || S_ISDIR(ts.st_mode) || S_ISSOCK(ts.st_mode)) {
                snprintf(why, sizeof why,
                         "is a symbolic link to %s '%s': neither is replaced (give the target's "
                         "path to replace it)",
                         S_ISREG(ts.st_mode)   ? "the file"
                         : S_ISDIR(ts.st_mode) ? "the directory"
                                               : "the socket",
                         target);
                return out_fail(o, why);
            }
            return out_open_in_place(o, 1); /* /dev/stdout, /dev/fd/N, a link to a FIFO */
        }
        if (S_ISDIR(ls.st_mode))
            return out_fail(o, "is a directory");
        if (S_ISSOCK(ls.st_mode))
            return out_fail(o, "is a socket: cannot write to it");
        if (!S_ISREG(ls.st_mode))
            return out_open_in_place(o, 0);
        if (flags & LIFTCTL_OUT_NOREPLACE)
            return out_fail(o, "exists (use --force to replace it)");
    } else if (errno != ENOENT) {
        return out_fail(o, strerror(errno));
    }
    /* a new file or a regular one: write beside it, rename over it at close */
    if (snprintf(o->tmp, sizeof o->tmp, "%s.tmp.XXXXXX", path) >= (int)sizeof o->tmp) {
        o->tmp[0] = '\0';
        snprintf(why, sizeof why, "path too long (at most %zu bytes)", sizeof o->tmp - 12);
        return out_fail(o, why);
    }
    int fd = mkostemp(o->tmp, O_CLOEXEC); /* mode 0600 */
    if (fd < 0) {
        o->tmp[0] = '\0';
        snprintf(why, sizeof why, "cannot create a file beside it: %s", strerror(errno));
        return out_fail(o, why);
    }
    if (!(flags & LIFTCTL_OUT_SECRET)) {
        mode_t mask = umask(0);
        umask(mask);
        if (fchmod(fd, 0666 & ~mask) != 0) { /* an ordinary file, as the shell's > makes */
            snprintf(why, sizeof why, "cannot set the mode of '%s': %s", o->tmp, strerror(errno));
            close(fd);
            unlink(o->tmp);
            o->tmp[0] = '\0';
            return out_fail(o, why);
        }
    }
    o->fd = fd;
    if ((o->f = liftctl_out_stream(o)) == NULL) {
        snprintf(why, sizeof why, "%s", strerror(errno));
        close(fd);
        unlink(o->tmp);
        o->tmp[0] = '\0';
        o->fd = -1;
        return out_fail(o, why);
    }
    return 0;
}

/* Renames tmp to path without replacing an existing file (link + unlink where the file system
 * has no RENAME_NOREPLACE). */
static int rename_noreplace(const char *tmp, const char *path)
{
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    if (link(tmp, path) != 0)
        return -1;
    unlink(tmp);
    return 0;
}

int liftctl_out_close(liftctl_out_t *o, int ok)
{
    if (o->path == NULL) { /* standard output: liftctl's main checks it once, at exit */
        o->f = NULL;
        return ok ? 0 : -1;
    }
    if (o->f == NULL)
        return -1;
    int e = 0;
    if (fflush(o->f) != 0 || ferror(o->f))
        e = o->err ? o->err : errno ? errno : EIO;
    if (!e && o->tmp[0] && o->fd >= 0 && fsync(o->fd) != 0)
        e = errno;
    if (fclose(o->f) != 0 && !e)
        e = o->err ? o->err : errno ? errno : EIO;
    o->f = NULL;
    if (o->tmp[0]) {
        if (ok && !e &&
            ((o->flags & LIFTCTL_OUT_NOREPLACE) ? rename_noreplace(o->tmp, o->path)
                                                : rename(o->tmp, o->path)) != 0)
            e = errno;
        if (!ok || e)
            unlink(o->tmp);
        if (ok && !e) {
            char dir[4096];
            snprintf(dir, sizeof dir, "%s", o->path);
            int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (dfd >= 0) { /* make the rename itself durable */
                fsync(dfd);
                close(dfd);
            }
        }
        o->tmp[0] = '\0';
    }
    if (e) {
        char why[300];
        snprintf(why, sizeof why, "cannot write: %s%s", strerror(e),
                 e == EEXIST && (o->flags & LIFTCTL_OUT_NOREPLACE)
                     ? " (created meanwhile; use --force to replace it)"
                     : "");
        out_fail(o, why);
        return -1;
    }
    return ok ? 0 : -1;
}
