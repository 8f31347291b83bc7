/* signals: the process's one SIGINT/SIGTERM handler (signals.h). */
#include "signals.h"

#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#include "wattprof/atomic_file.h"

static atomic_int in_session;
static wp_logger *_Atomic logger;
static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
    caught = 1;
    if (atomic_load(&in_session)) {
        wp_logger *lg = atomic_load(&logger);
        if (lg)
            wp_logger_stop(lg); /* an atomic store: async-signal-safe */
        return;
    }
    wp_atomic_remove_temporaries();
    signal(sig, SIG_DFL);
    raise(sig);
}

void cli_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

void cli_signals_session(int on)
{
    if (!on)
        atomic_store(&logger, NULL);
    atomic_store(&in_session, on);
}

void cli_signals_stop_logger(wp_logger *lg)
{
    atomic_store(&logger, lg);
}

int cli_signals_caught(void)
{
    return caught;
}
