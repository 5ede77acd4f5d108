/*
 * plugins.h - finding and loading plugins (libltdl).
 *
 * The plugin path is a colon-separated list of folders: --plugin-path's
 * folders (a relative one taken from the current folder), then the
 * default: $WEIR_PLUGIN_PATH, else the build tree's plugin folders when
 * weir runs from its build tree, else the install folder.  A plugin named
 * "csv" is the file "csv.so" in the first folder that has one; it is
 * opened by absolute path, never by libltdl's own search (which would
 * also look in LD_LIBRARY_PATH).  Its descriptor's version fields are
 * checked before any of its callbacks run.
 *
 * Folders are checked once, when the registry is made, each with a
 * warning naming it: one that is not absolute (from $WEIR_PLUGIN_PATH),
 * does not exist, or is writable by group or others (as sshd refuses
 * such a home; a user's private group excepted) is skipped; one that
 * holds no *.so is kept but said so.  A plugin file writable by group or
 * others is refused like a wrong ABI.
 * A registry is one thread's; registries of different threads (weir
 * serve's and its web monitor's) may load and free plugins at once:
 * libltdl and the plugins' load() and unload() are called under one
 * process-wide lock.
 */
#ifndef WEIR_PLUGINS_H
#define WEIR_PLUGINS_H

#include <stddef.h>

#include <weir/plugin.h>

typedef struct weir_plugins weir_plugins;

/* The path to use: `cli_path` (--plugin-path, nullable; relative folders
 * made absolute) followed by the default.  NULL out of memory.
 * (owned: free) */
char *weir_plugins_default_path(const char *cli_path);
/* A registry over `path` (copied), its folders checked (warnings logged).
 * NULL out of memory or when libltdl cannot start.
 * (owned: weir_plugins_free) */
weir_plugins *weir_plugins_new(const char *path);
void weir_plugins_free(weir_plugins *reg);
const char *weir_plugins_path(const weir_plugins *reg);

/* The plugin called `name`, loaded on first use.  On failure returns NULL
 * and sets *err to why, naming the file (owned: free). */
const weir_plugin *weir_plugins_get(weir_plugins *reg, const char *name,
                                    char **err);

/* Call `fn` for every *.so in the path, in path order (a name found twice
 * is reported once, from the first folder): with the descriptor, or with
 * the reason it was refused.  `file` and `err` are borrowed. */
void weir_plugins_scan(weir_plugins *reg,
                       void (*fn)(const char *file, const weir_plugin *p,
                                  const char *err, void *ctx),
                       void *ctx);

/* The i-th declared option of `p`; NULL at the end.  (borrowed) */
const weir_option_spec *weir_plugin_option(const weir_plugin *p, size_t i);
#define WEIR_EACH_OPTION(o, p, i) \
    for (size_t i = 0; ((o) = weir_plugin_option((p), i)) != NULL; i++)

/* Does descriptor `p` have `member`, a field added in ABI minor `minor`
 * (it took a reserved slot)?  Only when the plugin declares that minor or
 * later: an older plugin's slot is never read, whatever it holds.  The
 * size was checked at load: within a major it never changes (plugin.h,
 * the growth rule).  `member` only names the field, checked to exist. */
#define WEIR_PLUGIN_HAS(p, member, minor) \
    ((void)sizeof((p)->member), (p)->abi_minor >= (minor))

/* The file a loaded plugin came from (borrowed), NULL if not loaded. */
const char *weir_plugins_file(weir_plugins *reg, const char *name);

#endif
