/*
 * ownership.h - <field owner> across pipelines: the system of record of
 * a field, as one pipeline declares it, checked against the others
 * validated with it.
 *
 * One pipeline's `<field name="credit_limit" owner="erp"/>` says the ERP
 * owns the credit limit.  Another pipeline that sends into the ERP from
 * another system, without that declaration in its own <track>, would
 * overwrite the ERP's value with the records that carry the field: `weir
 * validate` warns (the field may never be in its records; only the admin
 * knows).  Not thread-safe; reads the pipelines only.
 */
#ifndef WEIR_PIPELINE_OWNERSHIP_H
#define WEIR_PIPELINE_OWNERSHIP_H

#include <stddef.h>

#include "pipeline/pipeline.h"

/* Call warn(ctx, i, text) for each warning about ps[i] (ps has n
 * pipelines, NULL entries skipped): text is "FILE:LINE: ...". */
void weir_ownership_check(weir_pipeline *const *ps, size_t n,
                          void (*warn)(void *ctx, size_t i, const char *text),
                          void *ctx);

#endif
