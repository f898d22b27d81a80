/*
 * The XS platform header for xsmeter's bare-metal Cortex-M target (hosts/mcu):
 * newlib for the C library, no threads, no sockets, no file system. Chunks and
 * slots come from one fixed arena (arena.c), so a machine that outgrows the
 * board's XS budget aborts with "memory full" as it would on the board.
 */
#ifndef __XSMCU_PLATFORM__
#define __XSMCU_PLATFORM__

#undef mxLittleEndian
#define mxLittleEndian 1
#define mxExport extern
#define mxImport extern
#define XS_FUNCTION_NORETURN __attribute__((noreturn))

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/time.h>

/* One machine, one thread: no atomics library, no waiters. */
#define mxMachinePlatform \
	void* waiterCondition; \
	void* waiterData; \
	void* waiterLink; \
	int promiseJobs;

#define mxUseDefaultMachinePlatform 1
#define mxUseDefaultBuildKeys 1
#define mxUseDefaultParseScript 1
#define mxUseDefaultSharedChunks 1
#define mxUseDefaultDebug 1
/* Chunk and slot allocation (arena.c), fxAbort, the promise queue and modules
 * (harness.c: scripts only, there is no file system) are ours. */
#define C_PATH_MAX 256

/* A Cortex-M3 faults on an unaligned LDRD/STRD (a double read through a
 * pointer): DataView's getters and setters then go through memcpy, as the
 * Moddable SDK builds XS for targets that fault (ESP8266, RISC-V ESP32s, Pico).
 * This XS (13.3) then reads 64-bit elements with c_read32: 32 bits (docs/mcu.md,
 * "64-bit DataView reads"); the firmware never uses them. */
#define mxMisalignedSettersCrash 1

/* Date.now() and the clock come from the SysTick (clock.c), not a host. */
typedef struct timeval c_timeval;
struct c_timezone { int tz_minuteswest; int tz_dsttime; };
extern int mcu_gettimeofday(c_timeval* tv, struct c_timezone* tz);
#define c_gettimeofday mcu_gettimeofday

#endif /* __XSMCU_PLATFORM__ */
