/*
 * The harness: creates one XS machine with a board's creation sizes in the
 * fixed arena, gives it the `mcu` host object (instructions, computrons,
 * memory, print) and evaluates one script file read over semihosting.
 *
 * Command line (QEMU -semihosting-config ...,arg=...):
 *   xsmcu <script.js> [arena=<bytes>] [chunk=<bytes>] [chunkStep=<bytes>]
 *         [heap=<slots>] [heapStep=<slots>] [stack=<slots>] [keys=<count>]
 * Output: lines on the semihosting console; exit status 0, or 1 on an
 * uncaught exception, 2 when the command line or script is bad, 3 on a CPU fault,
 * or 100 + XS's exit code when XS aborts (101: memory full, 102: stack overflow).
 */
#include "xsAll.h"
#include "xs.h"
#include "arena.h"
#include "clock.h"
#include "semihost.h"
#include "mcu-io.h"

typedef struct {
	const char* script;
	uint32_t arena;
	xsCreation creation;
} Options;

static uint32_t parse_number(const char* text)
{
	return (uint32_t)strtoul(text, NULL, 0);
}

static void parse_options(char* line, Options* options)
{
	char* save = NULL;
	char* word = strtok_r(line, " ", &save); /* program name */
	while ((word = strtok_r(NULL, " ", &save))) {
		char* eq = strchr(word, '=');
		if (!eq) { options->script = word; continue; }
		*eq = 0;
		uint32_t value = parse_number(eq + 1);
		if (!strcmp(word, "arena")) options->arena = value;
		else if (!strcmp(word, "chunk")) options->creation.initialChunkSize = value;
		else if (!strcmp(word, "chunkStep")) options->creation.incrementalChunkSize = value;
		else if (!strcmp(word, "heap")) options->creation.initialHeapCount = value;
		else if (!strcmp(word, "heapStep")) options->creation.incrementalHeapCount = value;
		else if (!strcmp(word, "stack")) options->creation.stackCount = value;
		else if (!strcmp(word, "keys")) options->creation.initialKeyCount = value;
		else mcu_printf("@@warning unknown option %s\n", word);
	}
}

/* Reads the whole script; its bytes live in the C heap, not the XS arena. */
static char* read_script(const char* path)
{
	int handle = semihost_open(path, 0 /* "r" */);
	if (handle < 0) return NULL;
	int length = semihost_flen(handle);
	char* text = length >= 0 ? malloc((size_t)length + 1) : NULL;
	if (text && semihost_read(handle, text, (size_t)length) != length) { free(text); text = NULL; }
	if (text) text[length] = 0;
	semihost_close(handle);
	return text;
}

/* mcu.instructions(): guest instructions since boot (virtual ns under -icount shift=0). */
static void mcu_instructions(xsMachine* the)
{
	xsResult = xsNumber((double)clock_nanoseconds());
}

/* mcu.computrons(): XS's meter, the unit of xsnap's `compute`. */
static void mcu_computrons(xsMachine* the)
{
	xsResult = xsNumber((double)the->meterIndex);
}

static void set_number(xsMachine* the, const char* name, double value)
{
	xsVar(0) = xsNumber(value);
	xsSet(xsResult, xsID(name), xsVar(0));
}

/* mcu.memory(): XS's live and peak chunk bytes and slots, and the arena's reserve. */
static void mcu_memory(xsMachine* the)
{
	ArenaUse use;
	arena_use(&use);
	xsVars(1);
	xsResult = xsNewObject();
	set_number(the, "chunksPeak", the->peakChunksSize);
	set_number(the, "chunksNow", the->currentChunksSize);
	set_number(the, "slotsPeak", the->peakHeapCount);
	set_number(the, "slotsNow", the->currentHeapCount);
	set_number(the, "slotBytes", sizeof(txSlot));
	set_number(the, "arenaChunkBytes", use.chunkBytes);
	set_number(the, "arenaSlotBytes", use.slotBytes);
	set_number(the, "arenaBudget", use.budget);
	set_number(the, "cHeapPeak", mcu_heap_peak());
}

/* mcu.resetPeaks(): the next peaks are those of what runs after this call. */
static void mcu_reset_peaks(xsMachine* the)
{
	the->peakChunksSize = the->currentChunksSize;
	the->peakHeapCount = the->currentHeapCount;
}

static void mcu_collect(xsMachine* the)
{
	xsCollectGarbage();
}

static void mcu_print(xsMachine* the)
{
	mcu_puts(xsToString(xsArg(0)));
}

static void define_host(xsMachine* the)
{
	static const struct { const char* name; xsCallback callback; xsIntegerValue length; } table[] = {
		{ "instructions", mcu_instructions, 0 },
		{ "computrons", mcu_computrons, 0 },
		{ "memory", mcu_memory, 0 },
		{ "resetPeaks", mcu_reset_peaks, 0 },
		{ "collect", mcu_collect, 0 },
		{ "print", mcu_print, 1 },
	};
	xsVar(0) = xsNewObject();
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		xsVar(1) = xsNewHostFunction(table[i].callback, table[i].length);
		xsSet(xsVar(0), xsID(table[i].name), xsVar(1));
	}
	xsSet(xsGlobal, xsID("mcu"), xsVar(0));
}

/* Scripts only: the harness has no file system to find modules in. */
txID fxFindModule(txMachine* the, txSlot* realm, txID moduleID, txSlot* slot)
{
	(void)the; (void)realm; (void)moduleID; (void)slot;
	return XS_NO_ID;
}

void fxLoadModule(txMachine* the, txSlot* module, txID moduleID)
{
	(void)the; (void)module; (void)moduleID;
}

void fxQueuePromiseJobs(txMachine* the)
{
	the->promiseJobs = 1;
}

static void run_promise_jobs(txMachine* the)
{
	while (the->promiseJobs) {
		the->promiseJobs = 0;
		fxRunPromiseJobs(the);
	}
}

static int evaluate(xsMachine* machine, const char* text)
{
	int status = 0;
	xsBeginHost(machine);
	{
		xsVars(3);
		xsTry {
			define_host(the);
			xsVar(2) = xsString((char*)text);
			xsCall1(xsGlobal, xsID("eval"), xsVar(2));
			run_promise_jobs(the); /* settle them, as xsnap does after each evaluation */
		}
		xsCatch {
			mcu_printf("@@exception %s\n", xsToString(xsException));
			xsException = xsUndefined;
			status = 1;
		}
	}
	xsEndHost(machine);
	return status;
}

static const char* abort_reason(int status)
{
	switch (status) {
	case XS_DEBUGGER_EXIT: return "debugger";
	case XS_NOT_ENOUGH_MEMORY_EXIT: return "memory full";
	case XS_STACK_OVERFLOW_EXIT: return "stack overflow";
	case XS_FATAL_CHECK_EXIT: return "fatal check";
	case XS_DEAD_STRIP_EXIT: return "dead strip";
	case XS_UNHANDLED_EXCEPTION_EXIT: return "unhandled exception";
	case XS_NO_MORE_KEYS_EXIT: return "not enough keys";
	case XS_TOO_MUCH_COMPUTATION_EXIT: return "too much computation";
	case XS_UNHANDLED_REJECTION_EXIT: return "unhandled rejection";
	default: return "unknown";
	}
}

/* XS cannot go on (memory full, stack overflow...): say why and how full, and stop. */
void fxAbort(txMachine* the, int status)
{
	const char* reason = abort_reason(status);
	ArenaUse use;
	arena_use(&use);
	mcu_printf("@@abort %d %s (chunks %lu B, slots %lu, arena %lu+%lu of %lu B)\n", status, reason,
		(unsigned long)the->currentChunksSize, (unsigned long)the->currentHeapCount,
		(unsigned long)use.chunkBytes, (unsigned long)use.slotBytes, (unsigned long)use.budget);
	semihost_exit(100 + status);
}

int main(void)
{
	static char line[1024];
	Options options = { NULL, 0, {
		32 * 1024,   /* initialChunkSize */
		8 * 1024,    /* incrementalChunkSize */
		2048,        /* initialHeapCount */
		512,         /* incrementalHeapCount */
		1024,        /* stackCount */
		2048,        /* initialKeyCount */
		512,         /* incrementalKeyCount */
		127,         /* nameModulo */
		127,         /* symbolModulo */
		64 * 1024,   /* parserBufferSize */
		127,         /* parserTableModulo */
		0,           /* staticSize */
	} };
	clock_start();
	mcu_io_start();
	if (semihost_cmdline(line, sizeof(line)) != 0) { mcu_puts("@@error no command line"); semihost_exit(2); }
	parse_options(line, &options);
	char* text = options.script ? read_script(options.script) : NULL;
	if (!text) { mcu_printf("@@error cannot read script %s\n", options.script ? options.script : "(none)"); semihost_exit(2); }
	arena_reset(options.arena);
	uint64_t t0 = clock_nanoseconds();
	xsMachine* machine = xsCreateMachine(&options.creation, "xsmeter", NULL);
	mcu_printf("@@machine %llu\n", (unsigned long long)(clock_nanoseconds() - t0));
	int status = evaluate(machine, text);
	free(text);
	mcu_printf("@@end %d\n", status);
	semihost_exit(status);
}
