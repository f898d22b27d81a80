/* Arm semihosting calls: r0 = operation, r1 = pointer to a parameter block,
 * result in r0; BKPT 0xAB is the Thumb trap QEMU intercepts. */
#include <string.h>
#include "semihost.h"

enum { SYS_OPEN = 0x01, SYS_CLOSE = 0x02, SYS_WRITE = 0x05, SYS_READ = 0x06, SYS_FLEN = 0x0C, SYS_GET_CMDLINE = 0x15, SYS_EXIT = 0x18, SYS_EXIT_EXTENDED = 0x20 };
#define ADP_Stopped_ApplicationExit 0x20026

static int call(int op, void* block)
{
	register int r0 __asm__("r0") = op;
	register void* r1 __asm__("r1") = block;
	__asm__ volatile ("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
	return r0;
}

int semihost_open(const char* path, int mode)
{
	uint32_t block[3] = { (uint32_t)path, (uint32_t)mode, (uint32_t)strlen(path) };
	return call(SYS_OPEN, block);
}

int semihost_close(int handle)
{
	uint32_t block[1] = { (uint32_t)handle };
	return call(SYS_CLOSE, block);
}

/* Returns the number of bytes read (SYS_READ answers the number NOT read). */
int semihost_read(int handle, void* buffer, size_t length)
{
	uint32_t block[3] = { (uint32_t)handle, (uint32_t)buffer, (uint32_t)length };
	int left = call(SYS_READ, block);
	return left < 0 ? -1 : (int)length - left;
}

int semihost_write(int handle, const void* buffer, size_t length)
{
	uint32_t block[3] = { (uint32_t)handle, (uint32_t)buffer, (uint32_t)length };
	return call(SYS_WRITE, block) == 0 ? (int)length : -1;
}

int semihost_flen(int handle)
{
	uint32_t block[1] = { (uint32_t)handle };
	return call(SYS_FLEN, block);
}

int semihost_cmdline(char* buffer, size_t length)
{
	uint32_t block[2] = { (uint32_t)buffer, (uint32_t)length };
	return call(SYS_GET_CMDLINE, block);
}

void semihost_exit(int status)
{
	/* The extended form carries the status to QEMU's own exit code. */
	uint32_t block[2] = { ADP_Stopped_ApplicationExit, (uint32_t)status };
	call(SYS_EXIT_EXTENDED, block);
	call(SYS_EXIT, (void*)ADP_Stopped_ApplicationExit);
	for (;;) {}
}
