/* Tests only: fault injection for atomic_file's writes. */
#ifndef WATTPROF_ATOMIC_TESTHOOK_H
#define WATTPROF_ATOMIC_TESTHOOK_H

/* From now on, writes of every atomic file (and the logger's) fail with
 * ENOSPC once `bytes` more bytes have been written in all, as on a disk that
 * fills up; -1 turns it off. */
void wp__atomic_test_fail_writes_after(long long bytes);

/* From now on, a result set commit (resultset.h) ends the process with
 * _exit(70) after switching `folders` of its folders, as a kill in the
 * middle of the switch would; -1 turns it off. */
void wp__resultset_test_die_after(int folders);

#endif
