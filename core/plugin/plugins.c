#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <ltdl.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "plugin/host.h"
#include "plugin/plugins.h"

typedef struct loaded {
    char *name;
    char *file;
    lt_dlhandle handle;        /* NULL when refused */
    const weir_plugin *plugin; /* NULL when refused */
    char *err;                 /* why it was refused */
} loaded;

struct weir_plugins {
    char *path;   /* as given, for messages */
    char **dirs;  /* the folders searched, in order: absolute, safe */
    size_t ndirs;
    loaded *items;
    size_t count, cap;
};

/* Is `gid` the private group of user `uid`: named like the user, the
 * user's primary group, no other member?  Such a group adds no writer, so
 * a folder or file writable by it is as safe as one writable by its owner
 * alone (umask 002 systems; Debian's OpenSSH accepts them the same way). */
static int private_group(gid_t gid, uid_t uid)
{
    const struct passwd *pw = getpwuid(uid);
    if (!pw || pw->pw_gid != gid)
        return 0;
    char user[256];
    snprintf(user, sizeof(user), "%s", pw->pw_name);
    const struct group *gr = getgrgid(gid);
    if (!gr || strcmp(gr->gr_name, user) != 0)
        return 0;
    for (char **m = gr->gr_mem; m && *m; m++)
        if (strcmp(*m, user) != 0)
            return 0;
    return 1;
}

/* Could someone but the owner (and root) change this folder or file?
 * Then code loaded from it is not the code its owner installed. */
static int writable_by_others(const struct stat *st)
{
    return (st->st_mode & S_IWOTH) ||
           ((st->st_mode & S_IWGRP) && !private_group(st->st_gid, st->st_uid));
}

/* 1 when `name` is "STEM.so" with a stem. */
static int so_name(const char *name)
{
    size_t len = strlen(name);
    return len > 3 && strcmp(name + len - 3, ".so") == 0;
}

/* 1 when `dir` has a file named *.so. */
static int holds_plugins(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int found = 0;
    struct dirent *e;
    while (!found && (e = readdir(d)))
        found = so_name(e->d_name);
    closedir(d);
    return found;
}

/* Check one folder of the path; 1 when plugins may be loaded from it,
 * else 0 after a warning that names it and says why. */
static int usable_dir(const char *dir)
{
    struct stat st;
    /* Code is loaded only from folders that do not depend on where weir
     * happens to be started. */
    if (*dir != '/') {
        weir_log(WEIR_LOG_WARNING, "plugin path: ignoring '%s': not an "
                 "absolute folder", dir);
        return 0;
    }
    if (stat(dir, &st) != 0) {
        weir_log(WEIR_LOG_WARNING, "plugin path: %s: %s", dir,
                 errno == ENOENT ? "no such folder" : strerror(errno));
        return 0;
    }
    if (!S_ISDIR(st.st_mode)) {
        weir_log(WEIR_LOG_WARNING, "plugin path: %s: not a folder", dir);
        return 0;
    }
    if (writable_by_others(&st)) {
        weir_log(WEIR_LOG_WARNING, "plugin path: %s: writable by group or "
                 "others; not loading plugins from it (chmod go-w %s)", dir,
                 dir);
        return 0;
    }
    if (!holds_plugins(dir))
        weir_log(WEIR_LOG_WARNING, "plugin path: %s: holds no plugin (no "
                 "*.so)", dir);
    return 1;
}

/* Split reg->path into reg->dirs: the usable folders, each once. */
static int split_path(weir_plugins *reg)
{
    char *copy = strdup(reg->path);
    if (!copy)
        return -1;
    int rc = 0;
    char *save = NULL;
    for (char *d = strtok_r(copy, ":", &save); d && !rc;
         d = strtok_r(NULL, ":", &save)) {
        int seen = 0;
        for (size_t i = 0; i < reg->ndirs; i++)
            seen |= strcmp(reg->dirs[i], d) == 0;
        if (seen || !usable_dir(d))
            continue;
        char **g = realloc(reg->dirs, (reg->ndirs + 1) * sizeof(*g));
        if (!g || !(g[reg->ndirs] = strdup(d)))
            rc = -1;
        if (g)
            reg->dirs = g;
        if (!rc)
            reg->ndirs++;
    }
    free(copy);
    return rc;
}

static void free_dirs(weir_plugins *reg)
{
    for (size_t i = 0; i < reg->ndirs; i++)
        free(reg->dirs[i]);
    free(reg->dirs);
}

/* libltdl's state is global and not thread-safe, and a plugin's load()
 * and unload() may touch its own global state: every call into them,
 * from any registry, holds this lock. */
static pthread_mutex_t ltdl_lock = PTHREAD_MUTEX_INITIALIZER;

static int dl_init(void)
{
    pthread_mutex_lock(&ltdl_lock);
    int rc = lt_dlinit();
    pthread_mutex_unlock(&ltdl_lock);
    return rc;
}

/* libltdl keeps a global reference count; pair every init with an exit. */
weir_plugins *weir_plugins_new(const char *path)
{
    weir_plugins *reg = calloc(1, sizeof(*reg));
    if (!reg)
        return NULL;
    reg->path = strdup(path ? path : "");
    if (!reg->path || split_path(reg) != 0 || dl_init() != 0) {
        free_dirs(reg);
        free(reg->path);
        free(reg);
        return NULL;
    }
    return reg;
}

void weir_plugins_free(weir_plugins *reg)
{
    if (!reg)
        return;
    pthread_mutex_lock(&ltdl_lock);
    for (size_t i = 0; i < reg->count; i++) {
        loaded *l = &reg->items[i];
        if (l->plugin && l->plugin->unload)
            l->plugin->unload();
        if (l->handle)
            lt_dlclose(l->handle);
        free(l->name);
        free(l->file);
        free(l->err);
    }
    lt_dlexit();
    pthread_mutex_unlock(&ltdl_lock);
    free(reg->items);
    free_dirs(reg);
    free(reg->path);
    free(reg);
}

const char *weir_plugins_path(const weir_plugins *reg) { return reg->path; }

/* Is this executable the one in the build tree?  Then the freshly built
 * plugins are the ones to use, not an older installed set. */
static int running_from_build_tree(void)
{
    char self[PATH_MAX], build[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        return 0;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (!slash)
        return 0;
    *slash = '\0';
    if (!realpath(WEIR_BUILDDIR, build))
        return 0;
    return strcmp(self, build) == 0;
}

/* The default folders: $WEIR_PLUGIN_PATH, else the build tree's when
 * weir runs from it, else the install folder. */
static const char *base_path(void)
{
    const char *env = getenv("WEIR_PLUGIN_PATH");
    if (env && *env)
        return env;
    if (running_from_build_tree())
        return WEIR_BUILDDIR "/connectors/.libs:" WEIR_BUILDDIR "/plugins/.libs";
    return WEIR_PLUGINDIR;
}

/* Append `s` (n bytes) to the growing string *out of length *len. */
static int append(char **out, size_t *len, const char *s, size_t n)
{
    char *g = realloc(*out, *len + n + 1);
    if (!g)
        return -1;
    memcpy(g + *len, s, n);
    *len += n;
    g[*len] = '\0';
    *out = g;
    return 0;
}

char *weir_plugins_default_path(const char *cli_path)
{
    char *out = NULL;
    size_t len = 0;
    char cwd[PATH_MAX] = "";
    int rc = append(&out, &len, "", 0);
    /* --plugin-path: typed by the user now, so a relative folder means one
     * in the current folder. */
    for (const char *p = cli_path; !rc && p && *p;) {
        size_t n = strcspn(p, ":");
        if (n && *p != '/' && !cwd[0] && !getcwd(cwd, sizeof(cwd)))
            cwd[0] = '\0';
        if (n && *p != '/' && cwd[0])
            rc = append(&out, &len, cwd, strlen(cwd)) ||
                 append(&out, &len, "/", 1);
        if (!rc && n)
            rc = append(&out, &len, p, n) || append(&out, &len, ":", 1);
        p += n + (p[n] == ':');
    }
    const char *base = base_path();
    if (!rc)
        rc = append(&out, &len, base, strlen(base));
    if (rc) {
        free(out);
        return NULL;
    }
    return out;
}

static int valid_name(const char *name)
{
    if (!*name || strlen(name) > 64)
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-'))
            return 0;
    return 1;
}

const weir_option_spec *weir_plugin_option(const weir_plugin *p, size_t i)
{
    if (!p->options)
        return NULL;
    const weir_option_spec *o = &p->options[i]; /* its size was checked */
    return o->name ? o : NULL;
}

static char *strfmt(const char *fmt, ...) WEIR_PRINTF(1, 2);
static char *strfmt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s) {
        va_start(ap, fmt);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return s;
}

/* The one growth rule for what the core reads from a plugin's memory
 * (plugin.h): within a major the descriptor and an option declaration
 * keep one size, and a field added later takes a reserved slot.  The 1.x
 * descriptor is the fields of 1.0 and the eight slots 1.0 reserved. */
_Static_assert(sizeof(weir_plugin) ==
                   offsetof(weir_plugin, probe) + 8 * sizeof(void *),
               "a descriptor field must take a reserved slot");
_Static_assert(sizeof(weir_option_spec) ==
                   offsetof(weir_option_spec, reserved) + 2 * sizeof(void *),
               "an option field must take a reserved slot");

/* Callbacks return weir_status where plugins built before it return int:
 * the same values, so it must be returned the same way. */
_Static_assert(sizeof(weir_status) == sizeof(int),
               "weir_status must be returned like an int");

/* Check the descriptor fields that must be there before anything else of
 * it is trusted.  Returns NULL when acceptable, else why (owned). */
static char *check_descriptor(const weir_plugin *p, const char *file)
{
    if (p->abi_major != WEIR_ABI_MAJOR)
        return strfmt("%s: plugin built for weir ABI %u.%u, this weir has "
                      "ABI %d.%d (major differs): rebuild the plugin",
                      file, p->abi_major, p->abi_minor, WEIR_ABI_MAJOR,
                      WEIR_ABI_MINOR);
    if (p->abi_minor > WEIR_ABI_MINOR)
        return strfmt("%s: plugin needs weir ABI %u.%u, newer than this "
                      "weir's %d.%d: upgrade weir",
                      file, p->abi_major, p->abi_minor, WEIR_ABI_MAJOR,
                      WEIR_ABI_MINOR);
    /* Any other size is no 1.x descriptor: reading it as one would read
     * past it, or take what follows for fields. */
    if (p->struct_size != sizeof(weir_plugin))
        return strfmt("%s: plugin descriptor is truncated or corrupt: "
                      "struct_size is %u, a weir ABI %d descriptor has %zu "
                      "bytes: rebuild the plugin",
                      file, p->struct_size, WEIR_ABI_MAJOR,
                      sizeof(weir_plugin));
    if (!p->name || !valid_name(p->name))
        return strfmt("%s: plugin descriptor has no valid name", file);
    const unsigned all = WEIR_KIND_SOURCE | WEIR_KIND_TRANSFORM |
                         WEIR_KIND_SINK | WEIR_KIND_NOTIFIER;
    if (!p->kinds || (p->kinds & ~all))
        return strfmt("%s: plugin '%s' declares no valid kind", file, p->name);
    if (!p->open || !p->close)
        return strfmt("%s: plugin '%s' lacks open() or close()", file, p->name);
    if (((p->kinds & WEIR_KIND_SOURCE) && !p->read) ||
        ((p->kinds & WEIR_KIND_TRANSFORM) && !p->process) ||
        ((p->kinds & WEIR_KIND_SINK) && !p->write) ||
        ((p->kinds & WEIR_KIND_NOTIFIER) && !p->notify))
        return strfmt("%s: plugin '%s' lacks the callback its kind needs",
                      file, p->name);
    if (p->options && p->option_spec_size != sizeof(weir_option_spec))
        return strfmt("%s: plugin '%s' has truncated or corrupt option "
                      "declarations: option_spec_size is %u, a weir ABI %d "
                      "option has %zu bytes: rebuild the plugin",
                      file, p->name, p->option_spec_size, WEIR_ABI_MAJOR,
                      sizeof(weir_option_spec));
    const weir_option_spec *o;
    WEIR_EACH_OPTION(o, p, i)
        if (o->type > WEIR_OPTION_LIST)
            return strfmt("%s: plugin '%s' option '%s' has an unknown type",
                          file, p->name, o->name);
    return NULL;
}

/* Open `file` as plugin `name` into *l: its handle and descriptor, or
 * l->err.  Holding ltdl_lock. */
static void open_module(loaded *l, const char *name, const char *file)
{
    /* Local symbols: every plugin exports the same descriptor name. */
    lt_dladvise advise;
    lt_dlhandle h = NULL;
    if (lt_dladvise_init(&advise) == 0) {
        lt_dladvise_local(&advise);
        h = lt_dlopenadvise(file, advise);
        lt_dladvise_destroy(&advise);
    }
    if (!h) {
        const char *why = lt_dlerror();
        l->err = strfmt("%s: not a loadable plugin: %s", file,
                        why ? why : "unknown error");
        return;
    }
    const weir_plugin *p = lt_dlsym(h, WEIR_PLUGIN_SYMBOL);
    if (!p) {
        l->err = strfmt("%s: not a weir plugin (no symbol %s)", file,
                        WEIR_PLUGIN_SYMBOL);
        lt_dlclose(h);
        return;
    }
    l->err = check_descriptor(p, file);
    if (!l->err && strcmp(p->name, name) != 0)
        l->err = strfmt("%s: file is named '%s' but the plugin calls itself "
                        "'%s'", file, name, p->name);
    if (!l->err && p->load && p->load(&weir_host_table) != WEIR_STATUS_OK)
        l->err = strfmt("%s: plugin '%s' failed to initialise", file, p->name);
    if (l->err) {
        lt_dlclose(h);
        return;
    }
    l->handle = h;
    l->plugin = p;
}

/* Open `file` (an absolute path) and read its descriptor. */
static loaded *load_file(weir_plugins *reg, const char *name, const char *file)
{
    for (size_t i = 0; i < reg->count; i++)
        if (strcmp(reg->items[i].file, file) == 0)
            return &reg->items[i];
    if (reg->count == reg->cap) {
        size_t cap = reg->cap ? reg->cap * 2 : 8;
        loaded *grown = realloc(reg->items, cap * sizeof(*grown));
        if (!grown)
            return NULL;
        reg->items = grown;
        reg->cap = cap;
    }
    loaded *l = &reg->items[reg->count];
    memset(l, 0, sizeof(*l));
    l->name = strdup(name);
    l->file = strdup(file);
    if (!l->name || !l->file) {
        free(l->name);
        free(l->file);
        return NULL;
    }
    reg->count++;

    struct stat st;
    if (stat(file, &st) == 0 && writable_by_others(&st)) {
        l->err = strfmt("%s: writable by group or others; not loading it "
                        "(chmod go-w %s)", file, file);
        return l;
    }
    /* A file that is not ELF gets a clear word instead of libltdl's
     * "file not found". */
    unsigned char magic[4] = {0};
    FILE *f = fopen(file, "rb");
    size_t got = f ? fread(magic, 1, sizeof(magic), f) : 0;
    if (f)
        fclose(f);
    if (got != 4 || memcmp(magic, "\177ELF", 4) != 0) {
        l->err = strfmt("%s: not a loadable plugin: not a shared object (no "
                        "ELF header)", file);
        return l;
    }
    pthread_mutex_lock(&ltdl_lock);
    open_module(l, name, file);
    pthread_mutex_unlock(&ltdl_lock);
    return l;
}

/* Call fn(dir) for each usable folder, in order, until it returns
 * nonzero. */
static int each_dir(const weir_plugins *reg,
                    int (*fn)(const char *dir, void *ctx), void *ctx)
{
    int rc = 0;
    for (size_t i = 0; i < reg->ndirs && !rc; i++)
        rc = fn(reg->dirs[i], ctx);
    return rc;
}

struct find_ctx {
    const char *name;
    char *file;
};

static int find_in_dir(const char *dir, void *vctx)
{
    struct find_ctx *c = vctx;
    char buf[PATH_MAX], abs[PATH_MAX];
    struct stat st;
    if (snprintf(buf, sizeof(buf), "%s/%s.so", dir, c->name) >= (int)sizeof(buf))
        return 0;
    if (stat(buf, &st) != 0 || !S_ISREG(st.st_mode) || !realpath(buf, abs))
        return 0;
    c->file = strdup(abs);
    return 1;
}

const weir_plugin *weir_plugins_get(weir_plugins *reg, const char *name,
                                    char **err)
{
    *err = NULL;
    for (size_t i = 0; i < reg->count; i++)
        if (strcmp(reg->items[i].name, name) == 0 && reg->items[i].plugin)
            return reg->items[i].plugin;
    if (!valid_name(name)) {
        *err = strfmt("'%s' is not a valid plugin name (letters a-z, digits, "
                      "'-' and '_')", name);
        return NULL;
    }
    struct find_ctx c = {name, NULL};
    each_dir(reg, find_in_dir, &c);
    if (!c.file) {
        *err = strfmt("unknown plugin '%s' (no %s.so in plugin path %s)", name,
                      name, reg->path);
        return NULL;
    }
    loaded *l = load_file(reg, name, c.file);
    free(c.file);
    if (!l) {
        *err = strdup("out of memory");
        return NULL;
    }
    if (l->err)
        *err = strdup(l->err);
    return l->plugin;
}

const char *weir_plugins_file(weir_plugins *reg, const char *name)
{
    for (size_t i = 0; i < reg->count; i++)
        if (strcmp(reg->items[i].name, name) == 0 && reg->items[i].plugin)
            return reg->items[i].file;
    return NULL;
}

struct scan_ctx {
    weir_plugins *reg;
    void (*fn)(const char *, const weir_plugin *, const char *, void *);
    void *ctx;
    char **seen;
    size_t nseen;
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int scan_dir(const char *dir, void *vctx)
{
    struct scan_ctx *s = vctx;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!so_name(e->d_name))
            continue;
        size_t len = strlen(e->d_name);
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **g = realloc(names, cap * sizeof(*g));
            if (!g)
                break;
            names = g;
        }
        names[n] = strndup(e->d_name, len - 3);
        if (names[n])
            n++;
    }
    closedir(d);
    if (n) /* an empty folder: names is NULL, which qsort must not get */
        qsort(names, n, sizeof(*names), cmp_str);
    for (size_t i = 0; i < n; i++) {
        int dup = 0;
        for (size_t j = 0; j < s->nseen; j++)
            dup |= strcmp(s->seen[j], names[i]) == 0;
        char path[PATH_MAX], abs[PATH_MAX];
        if (dup || snprintf(path, sizeof(path), "%s/%s.so", dir, names[i]) >=
                       (int)sizeof(path) ||
            !realpath(path, abs)) {
            free(names[i]);
            continue;
        }
        char **g = realloc(s->seen, (s->nseen + 1) * sizeof(*g));
        if (!g) {
            free(names[i]);
            continue;
        }
        s->seen = g;
        s->seen[s->nseen++] = names[i];
        loaded *l = load_file(s->reg, names[i], abs);
        if (l)
            s->fn(abs, l->plugin, l->err, s->ctx);
    }
    free(names);
    return 0;
}

void weir_plugins_scan(weir_plugins *reg,
                       void (*fn)(const char *file, const weir_plugin *p,
                                  const char *err, void *ctx),
                       void *ctx)
{
    struct scan_ctx s = {reg, fn, ctx, NULL, 0};
    each_dir(reg, scan_dir, &s);
    for (size_t i = 0; i < s.nseen; i++)
        free(s.seen[i]);
    free(s.seen);
}
