/*
 * assets.h - the page of the web monitor: core/web/monitor.html,
 * monitor.js and monitor.css, compiled in as strings (the generated
 * assets.c, core/local.mk), so weir never looks for them at run time.
 */
#ifndef WEIR_WEB_ASSETS_H
#define WEIR_WEB_ASSETS_H

extern const char weir_web_monitor_html[];
extern const char weir_web_monitor_js[];
extern const char weir_web_monitor_css[];

#endif
