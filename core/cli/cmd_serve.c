/* cmd_serve.c - `weir serve DIR`: the service (serve/serve.h), with its
 * signals: SIGTERM or SIGINT stop it, SIGHUP reloads the folder. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "cli/cli.h"
#include "engine/notify.h"
#include "plugin/plugins.h"
#include "serve/serve.h"
#include "store/state.h"
#include "web/web.h"

static weir_serve *serving; /* for the signal handlers */

/* The first SIGTERM/SIGINT asks for a clean stop; a second one, while
 * the first is being honoured, kills at once (nothing is lost: what was
 * in flight is found again by the next run or drain). */
static void on_stop(int sig)
{
    if (weir_cli_stop_requested) {
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    weir_cli_stop_requested = 1;
    weir_serve_wake(serving);
}

static void on_reload(int sig)
{
    (void)sig;
    weir_serve_reload(serving);
}

/* The web monitor's resend, discard or merge made records due. */
static void wake(void *ctx)
{
    weir_serve_wake(ctx);
}

/* --http: the web monitor on its own thread, failure notifications
 * linking to it.  NULL when not asked for, or after saying why it could
 * not start (*rc the exit code: 2 a bad address, 3 one in use). */
static weir_web *start_web(const weir_cli *cli, weir_serve *s,
                           weir_state *st, int *rc)
{
    if (!cli->http)
        return NULL;
    const char *env = cli->token_env ? cli->token_env : "WEIR_WEB_TOKEN";
    weir_web_config cfg = {.listen = cli->http, .token = getenv(env),
                           .state_path = weir_state_path(st),
                           .plugin_path = cli->plugin_path,
                           .dir = cli->args[0], .wake = wake, .wake_ctx = s};
    if (cli->public_url && strncmp(cli->public_url, "http://", 7) != 0 &&
        strncmp(cli->public_url, "https://", 8) != 0) {
        weir_log(WEIR_LOG_ERROR, "--public-url %s: must start with http:// "
                 "or https:// (the monitor's address as people open it)",
                 cli->public_url);
        *rc = WEIR_EXIT_USAGE;
        return NULL;
    }
    weir_error err = {0};
    weir_web *w = weir_web_start(&cfg, &err);
    if (w) /* notifications link to the page, as people reach it */
        weir_notify_set_monitor_url(cli->public_url ? cli->public_url
                                                    : weir_web_url(w));
    else
        weir_log(WEIR_LOG_ERROR, "%s", weir_error_message(&err));
    if (w && !cfg.token)
        weir_log(WEIR_LOG_WARNING, "web monitor: $%s is not set: read-only",
                 env);
    if (!w)
        *rc = err.cls == WEIR_ERR_USAGE ? WEIR_EXIT_USAGE : WEIR_EXIT_ABORTED;
    weir_error_clear(&err);
    return w;
}

static void catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_reload;
    sigaction(SIGHUP, &sa, NULL);
}

static int run_serve(weir_cli *cli)
{
    const char *dir = cli->args[0];
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        weir_log(WEIR_LOG_ERROR, "%s is not a folder of pipeline files", dir);
        return WEIR_EXIT_USAGE;
    }
    weir_plugins *reg = weir_cli_plugins(cli);
    if (!reg)
        return WEIR_EXIT_USAGE;
    weir_log_stamp_always();
    char *beside = NULL; /* the default state: weir.db in DIR */
    weir_state *st = asprintf(&beside, "%s/weir.xml", dir) >= 0
                         ? weir_cli_open_state(cli, beside, 0)
                         : NULL;
    free(beside);
    int rc = WEIR_EXIT_ABORTED;
    weir_serve_config cfg = {.dir = dir, .st = st, .reg = reg,
                             .stop = &weir_cli_stop_requested};
    weir_serve *s = st ? weir_serve_new(&cfg) : NULL;
    int web_rc = WEIR_EXIT_OK;
    weir_web *web = s ? start_web(cli, s, st, &web_rc) : NULL;
    if (web_rc != WEIR_EXIT_OK) {
        rc = web_rc;
    } else if (s) {
        serving = s;
        catch_signals();
        weir_log(WEIR_LOG_INFO, "serving the pipelines of %s (state %s, "
                 "pid %ld)", dir, weir_state_path(st), (long)getpid());
        rc = weir_serve_run(s) == 0 ? WEIR_EXIT_OK : WEIR_EXIT_ABORTED;
        signal(SIGHUP, SIG_IGN);
        serving = NULL;
    }
    weir_notify_set_monitor_url(NULL);
    weir_web_stop(web);
    weir_serve_free(s);
    weir_state_close(st);
    weir_plugins_free(reg);
    return rc;
}

const weir_command weir_cmd_serve = {
    .name = "serve",
    .synopsis = "DIR [--http ADDR:PORT] [--token-env NAME] [--public-url URL]",
    .summary = "run every pipeline in DIR on its schedule, drain "
               "continuously, watch endpoints",
    .help = "Serves every pipeline file (*.xml) in DIR until stopped: each\n"
            "runs on its <schedule> (a file with problems is reported and\n"
            "skipped, the others run), due retries are delivered within\n"
            "seconds, down endpoints are probed, notifications are sent.  A\n"
            "pipeline never overlaps itself; several serve processes on one\n"
            "state share the work (no pipeline runs twice at once, no record\n"
            "is sent twice).  The state is --state, else weir.db in DIR.\n"
            "Logs go to stderr, time-stamped; --log-format logfmt or json\n"
            "gives one structured line per run with its counts.\n"
            "Signals: SIGTERM or SIGINT stop it (a run in flight stops\n"
            "between batches; what it delivered is recorded, the rest waits\n"
            "in the outbox) and it exits 0; SIGHUP reads DIR again (added,\n"
            "changed, removed files; a changed file with problems keeps its\n"
            "last good version).\n"
            "  --http ADDR:PORT  the web monitor (docs/web.md): its page and\n"
            "                    JSON API; PORT alone: 127.0.0.1:PORT\n"
            "  --token-env NAME  the variable holding the token every POST\n"
            "                    needs (default WEIR_WEB_TOKEN); unset: the\n"
            "                    monitor is read-only\n"
            "  --public-url URL  the monitor's address as people open it (a\n"
            "                    proxy in front, --http 0.0.0.0:PORT): the\n"
            "                    links in notifications use it\n",
    .flags = CLI_HTTP,
    .min_args = 1,
    .max_args = 1,
    .run = run_serve,
};
