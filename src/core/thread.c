/* thread: library threads started with the program's signals blocked
 * (core/thread_internal.h says why). */
#include "core/thread_internal.h"

#include <signal.h>

int wp__thread_create(pthread_t *thread, void *(*fn)(void *), void *arg)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    /* the new thread inherits the mask */
    int e = pthread_create(thread, NULL, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return e;
}
