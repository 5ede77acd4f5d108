/* values.c - see values.h. */
#include "config.h"

#include "base/clock.h"
#include "report/values.h"

json_t *weir_report_time(int64_t ms)
{
    char buf[32];
    return ms > 0 ? json_string(weir_clock_iso(ms, buf, sizeof(buf)))
                  : json_null();
}

json_t *weir_report_str(const char *s)
{
    return s ? json_string(s) : json_null();
}

const char *weir_report_text(const json_t *o, const char *name,
                             const char *none)
{
    const char *s = json_string_value(json_object_get(o, name));
    return s ? s : none;
}
