/* stagedcalls - test_staged's -e command: exactly 20,000 getppid() and
 * 10,000 getpgid() calls, and nothing else of either (built without
 * sanitizers, whose runtimes make calls of their own). */
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	int i;

	for (i = 0; i < 20000; i++)
		syscall(SYS_getppid);
	for (i = 0; i < 10000; i++)
		syscall(SYS_getpgid, 0);
	return 0;
}
