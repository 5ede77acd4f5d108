/*
 * name_norm.h - a company name reduced to the words that tell it apart,
 * so "Müller & Söhne GmbH & Co. KG" and "muller and sohne" compare equal.
 *
 * Pure functions of their arguments: thread-safe, no allocation.
 */
#ifndef WEIR_NAME_NORM_H
#define WEIR_NAME_NORM_H

#include <stddef.h>

/* Longest normalised name kept; the rest of a longer name is dropped at a
 * word boundary. */
#define WEIR_NAME_NORM_MAX 256

/* Normalise `name` (UTF-8, may be NULL) into `out` (`cap` bytes, at least
 * 1): case folded; Latin accents dropped (é -> e, ß -> ss, æ -> ae);
 * apostrophes and dots removed inside words (O'Neil -> oneil, B.V. -> bv);
 * other punctuation a word break; '&' read as "and"; runs of single
 * letters joined (S A -> sa, I B M -> ibm); common abbreviations spelled
 * out (Bros -> brothers, Intl -> international, Ctr -> centre); legal
 * suffixes dropped from the end (Ltd, (Pty) Ltd, GmbH & Co. KG, ...; see
 * name_norm.c); the filler words and, the, of dropped; the words sorted,
 * joined by single spaces.  A name that is nothing but a suffix keeps
 * it.  Returns the length written (NUL not counted). */
size_t weir_name_norm(const char *name, char *out, size_t cap);

/* Digits of a phone number, the last 9 of them, so "+44 20 7946 0123"
 * and "020-7946-0123" agree; "" when fewer than 6 digits.  `out` holds at
 * least 10 bytes.  Returns the length. */
size_t weir_name_norm_phone(const char *phone, char *out, size_t cap);

/* An e-mail address trimmed and lower-cased; "" when it has no '@'. */
size_t weir_name_norm_email(const char *email, char *out, size_t cap);

/* Letters and digits only, case- and accent-folded: postcodes
 * ("ec1a 1bb" -> "EC1A1BB" compares as "ec1a1bb") and any other field
 * compared as text. */
size_t weir_name_norm_text(const char *text, char *out, size_t cap);

#endif
