// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <inttypes.h>
#include <stdlib.h>
#include "json_writer.h"

struct json_writer {
	FILE *out;
	unsigned depth;
	bool pretty;
	bool sep;	/* a value was written at this depth: next one needs ',' */
	bool after_name;
};

json_writer_t *jsonw_new(FILE *f)
{
	json_writer_t *w = calloc(1, sizeof(*w));

	if (w)
		w->out = f;
	return w;
}

void jsonw_destroy(json_writer_t **self)
{
	if (!*self)
		return;
	if ((*self)->depth == 0)
		fputc('\n', (*self)->out);
	fflush((*self)->out);
	free(*self);
	*self = NULL;
}

void jsonw_pretty(json_writer_t *self, bool on)
{
	self->pretty = on;
}

static void indent(json_writer_t *w)
{
	if (!w->pretty)
		return;
	fputc('\n', w->out);
	for (unsigned i = 0; i < w->depth; i++)
		fputs("    ", w->out);
}

/* Called before every value or name. */
static void begin_value(json_writer_t *w)
{
	if (w->after_name) {
		w->after_name = false;
		return;
	}
	if (w->sep)
		fputc(',', w->out);
	if (w->depth)
		indent(w);
	w->sep = true;
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), 0 if there is none. */
static int utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	int n;
	unsigned char lo = 0x80, hi = 0xbf;	/* the 2nd byte's range */

	if (c < 0xc2 || c > 0xf4)
		return 0;			/* continuation, overlong lead, > U+10FFFF */
	n = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	if (c == 0xe0)
		lo = 0xa0;			/* overlong */
	else if (c == 0xed)
		hi = 0x9f;			/* surrogates */
	else if (c == 0xf0)
		lo = 0x90;			/* overlong */
	else if (c == 0xf4)
		hi = 0x8f;			/* > U+10FFFF */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (int i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/* JSON text is UTF-8: strings from outside (a process's comm, a cgroup path)
 * may not be; each byte of an ill-formed sequence becomes U+FFFD. */
static void puts_quoted(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', out);
	while (*s) {
		unsigned char c = *s;
		int n;

		switch (c) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\t': fputs("\\t", out); break;
		case '\r': fputs("\\r", out); break;
		default:
			if (c < 0x20) {
				fprintf(out, "\\u%04x", c);
			} else if (c < 0x80) {
				fputc(c, out);
			} else if ((n = utf8_len(s))) {
				fwrite(s, 1, n, out);
				s += n;
				continue;
			} else {
				fputs("\\ufffd", out);
			}
		}
		s++;
	}
	fputc('"', out);
}

static void open_(json_writer_t *w, char c)
{
	begin_value(w);
	fputc(c, w->out);
	w->depth++;
	w->sep = false;
}

static void close_(json_writer_t *w, char c)
{
	bool had = w->sep;

	w->depth--;
	if (had)
		indent(w);
	fputc(c, w->out);
	w->sep = true;
}

void jsonw_start_object(json_writer_t *w) { open_(w, '{'); }
void jsonw_end_object(json_writer_t *w) { close_(w, '}'); }
void jsonw_start_array(json_writer_t *w) { open_(w, '['); }
void jsonw_end_array(json_writer_t *w) { close_(w, ']'); }

void jsonw_name(json_writer_t *w, const char *name)
{
	begin_value(w);
	puts_quoted(w->out, name);
	fputs(w->pretty ? ": " : ":", w->out);
	w->after_name = true;
}

void jsonw_string(json_writer_t *w, const char *v)
{
	begin_value(w);
	puts_quoted(w->out, v);
}

void jsonw_uint(json_writer_t *w, uint64_t v)
{
	begin_value(w);
	fprintf(w->out, "%" PRIu64, v);
}

void jsonw_int(json_writer_t *w, int64_t v)
{
	begin_value(w);
	fprintf(w->out, "%" PRId64, v);
}

void jsonw_float(json_writer_t *w, double v)
{
	begin_value(w);
	fprintf(w->out, "%.6g", v);
}

void jsonw_bool(json_writer_t *w, bool v)
{
	begin_value(w);
	fputs(v ? "true" : "false", w->out);
}

void jsonw_null(json_writer_t *w)
{
	begin_value(w);
	fputs("null", w->out);
}

void jsonw_string_field(json_writer_t *w, const char *n, const char *v) { jsonw_name(w, n); jsonw_string(w, v); }
void jsonw_uint_field(json_writer_t *w, const char *n, uint64_t v) { jsonw_name(w, n); jsonw_uint(w, v); }
void jsonw_int_field(json_writer_t *w, const char *n, int64_t v) { jsonw_name(w, n); jsonw_int(w, v); }
void jsonw_float_field(json_writer_t *w, const char *n, double v) { jsonw_name(w, n); jsonw_float(w, v); }
void jsonw_bool_field(json_writer_t *w, const char *n, bool v) { jsonw_name(w, n); jsonw_bool(w, v); }
