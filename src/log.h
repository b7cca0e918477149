/* log: one line per event worth knowing, key=value, to stderr.
 * The caller owns the threshold (no global state here): pass the configured level. */
#ifndef LIFT_LOG_H
#define LIFT_LOG_H

typedef enum {
    LOG_LEVEL_ERROR = 0,
    LOG_LEVEL_WARN = 1,
    LOG_LEVEL_INFO = 2,
    LOG_LEVEL_DEBUG = 3
} log_level_t;

/* Parse "error|warn|info|debug"; returns 0 and sets *out, or -1 for an unknown name. */
int log_level_parse(const char *name, log_level_t *out);

/* Write "ts=<ISO-8601> level=<lvl> event=<event> <fields>\n" to stderr when level <= threshold.
 * `fmt` formats the remaining key=value fields (may be NULL). Thread-safe (one write(2)). */
void log_emit(log_level_t threshold, log_level_t level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
