/*
 * seinhuis.h - the types every part of Seinhuis shares.
 *
 * Seinhuis is built as one static library (libseinhuis) holding the codec,
 * crypto, key and card handling, store, configuration and logging, and
 * three programs linked against it: seinhuisd (the daemon), seinctl (the
 * control tool) and seinkey (the key tool). This header is the map of that
 * library; each .c file keeps its helpers static and opens with a comment
 * that explains its part of the design.
 *
 * Errors are values: every function that can fail returns an sh_err, and
 * sh_err_rule()/sh_err_str() turn it into the rule code and the sentence a
 * person reads. Error texts never carry personal data; where a value was
 * wrong, they name the field, not the value.
 */
#ifndef SEINHUIS_H
#define SEINHUIS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <string.h>

#include "seinhuis.pb-c.h"

#define SH_VERSION        "0.1.0"
#define SH_FORMAT_VERSION 1
/* PeerFrame.format_version of a batch-signed frame: a daemon that knows
 * only version 1 refuses it whole (WIRE_VERSION) and the sender keeps its
 * signals pending, rather than have each refused for its signature. */
#define SH_FRAME_BATCH_VERSION 2
#define SH_ID_LEN              16 /* message id: ms time (48 bits), 80 random bits */
#define SH_KEY_LEN             32 /* every public, secret and derived key */
#define SH_SIG_LEN             64 /* Ed25519 signature */
#define SH_PARTNER_MAX         64 /* partner id length */
#define SH_PSEUDO_LEN          32 /* subject pseudonym */
#define SH_OTHER_PERSONS_MAX   7  /* person2 to person8 */

/* A signal created further ahead of the recipient's clock than this is
 * refused (STALE): a replayed or forged time, or clocks that differ. */
#define SH_AHEAD_MAX_MS 300000

/* ------------------------------------------------------------- errors */

typedef enum {
	SH_OK = 0,
	SH_ERR_SYS, /* operating-system call failed (errno kept) */
	SH_ERR_NOMEM,
	SH_ERR_USAGE,   /* bad command-line use */
	SH_ERR_CONFIG,  /* configuration file line is wrong */
	SH_ERR_KEYFILE, /* key file missing, malformed or too open */
	SH_ERR_CARD,    /* partner card malformed */
	SH_ERR_EXISTS,  /* refusing to overwrite */
	SH_ERR_NOTFOUND,
	SH_ERR_CRYPTO,        /* a cryptographic primitive failed */
	SH_ERR_STORE,         /* LMDB failed */
	SH_ERR_STORE_FULL,    /* LMDB map is full: storage full */
	SH_ERR_STORE_CORRUPT, /* a stored record does not decode */
	SH_ERR_WIRE_DECODE,   /* bytes are not a valid message */
	SH_ERR_WIRE_VERSION,  /* format version not understood */
	SH_ERR_WIRE_SIZE,     /* message larger than allowed */
	SH_ERR_SIGNATURE,     /* signature does not verify */
	SH_ERR_SENDER,    /* envelope sender is not the authenticated peer */
	SH_ERR_RECIPIENT, /* envelope is for another partner */
	SH_ERR_UNTRUSTED, /* partner not in the trust store */
	SH_ERR_FIELD_UNKNOWN, /* field name not known for this signal type */
	SH_ERR_FIELD_VALUE,   /* field value has the wrong form */
	SH_ERR_FIELD_MISSING, /* required field absent */
	SH_ERR_TYPE,          /* unknown signal type */
	SH_ERR_SEAL,          /* sealed content cannot be opened */
	SH_ERR_DUPLICATE,     /* message id seen before */
	SH_ERR_CONTROL,       /* control request malformed */
	SH_ERR_DENIED,        /* caller may not do this */
	SH_ERR_TIMEOUT,
	SH_ERR_CONNECT,        /* cannot reach the daemon */
	SH_ERR_CATALOGUE,      /* the signal catalogue file is not valid */
	SH_ERR_FIELD_FORMAT,   /* value does not have the field's form */
	SH_ERR_FIELD_RANGE,    /* number or length outside the allowed range */
	SH_ERR_FIELD_ENUM,     /* value not one of the allowed words */
	SH_ERR_FIELD_FUTURE,   /* date lies in the future */
	SH_ERR_FIELD_ROLE,     /* field not allowed from this sender's role */
	SH_ERR_SENDER_ROLE,    /* sender's role may not send this type */
	SH_ERR_RECIPIENT_ROLE, /* recipient's role may not receive this type */
	SH_ERR_LEGAL_BASIS,    /* legal basis not allowed for this type */
	SH_ERR_CONDITION, /* a conditional rule of the catalogue is broken */
	SH_ERR_CONSENT,   /* no valid consent for this signal */
	SH_ERR_CONSENT_REVOKED, /* the consent was withdrawn */
	SH_ERR_ROUTE,        /* no municipality or partner for the postcode */
	SH_ERR_RATE_LIMIT,   /* a partner sends more than peer_rate allows */
	SH_ERR_STALE,        /* created outside the accepted time window */
	SH_ERR_CASE_CLAIMED, /* the case is claimed by another caseworker */
	SH_ERR_CASE_OWNER,   /* only the case's owner may do this */
	SH_ERR_CASE_STEP,    /* not an outreach step, or no feedback meaning */
	SH_ERR_FEEDBACK,     /* the catalogue does not allow this feedback */
	SH_ERR_KEY_EXPIRED,  /* a partner's previous key after the overlap */
	SH_ERR_PERSONAL,     /* personal data where it is kept unsealed */
	SH_ERR__COUNT
} sh_err;

const char *sh_err_rule(sh_err e); /* short stable code: "STORE_FULL" */
/* A rule code a partner gave (in a receipt): the same if it is one of
 * ours, else "UNKNOWN" (a partner's text is not recorded as a rule). */
const char *sh_err_known_rule(const char *rule);
/* The sh_err whose rule code is rule; SH_ERR__COUNT if none is (nor for
 * "OK"). */
sh_err sh_err_of_rule(const char *rule);
const char *sh_err_str(sh_err e); /* one sentence for people */

/* ---------------------------------------------------------------- log */

enum { SH_LOG_ERROR, SH_LOG_WARN, SH_LOG_INFO, SH_LOG_DEBUG };

void sh_log_init(const char *ident, int level, int to_syslog);
void sh_log(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
#define sh_error(...) sh_log(SH_LOG_ERROR, __VA_ARGS__)
#define sh_warn(...)  sh_log(SH_LOG_WARN, __VA_ARGS__)
#define sh_info(...)  sh_log(SH_LOG_INFO, __VA_ARGS__)
#define sh_debug(...) sh_log(SH_LOG_DEBUG, __VA_ARGS__)
int sh_log_level_parse(const char *s);

/* --------------------------------------------------------------- util */

int64_t sh_now_ms(void);
/* Unix ms as "2026-12-05T06:00:00Z" (UTC), for logs and audit details. */
void sh_fmt_utc(char *out, size_t n, int64_t ms);

/* The Dutch calendar (Europe/Amsterdam), worked out by hand whatever the
 * machine's time zone, and without the C library's time zone (which a
 * threaded daemon cannot switch): CET (UTC+1), and CEST (UTC+2) from the
 * last Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC.
 * Every date and time of day that seinctl or the daemon shows, reads or
 * judges is Dutch (util.c). */
struct tm;
/* The Dutch calendar date of a time in ms since the epoch, YYYY-MM-DD. */
void sh_date_nl(int64_t ms, char out[11]);
/* The Dutch local time of ms, as localtime_r would give it in the zone
 * Europe/Amsterdam (tm_year to tm_sec, tm_wday, tm_yday, tm_isdst,
 * tm_gmtoff, tm_zone), for strftime. */
void sh_time_nl(int64_t ms, struct tm *tm);
/* "2026-12-05 07:00:00", the Dutch local time of ms; "-" for 0 or less. */
void sh_fmt_nl(char *out, size_t n, int64_t ms);
/* ms since the epoch of a Dutch wall-clock time (month 1..12, each field
 * in its range). A time the clock shows twice (the last Sunday of
 * October, 2:00 to 3:00) is the first, in summer time; one it skips (the
 * last Sunday of March, 2:00 to 3:00) is read as winter time, so an hour
 * later on the clock. */
int64_t sh_nl_to_ms(int64_t y, int m, int d, int hh, int mi, int ss);
/* The public holiday that is a day off on that date (month 1..12), by
 * name, or NULL: New Year's Day, Easter Monday, King's Day (27 April, 26
 * April when the 27th is a Sunday; before 2014 Queen's Day, 30 April, 29
 * when the 30th is a Sunday), Liberation Day (5 May) in the years it is a
 * general day off (every fifth: 2025, 2030, ...), Ascension Day, Whit
 * Monday, Christmas Day and Boxing Day; Easter by the Gregorian computus.
 * Good Friday is not a general day off, nor is Liberation Day in the
 * other years: they count as working days. */
const char *sh_holiday_nl(int64_t y, int m, int d);
/* ms plus n calendar days, or plus n working days (Monday to Friday, not
 * a sh_holiday_nl), at the same Dutch time of day (across a change to or
 * from summer time too). */
int64_t sh_plus_days_nl(int64_t ms, int n, int working);
/* "N KiB free in the file system of DIR" into out, for messages about a
 * store that cannot write (LMDB reports a write cut short by a full disk
 * as an input/output error, not as no space); 1 if that is under 16 MiB
 * (full, for a store that writes megabytes at a checkpoint), 0 if not,
 * -1 (out empty) if it cannot be told. */
int sh_fs_free_note(char *out, size_t n, const char *dir);
int64_t sh_mono_ms(void);
int64_t sh_mono_us(void);
void sh_hex(char *out, const uint8_t *in, size_t n);  /* out: 2n+1 */
int sh_unhex(uint8_t *out, size_t n, const char *in); /* 0 on success */
/* Z85 (ZeroMQ RFC 32) of n bytes, n a multiple of 4: out holds 5n/4+1 */
void sh_z85_encode(char *out, const uint8_t *in, size_t n);
/* n bytes from exactly 5n/4 Z85 characters; 0 on success, -1 if not Z85 */
int sh_z85_decode(uint8_t *out, size_t n, const char *in);
int sh_partner_id_valid(const char *s);
const char *sh_role_valid(const char *s); /* canonical role or NULL */
/* Read a whole file (at most max bytes); caller frees *out. */
sh_err sh_read_file(const char *path, size_t max, char **out, size_t *len);
/* No core dumps of this process (RLIMIT_CORE 0, not dumpable): called
 * first by programs that hold secret keys. 0, or -1 (errno) on a failure. */
int sh_no_core_dumps(void);
/* Open path for reading only if it is a regular file, without blocking on
 * a FIFO (symbolic links followed); *st is the opened file's fstat. -1 if
 * it cannot be opened (errno), -2 if it is not a regular file (st_mode
 * says what it is: sh_file_type_name). */
int sh_open_regular(const char *path, struct stat *st);
/* sh_read_file for the daemon's own settings files (configuration,
 * catalogue, postcode table), which must be regular files: a FIFO there
 * would hang the start. On failure *why_out (when not NULL) gets a short
 * reason for a message: "no such file", "a FIFO, not a regular file",
 * "larger than <max_text>", or strerror. */
sh_err sh_read_setting(const char *path, size_t max, const char *max_text,
                       char **out, size_t *len, const char **why_out);
/* Read all of fd, at most max bytes, as sh_read_file does; closes fd. */
sh_err sh_read_fd(int fd, size_t max, char **out, size_t *len);
/* sh_read_file for a file that must be a regular one (a key, a card):
 * SH_ERR_KEYFILE if it is not. */
sh_err sh_read_regular(const char *path, size_t max, char **out, size_t *len);
/* "a FIFO", "a directory", ... for a file that is not a regular one. */
const char *sh_file_type_name(mode_t m);
/* fsync a directory, so that a rename or creation in it is on disk. */
sh_err sh_fsync_dir(const char *dir);
/* Create a file exclusively with the given mode and write data to it. */
sh_err sh_write_new(const char *path, int mode, const void *data, size_t len);
/* Write atomically (temp file path.tmp.PID at mode, fsynced, renamed,
 * directory fsynced), replacing an existing file. Stale temp files of
 * writers that no longer run are removed first. */
sh_err sh_write_replace(const char *path, int mode, const void *data,
                        size_t len);
sh_err sh_mkdir_p(const char *path, int mode);
char *sh_strdup(const char *s);
void *sh_xmalloc(size_t n);
void *sh_xcalloc(size_t n, size_t m);
char *sh_trim(char *s);
int sh_split_words(char *s, char **w, int max);
/* Copy src into dst of size n (n > 0), cut to fit, always terminated:
 * snprintf(dst, n, "%s", src) without the cost of formatting. */
void sh_copy_str(char *dst, size_t n, const char *src);
/* A case step's statistics details as words, for the audit entry and
 * `case show`: "by phone, not reached, in the morning, crisis, warm
 * hand-over"; "" if it has none. Only checked words go into it. */
void sh_step_words(char *out, size_t n, const Seinhuis__CaseStep *s);
/* strcmp(a, b) == 0, the first bytes compared inline first (field names
 * are looked up many times a signal and most differ at once). */
static inline int sh_same_name(const char *a, const char *b)
{
	return a[0] == b[0] && strcmp(a, b) == 0;
}
/* The first vl bytes of v as the sender's natural key and content digest
 * compare them, into out (at most max bytes; their number returned): no
 * spaces, ASCII letters in lower case, and with house set, of the other
 * ASCII bytes only letters and digits (a house number and its addition);
 * bytes from 0x80 on as they are. */
size_t sh_key_fold(char *out, size_t max, const char *v, size_t vl, int house);
/* protobuf_c_message_descriptor_get_field_by_name, remembered per thread:
 * field names are looked up some hundred times a signal. */
const ProtobufCFieldDescriptor *sh_pb_field(const ProtobufCMessageDescriptor *d,
                                            const char *name);
/* Varints of protobuf's wire format, for the few places that read or
 * write it by hand (a receipt's settlement in store.c, a plain SEND in
 * ctlclient.c, an envelope as built in wire.c, audit entries in audit.c,
 * the NUL check of received text in wire.c):
 * sh_pb_varint_get reads one of at most maxbytes bytes (10 for any 64-bit
 * value) at p[*off], below n, and moves *off past it; -1 if it is cut
 * short or longer. sh_pb_varint_put writes v at out (NULL: only counts)
 * and returns the bytes it takes. (Inline: they run dozens of times a
 * signal.) */
static inline int sh_pb_varint_get(const uint8_t *p, size_t n, size_t *off,
                                   unsigned maxbytes, uint64_t *v)
{
	uint64_t x = 0;
	for (unsigned i = 0; i < maxbytes && i < 10 && *off < n; i++) {
		uint8_t b = p[(*off)++];
		x |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -1;
}
static inline size_t sh_pb_varint_put(uint8_t *out, uint64_t v)
{
	size_t n = 0;
	for (; v >= 0x80; v >>= 7, n++)
		if (out)
			out[n] = (uint8_t)(v | 0x80);
	if (out)
		out[n] = (uint8_t)v;
	return n + 1;
}
/* One field of protobuf's wire format at p[*off], below n: its number and
 * wire type, the varint's value (type 0) or the length of its bytes (type
 * 2, which start at *data), and *off moved past it. -1 if it is cut short
 * or no field (a group, field number 0 or past 2^29 - 1). */
static inline int sh_pb_field_next(const uint8_t *p, size_t n, size_t *off,
                                   uint32_t *num, unsigned *wt, uint64_t *v,
                                   size_t *data)
{
	uint64_t tag;
	*v = 0;
	*data = 0;
	if (sh_pb_varint_get(p, n, off, 10, &tag) < 0 || tag >> 3 == 0 ||
	    tag >> 3 > 0x1fffffff)
		return -1;
	*num = (uint32_t)(tag >> 3);
	*wt = (unsigned)(tag & 7);
	switch (*wt) {
	case 0: return sh_pb_varint_get(p, n, off, 10, v);
	case 1:
		if (n - *off < 8)
			return -1;
		*off += 8;
		return 0;
	case 2:
		if (sh_pb_varint_get(p, n, off, 10, v) < 0 || n - *off < *v)
			return -1;
		*data = *off;
		*off += (size_t)*v;
		return 0;
	case 5:
		if (n - *off < 4)
			return -1;
		*off += 4;
		return 0;
	default: return -1;
	}
}
/* Growable byte buffer. */
typedef struct {
	uint8_t *data;
	size_t len, cap;
} sh_buf;
void sh_buf_add(sh_buf *b, const void *p, size_t n);
void sh_buf_printf(sh_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void sh_buf_free(sh_buf *b);
/* Bump allocator (arena.c) for the short-lived decodes of one received
 * signal or frame; also a ProtobufCAllocator (pc). sh_arena_reset wipes
 * all that was handed out (it holds opened personal data) and lets it go
 * at once; freeing one block is a no-op. Large blocks, and what does not
 * fit the chunk, come from malloc and are wiped and freed on reset. */
typedef struct {
	ProtobufCAllocator pc; /* allocator_data: this arena */
	uint8_t *chunk;
	size_t cap, used;
	size_t want;    /* size of the next chunk */
	size_t spilled; /* bytes that did not fit the chunk since the reset */
	struct sh_arena_big *big;
} sh_arena;
void sh_arena_init(sh_arena *a, size_t cap);
void *sh_arena_alloc(sh_arena *a, size_t n);
char *sh_arena_strdup(sh_arena *a, const char *s);
void sh_arena_reset(sh_arena *a);
void sh_arena_free(sh_arena *a); /* reset, and the chunk too */
const char *sh_signal_type_name(Seinhuis__SignalType t);
/* Whether a decoded signal is an acute meldcode report (urgency acute:
 * Veilig Thuis acts the same day), as the inbox record notes it. */
Seinhuis__AcuteMark sh_signal_acute(const Seinhuis__Signal *s);
Seinhuis__SignalType sh_signal_type_parse(const char *s);

/* ------------------------------------------------------------- crypto */

sh_err sh_random(void *buf, size_t n);
/* A fresh message id: creation time in ms (6 bytes, big-endian), then 10
 * random bytes from the same generator, drawn a block at a time (the block
 * is wiped as it is used); for the sending thread only. */
sh_err sh_random_id(uint8_t id[SH_ID_LEN]);
void sh_sha256(uint8_t out[32], const void *data, size_t n);
/* SHA-256 of a followed by b, without copying them together. */
void sh_sha256_2(uint8_t out[32], const void *a, size_t an, const void *b,
                 size_t bn);
/* HMAC-SHA256. The calling thread keeps the padded-key states of the last
 * few keys it used (secret: wiped by sh_crypto_forget). */
void sh_hmac_sha256(uint8_t out[32], const uint8_t *key, size_t klen,
                    const void *data, size_t n);
/* sh_hmac_sha256 for an input that repeats (the same key and bytes
 * signal after signal): the calling thread keeps its last result, with
 * the key and input (of up to 64 and 512 bytes), and answers a repeat
 * from it (secret: wiped by sh_crypto_forget). */
void sh_hmac_sha256_kept(uint8_t out[32], const uint8_t *key, size_t klen,
                         const void *data, size_t n);
/* Wipes the calling thread's kept HMAC key states and results. */
void sh_crypto_forget(void);
/* The same now for the calling thread, and for every other thread before
 * its next HMAC (a partner's keys gone from the trust store). */
void sh_crypto_forget_everywhere(void);
sh_err sh_hkdf(uint8_t *out, size_t outlen, const uint8_t *ikm, size_t ikmlen,
               const char *salt, const char *info);
/* Ed25519 */
sh_err sh_ed25519_keygen(uint8_t pub[32], uint8_t sec[32]);
sh_err sh_ed25519_sign(uint8_t sig[64], const uint8_t sec[32], const void *msg,
                       size_t n);
int sh_ed25519_verify(const uint8_t sig[64], const uint8_t pub[32],
                      const void *msg, size_t n); /* 1 valid */
/* 1 if pub is a point of Ed25519's prime-order group; 0 for a point of
 * small order (the identity, all zeros, ...), or one off that group. */
int sh_ed25519_pub_usable(const uint8_t pub[32]);
/* X25519 */
sh_err sh_x25519_keygen(uint8_t pub[32], uint8_t sec[32]);
sh_err sh_x25519(uint8_t shared[32], const uint8_t sec[32],
                 const uint8_t peer_pub[32]);
/* 1 if an X25519 agreement with pub gives a key; 0 for a point of small
 * order (all zeros, say), with which every agreement gives zeros. */
int sh_x25519_pub_usable(const uint8_t pub[32]);
/* The X25519 public key of sec */
sh_err sh_x25519_public(uint8_t pub[32], const uint8_t sec[32]);
/* A new CURVE key pair, each half as 40 Z85 characters (as ZeroMQ's
 * zmq_curve_keypair); the public half of a Z85 secret key (SH_ERR_CRYPTO
 * if sec_z85 is not 40 Z85 characters). */
sh_err sh_curve_keypair(char pub_z85[41], char sec_z85[41]);
sh_err sh_curve_public(char pub_z85[41], const char *sec_z85);
/* AEAD (ChaCha20-Poly1305); sealed = nonce(12) || ciphertext || tag(16). */
#define SH_SEAL_OVERHEAD 28
sh_err sh_seal(uint8_t *out, const uint8_t key[32], const uint8_t *ad,
               size_t adlen, const uint8_t *pt, size_t ptlen);
/* The same with the caller's nonce, which must never repeat under a key
 * (wire.c uses the signal's fresh random message id). */
sh_err sh_seal_nonce(uint8_t *out, const uint8_t key[32],
                     const uint8_t nonce[12], const uint8_t *ad, size_t adlen,
                     const uint8_t *pt, size_t ptlen);
sh_err sh_open(uint8_t *out, const uint8_t key[32], const uint8_t *ad,
               size_t adlen, const uint8_t *sealed, size_t sealedlen);
void sh_wipe(void *p, size_t n);

/* --------------------------------------------------------- cards, keys */

/* The public partner card that partners exchange. */
typedef struct {
	char partner[SH_PARTNER_MAX + 1];
	char name[128];
	char role[32];
	char endpoint[256];
	char curve_z85[41];
	uint8_t curve_pub[SH_KEY_LEN];
	uint8_t sign_pub[SH_KEY_LEN];
	uint8_t seal_pub[SH_KEY_LEN];
	char municipalities[512]; /* comma list of CBS codes; may be empty */
	/* Key rotation (seinkey rotate): the CURVE and signing keys of the
	 * card this one continues, accepted until prev_until (Unix seconds),
	 * and the previous signing key's signature over this card. All four
	 * card lines, or none (has_prev 0). */
	int has_prev;
	char prev_curve_z85[41];
	uint8_t prev_curve[SH_KEY_LEN];
	uint8_t prev_sign[SH_KEY_LEN];
	int64_t prev_until;
	uint8_t prev_sig[SH_SIG_LEN];
} sh_card;

/* Public keys that pass the card parser's key checks (the base points of
 * X25519 and Ed25519), for checking a card's other fields through
 * sh_card_parse before its real keys exist (seinkey init). */
#define SH_CARD_PLACEHOLDER_KEYS                                               \
	"curve = 2(<@900000000000000000000000000000000000\n"                   \
	"sign = "                                                              \
	"58666666666666666666666666666666666666666666666666666666666666"       \
	"66\n"                                                                 \
	"seal = "                                                              \
	"0900000000000000000000000000000000000000000000000000000000000000\n"
sh_err sh_card_parse(sh_card *c, const char *text, size_t len, char *why,
                     size_t whylen);
sh_err sh_card_load(sh_card *c, const char *path, char *why, size_t whylen);
/* Change one of the details a card gives besides its keys: endpoint,
 * name or municipalities ("" for none), checked as a card file's line is;
 * the card is left as it was on an error. */
sh_err sh_card_set(sh_card *c, const char *key, const char *value, char *why,
                   size_t whylen);
void sh_card_format(const sh_card *c, sh_buf *out);
/* Sign a rotated card with the previous signing key (has_prev set, the
 * previous keys and prev_until filled in). */
sh_err sh_card_sign_previous(sh_card *c, const uint8_t prev_sign_sec[32]);
/* Which of a partner's keys are acceptable now (now in Unix seconds): the
 * card's own key, its previous key until the overlap ends, and after that
 * the previous key is expired (refused as KEY_EXPIRED). */
typedef enum {
	SH_KEY_UNKNOWN,  /* neither the card's key nor its previous one */
	SH_KEY_CURRENT,  /* the card's key */
	SH_KEY_PREVIOUS, /* the previous key, within the overlap */
	SH_KEY_EXPIRED   /* the previous key, after the overlap */
} sh_key_state;
enum { SH_KEY_CURVE, SH_KEY_SIGN };
sh_key_state sh_card_key_state(const sh_card *c, int which,
                               const uint8_t key[SH_KEY_LEN], int64_t now_s);
/* The card as it was before the rotation (the previous CURVE and signing
 * keys in place of the current ones), for checking what the partner
 * signed with its previous key; the state of that key now, SH_KEY_UNKNOWN
 * when the card continues none. */
sh_key_state sh_card_previous(const sh_card *c, int64_t now_s, sh_card *out);
/* Short fingerprint of a CURVE public key, for logs: 16 hex chars. */
void sh_key_fingerprint(char out[17], const uint8_t key[32]);
/* The card fingerprint, 16 hex chars: of its CURVE, signing and sealing
 * keys together, which partners compare before they trust a card. */
void sh_card_fingerprint(char out[17], const sh_card *c);

/* A partner's own identity: its card and its secret keys. */
typedef struct {
	sh_card card;
	char curve_sec_z85[41];
	uint8_t sign_sec[SH_KEY_LEN];
	uint8_t seal_sec[SH_KEY_LEN];
} sh_identity;

sh_err sh_identity_create(const char *dir, const sh_card *pub_fields, char *why,
                          size_t whylen);
sh_err sh_identity_load(sh_identity *id, const char *dir, char *why,
                        size_t whylen);
void sh_identity_wipe(sh_identity *id);

/* Key rotation: move the CURVE and signing keys to KEYDIR/previous/ (kept
 * until the Unix time `until`), make new ones and a card that continues
 * the old one (signed by the old signing key). Refused while an earlier
 * rotation's overlap lasts. The new card goes to *out. A rotation cut
 * short is undone first, or, if it had been decided (its new keys
 * complete), finished instead of making another: *resumed (if not NULL)
 * is then 1 and *out that rotation's card (identity.c). */
sh_err sh_identity_rotate(const char *dir, int64_t until, sh_card *out,
                          int *resumed, char *why, size_t whylen);
/* The length limit of a key directory's path (with its '\0'), as for
 * seinhuisd.conf's keydir. */
#define SH_KEYDIR_MAX 512
/* A key directory (or a subdirectory of one) that is safe to use: a
 * directory of the effective user's or root's, not writable by group or
 * others. why names the rule broken. */
sh_err sh_keydir_check(const char *dir, char *why, size_t whylen);
/* What sh_owner_mode_check holds a file to. */
typedef enum {
	SH_OWNED_KEYDIR,   /* the user's or root's, no write for group/others */
	SH_OWNED_SECRET,   /* the user's, no access for group or others */
	SH_OWNED_TRUSTDIR, /* as a key directory */
	SH_OWNED_CARD      /* a card in the trust store: as a key directory */
} sh_owned;
/* The owner and mode rule of kind for path (st: its stat); why names the
 * rule broken and the chmod that mends a mode (identity.c). */
sh_err sh_owner_mode_check(const char *path, const struct stat *st,
                           sh_owned kind, char *why, size_t whylen);
/* KEYDIR/earlier/: every card a rotation replaced, kept for good (public;
 * named by the signing key's fingerprint), so that heads of the audit log
 * signed with those keys still verify after later rotations. */
#define SH_EARLIER_CARDS "earlier"
/* 1 and the overlap's end (and the previous card, if card) when KEYDIR
 * holds the keys of a rotation; 0 when not. */
int sh_identity_previous(const char *dir, int64_t *until, sh_card *card);
/* Remove KEYDIR/previous/ once its overlap has ended: 1 if removed, 0 if
 * there is nothing to remove (yet), -1 if it could not be removed (errno
 * of the first failure: a read-only KEYDIR, say). */
int sh_identity_prune_previous(const char *dir, int64_t now_s);
/* Give KEYDIR/card another endpoint, name or municipalities (NULL:
 * unchanged; municipalities "": none), keeping its keys: what a partner
 * needs when its daemon moves to another address. The old card goes to
 * *old_out, the new one to *out. A card that continues a rotation whose
 * overlap lasts is signed again with the previous signing key (in
 * KEYDIR/previous); once the overlap is over, the card no longer names
 * the previous keys. Nothing is written if a detail breaks a card rule
 * (SH_ERR_USAGE, naming the option). */
sh_err sh_identity_card_update(const char *dir, const char *endpoint,
                               const char *name, const char *munis,
                               sh_card *old_out, sh_card *out, char *why,
                               size_t whylen);

/* Trust store: a directory of partner cards, one file per partner. */
#define SH_TRUST_WARN_LEN 400
typedef struct {
	sh_card *cards;
	size_t n;
	char (*files)[256]; /* the file each card was read from, in dir */
	/* What the loader set aside without refusing the store, one line
	 * each naming the file and the rule: this partner's own card, a
	 * rotation's overlap longer than trust allows (the previous keys
	 * dropped), two cards of one role serving one municipality. */
	char (*warn)[SH_TRUST_WARN_LEN];
	size_t nwarn;
} sh_trust;

/* Load every *.card in dir. A card that does not parse, or two cards with
 * one partner id or CURVE key, refuse the store (why). Previous keys kept
 * longer than sh_card_overlap_ok allows are dropped, the card's current
 * keys kept, with a warning (t->warn). */
sh_err sh_trust_load(sh_trust *t, const char *dir, char *why, size_t whylen);
/* The same, for the partner whose own card is own (NULL: not known): a
 * card with its partner id or one of its keys is left out, with a
 * warning. */
sh_err sh_trust_load_as(sh_trust *t, const char *dir, const sh_card *own,
                        char *why, size_t whylen);
/* 1 if c has own's partner id or one of its public keys (why says which
 * and that a partner does not trust itself), 0 if not. */
int sh_card_is_own(const sh_card *c, const sh_card *own, char *why,
                   size_t whylen);
/* What a running daemon compares to see that the trust store changed: the
 * directory's mtime and each *.card's name, inode, size, mtime and ctime
 * (a card copied over an existing one in place leaves the directory as it
 * was). *recent is set when a card changed less than 2 s ago, so that
 * a change within the file system's time granularity, or a card still
 * being written, is looked at again. */
uint64_t sh_trust_signature(const char *dir, int *recent);
/* The trust store dir and each regular *.card in it against the owner and
 * mode rule (sh_owner_mode_check: root's or this user's, not writable by
 * group or others): SH_OK, or why names the first file and rule broken.
 * A store that cannot be opened is left to the load to report. */
sh_err sh_trust_owner_check(const char *dir, char *why, size_t whylen);
void sh_trust_free(sh_trust *t);
const sh_card *sh_trust_find(const sh_trust *t, const char *partner);
const sh_card *sh_trust_find_curve(const sh_trust *t, const uint8_t key[32]);
/* The card whose current or previous CURVE key this is, and which of the
 * two and whether it is still accepted (*st); NULL if none. */
const sh_card *sh_trust_find_curve_at(const sh_trust *t, const uint8_t key[32],
                                      int64_t now_s, sh_key_state *st);
/* The longest overlap seinkey rotate gives a rotated card's previous keys. */
#define SH_OVERLAP_MAX_S (366LL * 86400)
/* 1 unless c's previous keys stay accepted longer than SH_OVERLAP_MAX_S
 * (and a day) from now_s: a card made by hand that trust refuses. */
int sh_card_overlap_ok(const sh_card *c, int64_t now_s);
sh_err sh_trust_add(const char *dir, const char *card_path, char *why,
                    size_t whylen);
/* Remove a partner's card; a running daemon drops it within seconds.
 * Each card removed is kept first in dir/earlier/ (sh_trust_keep_revoked)
 * so that the partner's stored signals still verify; one that cannot be
 * kept is removed all the same (a revocation is not held up): then the
 * call succeeds with why saying what was not kept ("" otherwise). */
sh_err sh_trust_remove(const char *dir, const char *partner, char *why,
                       size_t whylen);

/* A partner's signing keys as this trust store has known them (keyhist.c):
 * the one on its card, the previous one the card continues, and those of
 * the cards seinkey trust replaced, kept in TRUSTDIR/earlier/, so that a
 * stored signal verifies under the key that signed it after rotations. */
#define SH_KEYHIST_MAX 32
typedef struct {
	uint8_t key[SH_KEY_LEN];
	int current;          /* the signing key on the partner's card now */
	int64_t superseded_s; /* when this store replaced the card whose
	                         signing key it was (0: not known) */
	int64_t until_s;      /* a card that continued it accepted it until then
	                         (0: none known) */
	int64_t revoked_s;    /* when seinkey revoke removed the card whose
	                         signing key it was (0: not known) */
} sh_sign_key;
typedef struct {
	sh_sign_key k[SH_KEYHIST_MAX];
	size_t n;
	char why[400]; /* what of earlier/ was left out, "" if nothing */
} sh_keyhist;
/* The history of cur's partner in trustdir. */
void sh_keyhist_load(sh_keyhist *h, const char *trustdir, const sh_card *cur);
/* The history of a partner as trustdir/earlier/ alone keeps it (one with
 * no card in the trust store: revoked); *last (if not NULL): the card
 * kept last, with the partner id and keys to check a signal under. 0 if
 * earlier/ keeps none of its cards. */
int sh_keyhist_load_kept(sh_keyhist *h, const char *trustdir,
                         const char *partner, sh_card *last);
/* When and why a card in earlier/ was kept, from its first line: t the
 * time (0: it does not say, a card put there by hand), revoked 1 if
 * seinkey revoke kept it, 0 if seinkey trust did (superseded). */
typedef struct {
	int64_t t;
	int revoked;
} sh_kept;
sh_kept sh_kept_when(const char *path);
const sh_sign_key *sh_keyhist_find(const sh_keyhist *h,
                                   const uint8_t key[SH_KEY_LEN]);
/* The key of the history under which env (as stored: signed alone, or its
 * batch's signature with its audit path) is from's signature to self;
 * first (or NULL): the key to try first. NULL if none. */
const sh_sign_key *sh_keyhist_signer(const sh_keyhist *h,
                                     const sh_identity *self,
                                     const sh_card *from, const uint8_t *env,
                                     size_t len, const uint8_t *first);
/* "by key FP", with "(superseded on DAY)" or "(revoked on DAY)" (the
 * later of the two; the Dutch date) for a key that is not the current
 * one. */
void sh_sign_key_note(char *out, size_t n, const sh_sign_key *k);
/* Keep the card old, which the card nw replaces in trustdir, in
 * trustdir/earlier/PARTNER-FP.card (FP: sh_key_fingerprint of its signing
 * key) if nw has another signing key (now_s is noted as when old's was
 * superseded) or no longer continues old's previous one. */
sh_err sh_trust_keep_replaced(const char *trustdir, const sh_card *old,
                              const sh_card *nw, int64_t now_s, char *why,
                              size_t wl);
/* Keep the card c, which seinkey revoke removes from trustdir, in
 * trustdir/earlier/PARTNER-FP-revoked.card, noting now_s as when it was
 * revoked:
 * the signals its keys signed still verify, as that partner's. */
sh_err sh_trust_keep_revoked(const char *trustdir, const sh_card *c,
                             int64_t now_s, char *why, size_t wl);
/* Each card in DIR/earlier/ (a trust store's or a key directory's), loaded:
 * fn returns 1 if it takes it, 0 if not (why: the rule). *why: the first
 * card left out, or the directory if group or others may write to it (or
 * it is not the effective user's or root's); "" if none. */
typedef int (*sh_earlier_fn)(void *ctx, const char *path, const sh_card *c,
                             char *why, size_t wl);
void sh_earlier_each(const char *dir, sh_earlier_fn fn, void *ctx, char *why,
                     size_t wl);

/* ------------------------------------------------------------- config */

typedef struct {
	char path[512];
	char keydir[SH_KEYDIR_MAX];
	char trustdir[512];
	char datadir[512];
	char listen[256];
	char control[512];
	char control_group[64];
	char catalogue[512];
	char postcode_table[512];
	uint32_t peer_rate; /* signals per second accepted from one partner */
	uint32_t max_signal_age_s; /* older signals are refused as replays */
	/* a delivered signal's envelope is kept this long after it was
	 * created, to send it again when the recipient asks (recover) */
	uint32_t resend_window_s;
	/* kept envelopes one loop turn looks at while answering a recover
	 * request (peer.c) */
	uint32_t resend_step;
	/* a partner's recover requests are answered at most once in this
	 * (seconds; 0: at most once a second), counted from the last answer */
	uint32_t recover_interval_s;
	uint32_t retention_interval_s;
	size_t map_size;
	size_t max_message;
	int log_level;
	int log_syslog;
	uint32_t retry_min_ms;
	uint32_t retry_max_ms;
	uint32_t checkpoint_ms; /* LMDB commit of the journal's turns */
	/* a second thread prepares bulk control requests (prep.c); auto: if
	 * more than one CPU is online */
	enum { SH_HELPER_AUTO, SH_HELPER_YES, SH_HELPER_NO } helper_thread;
	uint32_t window;
	uint32_t batch_max;
	/* roles on the control socket and the audit log (roles.c, audit.c) */
	char admin_group[64];
	char caseworker_group[64];
	char monitor_group[64]; /* may ask the status only (seinctl check) */
	uint32_t audit_head_interval; /* seconds between signed tree heads */
	/* audit entries older than this are removed in whole blocks
	 * (audit.c, removal); 0: kept for ever */
	int64_t audit_keep_s;
} sh_config;

/* Line parser shared by configuration files and partner cards: calls fn for
 * each "key = value" line; a line starting with '#' is a comment. fn returns
 * SH_OK or an error after writing why; the parser prefixes "line N: KEY: ",
 * or only "line N: " to a why that starts with SH_KV_UNKNOWN: an unknown
 * key is not repeated, as it may be data typed in the wrong place. */
#define SH_KV_UNKNOWN "unknown key (not repeated: it may be data)"
typedef sh_err (*sh_kv_fn)(void *ctx, const char *key, const char *value,
                           char *why, size_t whylen);
/* The first byte of v below 0x20 or 0x7f (a control character, which
 * printed raw could move the cursor or rewrite a line), or -1 if none.
 * sh_kv_parse refuses a value that holds one. */
int sh_control_byte(const char *v);
/* 3 if text begins with a UTF-8 byte order mark (a file saved by a
 * Windows editor), else 0: the configuration, card and catalogue parsers
 * skip it, as they take CRLF line ends, instead of refusing line 1. */
size_t sh_utf8_bom_len(const char *text, size_t len);
sh_err sh_kv_parse(const char *text, size_t len, sh_kv_fn fn, void *ctx,
                   char *why, size_t whylen);
int sh_parse_size(const char *s, size_t *out); /* "64M", "1G", "4096" */
/* A listen address or card endpoint: tcp://HOST:PORT, PORT 1 to 65535,
 * HOST an IPv4 address or a host name (listen: also '*'); IPv6 literals
 * are refused (the transport is not set up for IPv6). SH_OK, or
 * SH_ERR_CONFIG after writing the rule broken to why. */
sh_err sh_endpoint_check(const char *v, char *why, size_t whylen);
/* Whether the card's endpoint can lead to where the daemon listens: 1 when
 * its port is not listen's, or listen is an IPv4 address and the card names
 * another (a port forward or proxy may still lead there, so this is a
 * warning). Then why says what differs ("another port", ...) and fix is
 * the endpoint that matches listen; else 0. */
int sh_endpoint_mismatch(const char *listen, const char *card, char *fix,
                         size_t fixlen, char *why, size_t whylen);
/* What binding listen failing with errno err means for an operator (port
 * in use, not an address of this machine, no such interface (a host
 * name), a privileged port): 1 and why
 * written, or 0 for any other error. */
int sh_listen_err(const char *listen, int err, char *why, size_t whylen);
/* Bind listen's address and port once, as the daemon will (SO_REUSEADDR;
 * '*' is INADDR_ANY), and let go at once: 0 if it can, 1 if not (why says
 * why), 2 for a name that is no interface of this machine (a host name,
 * which zmq_bind refuses; why says so), -1 if it was not tried (an
 * interface name, not an address; why says so). */
int sh_listen_try(const char *listen, char *why, size_t whylen);
/* The data store's thresholds, as shares of map_size counted with the room
 * kept for what the store holds: the log warns from SH_STORE_WARN, new
 * signals are refused past SH_STORE_REFUSE, and after a commit found the
 * map full until less than SH_STORE_UNLATCH is in use (seinhuisd.c;
 * seinctl check reports them). */
#define SH_STORE_WARN    0.60
#define SH_STORE_REFUSE  0.75
#define SH_STORE_UNLATCH 0.65

int sh_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);
/* A setting for tests only, from the environment variable name: 1 and
 * *out if it is a number from min to max; 0 if it is not set, or (with a
 * warning that it is ignored) not such a number. The caller says in the
 * log that it uses one. */
int sh_test_u32(const char *name, uint32_t min, uint32_t max, uint32_t *out);

/* The one word of list[0..n) within two edits (insert, delete, change a
 * character, swap two) of w, for "did you mean"; NULL if none, or more
 * than one as near. */
const char *sh_nearest_word(const char *w, const char *const *list, size_t n);
/* "90s", "15m", "2h", "7d" (the unit is required) as seconds, from 1 to
 * max_s; 0 on success, -1 otherwise. */
int sh_parse_duration(const char *v, int64_t max_s, int64_t *out);
/* A retention period as the catalogue and audit_keep write it: "N
 * seconds|minutes|hours|days|months|years" (a month 30 days, a year 365;
 * "1 year" too), N from 0 to 1000000, as seconds; 0 on success, -1
 * otherwise. (policy.c) */
int sh_parse_period(const char *s, int64_t *out);

/* Command-line options. Each program sets opterr = 0 at its start, so
 * that getopt never prints an option it refuses: "--surname=Jansen" is
 * data typed in the wrong place. When getopt_long returns '?', this says
 * on stderr, after "PROG: ", that an option is not known or lacks its
 * argument, without the option's text; it names the option (from
 * shortopts/longopts, never from argv) only when it is one of ours that
 * lacks its value or takes none. argv[optind - 1] tells a long option
 * ("--...") from a short one. The caller exits with the usage code (2). */
struct option;
void sh_opt_refused(const char *prog, int argc, char *const argv[],
                    const char *shortopts, const struct option *longopts);

sh_err sh_config_load(sh_config *cfg, const char *path, char *why,
                      size_t whylen);
sh_err sh_config_parse(sh_config *cfg, const char *text, size_t len, char *why,
                       size_t whylen);

/* --------------------------------------------------------------- wire */

/* Pair keys, derived once per partner pair (X25519 + HKDF) and cached. */
typedef struct {
	uint8_t seal_key[SH_KEY_LEN];   /* AEAD key for sealed content */
	uint8_t pseudo_key[SH_KEY_LEN]; /* HMAC key for subject pseudonyms */
} sh_pair_keys;
sh_err sh_pair_keys_derive(sh_pair_keys *k, const sh_identity *self,
                           const sh_card *peer);

/* Build, seal and sign a signal from named fields (as given to seinctl
 * send). The envelope bytes are appended to env_out. On refusal, err_field
 * names the field at fault (never its value). */
sh_err sh_wire_build(const sh_identity *self, const sh_card *peer,
                     const sh_pair_keys *keys, Seinhuis__SignalType type,
                     Seinhuis__Field **fields, size_t nfields,
                     uint8_t msg_id[SH_ID_LEN], sh_buf *env_out,
                     char *err_field, size_t err_len);
/* As sh_wire_build, but the envelope carries no signature: it travels
 * only in a batch-signed frame (sh_batch_build), as the daemon's outbox
 * keeps it. */
sh_err sh_wire_build_unsigned(const sh_identity *self, const sh_card *peer,
                              const sh_pair_keys *keys,
                              Seinhuis__SignalType type,
                              Seinhuis__Field **fields, size_t nfields,
                              uint8_t msg_id[SH_ID_LEN], sh_buf *env_out,
                              char *err_field, size_t err_len);
/* What building a signal learned that its sender's audit entry and consent
 * check need, so that neither decodes nor opens the signal again. */
/* the room for a canonical identity (sh_canonical_identity) */
#define SH_CANON_MAX 300

typedef struct {
	const uint8_t *case_secret;     /* in: SH_KEY_LEN bytes, or NULL */
	uint8_t subject[SH_PSEUDO_LEN]; /* the pairwise pseudonym */
	int has_subject;
	uint8_t case_key[32]; /* HMAC of the first person's canonical identity
	                         under case_secret (sh_audit_case_key) */
	int has_case_key;
	/* the same of the further persons (sh_other_persons_keys) */
	uint8_t others[SH_OTHER_PERSONS_MAX][32];
	size_t n_others;
	char legal_basis[48];
	char consent_ref[80];
	uint8_t signal_sha256[32]; /* of the Envelope's signal bytes */
	/* in: the first person's canonical identity from the same fields
	 * (sh_person_from_fields, sh_canonical_identity: its text, of
	 * SH_CANON_MAX bytes, and answer), when the caller has worked it out
	 * already (the sender's natural key), or NULL; the build then takes
	 * it instead of doing it again. The caller owns and wipes it. */
	const char *canon;
	sh_err canon_e;
} sh_build_note;
/* sh_wire_build_unsigned, filling *note (its case_secret and canon are
 * read first). */
sh_err sh_wire_build_noted(const sh_identity *self, const sh_card *peer,
                           const sh_pair_keys *keys, Seinhuis__SignalType type,
                           Seinhuis__Field **fields, size_t nfields,
                           uint8_t msg_id[SH_ID_LEN], sh_buf *env_out,
                           char *err_field, size_t err_len, sh_build_note *note,
                           sh_arena *a);
/* Decode and verify an envelope received from `from`: signed alone, or
 * signed in a batch with its proof (as sh_batch_verify makes it and the
 * inbox stores it). On success *sig_out is the decoded signal (free with
 * seinhuis__signal__free_unpacked). */
sh_err sh_wire_verify(const sh_identity *self, const sh_card *from,
                      const uint8_t *env, size_t envlen,
                      Seinhuis__Signal **sig_out, uint8_t id_out[SH_ID_LEN]);
/* The last batch signature that verified (zero it before first use): the
 * other signals of the same batch then cost their audit path's hashes,
 * not another Ed25519 verification. It keeps the key, signature and signed
 * statement (domain, both partner ids, count, root) it verified. */
#define SH_BATCH_STMT_MAX (18 + 2 * (SH_PARTNER_MAX + 1) + 8 + 32)
typedef struct {
	uint8_t pub[SH_KEY_LEN], sig[SH_SIG_LEN], stmt[SH_BATCH_STMT_MAX];
	size_t stmt_len;
	int valid;
} sh_sig_memo;
sh_err sh_wire_verify_memo(const sh_identity *self, const sh_card *from,
                           const uint8_t *env, size_t envlen, sh_sig_memo *memo,
                           Seinhuis__Signal **sig_out,
                           uint8_t id_out[SH_ID_LEN]);
/* 1 if the envelope's signature, alone or of its batch, is `from`'s to
 * self (whatever the signal says). */
int sh_wire_signed_by(const sh_identity *self, const sh_card *from,
                      const uint8_t *env, size_t envlen);

/* Batch signatures: one Ed25519 signature per PeerFrame over the Merkle
 * root of its signals (see PeerFrame in proto/seinhuis.proto).
 *
 * sh_batch_build: a PeerFrame to `recipient` holding the n serialised
 * Signals (Envelope.signal of sh_wire_build_unsigned), signed with self's
 * key, appended to frame_out packed. 1 <= n <= SH_BATCH_MAX, else USAGE.
 *
 * sh_batch_verify: check a received batch-signed frame (format version
 * SH_FRAME_BATCH_VERSION, else WIRE_VERSION) from `from`. On SH_OK, proofs[i]
 * (n_signals buffers, empty or not, appended to) gets signal i's envelope with
 * its proof: the batch signature, leaf index, leaf count and audit path;
 * sh_wire_verify accepts it alone, offline, with from's card. WIRE_DECODE: an
 * entry is not an envelope with a signal only, or too many; SIGNATURE: the
 * signature does not verify for these signals. memo (may be NULL) remembers the
 * verified signature for sh_wire_verify_memo on the proofs. */
#define SH_BATCH_MAX 4096
sh_err sh_batch_build(const sh_identity *self, const char *recipient,
                      const ProtobufCBinaryData *signals, size_t n,
                      sh_buf *frame_out);
/* The same, with hash[i] (or NULL) the SHA-256 of signals[i] where the
 * caller has it (sh_build_note.signal_sha256, or checked against the
 * store): it is not computed again; and packed[i] (or NULL, or empty)
 * signal i's Envelope as sh_batch_build would pack it, found so by
 * sh_envelope_signal_view: it is used as it is. */
sh_err sh_batch_build_h(const sh_identity *self, const char *recipient,
                        const ProtobufCBinaryData *signals,
                        const uint8_t *const *hash,
                        const ProtobufCBinaryData *packed, size_t n,
                        sh_buf *frame_out);
/* Append PeerFrame.sent_ms = ms to a packed frame that has none: for a
 * frame packed before it is sent (a turn's receipts wait for its flush),
 * so that the time is that of the send. A field appended to a packed
 * message is part of it, and protobuf-c writes fields in the order of
 * their numbers, so these are the bytes the frame packed with it has. */
void sh_frame_stamp(sh_buf *frame, int64_t ms);
/* 1 if env is exactly an Envelope of format_version SH_FORMAT_VERSION and
 * a non-empty signal, in the bytes protobuf-c packs it to (as a signal's
 * unsigned envelope is built, and a batch's entry is packed); *signal is
 * then the signal's bytes inside env. Else 0. */
int sh_envelope_signal_view(const uint8_t *env, size_t n,
                            ProtobufCBinaryData *signal);
sh_err sh_batch_verify(const sh_identity *self, const sh_card *from,
                       const Seinhuis__PeerFrame *f, sh_buf *proofs,
                       sh_sig_memo *memo);
/* The same, decoding the entries into arena a (not reset here). */
sh_err sh_batch_verify_a(const sh_identity *self, const sh_card *from,
                         const Seinhuis__PeerFrame *f, sh_buf *proofs,
                         sh_sig_memo *memo, sh_arena *a);
/* The message id an envelope claims, unverified: for answering re-sent
 * signals from the seen table without verifying them again. */
sh_err sh_wire_peek_id(const uint8_t *env, size_t envlen,
                       uint8_t id_out[SH_ID_LEN]);
/* An envelope and its signal as received, decoded, nothing verified: the
 * recipient decodes each signal once, into its arena, peeks at the id for
 * the seen table and verifies only what it has not seen (peer.c). */
typedef struct {
	Seinhuis__Envelope *env; /* NULL: the bytes are no envelope */
	Seinhuis__Signal *sig;   /* NULL: no signal decodes from it */
} sh_wire_decoded;
/* Decode into a (or from malloc with a NULL, the caller frees both);
 * returns what sh_wire_peek_id would, with the id it would give. */
sh_err sh_wire_decode_a(const uint8_t *env, size_t envlen, sh_arena *a,
                        sh_wire_decoded *out, uint8_t id_out[SH_ID_LEN]);
/* sh_wire_verify_memo on what sh_wire_decode_a gave: the same checks, in
 * the same order, with the same results; on success *sig_out is dec->sig.
 * proven: the envelope is a proof that sh_batch_verify_a made from a frame
 * whose signature verified (same signal bytes, path from the verified
 * tree), so its signature is not checked a second time. */
sh_err sh_wire_verify_decoded(const sh_identity *self, const sh_card *from,
                              const sh_wire_decoded *dec, sh_sig_memo *memo,
                              int proven, Seinhuis__Signal **sig_out,
                              uint8_t id_out[SH_ID_LEN]);
/* Clear, non-personal fields of a signal as name/value pairs. */
size_t sh_wire_clear_fields(const Seinhuis__Signal *s, Seinhuis__Field ***out);
void sh_fields_free(Seinhuis__Field **f, size_t n);
/* What a field name is for a signal type: clear (travels readable),
 * personal (travels sealed) or not a field of that type at all. */
enum { SH_FIELD_NONE, SH_FIELD_CLEAR, SH_FIELD_PERSONAL };
int sh_wire_field_class(Seinhuis__SignalType type, const char *name);
/* Every field of a received signal, clear and (if sc) opened personal
 * ones, as name/value pairs for the policy check. FIELD_UNKNOWN if any part
 * carries fields this schema does not know. */
sh_err sh_wire_fields(const Seinhuis__Signal *s,
                      const Seinhuis__SealedContent *sc, Seinhuis__Field ***out,
                      size_t *n);
/* The same, the pairs in arena a (not for sh_fields_free). */
sh_err sh_wire_fields_a(const Seinhuis__Signal *s,
                        const Seinhuis__SealedContent *sc, sh_arena *a,
                        Seinhuis__Field ***out, size_t *n);
/* Whether a text field of the signal in an envelope's bytes holds a NUL
 * byte (which protobuf-c would cut the text at, hiding the rest from the
 * checks): 1 with the field's schema name in *name, 0 if none, -1 if the
 * bytes do not parse. sh_wire_open_a refuses a sealed part with one
 * (FIELD_FORMAT). */
int sh_wire_text_nul(const uint8_t *envb, size_t envlen, const char **name);
/* Where sh_wire_fields found what this daemon does not know (the part and
 * the first unknown field's number), for a refusal's detail; buf. */
const char *sh_wire_unknown_part(const Seinhuis__Signal *s,
                                 const Seinhuis__SealedContent *sc, char *buf,
                                 size_t n);
/* Open the sealed content of a signal received from a partner. */
sh_err sh_wire_open(const Seinhuis__Signal *s, const sh_pair_keys *keys,
                    Seinhuis__SealedContent **out);
/* The same, opened into arena a: *out holds personal data until the
 * arena's reset wipes it, and is not to be freed on its own. */
sh_err sh_wire_open_a(const Seinhuis__Signal *s, const sh_pair_keys *keys,
                      sh_arena *a, Seinhuis__SealedContent **out);
/* Canonical identity of a resident (pseudonym.c) and its pseudonym. */
sh_err sh_canonical_identity(const Seinhuis__Person *p, char *out,
                             size_t outlen);
/* The resident keys (HMAC of the canonical identity under secret, as
 * sh_audit_case_key makes them) of persons[1..n): a meldcode report's
 * further persons, for their audit entries (AuditEntry.other_persons).
 * A person whose identity is incomplete has none. Returns how many. */
size_t sh_other_persons_keys(const uint8_t secret[SH_KEY_LEN],
                             Seinhuis__Person *const *persons, size_t n,
                             uint8_t out[SH_OTHER_PERSONS_MAX][32]);
/* The same with sur, a surname as sh_surname_variants gives it, in place
 * of p's own (normalised already). */
sh_err sh_canonical_identity_as(const Seinhuis__Person *p, const char *sur,
                                char *out, size_t outlen);
/* The spellings a partner may have used for a surname a resident gives:
 * a creditor's file may put the prefixes after the surname ("Vries, de"),
 * abbreviate them ("Berg v.d."), write ü as ue or ue for ü. Each is the
 * canonical form of the surname (as sh_canonical_identity_as takes it)
 * and how it differs from the resident's own spelling (SH_SPELL_*; the
 * first is that spelling itself, how 0). They are for looking up
 * (auditctl.c); the canonical identity a signal is sent under stays as it
 * was, so that pseudonyms, case keys and natural keys of residents signalled
 * before do not change. Returns how many (at most max); 0 if the surname has
 * no canonical form. v holds personal data: wipe it after use. */
#define SH_SPELL_PREFIX_LEFT  1u  /* without the prefixes */
#define SH_SPELL_PREFIX_AFTER 2u  /* the prefixes after the surname */
#define SH_SPELL_PREFIX_SHORT 4u  /* the prefixes abbreviated after it */
#define SH_SPELL_UMLAUT_E     8u  /* ä, ö, ü written ae, oe, ue */
#define SH_SPELL_E_UMLAUT     16u /* ae, oe, ue written ä, ö, ü */
/* CtlReply.subject_match: found only through the identity without the
 * birth date, while one was given (someone else at the address?) */
#define SH_MATCH_NO_BIRTH 256u
typedef struct {
	char sur[128];
	unsigned how;
} sh_surname_variant;
#define SH_SURNAME_VARIANTS_MAX 16
size_t sh_surname_variants(const char *in, sh_surname_variant *v, size_t max);
/* When sh_canonical_identity refused p's field `field` (the name it left in
 * out): what is wrong with it, in words that repeat no value; NULL when
 * the rule's own words say it all. */
const char *sh_canonical_why(const Seinhuis__Person *p, const char *field);
void sh_pseudonym(uint8_t out[SH_PSEUDO_LEN], const uint8_t key[SH_KEY_LEN],
                  const char *canonical);
/* Fold UTF-8 text as a surname is folded for the canonical identity:
 * lower-case ASCII words, one space between; what cannot be folded
 * separates words. out holds 2 * strlen(in) + 2 bytes (else it is left
 * empty). */
void sh_fold_words(const char *in, char *out, size_t outlen);
/* The folded words of a surname without the prefixes typed into it
 * ("Van der Berg-Öztürk" -> "berg ozturk"); -1 if it has no canonical
 * form. */
int sh_surname_words(const char *in, char *out, size_t outlen);
/* Normalise a Dutch postcode: "1234 ab" -> "1234AB"; with allow_area a
 * four-digit area ("1234") is accepted too. 0, or -1 if it is none. */
int sh_postcode_norm(const char *in, char out[7], int allow_area);
/* Valid UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
int sh_utf8_valid(const uint8_t *p, size_t n);
/* Household of a person: normalised postcode, house number and addition,
 * the basis of the recipient's case key. */
sh_err sh_household(const Seinhuis__Person *p, char *out, size_t outlen);
/* Fill a Person from named fields (person 1; no prefix); strings point
 * into the fields, so free only the struct. */
void sh_person_from_fields(Seinhuis__Person *p, Seinhuis__Field **f, size_t n);
extern const char sh_sig_domain[];
#define SH_SIG_DOMAIN_LEN 19
extern const char sh_batch_domain[];

/* ------------------------------------------- control socket framing */

/* Frames on the control socket: 4-byte big-endian length, then a
 * CtlRequest or CtlReply. Shared by seinhuisd and seinctl (ctlclient.c). */
#define SH_CTL_MAX_FRAME (16u << 20)
void sh_frame_append(sh_buf *out, const ProtobufCMessage *m);
/* If buf holds a whole frame, return its body length and set *body. */
int sh_frame_peek(const uint8_t *buf, size_t len, const uint8_t **body,
                  size_t *bodylen, size_t *framelen);
/* A request body decoded into arena a (NULL: it does not decode). A SEND
 * as seinctl and the bulk importers write it (op, type, recipient and
 * fields of a name and a value, each once, nothing else) is read directly;
 * anything else, or unusual, by protobuf-c. Both give the same request.
 * *fast (may be NULL) tells which did. */
Seinhuis__CtlRequest *sh_ctl_request_decode(sh_arena *a, const uint8_t *body,
                                            size_t len, int *fast);
sh_err sh_ctl_connect(const char *path, int *fd, char *why, size_t whylen);
sh_err sh_ctl_send(int fd, const Seinhuis__CtlRequest *req);
sh_err sh_ctl_recv(int fd, Seinhuis__CtlReply **reply, int timeout_ms);
sh_err sh_ctl_call(int fd, const Seinhuis__CtlRequest *req,
                   Seinhuis__CtlReply **reply, int timeout_ms);

#endif
