/* Library threads keep out of the embedding program's signal handling.
 * Not a public interface.
 *
 * A thread the library starts for its own work (the logger's sampler and
 * writer, the mapper's row formatter, the regression's fold workers) blocks
 * SIGINT and SIGTERM, so a handler (the CLI's, cli/signals.c) runs on one
 * of the program's threads: the one that creates the outputs' temporaries,
 * which cannot then make a new one while the handler removes them. */
#ifndef WATTPROF_THREAD_INTERNAL_H
#define WATTPROF_THREAD_INTERNAL_H

#include <pthread.h>

/* pthread_create with SIGINT and SIGTERM blocked in the new thread; the
 * caller's mask is unchanged. Returns pthread_create's result. */
int wp__thread_create(pthread_t *thread, void *(*fn)(void *), void *arg);

#endif
