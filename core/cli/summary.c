#include "config.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli/summary.h"

typedef struct part {
    const char *label;
    uint64_t value;
    int always;
} part;

void weir_summary_print(const weir_cli *cli, const char *name,
                        const weir_run_result *res, int exit_code)
{
    const weir_run_counts *c = &res->counts;
    /* A drain or resend reads no source: leave "read" and "dropped" out. */
    int ran = strcmp(cli->command, "run") == 0;
    const part parts[] = {
        {"read", c->read, ran},
        {cli->dry_run ? "would be sent" : "written", c->written, 1},
        {"rejected", c->rejected, 1},
        {"dropped", c->dropped, ran},
        {"unchanged", c->unchanged, 0},
        {"deletes", c->deletes, 0},
        {"held", c->held, 0},
        {"queued", c->queued, 0},
        {"waiting for retry", c->retry, 0},
        {"failed", c->failed, 0},
        {"superseded", c->superseded, 0},
    };
    const size_t n = sizeof(parts) / sizeof(parts[0]);
    if (cli->json) {
        json_t *o = json_object();
        json_object_set_new(o, "pipeline", json_string(name));
        static const char *const keys[] = {"read", "written", "rejected",
                                           "dropped", "unchanged", "deletes",
                                           "held", "queued", "retry", "failed",
                                           "superseded"};
        for (size_t i = 0; i < n; i++)
            json_object_set_new(o, keys[i], json_integer((json_int_t)parts[i].value));
        json_object_set_new(o, "seconds", json_real(res->seconds));
        json_object_set_new(o, "exit_code", json_integer(exit_code));
        json_object_set_new(o, "dry_run", json_boolean(cli->dry_run));
        int failed = res->error.cls != WEIR_ERR_NONE;
        json_object_set_new(o, "error",
                            failed ? json_string(weir_error_message(&res->error))
                                   : json_null());
        json_object_set_new(o, "error_class",
                            failed ? json_string(weir_error_class_name(
                                         res->error.cls))
                                   : json_null());
        json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
        json_decref(o);
        return;
    }
    if (cli->quiet && exit_code == 0)
        return;
    printf("%s: %s", name, cli->dry_run ? "dry run: " : "");
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        if (!parts[i].always && !parts[i].value)
            continue;
        printf("%s%llu %s", first ? "" : ", ",
               (unsigned long long)parts[i].value, parts[i].label);
        first = 0;
    }
    printf(" in %.2f s\n", res->seconds);
}
