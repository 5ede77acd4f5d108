/*
 * bool_word.h - a yes/no attribute value, read with the same words as the
 * core's WEIR_OPTION_BOOL options (so attributes read like options).
 *
 * Part of plugins/libplugcommon.la (see config_diag.h for what that library
 * may depend on).
 */
#ifndef WEIR_PLUGCOMMON_BOOL_WORD_H
#define WEIR_PLUGCOMMON_BOOL_WORD_H

/* "true", "yes", "on", "1" set *out to 1; "false", "no", "off", "0" to 0
 * (ASCII case ignored) and return 0.  Anything else returns -1 and leaves
 * *out alone. */
int weirp_parse_bool(const char *s, int *out);

#endif
