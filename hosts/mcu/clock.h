/* Virtual time from the SysTick. Under QEMU's -icount shift=0 each guest
 * instruction advances virtual time by exactly 1 ns, and the SysTick runs on the
 * 25 MHz CPU clock of the MPS2 boards, so one tick is 40 instructions. */
#ifndef XSMCU_CLOCK_H
#define XSMCU_CLOCK_H
#include <stdint.h>

#define MCU_CPU_HZ 25000000u

void clock_start(void);
/* Ticks of the CPU clock since clock_start() (64 bits: never wraps here). */
uint64_t clock_ticks(void);
/* Virtual nanoseconds since clock_start(): instructions under -icount shift=0. */
uint64_t clock_nanoseconds(void);

#endif
