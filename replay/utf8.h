/* utf8.h - the one UTF-8 validator and the one JSON string escaper of
 * bpfreplay.  Every output path that must tell text from bytes (JSON
 * values, the terminal's escaping, Parquet's UTF-8 strings) asks these, so
 * a capture's bytes are judged the same way in every format. */
#ifndef BPFREC_REPLAY_UTF8_H
#define BPFREC_REPLAY_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Length (1..4) of the valid UTF-8 sequence at s (n >= 1 bytes left), 0 if
 * the bytes there are not one: overlong forms, surrogates and code points
 * past U+10FFFF are invalid.  *cp (may be NULL) gets the code point. */
size_t utf8__seq(const void *s, size_t n, uint32_t *cp);

/* Where an escaper's output goes: 0, or an error that stops it. */
typedef int (*utf8_sink)(void *ctx, const char *s, size_t n);

enum {
	/* Bytes outside valid UTF-8 pass as they are, for a path, which is
	 * bytes: its reader takes them back raw (vtab.c's path lists). */
	UTF8_JSON_RAW_BYTES = 1,
};

/* s as one JSON string, quotes included: " \ and control bytes (and DEL)
 * escaped, valid UTF-8 kept, every byte of an invalid sequence as \u00XX
 * (so the result is always valid JSON and valid UTF-8) unless flags say
 * UTF8_JSON_RAW_BYTES.  0 or the sink's first error. */
int utf8__json_string(const void *s, size_t n, unsigned flags, utf8_sink put, void *ctx);

#endif
