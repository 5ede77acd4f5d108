/*
 * codeprefix - an example weir transform plugin, built out of tree.
 *
 * Gives records created in a field app a prefixed code so they never
 * clash with the ERP's own codes (HB_000123): a record whose
 * `field` is empty gets `prefix` + its `counter-field` zero-padded; a
 * record whose code already has the prefix, or any other code, passes
 * unchanged.  A record with neither code nor counter is rejected.
 *
 * Build:  cc -std=c11 -Wall -Wextra -shared -fPIC \
 *            $(pkg-config --cflags weir) -o codeprefix.so codeprefix.c
 * Use:    weir run --plugin-path . p.xml   (this folder, then the installed plugins)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <weir/plugin.h>

typedef struct codeprefix {
    const weir_host *host;
    const char *field, *prefix, *counter; /* borrowed from the host */
    long long width;
} codeprefix;

static const weir_option_spec options[] = {
    WEIR_OPTION("field", WEIR_OPTION_STRING, WEIR_OPTION_REQUIRED, 0, NULL,
        "the code field to fill"),
    WEIR_OPTION("prefix", WEIR_OPTION_STRING, 0, 0, "HB_",
        "prefix of generated codes"),
    WEIR_OPTION("counter-field", WEIR_OPTION_STRING, WEIR_OPTION_REQUIRED, 0, NULL,
        "field holding the app's own number for the record"),
    WEIR_OPTION("width", WEIR_OPTION_INT, 0, 0, "6",
        "digits of the generated number"),
    WEIR_OPTION_END,
};

static weir_status cp_open(weir_instance *inst, const weir_host *host,
                           weir_kind kind, void **state)
{
    (void)kind;
    codeprefix *cp = calloc(1, sizeof(*cp));
    if (!cp)
        return WEIR_STATUS_ERROR;
    cp->host = host;
    cp->field = host->option(inst, "field");
    cp->prefix = host->option(inst, "prefix");
    cp->counter = host->option(inst, "counter-field");
    host->option_int(inst, "width", &cp->width);
    if (cp->width < 1 || cp->width > 18) {
        host->set_error(inst, "width must be 1 to 18");
        free(cp);
        return WEIR_STATUS_ERROR;
    }
    *state = cp;
    return WEIR_STATUS_OK;
}

static weir_status cp_process(void *state, weir_batch *b)
{
    codeprefix *cp = state;
    const weir_host *h = cp->host;
    for (size_t i = 0; i < h->batch_count(b); i++) {
        weir_record *r = h->batch_at(b, i);
        const char *code = h->record_get(r, cp->field, NULL);
        if (code && *code)
            continue; /* the record has a code: leave it alone */
        const char *n = h->record_get(r, cp->counter, NULL);
        char *end = NULL;
        long long number = n ? strtoll(n, &end, 10) : -1;
        if (!n || !*n || *end || number < 0) {
            h->record_answerf(r, WEIR_RESULT_REJECT,
                              "no %s and no usable %s to generate one",
                              cp->field, cp->counter);
            continue;
        }
        char generated[96];
        snprintf(generated, sizeof(generated), "%s%0*lld", cp->prefix,
                 (int)cp->width, number);
        if (h->record_set(r, cp->field, generated, (size_t)-1) != 0)
            return WEIR_STATUS_ERROR;
    }
    return WEIR_STATUS_OK;
}

static void cp_close(void *state) { free(state); }

WEIR_PLUGIN_DEFINE = {
    WEIR_PLUGIN_HEADER,
    .kinds = WEIR_KIND_TRANSFORM,
    .name = "codeprefix",
    .version = "1.0",
    .description = "generate prefixed codes (HB_000123) for app-created records",
    .options = options,
    .open = cp_open,
    .process = cp_process,
    .close = cp_close,
};
