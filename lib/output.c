// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdarg.h>
#include <stdio.h>
#include "output.h"

const char *prog_name = "sockaccel";
bool json_output;
json_writer_t *json_wtr;

void output_begin(bool pretty)
{
	if (!json_output || json_wtr)
		return;
	json_wtr = jsonw_new(stdout);
	if (json_wtr)
		jsonw_pretty(json_wtr, pretty);
}

void output_end(void)
{
	if (json_wtr)
		jsonw_destroy(&json_wtr);
	fflush(stdout);
}

void p_err(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (json_output) {
		/* Errors stay valid JSON: replace anything half-written. */
		if (json_wtr)
			jsonw_destroy(&json_wtr);
		json_wtr = jsonw_new(stdout);
		jsonw_start_object(json_wtr);
		jsonw_string_field(json_wtr, "error", msg);
		jsonw_end_object(json_wtr);
		jsonw_destroy(&json_wtr);
	} else {
		fprintf(stderr, "%s: %s\n", prog_name, msg);
	}
}

void p_info(const char *fmt, ...)
{
	va_list ap;

	if (json_output)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void open_json_object(const char *name)
{
	if (!json_wtr)
		return;
	if (name)
		jsonw_name(json_wtr, name);
	jsonw_start_object(json_wtr);
}

void close_json_object(void)
{
	if (json_wtr)
		jsonw_end_object(json_wtr);
}

void open_json_array(const char *name, const char *text)
{
	if (json_wtr) {
		if (name)
			jsonw_name(json_wtr, name);
		jsonw_start_array(json_wtr);
	} else if (text) {
		fputs(text, stdout);
	}
}

void close_json_array(const char *text)
{
	if (json_wtr)
		jsonw_end_array(json_wtr);
	else if (text)
		fputs(text, stdout);
}

/* In JSON mode a NULL key means "array element". */
#define PRINT_ONE(jsonfn, ...)						\
	do {								\
		if (json_wtr) {						\
			if (key)					\
				jsonw_name(json_wtr, key);		\
			jsonfn(json_wtr, value);			\
		} else if (fmt) {					\
			printf(fmt, __VA_ARGS__);			\
		}							\
	} while (0)

void print_string(const char *key, const char *fmt, const char *value) { PRINT_ONE(jsonw_string, value); }
void print_uint(const char *key, const char *fmt, uint64_t value) { PRINT_ONE(jsonw_uint, (unsigned long long)value); }
void print_int(const char *key, const char *fmt, int64_t value) { PRINT_ONE(jsonw_int, (long long)value); }
void print_float(const char *key, const char *fmt, double value) { PRINT_ONE(jsonw_float, value); }
void print_bool(const char *key, const char *fmt, bool value) { PRINT_ONE(jsonw_bool, value ? "yes" : "no"); }

void print_null(const char *key, const char *fmt)
{
	if (json_wtr) {
		if (key)
			jsonw_name(json_wtr, key);
		jsonw_null(json_wtr);
	} else if (fmt) {
		fputs(fmt, stdout);
	}
}

void print_text(const char *fmt, ...)
{
	va_list ap;

	if (json_wtr || json_output)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}
