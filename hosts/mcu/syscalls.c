/* newlib's system calls on the emulated board: output to the semihosting
 * console, the C heap (malloc: XS's key and name tables, the script text and the
 * parser's tree) from the linker's HEAP region. No files, no processes. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "mcu-io.h"
#include "semihost.h"

extern uint8_t __heap_start[], __heap_end[];
static uint8_t* brk = __heap_start;
static int console = -1;

void mcu_io_start(void)
{
	console = semihost_open(":tt", 4 /* "w" */);
}

void mcu_puts(const char* text)
{
	semihost_write(console, text, strlen(text));
	semihost_write(console, "\n", 1);
}

void mcu_printf(const char* format, ...)
{
	static char buffer[512];
	va_list args;
	va_start(args, format);
	int length = vsnprintf(buffer, sizeof(buffer), format, args);
	va_end(args);
	if (length > (int)sizeof(buffer) - 1) length = sizeof(buffer) - 1;
	if (length > 0) semihost_write(console, buffer, (size_t)length);
}

uint32_t mcu_heap_peak(void)
{
	return (uint32_t)(brk - __heap_start);
}

void* _sbrk(ptrdiff_t increment)
{
	if (increment > __heap_end - brk) { errno = ENOMEM; return (void*)-1; }
	uint8_t* previous = brk;
	brk += increment;
	return previous;
}

int _write(int fd, const char* buffer, int length)
{
	(void)fd; /* stdout and stderr both go to the console */
	return semihost_write(console, buffer, (size_t)length) < 0 ? -1 : length;
}

int _read(int fd, char* buffer, int length) { (void)fd; (void)buffer; (void)length; return 0; }
int _close(int fd) { (void)fd; return -1; }
int _lseek(int fd, int offset, int whence) { (void)fd; (void)offset; (void)whence; return -1; }
int _fstat(int fd, struct stat* st) { (void)fd; st->st_mode = S_IFCHR; return 0; }
int _isatty(int fd) { (void)fd; return 1; }
int _getpid(void) { return 1; }
int _kill(int pid, int signal) { (void)pid; (void)signal; errno = EINVAL; return -1; }
void _exit(int status) { semihost_exit(status); }
int _gettimeofday(void* tv, void* tz) { extern int mcu_gettimeofday(void*, void*); return mcu_gettimeofday(tv, tz); }
