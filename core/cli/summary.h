/* summary.h - the one-line (or JSON) summary of a run, drain or resend. */
#ifndef WEIR_SUMMARY_H
#define WEIR_SUMMARY_H

#include "cli/cli.h"
#include "engine/engine.h"

/* Print the summary of `res` for `name` on stdout (--json: one object).
 * `exit_code` is the command's. */
void weir_summary_print(const weir_cli *cli, const char *name,
                        const weir_run_result *res, int exit_code);

#endif
