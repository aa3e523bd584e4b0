// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The JSON writer's string escaping (jsonw_name, jsonw_string): the output of
 * {NAME: VALUE} for any input string parses back, by JSON's rules (no raw
 * control character, only the escapes JSON defines, balanced quotes), in
 * compact and pretty mode, to the input with each byte that does not start a
 * well-formed UTF-8 sequence replaced by U+FFFD. The reference for
 * "well-formed" is glibc's UTF-8 decoder (mbrtowc in C.UTF-8) plus Unicode's
 * scalar range, not the writer's own table. */
#include "fuzz.h"	/* first: _GNU_SOURCE */
#include <ctype.h>
#include <locale.h>
#include <wchar.h>
#include "json_writer.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Parse one JSON string at *p; decoded into out (cap bytes). Length or -1. */
static long parse_string(const char **p, const char *end, char *out, size_t cap)
{
	const char *s = *p;
	size_t n = 0;

	if (s >= end || *s++ != '"')
		return -1;
	while (s < end && *s != '"') {
		unsigned char c = *s++;

		if (c < 0x20)
			return -1;		/* raw control character */
		if (c == '\\') {
			if (s >= end)
				return -1;
			switch (c = *s++) {
			case '"': case '\\': case '/': break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u': {
				int v = 0;

				if (end - s < 4)
					return -1;
				for (int i = 0; i < 4; i++) {
					int h = hexval(s[i]);

					if (h < 0)
						return -1;
					v = v * 16 + h;
				}
				s += 4;
				if (v == 0xfffd) {	/* a replaced byte */
					if (n + 3 > cap)
						return -1;
					memcpy(out + n, "\xef\xbf\xbd", 3);
					n += 3;
					continue;
				}
				if (v == 0 || v >= 0x80)
					return -1;	/* the writer escapes only ASCII controls */
				c = v;
				break;
			}
			default:
				return -1;
			}
		}
		if (n >= cap)
			return -1;
		out[n++] = c;
	}
	if (s >= end)
		return -1;			/* unterminated */
	*p = s + 1;
	return n;
}

static void skip_ws(const char **p, const char *end)
{
	while (*p < end && (**p == ' ' || **p == '\n' || **p == '\t' || **p == '\r'))
		(*p)++;
}

/* What the writer must keep of in: valid UTF-8 as it is, U+FFFD (EF BF BD)
 * for each byte that starts no well-formed sequence. Length written to exp. */
static size_t expected(const char *in, size_t inlen, char *exp)
{
	size_t i = 0, n = 0;

	while (i < inlen) {
		mbstate_t st;
		wchar_t wc;
		size_t r;

		if ((unsigned char)in[i] < 0x80) {
			exp[n++] = in[i++];
			continue;
		}
		memset(&st, 0, sizeof(st));
		r = mbrtowc(&wc, in + i, inlen - i, &st);
		if (r == (size_t)-1 || r == (size_t)-2 || r == 0 ||
		    (wc >= 0xd800 && wc <= 0xdfff) || wc > 0x10ffff) {
			memcpy(exp + n, "\xef\xbf\xbd", 3);
			n += 3;
			i++;
			continue;
		}
		memcpy(exp + n, in + i, r);
		n += r;
		i += r;
	}
	return n;
}

static void check(const char *in, int pretty)
{
	size_t inlen = strlen(in), outlen = 0, cap = 3 * inlen + 1, explen;
	char *out = NULL, *dec = malloc(cap), *exp = malloc(cap);
	FILE *f = open_memstream(&out, &outlen);
	json_writer_t *w;
	const char *p, *end;

	FUZZ_CHECK(f && dec && exp);
	explen = expected(in, inlen, exp);
	w = jsonw_new(f);
	FUZZ_CHECK(w);
	jsonw_pretty(w, pretty);
	jsonw_start_object(w);
	jsonw_string_field(w, in, in);
	jsonw_end_object(w);
	jsonw_destroy(&w);
	fclose(f);

	p = out;
	end = out + outlen;
	FUZZ_CHECK(outlen && out[outlen - 1] == '\n');
	FUZZ_CHECK(*p++ == '{');
	for (int i = 0; i < 2; i++) {
		skip_ws(&p, end);
		FUZZ_CHECK(parse_string(&p, end, dec, cap) == (long)explen);
		FUZZ_CHECK(!memcmp(dec, exp, explen));
		skip_ws(&p, end);
		if (!i)
			FUZZ_CHECK(p < end && *p++ == ':');
	}
	FUZZ_CHECK(p < end && *p++ == '}');
	skip_ws(&p, end);
	FUZZ_CHECK(p == end);
	free(out);
	free(dec);
	free(exp);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	FUZZ_CHECK(setlocale(LC_CTYPE, "C.UTF-8"));
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);

	check(s, 0);
	check(s, 1);
	free(s);
	return 0;
}
