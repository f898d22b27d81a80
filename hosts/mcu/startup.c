/* Cortex-M3 reset: the vector table, .data copied from its load address,
 * .bss zeroed, then main(). Faults print where they happened and exit. */
#include <stdint.h>
#include <string.h>
#include "mcu-io.h"
#include "semihost.h"

extern uint32_t __stack_top[], __data_start[], __data_end[], __data_load[], __bss_start[], __bss_end[];
extern int main(void);
extern void SysTick_Handler(void);

void Reset_Handler(void)
{
	memcpy(__data_start, __data_load, (size_t)((uint8_t*)__data_end - (uint8_t*)__data_start));
	memset(__bss_start, 0, (size_t)((uint8_t*)__bss_end - (uint8_t*)__bss_start));
	semihost_exit(main());
}

/* A fault ends the run with its status registers, so a test sees why. */
void Fault_Handler(void)
{
	volatile uint32_t* scb = (volatile uint32_t*)0xE000ED00;
	mcu_io_start();
	mcu_printf("@@fault CFSR=%08lx HFSR=%08lx MMFAR=%08lx BFAR=%08lx\n",
		(unsigned long)scb[0x28 / 4], (unsigned long)scb[0x2C / 4], (unsigned long)scb[0x34 / 4], (unsigned long)scb[0x38 / 4]);
	semihost_exit(3);
}

__attribute__((section(".vectors"), used))
static void (* const vectors[16])(void) = {
	(void (*)(void))__stack_top, Reset_Handler,
	Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler,
	0, 0, 0, 0, Fault_Handler, Fault_Handler, 0, Fault_Handler, SysTick_Handler,
};
