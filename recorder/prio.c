#include "prio.h"

#include <errno.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

int prio__boost(int levels, int *before, int *after)
{
	/* PRIO_PROCESS with a thread id: Linux's nice value is per thread */
	id_t tid = (id_t)syscall(SYS_gettid);
	int now, want, err = 0;

	errno = 0;
	now = getpriority(PRIO_PROCESS, tid);
	if (now == -1 && errno)
		return -errno;
	want = now - levels;
	want = want < -20 ? -20 : want > 19 ? 19 : want;
	if (want != now && setpriority(PRIO_PROCESS, tid, want))
		err = -errno;
	if (before)
		*before = now;
	if (after)
		*after = err ? now : want;
	return err;
}
