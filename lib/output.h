/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Output shared by the tools, iproute2 style: one print call serves text and
 * JSON. In JSON mode the text format is ignored; in text mode the key is.
 * Errors are one line on stderr, or {"error": "..."} on stdout with -j.
 */
#ifndef SA_OUTPUT_H
#define SA_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include "json_writer.h"

extern const char *prog_name;	/* set by main() for error messages */
extern bool json_output;
extern json_writer_t *json_wtr;	/* non-NULL while JSON output is open */

/* Open/close the JSON writer around a command's output (no-op in text mode). */
void output_begin(bool pretty);
void output_end(void);

/* Error: text "PROG: msg" on stderr, or {"error": msg} on stdout with -j. */
void p_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Informational line on stderr (text mode only). */
void p_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void open_json_object(const char *name);	/* name may be NULL */
void close_json_object(void);
void open_json_array(const char *name, const char *text);	/* text printed in text mode */
void close_json_array(const char *text);

void print_string(const char *key, const char *fmt, const char *value);
void print_uint(const char *key, const char *fmt, uint64_t value);
void print_int(const char *key, const char *fmt, int64_t value);
void print_float(const char *key, const char *fmt, double value);
void print_bool(const char *key, const char *fmt, bool value);
void print_null(const char *key, const char *fmt);
/* Text only (ignored with -j). */
void print_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
