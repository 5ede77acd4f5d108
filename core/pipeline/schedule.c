/* schedule.c - the next due time of a pipeline's <schedule> (schedule.h). */
#include "config.h"

#include "base/cron.h"
#include "pipeline/schedule.h"

int64_t weir_schedule_next(const weir_pipeline *p, int64_t last_start,
                           int64_t now)
{
    if (p->schedule_cron)
        return weir_cron_next(p->schedule_cron, p->schedule_tz,
                              last_start ? last_start : now);
    if (p->schedule_ms <= 0)
        return 0;
    /* <schedule every>: a pipeline that never ran is due at once */
    if (!last_start)
        return now;
    return last_start + p->schedule_ms;
}

int64_t weir_schedule_full_refresh(const weir_pipeline *p, int64_t last_full)
{
    if (!p->track.present || p->track.full_refresh_ms <= 0 || !last_full)
        return 0;
    return last_full + p->track.full_refresh_ms;
}
