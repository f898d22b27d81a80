/* Console output over semihosting, and the C heap's high-water mark. */
#ifndef XSMCU_IO_H
#define XSMCU_IO_H
#include <stdint.h>

void mcu_io_start(void);
void mcu_puts(const char* text);
void mcu_printf(const char* format, ...) __attribute__((format(printf, 1, 2)));
uint32_t mcu_heap_peak(void);

#endif
