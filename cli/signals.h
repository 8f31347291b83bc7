/* The process's one SIGINT/SIGTERM handler.
 *
 * A process has one handler per signal, so the program owns it and the
 * library installs none: main() installs this one before any command runs.
 * During a logging session (cli_signals_session), a signal ends the session
 * cleanly (every sample taken is written); otherwise it
 * removes the temporaries of open outputs (wp_atomic_remove_temporaries) and
 * ends the process with the signal's default action. `run` blocks both
 * signals and takes them synchronously instead (cmd_run.c). */
#ifndef WATTPROF_CLI_SIGNALS_H
#define WATTPROF_CLI_SIGNALS_H

#include "wattprof/logger.h"

void cli_signals_install(void);
/* Between cli_signals_session(1) and cli_signals_session(0) a signal does
 * not end the process: it is recorded (cli_signals_caught) and stops the
 * logger given to cli_signals_stop_logger, if any by then. */
void cli_signals_session(int on);
void cli_signals_stop_logger(wp_logger *lg);
/* 1 once SIGINT or SIGTERM has arrived. */
int cli_signals_caught(void);

#endif
