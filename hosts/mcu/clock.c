/* The SysTick counts down 24 bits at the CPU clock; its interrupt extends it
 * to 64 bits. Nothing else runs in interrupts. */
#include <sys/time.h>
#include "clock.h"

#define SYST_CSR (*(volatile uint32_t*)0xE000E010)
#define SYST_RVR (*(volatile uint32_t*)0xE000E014)
#define SYST_CVR (*(volatile uint32_t*)0xE000E018)
#define RELOAD 0x00FFFFFFu

static volatile uint32_t wraps;

void SysTick_Handler(void)
{
	wraps++;
}

void clock_start(void)
{
	wraps = 0;
	SYST_RVR = RELOAD;
	SYST_CVR = 0;
	SYST_CSR = 0x7; /* enable, interrupt, processor clock */
}

uint64_t clock_ticks(void)
{
	uint32_t before, value, after;
	/* Read until no wrap slipped between the two halves. */
	do {
		before = wraps;
		value = SYST_CVR;
		after = wraps;
	} while (before != after);
	return (uint64_t)before * (RELOAD + 1) + (RELOAD - value);
}

uint64_t clock_nanoseconds(void)
{
	return clock_ticks() * (1000000000u / MCU_CPU_HZ);
}

/* Date.now() on the emulated board: virtual time since boot, from 0. */
int mcu_gettimeofday(struct timeval* tv, void* tz)
{
	(void)tz;
	uint64_t us = clock_nanoseconds() / 1000u;
	tv->tv_sec = (time_t)(us / 1000000u);
	tv->tv_usec = (suseconds_t)(us % 1000000u);
	return 0;
}
