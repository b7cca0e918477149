/* liftctl track: imports events from a JSON-lines or CSV file (or stdin) into liftd with
 * lift_track(), in batches, and reports every rejected row with its line number and reason.
 * It parses and maps rows and checks the protocol's size bounds (lift/limits.h) so that no
 * request exceeds liftd's; the event rules (types, ranges, currency) are liftd's. */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lift.pb-c.h"
#include "lift/currency.h"
#include "lift/limits.h"
#include "cmd.h"
#include "out.h"
#include "render.h"

#define CMD "track"
#define TRACK_BATCH_DEFAULT 1000
#define STDERR_REJECTS_MAX 10 /* rejected rows echoed on stderr; the rest go to --rejects only */
/* Packed bytes of the events of one Track request, at most: what is left of liftd's frame limit
 * after the request's own fields and CURVE (lift/limits.h). */
#define TRACK_BATCH_BYTES (LIFT_MAX_REQUEST_BYTES - LIFT_REQUEST_HEADROOM)
#define TRACK_TEXT_MAX (64u << 20) /* row text held for reporting before the batch is sent */

typedef enum { FMT_NONE, FMT_JSONL, FMT_CSV } format_t;

/* Input fields: the proto Event's, plus `timestamp` (ISO-8601) and `amount` (major units). */
typedef enum {
    F_EVENT_ID,
    F_CUSTOMER_ID,
    F_TYPE,
    F_TIMESTAMP,
    F_TIMESTAMP_MS,
    F_EXPERIMENT_KEY,
    F_ARM,
    F_AMOUNT_MINOR,
    F_AMOUNT,
    F_CURRENCY,
    F_PLAN_FROM,
    F_PLAN_TO,
    F_NPS_SCORE,
    F_COUNT
} field_id_t;

static const char *const FIELD_NAMES[F_COUNT] = {
    "event_id",     "customer_id", "type",     "timestamp", "timestamp_ms", "experiment_key", "arm",
    "amount_minor", "amount",      "currency", "plan_from", "plan_to",      "nps_score"};

#define KNOWN_FIELDS                                                                               \
    "event_id, customer_id, type, timestamp, timestamp_ms, experiment_key, arm, amount_minor, "    \
    "amount, currency, plan_from, plan_to, nps_score"

/* S_AMOUNT: the `amount` text, converted once the row's currency is known (resolve_amount). */
enum {
    S_EVENT_ID,
    S_CUSTOMER_ID,
    S_EXPERIMENT_KEY,
    S_CURRENCY,
    S_PLAN_FROM,
    S_PLAN_TO,
    S_AMOUNT,
    S_COUNT
};

typedef struct {
    long line;          /* first input line of the record */
    char *text;         /* the record as read, without its line end (for --rejects) */
    size_t text_len;    /* bytes in text (it may hold NUL bytes) */
    int bad;            /* 1: malformed here, not sent */
    char field[48];     /* malformed: the offending field */
    char reason[240];   /* malformed: why */
    unsigned seen;      /* bit per field_id_t given in the row */
    lift_event_t ev;    /* the event to send (when !bad) */
    char *str[S_COUNT]; /* owned strings of ev */
    size_t bytes;       /* valid: what the event adds to a Track request (event_entry_bytes) */
} row_t;

typedef struct {
    FILE *in;                 /* input (stdin or a file) */
    const char *path;         /* as given ("-" = stdin) */
    format_t format;          /* JSONL or CSV */
    size_t batch;             /* events per Track request */
    FILE *rejects;            /* --rejects FILE, or NULL */
    const char *rejects_path; /* --rejects FILE as given */
    lift_client_t *client;    /* connected client */
    char *line;               /* getline buffer */
    size_t line_cap;          /* its capacity */
    long lineno;              /* physical lines read */
    int csv_map[64];          /* CSV column -> field_id_t */
    int csv_cols;             /* columns in the CSV header */
    row_t *rows;              /* pending rows (malformed ones included, in input order) */
    size_t n_rows;            /* used rows */
    size_t cap_rows;          /* allocated rows */
    size_t n_valid;           /* rows in rows[] to send */
    lift_event_t *events;     /* send buffer, batch entries */
    size_t *event_row;        /* events[i] comes from rows[event_row[i]] */
    size_t batch_bytes;       /* packed bytes of the valid rows in rows[], as Track entries */
    size_t text_bytes;        /* bytes of row text held in rows[] (for --rejects) */
    uint64_t accepted;        /* newly stored */
    uint64_t duplicates;      /* stored before */
    uint64_t conflicts;       /* id stored before with other content (also in refused) */
    uint64_t malformed;       /* rejected here */
    uint64_t refused;         /* rejected by liftd */
    uint64_t sent;            /* events acknowledged by liftd */
    uint64_t echoed;          /* rejected rows echoed on stderr */
    int tty;                  /* draw a progress line on stderr */
    int drawn;                /* a progress line is on screen */
    off_t size;               /* input size when a regular file, else 0 */
    double t0;                /* start, monotonic seconds */
    double t_draw;            /* last progress draw */
    char currency[16];        /* liftd's currency for `amount` (asked once, when first needed) */
    int currency_asked;       /* 1: liftd was asked (currency "" = it did not say) */
    ssize_t unread;           /* >= 0: line[0..unread) was read by the format sniff, not used */
    int stopped;              /* 1: the import stopped before the end of the input */
    long stop_line;           /* the input line it stopped at (0: none) */
    char stop_code[32];       /* why, as a code: UNAVAILABLE, READ_ERROR, ... */
    char stop_reason[512];    /* why, in words */
} track_t;

/* ---- Small helpers -------------------------------------------------------------------------- */

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void progress_clear(track_t *t)
{
    if (t->drawn)
        fputs("\r\033[K", stderr);
    t->drawn = 0;
}

static void progress(track_t *t)
{
    if (!t->tty)
        return;
    double now = mono_now();
    if (t->drawn && now - t->t_draw < 0.1)
        return;
    t->t_draw = now;
    double el = now - t->t0;
    double rate = el > 0 ? (double)t->sent / el : 0;
    char eta[64] = "";
    off_t pos = t->size > 0 ? ftello(t->in) : -1;
    if (pos > 0 && pos <= t->size) {
        double left = el * (double)(t->size - pos) / (double)pos;
        long s = (long)(left + 0.5);
        snprintf(eta, sizeof eta, ", %.0f%%, ETA %ld:%02ld", 100.0 * (double)pos / (double)t->size,
                 s / 60, s % 60);
    }
    fprintf(stderr, "\r%" PRIu64 " events sent, %.0f/s%s\033[K", t->sent, rate, eta);
    t->drawn = 1;
}

/* printf to stderr with the "liftctl: " prefix, below any progress line. The text is shown
 * through lift_safe_fputs: it quotes input rows and server messages, which may hold escape
 * sequences that must not reach the terminal. */
static void say(track_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(track_t *t, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    progress_clear(t);
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fputs("liftctl: ", stderr);
    lift_safe_fputs(msg, stderr);
    fputc('\n', stderr);
}

/* The import stops at input line `line` (0: none) for `code` (a lift_err_name() or READ_ERROR,
 * NOMEM, CSV_HEADER): keeps the first reason for the summary, which says what was acknowledged
 * before. note_stop only records (the caller printed); stop also prints the reason. Both
 * return LIFTCTL_ERR. */
static int note_stop(track_t *t, long line, const char *code, const char *reason)
{
    if (t->stopped)
        return LIFTCTL_ERR;
    t->stopped = 1;
    t->stop_line = line;
    snprintf(t->stop_code, sizeof t->stop_code, "%s", code);
    snprintf(t->stop_reason, sizeof t->stop_reason, "%s", reason);
    return LIFTCTL_ERR;
}

static int stop(track_t *t, long line, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int stop(track_t *t, long line, const char *code, const char *fmt, ...)
{
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    say(t, "%s", why);
    return note_stop(t, line, code, why);
}

static int row_bad(row_t *r, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int row_bad(row_t *r, const char *field, const char *fmt, ...)
{
    va_list ap;
    if (r->bad)
        return -1; /* keep the first reason */
    r->bad = 1;
    snprintf(r->field, sizeof r->field, "%s", field);
    va_start(ap, fmt);
    vsnprintf(r->reason, sizeof r->reason, fmt, ap);
    va_end(ap);
    return -1;
}

static void row_free(row_t *r)
{
    free(r->text);
    for (int k = 0; k < S_COUNT; k++)
        free(r->str[k]);
    memset(r, 0, sizeof *r);
}

static int field_lookup(const char *name)
{
    for (int f = 0; f < F_COUNT; f++)
        if (strcmp(name, FIELD_NAMES[f]) == 0)
            return f;
    return -1;
}

/* ---- Values --------------------------------------------------------------------------------- */

typedef enum { V_STR, V_INT, V_REAL } vkind_t;

typedef struct {
    vkind_t kind;  /* which member is set */
    const char *s; /* V_STR: the text (NUL-terminated) */
    size_t len;    /* V_STR: bytes in s (may be more than strlen when s holds NUL) */
    long long i;   /* V_INT */
    double d;      /* V_REAL */
} val_t;

/* Whole-string decimal integer: optional sign, digits, nothing else. */
static int parse_ll(const char *s, long long *out)
{
    char *end = NULL;
    const char *p = s + (*s == '-' || *s == '+');
    if (*p < '0' || *p > '9')
        return -1;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno == ERANGE || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

/* An integer value (JSON integer or a decimal string); the message names the field. */
static int val_int(row_t *r, const char *name, const val_t *v, long long lo, long long hi,
                   long long *out)
{
    long long x;
    if (v->kind == V_INT)
        x = v->i;
    else if (v->kind == V_STR && parse_ll(v->s, &x) == 0)
        ;
    else if (v->kind == V_STR)
        return row_bad(r, name, "%s: '%.40s' is not an integer", name, v->s);
    else
        return row_bad(r, name, "%s: %.17g is not an integer", name, v->d);
    if (x < lo || x > hi)
        return row_bad(r, name, "%s: %lld is out of range [%lld, %lld]", name, x, lo, hi);
    *out = x;
    return 0;
}

/* `amount` (major units) is kept as exact decimal text until the row is complete: how many
 * minor units it is depends on the currency, which the row may give after it. */
static int set_amount(row_t *r, const val_t *v)
{
    char num[40];
    const char *s = num;
    if (v->kind == V_INT) {
        snprintf(num, sizeof num, "%lld", v->i);
    } else if (v->kind == V_REAL) {
        /* A JSON number: its shortest exact decimal form ("49.95", never 49.950000000000003). */
        render_fmt_exact(num, sizeof num, v->d);
        if (strpbrk(num, "eE") != NULL)
            return row_bad(r, "amount",
                           "amount: %.15g is %s (give a string such as \"49.00\" or amount_minor)",
                           v->d, fabs(v->d) >= 1 ? "out of range" : "not a plain decimal");
    } else {
        if (strlen(v->s) != v->len)
            return row_bad(r, "amount", "amount: contains a NUL byte");
        s = v->s;
    }
    if ((r->str[S_AMOUNT] = strdup(s)) == NULL)
        return row_bad(r, "amount", "out of memory");
    return 0;
}

/* The row's `amount` in minor units of its currency with that currency's ISO 4217 decimals
 * (JPY 0, USD 2, KWD 3): the row's own `currency` when it gives one (liftd refuses the row if
 * that is not its currency), else liftd's, asked once per run. Returns 0 (the row may now be
 * bad), or LIFTCTL_ERR after printing when liftd could not be asked. */
static int resolve_amount(track_t *t, row_t *r)
{
    const char *text = r->str[S_AMOUNT], *cur = r->ev.currency;
    if (cur == NULL || *cur == '\0') {
        if (!t->currency_asked) {
            lift_server_info_t info;
            lift_err_t err = lift_server_info(t->client, &info);
            if (err != LIFT_OK) {
                const char *msg = lift_client_error(t->client);
                progress_clear(t);
                liftctl_fail(t->client, err); /* the error, and the likely causes of no reply */
                note_stop(t, r->line, lift_err_name(err), *msg ? msg : lift_strerror(err));
                say(t,
                    "stopped at line %ld: cannot ask liftd for its currency, needed to read "
                    "amount (amount_minor needs none); %" PRIu64 " events acknowledged so far",
                    r->line, t->sent);
                return LIFTCTL_ERR;
            }
            snprintf(t->currency, sizeof t->currency, "%s", info.currency);
            t->currency_asked = 1;
        }
        if (!*t->currency) {
            row_bad(r, "amount",
                    "amount: liftd does not report its currency (an older liftd), so '%.40s' "
                    "cannot be converted: give the row's currency, or amount_minor",
                    text);
            return 0;
        }
        cur = t->currency;
    }
    int digits = lift_currency_digits(cur);
    if (digits < 0) {
        char why[200];
        lift_currency_check(cur, why, sizeof why);
        row_bad(r, "currency", "currency: %s, so amount '%.40s' cannot be converted", why, text);
        return 0;
    }
    int64_t minor;
    char like[16];
    switch (lift_currency_parse(text, digits, &minor)) {
    case 0:
        r->ev.has_amount = true;
        r->ev.amount_minor = minor;
        break;
    case -3:
        if (digits == 0)
            row_bad(r, "amount",
                    "amount: '%.40s' has decimals, but %s has 0 decimals (ISO 4217): give whole "
                    "%s, or amount_minor",
                    text, cur, cur);
        else
            row_bad(r, "amount", "amount: '%.40s' has more than %d decimals (%s has %d, ISO 4217)",
                    text, digits, cur, digits);
        break;
    case -2:
        row_bad(r, "amount", "amount: '%.40s' is out of range", text);
        break;
    default:
        snprintf(like, sizeof like, "49%s%.*s", digits ? "." : "", digits, "0000");
        row_bad(r, "amount", "amount: '%.40s' is not a number (use major units like %s for %s)",
                text, like, cur);
        break;
    }
    return 0;
}

/* The protocol's bound, in bytes, of a string field (lift/limits.h). */
static size_t field_max(int f)
{
    switch (f) {
    case F_EVENT_ID:
        return LIFT_EVENT_ID_MAX;
    case F_CUSTOMER_ID:
        return LIFT_CUSTOMER_ID_MAX;
    case F_EXPERIMENT_KEY:
        return LIFT_KEY_MAX;
    case F_CURRENCY:
        return LIFT_CURRENCY_CODE_MAX;
    default: /* plan_from, plan_to */
        return LIFT_PLAN_MAX;
    }
}

/* Sets one field of r from v. 0, or -1 with r marked bad. */
static int set_field(row_t *r, int f, const val_t *v)
{
    const char *name = FIELD_NAMES[f];
    long long x;
    if (r->seen & (1u << f))
        return row_bad(r, name, "%s: given twice", name);
    r->seen |= 1u << f;
    int slot = -1;
    switch (f) {
    case F_EVENT_ID:
        slot = S_EVENT_ID;
        break;
    case F_CUSTOMER_ID:
        slot = S_CUSTOMER_ID;
        break;
    case F_EXPERIMENT_KEY:
        slot = S_EXPERIMENT_KEY;
        break;
    case F_CURRENCY:
        slot = S_CURRENCY;
        break;
    case F_PLAN_FROM:
        slot = S_PLAN_FROM;
        break;
    case F_PLAN_TO:
        slot = S_PLAN_TO;
        break;
    default:
        break;
    }
    if (slot >= 0) {
        char num[32];
        const char *s;
        if (v->kind == V_STR) {
            if (strlen(v->s) != v->len)
                return row_bad(r, name, "%s: contains a NUL byte", name);
            s = v->s;
        } else if (v->kind == V_INT && (f == F_EVENT_ID || f == F_CUSTOMER_ID)) {
            snprintf(num, sizeof num, "%lld", v->i); /* numeric ids are common in exports */
            s = num;
        } else {
            return row_bad(r, name, "%s: must be a string", name);
        }
        /* Checked here, not only by liftd: a value over its bound could make the whole batch
         * larger than liftd accepts, and then no row of it would be stored. */
        size_t len = strlen(s), max = field_max(f);
        if (len > max)
            return row_bad(r, name, "%s: %zu bytes, more than the limit of %zu bytes (not sent)",
                           name, len, max);
        if ((r->str[slot] = strdup(s)) == NULL)
            return row_bad(r, name, "out of memory");
        const char *c = r->str[slot];
        switch (f) {
        case F_EVENT_ID:
            r->ev.event_id = c;
            break;
        case F_CUSTOMER_ID:
            r->ev.customer_id = c;
            break;
        case F_EXPERIMENT_KEY:
            r->ev.experiment_key = c;
            break;
        case F_CURRENCY:
            r->ev.currency = c;
            break;
        case F_PLAN_FROM:
            r->ev.plan_from = c;
            break;
        default:
            r->ev.plan_to = c;
            break;
        }
        return 0;
    }
    switch (f) {
    case F_TYPE:
        if (v->kind != V_STR || lift_event_type_parse(v->s, &r->ev.type) != 0)
            return row_bad(r, name, "type: unknown event type '%.40s' (one of: %s)",
                           v->kind == V_STR ? v->s : "(a number)", lift_event_type_names());
        return 0;
    case F_TIMESTAMP:
        if (r->seen & (1u << F_TIMESTAMP_MS))
            return row_bad(r, name, "timestamp: give timestamp or timestamp_ms, not both");
        if (v->kind != V_STR || liftctl_time_scan(v->s, LIFTCTL_TIME_ISO, &r->ev.timestamp_ms) != 0)
            return row_bad(r, name,
                           "timestamp: '%.40s' is not an ISO-8601 UTC time like "
                           "2026-11-20T10:00:00Z (or give timestamp_ms, epoch milliseconds)",
                           v->kind == V_STR ? v->s : "(a number)");
        return 0;
    case F_TIMESTAMP_MS:
        if (r->seen & (1u << F_TIMESTAMP))
            return row_bad(r, name, "timestamp_ms: give timestamp or timestamp_ms, not both");
        if (val_int(r, name, v, LLONG_MIN, LLONG_MAX, &x) != 0)
            return -1;
        if (x < 0 || x > INT64_C(253402300799999))
            return row_bad(r, name,
                           "timestamp_ms: %lld is outside 0..253402300799999 epoch ms "
                           "(1970-01-01T00:00:00Z .. 9999-12-31T23:59:59.999Z)",
                           x);
        r->ev.timestamp_ms = x;
        return 0;
    case F_ARM:
        if (val_int(r, name, v, INT_MIN, INT_MAX, &x) != 0)
            return -1;
        r->ev.has_arm = true;
        r->ev.arm = (int)x;
        return 0;
    case F_NPS_SCORE:
        if (val_int(r, name, v, INT_MIN, INT_MAX, &x) != 0)
            return -1;
        r->ev.has_nps = true;
        r->ev.nps_score = (int)x;
        return 0;
    case F_AMOUNT_MINOR:
        if (r->seen & (1u << F_AMOUNT))
            return row_bad(r, name, "amount_minor: give amount or amount_minor, not both");
        if (val_int(r, name, v, LLONG_MIN, LLONG_MAX, &x) != 0)
            return -1;
        r->ev.has_amount = true;
        r->ev.amount_minor = x;
        return 0;
    case F_AMOUNT:
        if (r->seen & (1u << F_AMOUNT_MINOR))
            return row_bad(r, name, "amount: give amount or amount_minor, not both");
        return set_amount(r, v);
    default:
        return row_bad(r, name, "%s: not handled", name);
    }
}

/* Checks made after all fields: what lift_event_t cannot express as "not sent". */
static void row_finish(row_t *r)
{
    if (!r->bad && !(r->seen & ((1u << F_TIMESTAMP) | (1u << F_TIMESTAMP_MS))))
        row_bad(r, "timestamp",
                "timestamp is required (ISO-8601 UTC like 2026-11-20T10:00:00Z, or timestamp_ms)");
}

/* ---- JSON lines ----------------------------------------------------------------------------- */

static void parse_json_row(row_t *r, const char *text, size_t len)
{
    json_error_t jerr;
    json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    const char *key;
    json_t *v;
    if (o == NULL) {
        row_bad(r, "json", "not valid JSON (column %d): %s", jerr.column, jerr.text);
        return;
    }
    if (!json_is_object(o)) {
        row_bad(r, "json", "not a JSON object");
        goto done;
    }
    json_object_foreach(o, key, v)
    {
        int f = field_lookup(key);
        val_t val = {0};
        if (f < 0) {
            row_bad(r, key, "unknown field '%.40s' (known: " KNOWN_FIELDS ")", key);
            goto done;
        }
        if (json_is_null(v))
            continue;
        if (json_is_string(v)) {
            val.kind = V_STR;
            val.s = json_string_value(v);
            val.len = json_string_length(v);
        } else if (json_is_integer(v)) {
            val.kind = V_INT;
            val.i = json_integer_value(v);
        } else if (json_is_real(v)) {
            val.kind = V_REAL;
            val.d = json_real_value(v);
        } else {
            row_bad(r, key, "%s: must be a string or a number, not %s", key,
                    json_is_boolean(v) ? (json_is_true(v) ? "true" : "false")
                    : json_is_array(v) ? "an array"
                                       : "an object");
            goto done;
        }
        if (set_field(r, f, &val) != 0)
            goto done;
    }
    row_finish(r);
done:
    json_decref(o);
}

/* ---- CSV (RFC 4180) ------------------------------------------------------------------------- */

typedef struct {
    char *buf;      /* field values, each NUL-terminated */
    size_t len;     /* used bytes */
    size_t cap;     /* allocated bytes */
    size_t *start;  /* offset of each field in buf */
    size_t n;       /* fields */
    size_t cap_n;   /* allocated offsets */
    char error[96]; /* first syntax error in the record, "" if none */
} csv_rec_t;

static int rec_putc(csv_rec_t *c, char ch)
{
    if (c->len + 1 >= c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        char *b = realloc(c->buf, cap);
        if (b == NULL)
            return -1;
        c->buf = b;
        c->cap = cap;
    }
    c->buf[c->len++] = ch;
    return 0;
}

static int rec_begin_field(csv_rec_t *c)
{
    if (c->n == c->cap_n) {
        size_t cap = c->cap_n ? c->cap_n * 2 : 16;
        size_t *s = realloc(c->start, cap * sizeof *s);
        if (s == NULL)
            return -1;
        c->start = s;
        c->cap_n = cap;
    }
    c->start[c->n++] = c->len;
    return 0;
}

static const char *rec_field(const csv_rec_t *c, size_t k)
{
    return c->buf + c->start[k];
}

static size_t rec_field_len(const csv_rec_t *c, size_t k)
{
    size_t end = k + 1 < c->n ? c->start[k + 1] - 1 : c->len - 1;
    return end - c->start[k];
}

enum { CS_START, CS_PLAIN, CS_QUOTED, CS_QUOTE };

/* Appends buf[0..len) to raw text (growing *raw). */
static int raw_append(char **raw, size_t *raw_len, size_t *raw_cap, const char *buf, size_t len)
{
    if (*raw_len + len + 2 > *raw_cap) {
        size_t cap = (*raw_len + len + 2) * 2;
        char *b = realloc(*raw, cap);
        if (b == NULL)
            return -1;
        *raw = b;
        *raw_cap = cap;
    }
    memcpy(*raw + *raw_len, buf, len);
    *raw_len += len;
    (*raw)[*raw_len] = '\0';
    return 0;
}

/* The next physical line into t->line, as getline(): first the one the format sniff read. */
static ssize_t read_line(track_t *t)
{
    if (t->unread >= 0) {
        ssize_t got = t->unread;
        t->unread = -1;
        return got;
    }
    return getline(&t->line, &t->line_cap, t->in);
}

/* Strips "\n" / "\r\n"; returns the new length. */
static size_t chomp(char *s, size_t len)
{
    if (len > 0 && s[len - 1] == '\n')
        s[--len] = '\0';
    if (len > 0 && s[len - 1] == '\r')
        s[--len] = '\0';
    return len;
}

/* Reads one CSV record into c (fields) and *raw (its text); blank lines are skipped.
 * 1 = a record, 0 = end of input, -1 = read error or no memory (errno). *first_line = the
 * record's first line. A quoted field may span lines; a record whose quote is still open at
 * the end of the input ends there, with c->error set. */
static int csv_read(track_t *t, csv_rec_t *c, char **raw, size_t *raw_len, size_t *raw_cap,
                    long *first_line)
{
    ssize_t got;
    int state = CS_START;
    c->len = c->n = 0;
    c->error[0] = '\0';
    *raw_len = 0;
    for (;;) {
        errno = 0;
        got = read_line(t);
        if (got < 0) {
            if (ferror(t->in))
                return -1;
            if (state == CS_START && c->n == 0)
                return 0;
            /* end of input inside a quoted field */
            snprintf(c->error, sizeof c->error,
                     "unterminated quoted field in column %zu (runs to the end of the input)",
                     c->n);
            if (rec_putc(c, '\0') < 0)
                return -1;
            return 1;
        }
        t->lineno++;
        size_t len = chomp(t->line, (size_t)got);
        if (c->n == 0 && state == CS_START) {
            if (t->lineno == 1 && len >= 3 && memcmp(t->line, "\xef\xbb\xbf", 3) == 0) {
                memmove(t->line, t->line + 3, len - 2); /* UTF-8 byte-order mark */
                len -= 3;
            }
            if (len == 0)
                continue; /* blank line */
            *first_line = t->lineno;
            if (rec_begin_field(c) < 0)
                return -1;
        } else {
            if (raw_append(raw, raw_len, raw_cap, "\n", 1) < 0 || rec_putc(c, '\n') < 0)
                return -1;
        }
        if (raw_append(raw, raw_len, raw_cap, t->line, len) < 0)
            return -1;
        for (size_t k = 0; k < len; k++) {
            char ch = t->line[k];
            if (ch == '\0' && !c->error[0])
                snprintf(c->error, sizeof c->error, "NUL byte in column %zu", c->n);
            switch (state) {
            case CS_START:
                if (ch == '"') {
                    state = CS_QUOTED;
                    continue;
                }
                state = CS_PLAIN;
                /* fall through */
            case CS_PLAIN:
                if (ch == ',') {
                    if (rec_putc(c, '\0') < 0 || rec_begin_field(c) < 0)
                        return -1;
                    state = CS_START;
                    continue;
                }
                if (ch == '"' && !c->error[0])
                    snprintf(c->error, sizeof c->error,
                             "quote inside the unquoted field in column %zu (quote the whole "
                             "field and double the quote)",
                             c->n);
                if (rec_putc(c, ch) < 0)
                    return -1;
                continue;
            case CS_QUOTED:
                if (ch == '"')
                    state = CS_QUOTE;
                else if (rec_putc(c, ch) < 0)
                    return -1;
                continue;
            default: /* CS_QUOTE: just after a quote inside a quoted field */
                if (ch == '"') {
                    if (rec_putc(c, '"') < 0)
                        return -1;
                    state = CS_QUOTED;
                } else if (ch == ',') {
                    if (rec_putc(c, '\0') < 0 || rec_begin_field(c) < 0)
                        return -1;
                    state = CS_START;
                } else {
                    if (!c->error[0])
                        snprintf(c->error, sizeof c->error,
                                 "text after the closing quote in column %zu", c->n);
                    if (rec_putc(c, ch) < 0)
                        return -1;
                    state = CS_PLAIN;
                }
                continue;
            }
        }
        if (state != CS_QUOTED)
            break; /* else the quoted field goes on on the next line */
    }
    if (rec_putc(c, '\0') < 0)
        return -1;
    return 1;
}

static void rec_free(csv_rec_t *c)
{
    free(c->buf);
    free(c->start);
}

/* Maps the header's columns to fields; prints and returns -1 on an unknown or repeated one. */
static int csv_header(track_t *t, const csv_rec_t *c, long line)
{
    unsigned seen = 0;
    if (c->error[0]) {
        stop(t, line, "CSV_HEADER", "%s:%ld: header: %s", t->path, line, c->error);
        return -1;
    }
    if (c->n > sizeof t->csv_map / sizeof t->csv_map[0]) {
        stop(t, line, "CSV_HEADER", "%s:%ld: header: %zu columns, at most %zu", t->path, line, c->n,
             sizeof t->csv_map / sizeof t->csv_map[0]);
        return -1;
    }
    for (size_t k = 0; k < c->n; k++) {
        const char *name = rec_field(c, k);
        int f = field_lookup(name);
        if (f < 0) {
            stop(t, line, "CSV_HEADER",
                 "%s:%ld: header: unknown column '%.64s' (column %zu; known: " KNOWN_FIELDS ")",
                 t->path, line, name, k + 1);
            return -1;
        }
        if (seen & (1u << f)) {
            stop(t, line, "CSV_HEADER", "%s:%ld: header: column '%.64s' appears twice", t->path,
                 line, name);
            return -1;
        }
        seen |= 1u << f;
        t->csv_map[k] = f;
    }
    t->csv_cols = (int)c->n;
    return 0;
}

static void parse_csv_row(track_t *t, row_t *r, const csv_rec_t *c)
{
    if (c->error[0]) {
        row_bad(r, "csv", "%s", c->error);
        return;
    }
    if (c->n != (size_t)t->csv_cols) {
        row_bad(r, "columns", "%zu columns, the header has %d", c->n, t->csv_cols);
        return;
    }
    for (size_t k = 0; k < c->n; k++) {
        val_t v = {V_STR, rec_field(c, k), rec_field_len(c, k), 0, 0};
        if (v.len == 0)
            continue; /* empty = not given */
        if (set_field(r, t->csv_map[k], &v) != 0)
            return;
    }
    row_finish(r);
}

/* ---- Rejects -------------------------------------------------------------------------------- */

/* A JSON string of bytes that may not be UTF-8: invalid bytes become '?'. */
static json_t *json_bytes(const char *s, size_t len)
{
    json_t *j = json_stringn(s, len);
    if (j != NULL)
        return j;
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return NULL;
    for (size_t k = 0; k < len; k++)
        copy[k] = (unsigned char)s[k] < 0x80 ? s[k] : '?';
    j = json_stringn(copy, len);
    free(copy);
    return j;
}

static void reject(track_t *t, const row_t *r, const char *field, const char *reason)
{
    if (t->echoed < STDERR_REJECTS_MAX)
        say(t, "line %ld: %s%s%s", r->line, *field && !strstr(reason, field) ? field : "",
            *field && !strstr(reason, field) ? ": " : "", reason);
    else if (t->echoed == STDERR_REJECTS_MAX)
        say(t, "more rejected rows not shown%s%s", t->rejects ? ": see " : " (use --rejects FILE)",
            t->rejects ? t->rejects_path : "");
    t->echoed++;
    if (t->rejects == NULL)
        return;
    if (t->format == FMT_CSV) {
        fwrite(r->text, 1, r->text_len, t->rejects);
        fprintf(t->rejects, ",%ld,", r->line);
        render_csv_field(t->rejects, field);
        fputc(',', t->rejects);
        render_csv_field(t->rejects, reason);
        fputc('\n', t->rejects);
        return;
    }
    json_t *o = json_object();
    json_object_set_new(o, "line", json_integer(r->line));
    json_object_set_new(o, "field", json_bytes(field, strlen(field)));
    json_object_set_new(o, "reason", json_bytes(reason, strlen(reason)));
    json_object_set_new(o, "row", json_bytes(r->text, r->text_len));
    json_dumpf(o, t->rejects, JSON_COMPACT | JSON_PRESERVE_ORDER);
    fputc('\n', t->rejects);
    json_decref(o);
}

/* ---- Batches -------------------------------------------------------------------------------- */

/* liftd names the wire fields (timestamp_ms, amount_minor); a row that gave `timestamp` or
 * `amount` is told about the field it gave, with its value. */
static void blame(const row_t *r, const char *field, const char *reason, char *fld, size_t fld_len,
                  char *why, size_t why_len)
{
    /* liftd names the field by its path in the request ("track.events[6].nps_score"); a
     * rejects file has its own line column, so it shows the event's field alone. */
    if (strncmp(field, "track.events[", 13) == 0 && strstr(field, "]."))
        field = strstr(field, "].") + 2;
    snprintf(fld, fld_len, "%s", field);
    snprintf(why, why_len, "%s", reason);
    if (strcmp(field, "timestamp_ms") == 0 && (r->seen & (1u << F_TIMESTAMP))) {
        const char *rest = strncmp(reason, "timestamp_ms: ", 14) == 0 ? reason + 14 : reason;
        snprintf(fld, fld_len, "timestamp");
        snprintf(why, why_len, "timestamp: %s", rest);
    } else if (strcmp(field, "amount_minor") == 0 && (r->seen & (1u << F_AMOUNT))) {
        const char *rest = strncmp(reason, "amount_minor: ", 14) == 0 ? reason + 14 : reason;
        char num[32];
        int n = snprintf(num, sizeof num, "%lld ", (long long)r->ev.amount_minor);
        int same = n > 0 && strncmp(rest, num, (size_t)n) == 0; /* "0 is outside ..." */
        snprintf(fld, fld_len, "amount");
        snprintf(why, why_len, "amount: '%.40s' (%lld minor units)%s%s",
                 r->str[S_AMOUNT] ? r->str[S_AMOUNT] : "", (long long)r->ev.amount_minor,
                 same ? " " : ": ", same ? rest + n : rest);
    }
}

/* Sends the valid rows among rows[0..upto), reports every rejected row among them in input
 * order and frees them; the rows after upto move to the front. 0, or LIFTCTL_ERR after printing
 * when liftd did not acknowledge the batch (the import stops there). */
static int flush_rows(track_t *t, size_t upto)
{
    lift_track_result_t res = {0};
    lift_err_t err = LIFT_OK;
    size_t n = 0, next = 0;
    int rc = 0;
    for (size_t k = 0; k < upto; k++)
        if (!t->rows[k].bad) {
            t->events[n] = t->rows[k].ev;
            t->event_row[n++] = k;
        }
    if (n > 0) {
        err = lift_track(t->client, t->events, n, &res);
        if (err == LIFT_OK) {
            t->accepted += res.accepted;
            t->duplicates += res.duplicates;
            t->conflicts += res.conflicts;
            t->sent += n;
        }
    }
    /* Report malformed rows and server rejections together, in line order (the malformed rows
     * of a batch that was not acknowledged too: they were read). */
    for (size_t k = 0; k < upto; k++) {
        const row_t *r = &t->rows[k];
        char fld[48], why[600];
        if (r->bad) {
            t->malformed++;
            reject(t, r, r->field, r->reason);
            continue;
        }
        /* res.rejected is in batch order; each index maps back to its row */
        while (next < res.n_rejected && res.rejected[next].index < n &&
               t->event_row[res.rejected[next].index] == k) {
            const lift_rejected_t *x = &res.rejected[next++];
            t->refused++;
            blame(r, x->field, x->reason, fld, sizeof fld, why, sizeof why);
            reject(t, r, fld, why);
        }
    }
    for (; next < res.n_rejected; next++) { /* out of order or out of range: still count them */
        const lift_rejected_t *x = &res.rejected[next];
        row_t none = {0};
        const row_t *r = x->index < n ? &t->rows[t->event_row[x->index]] : &none;
        t->refused++;
        reject(t, r, x->field, x->reason);
    }
    if (err != LIFT_OK) {
        const char *msg = lift_client_error(t->client);
        long line = t->rows[t->event_row[0]].line;
        progress_clear(t);
        liftctl_fail(t->client, err); /* the error, and the likely causes of no reply */
        note_stop(t, line, lift_err_name(err), *msg ? msg : lift_strerror(err));
        say(t,
            "stopped at line %ld: %" PRIu64 " events acknowledged so far (accepted %" PRIu64
            ", duplicates %" PRIu64 "); running the same file again is safe (events are "
            "deduplicated by event_id)",
            line, t->sent, t->accepted, t->duplicates);
        rc = LIFTCTL_ERR;
    } else {
        progress(t);
    }
    lift_track_result_clear(&res);
    for (size_t k = 0; k < upto; k++)
        row_free(&t->rows[k]);
    memmove(t->rows, t->rows + upto, (t->n_rows - upto) * sizeof *t->rows);
    t->n_rows -= upto;
    t->n_valid = t->batch_bytes = t->text_bytes = 0;
    for (size_t k = 0; k < t->n_rows; k++) {
        t->n_valid += !t->rows[k].bad;
        t->batch_bytes += t->rows[k].bytes;
        t->text_bytes += t->rows[k].text_len;
    }
    return rc;
}

static int flush(track_t *t)
{
    return flush_rows(t, t->n_rows);
}

/* A fresh row for the record at `line` with its text; NULL when out of memory. */
static row_t *row_new(track_t *t, long line, const char *text, size_t len)
{
    if (t->n_rows == t->cap_rows) {
        size_t cap = t->cap_rows ? t->cap_rows * 2 : 1024;
        row_t *rows = realloc(t->rows, cap * sizeof *rows);
        if (rows == NULL)
            return NULL;
        t->rows = rows;
        t->cap_rows = cap;
    }
    row_t *r = &t->rows[t->n_rows];
    memset(r, 0, sizeof *r);
    if ((r->text = malloc(len + 1)) == NULL)
        return NULL;
    memcpy(r->text, text, len);
    r->text[len] = '\0';
    r->text_len = len;
    r->line = line;
    t->n_rows++;
    t->text_bytes += len;
    return r;
}

/* After a row (the last of rows[]) is parsed: sends the rows before it when it would take the
 * request past liftd's size limit, and the batch when it is full (in events, or in rows and row
 * text held for reporting). */
static int row_done(track_t *t, row_t *r)
{
    if (!r->bad && r->str[S_AMOUNT] && resolve_amount(t, r) != 0)
        return LIFTCTL_ERR;
    if (!r->bad) {
        size_t bytes = lift_event_wire_size(&r->ev);
        /* Not reached while every string field is checked against its bound (an event is at
         * most LIFT_EVENT_MAX_BYTES): kept so that a new field cannot break the limit. */
        if (bytes > TRACK_BATCH_BYTES)
            row_bad(r, "row", "the event packs to %zu bytes, more than the %d bytes liftd accepts",
                    bytes, TRACK_BATCH_BYTES);
        else
            r->bytes = bytes;
    }
    if (!r->bad) {
        if (t->n_valid > 0 && t->batch_bytes + r->bytes > TRACK_BATCH_BYTES) {
            int rc = flush_rows(t, t->n_rows - 1); /* r moves to rows[0] */
            if (rc != 0)
                return rc;
            r = &t->rows[0];
        }
        t->n_valid++;
        t->batch_bytes += r->bytes;
    }
    if (t->n_valid >= t->batch || t->n_rows >= 4 * t->batch || t->text_bytes > TRACK_TEXT_MAX)
        return flush(t);
    return 0;
}

static int run_jsonl(track_t *t)
{
    ssize_t got;
    int rc = 0;
    while (rc == 0 && (errno = 0, got = read_line(t)) >= 0) {
        t->lineno++;
        size_t len = chomp(t->line, (size_t)got);
        char *text = t->line;
        if (t->lineno == 1 && len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
            text += 3;
            len -= 3;
        }
        size_t k = 0;
        while (k < len && (text[k] == ' ' || text[k] == '\t'))
            k++;
        if (k == len)
            continue; /* blank line */
        row_t *r = row_new(t, t->lineno, text, len);
        if (r == NULL)
            return stop(t, t->lineno, "NOMEM", "line %ld: out of memory", t->lineno);
        parse_json_row(r, text, len);
        rc = row_done(t, r);
    }
    if (rc == 0 && ferror(t->in))
        return stop(t, t->lineno, "READ_ERROR", "%s: read error after line %ld: %s", t->path,
                    t->lineno, strerror(errno));
    return rc;
}

static int run_csv(track_t *t)
{
    csv_rec_t c = {0};
    char *raw = NULL;
    size_t raw_len = 0, raw_cap = 0;
    long line = 0;
    int rc = 0, got;
    got = csv_read(t, &c, &raw, &raw_len, &raw_cap, &line);
    if (got == 0)
        goto done; /* empty input: nothing to do */
    if (got < 0)
        goto io_fail;
    if (csv_header(t, &c, line) != 0) {
        rc = LIFTCTL_ERR;
        goto done;
    }
    if (t->rejects) {
        fwrite(raw, 1, raw_len, t->rejects);
        fputs(",line,field,reason\n", t->rejects);
    }
    while (rc == 0 && (got = csv_read(t, &c, &raw, &raw_len, &raw_cap, &line)) > 0) {
        row_t *r = row_new(t, line, raw, raw_len);
        if (r == NULL) {
            rc = stop(t, line, "NOMEM", "line %ld: out of memory", line);
            goto done;
        }
        parse_csv_row(t, r, &c);
        rc = row_done(t, r);
    }
    if (rc == 0 && got < 0)
        goto io_fail;
    goto done;
io_fail:
    rc = ferror(t->in)
             ? stop(t, t->lineno, "READ_ERROR", "%s: read error after line %ld: %s", t->path,
                    t->lineno, strerror(errno))
             : stop(t, t->lineno, "NOMEM", "%s: out of memory after line %ld", t->path, t->lineno);
done:
    rec_free(&c);
    free(raw);
    return rc;
}

/* ---- Command -------------------------------------------------------------------------------- */

static void usage(FILE *out)
{
    fprintf(out,
            "usage: liftctl track FILE [--format jsonl|csv] [--batch N] [--rejects FILE]\n"
            "\n"
            "Imports events into liftd: JSON lines (.jsonl .ndjson .json) or CSV (.csv) with a\n"
            "header row; FILE `-` reads stdin (without --format: CSV when the first line is a\n"
            "header of known columns, JSON lines when it starts a JSON value, else refused).\n"
            "Fields (JSON keys or CSV columns, any order; empty CSV cells and JSON null mean not\n"
            "given):\n"
            "  event_id        1..%d bytes, the idempotency key (re-sending it is safe)\n"
            "  customer_id     1..%d bytes of UTF-8\n"
            "  type            %s\n"
            "  timestamp       ISO-8601 UTC, 2026-11-20T10:00:00Z (or timestamp_ms: epoch ms)\n"
            "  experiment_key  impression, click: the experiment's key (at most %d bytes)\n"
            "  arm             impression, click: the arm index (0 = holdout)\n"
            "  amount_minor    conversion, refund: integer minor units (USD 4900 = 49.00)\n"
            "  amount          instead of amount_minor: major units with the currency's ISO 4217\n"
            "                  decimals (USD 49.00, JPY 4900, KWD 1.234; more are refused)\n"
            "  currency        ISO 4217; must be liftd's (--currency); empty = liftd's\n"
            "  plan_from, plan_to   conversion, churn: plan names (at most %d bytes)\n"
            "  nps_score       nps: 0..10\n"
            "\n"
            "  --format F      jsonl or csv (default: from the extension, or the first line)\n"
            "  --batch N       events per request, 1..%d (default %d)\n"
            "  --rejects FILE  write every rejected row with its line and reason: JSON lines\n"
            "                  {\"line\",\"field\",\"reason\",\"row\"} or, for CSV, the row plus\n"
            "                  the columns line,field,reason\n"
            "  --json          print the summary as one JSON object (acknowledged, accepted,\n"
            "                  duplicates, conflicts, rejected, malformed, server_rejected,\n"
            "                  complete, stopped: {line, code, reason} or null)\n"
            "\n"
            "A malformed row (bad JSON, wrong column count, bad number, type or time, a value\n"
            "longer than its bound above) and a row liftd rejects are reported with their line\n"
            "number; the other rows are stored. Batches are also split by size, so no request\n"
            "exceeds liftd's %d-byte limit. A batch is retried on timeout with the same event\n"
            "ids until acknowledged; if it never is, the import stops there. On a terminal, a\n"
            "progress line on stderr. At the end, also after a stop:\n"
            "  accepted N, duplicates N, rejected N (M malformed, K by the server)\n"
            "\n"
            "exit status: 0 every row stored (accepted or duplicate), 1 some row rejected or\n"
            "liftd failed, 2 usage error\n",
            LIFT_EVENT_ID_MAX, LIFT_CUSTOMER_ID_MAX, lift_event_type_names(), LIFT_KEY_MAX,
            LIFT_PLAN_MAX, LIFT_BATCH_MAX, TRACK_BATCH_DEFAULT, LIFT_MAX_REQUEST_BYTES);
}

static format_t format_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (dot == NULL || strchr(dot, '/') != NULL)
        return FMT_NONE;
    if (strcasecmp(dot, ".jsonl") == 0 || strcasecmp(dot, ".ndjson") == 0 ||
        strcasecmp(dot, ".json") == 0)
        return FMT_JSONL;
    if (strcasecmp(dot, ".csv") == 0)
        return FMT_CSV;
    return FMT_NONE;
}

/* What was acknowledged, also when the import stopped early (then with where and why). */
static void summary(const track_t *t, int json)
{
    uint64_t rejected = t->malformed + t->refused;
    if (json) {
        json_t *stopped = json_null();
        char why[LIFT_SAFE_CAP(sizeof t->stop_reason)];
        if (t->stopped) /* the reason may quote input bytes: escaped, so it is valid UTF-8 */
            stopped =
                json_pack("{s:I,s:s,s:s}", "line", (json_int_t)t->stop_line, "code", t->stop_code,
                          "reason", lift_safe_text(t->stop_reason, why, sizeof why));
        json_t *o = json_pack(
            "{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b,s:o}", "acknowledged", (json_int_t)t->sent,
            "accepted", (json_int_t)t->accepted, "duplicates", (json_int_t)t->duplicates,
            "conflicts", (json_int_t)t->conflicts, "rejected", (json_int_t)rejected, "malformed",
            (json_int_t)t->malformed, "server_rejected", (json_int_t)t->refused, "sent",
            (json_int_t)t->sent, "complete", !t->stopped, "stopped", stopped);
        liftctl_json_print(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(o);
        return;
    }
    printf("accepted %" PRIu64 ", duplicates %" PRIu64 ", rejected %" PRIu64 " (%" PRIu64
           " malformed, %" PRIu64 " by the server)",
           t->accepted, t->duplicates, rejected, t->malformed, t->refused);
    /* counted apart: a reused id is not a retry, it is a second fact that was refused */
    printf(", conflicts %" PRIu64, t->conflicts);
    if (t->conflicts)
        printf(" (event ids stored before with other content; among rejected)");
    if (t->stopped)
        printf("; incomplete: stopped at line %ld (%s) after %" PRIu64 " acknowledged events",
               t->stop_line, t->stop_code, t->sent);
    putchar('\n');
}

/* 1 when line (len bytes, no line end) is a CSV header that names only known fields. */
static int is_csv_header(const char *line, size_t len)
{
    size_t i = 0;
    for (;;) {
        size_t a = i, b;
        while (i < len && line[i] != ',')
            i++;
        b = i;
        while (a < b && (line[a] == ' ' || line[a] == '\t'))
            a++;
        while (b > a && (line[b - 1] == ' ' || line[b - 1] == '\t'))
            b--;
        if (b - a >= 2 && line[a] == '"' && line[b - 1] == '"')
            a++, b--;
        char name[32];
        if (b == a || b - a >= sizeof name)
            return 0;
        memcpy(name, line + a, b - a);
        name[b - a] = '\0';
        if (field_lookup(name) < 0)
            return 0;
        if (i == len)
            return 1;
        i++;
    }
}

/* The format of input whose name does not say it: reads up to the first non-blank line, which
 * the reader then gets first (t->unread), and returns FMT_CSV when it is a CSV header of known
 * columns, FMT_JSONL when it starts a JSON value, FMT_NONE otherwise (its start in peek).
 * Empty input (or a read error, which the reader reports) is FMT_JSONL: nothing to guess. */
static format_t sniff(track_t *t, char *peek, size_t peek_cap)
{
    ssize_t got;
    while ((errno = 0, got = getline(&t->line, &t->line_cap, t->in)) >= 0) {
        const char *p = t->line;
        size_t len = (size_t)got;
        if (len > 0 && p[len - 1] == '\n')
            len--;
        if (len > 0 && p[len - 1] == '\r')
            len--;
        if (t->lineno == 0 && len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
            p += 3, len -= 3;
        while (len > 0 && (*p == ' ' || *p == '\t'))
            p++, len--;
        if (len == 0) { /* blank: the readers skip it too */
            t->lineno++;
            continue;
        }
        t->unread = got;
        lift_safe_textn(p, len < 60 ? len : 60, peek, peek_cap);
        if (is_csv_header(p, len))
            return FMT_CSV; /* first: a header may start with a quote */
        return *p == '{' || *p == '[' || *p == '"' ? FMT_JSONL : FMT_NONE;
    }
    return FMT_JSONL;
}

int cmd_track(const liftctl_opts_t *opts, int argc, char **argv)
{
    liftctl_opts_t o = *opts;
    track_t t = {0};
    liftctl_out_t rejects_out = {0};
    const char *fmt = NULL;
    int64_t batch = TRACK_BATCH_DEFAULT;
    int rc;
    t.path = NULL;
    for (int i = 1; i < argc; i++) {
        const char *v, *a = argv[i];
        int r;
        if (liftctl_is_help(a)) {
            usage(stdout);
            return LIFTCTL_OK;
        }
        if ((r = liftctl_global_flag(&o, argc, argv, &i)) != 0) {
            if (r < 0)
                return LIFTCTL_USAGE;
        } else if ((r = liftctl_flag(argc, argv, &i, "--format", &v)) != 0) {
            if (r < 0)
                return LIFTCTL_USAGE;
            if (strcmp(v, "jsonl") != 0 && strcmp(v, "csv") != 0)
                return liftctl_usage_error(CMD, "--format: unknown format '%s' (jsonl or csv)", v);
            fmt = v;
        } else if ((r = liftctl_flag(argc, argv, &i, "--batch", &v)) != 0) {
            if (r < 0 || liftctl_parse_int64("--batch", v, 1, LIFT_BATCH_MAX, &batch) != 0)
                return LIFTCTL_USAGE;
        } else if ((r = liftctl_flag(argc, argv, &i, "--rejects", &v)) != 0) {
            if (r < 0)
                return LIFTCTL_USAGE;
            t.rejects_path = v;
        } else if (a[0] == '-' && a[1] != '\0') {
            return liftctl_usage_error(CMD, "track: unknown flag '%s'", a);
        } else if (t.path == NULL) {
            t.path = a;
        } else {
            return liftctl_usage_error(CMD, "track: unexpected argument '%s' (one FILE)", a);
        }
    }
    if (t.path == NULL)
        return liftctl_usage_error(CMD, "track: missing FILE (or - for stdin)");
    int is_stdin = strcmp(t.path, "-") == 0;
    t.format = fmt        ? (strcmp(fmt, "csv") == 0 ? FMT_CSV : FMT_JSONL)
               : is_stdin ? FMT_NONE
                          : format_of(t.path);
    if (t.format == FMT_NONE && !is_stdin)
        return liftctl_usage_error(CMD,
                                   "track: cannot tell the format of '%s' from its extension "
                                   "(.jsonl .ndjson .json .csv): give --format jsonl|csv",
                                   t.path);
    t.batch = (size_t)batch;
    t.unread = -1;
    t.in = is_stdin ? stdin : fopen(t.path, "r");
    if (t.in == NULL) {
        fprintf(stderr, "liftctl: %s: %s\n", t.path, strerror(errno));
        return LIFTCTL_USAGE;
    }
    if (fmt == NULL) { /* no --format: the first line must agree with (or tell) the format */
        char peek[LIFT_SAFE_CAP(60)] = "";
        format_t seen = sniff(&t, peek, sizeof peek);
        const char *name = is_stdin ? "stdin" : t.path;
        if (t.format == FMT_NONE && seen != FMT_NONE) {
            t.format = seen;
        } else if (t.format == FMT_NONE) {
            rc = liftctl_usage_error(
                CMD,
                "track: %s: cannot tell the format: the first line ('%s') is neither JSON nor a "
                "CSV header of known columns (" KNOWN_FIELDS
                "); give --format jsonl or --format csv",
                name, peek);
            goto done;
        } else if (t.format == FMT_JSONL && seen == FMT_CSV) {
            rc = liftctl_usage_error(CMD,
                                     "track: %s: its name says JSON lines, but the first line "
                                     "('%s') is a CSV header: give --format csv",
                                     name, peek);
            goto done;
        }
    }
    struct stat sb;
    if (fstat(fileno(t.in), &sb) == 0 && S_ISREG(sb.st_mode))
        t.size = sb.st_size;
    if (t.rejects_path) { /* the -o rules: no symlink or device replaced by surprise */
        if (liftctl_out_open(&rejects_out, "--rejects", t.rejects_path, 0) < 0) {
            rc = LIFTCTL_USAGE;
            goto done;
        }
        t.rejects = rejects_out.f;
    }
    t.events = malloc(t.batch * sizeof *t.events);
    t.event_row = malloc(t.batch * sizeof *t.event_row);
    if (t.events == NULL || t.event_row == NULL) {
        fprintf(stderr, "liftctl: out of memory\n");
        rc = LIFTCTL_ERR;
        goto done;
    }
    if ((t.client = liftctl_connect(&o)) == NULL) {
        rc = LIFTCTL_USAGE;
        goto done;
    }
    t.tty = isatty(STDERR_FILENO);
    t.t0 = mono_now();
    rc = t.format == FMT_CSV ? run_csv(&t) : run_jsonl(&t);
    if (rc == 0 && t.n_rows > 0)
        rc = flush(&t);
    if (rc != 0)
        note_stop(&t, t.lineno, "STOPPED", "stopped"); /* every stop says why: a guard */
    progress_clear(&t);
    summary(&t, o.json); /* also after a stop: what was acknowledged until then */
    if (t.malformed + t.refused > 0)
        rc = LIFTCTL_ERR;
done:
    for (size_t k = 0; k < t.n_rows; k++)
        row_free(&t.rows[k]);
    free(t.rows);
    free(t.events);
    free(t.event_row);
    free(t.line);
    lift_client_destroy(&t.client);
    /* kept also after a stop: the rows rejected until then are what the user fixes next */
    if (t.rejects && liftctl_out_close(&rejects_out, 1) != 0 && rc == 0)
        rc = LIFTCTL_ERR;
    if (t.in && t.in != stdin)
        fclose(t.in);
    return rc;
}
