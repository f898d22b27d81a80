/* The XS arena: one fixed block, as the board's XS budget. Chunks grow up
 * from its bottom, slots down from its top; when they would meet, XS is out
 * of memory ("memory full"), as on the board. */
#ifndef XSMCU_ARENA_H
#define XSMCU_ARENA_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
	uint32_t budget;      /* bytes XS may use, from the command line */
	uint32_t chunkBytes;  /* reserved from the bottom for chunk blocks */
	uint32_t slotBytes;   /* reserved from the top for slot heaps and the stack */
	uint32_t capacity;    /* size of the linked arena region */
} ArenaUse;

/* Bounds the arena to `budget` bytes; 0 or more than the region means all of it. */
void arena_reset(uint32_t budget);
void arena_use(ArenaUse* use);

#endif
