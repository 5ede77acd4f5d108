/*
 * payload.h - a record's fields as the JSON object kept in the outbox
 * ({"code": "A1", "city": null}) and back.
 */
#ifndef WEIR_PAYLOAD_H
#define WEIR_PAYLOAD_H

#include "record/record.h"

/* The fields of `r` as a JSON object.  (owned: free) NULL when a value is
 * not valid UTF-8 (JSON cannot carry it) or out of memory; then `why`
 * names the field. */
char *weir_payload_encode(const weir_record *r, char *why, size_t whysize);
/* Set the fields of `json` on `r`.  Returns 0, or -1 when the text is not
 * a JSON object of strings and nulls. */
int weir_payload_decode(weir_record *r, const char *json);

#endif
