/* utf8.h - keeping text that was cut to a buffer's size valid UTF-8. */
#ifndef WEIR_UTF8_H
#define WEIR_UTF8_H

/* Drop a multi-byte sequence left incomplete at the end of `s` (by
 * snprintf truncation), so JSON encoders and terminals accept it. */
void weir_utf8_trim(char *s);
/* Replace every byte that is not part of valid UTF-8 with '?', so text
 * from file names or targets always fits in JSON. */
void weir_utf8_sanitize(char *s);

#endif
