/* Arm semihosting (QEMU -semihosting-config enable=on,target=native): the
 * harness's only channel to the host — its command line, the script file it
 * runs, its output and its exit status. */
#ifndef XSMCU_SEMIHOST_H
#define XSMCU_SEMIHOST_H
#include <stddef.h>
#include <stdint.h>

int semihost_open(const char* path, int mode);
int semihost_close(int handle);
int semihost_read(int handle, void* buffer, size_t length);
int semihost_write(int handle, const void* buffer, size_t length);
int semihost_flen(int handle);
int semihost_cmdline(char* buffer, size_t length);
void semihost_exit(int status) __attribute__((noreturn));

#endif
