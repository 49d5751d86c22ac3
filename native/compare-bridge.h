/*
 * compare-bridge.h: passes the executor's comparison records on to the engine, so that
 * libFuzzer's and AFL++'s own comparison solving works on JavaScript. The records are the
 * executor's two file-backed areas (docs/compare-area.md): Linux's KCOV_TRACE_CMP layout
 * and the string area beside it. native/harness.c maps them (docs/executor-protocol.md,
 * protocol 2) and calls compare_bridge_forward after every run; compare-bridge.c is built
 * with the harness, in the same mode (-DJSKCOV_LIBFUZZER or -DJSKCOV_AFL).
 */
#ifndef JSKCOV_COMPARE_BRIDGE_H
#define JSKCOV_COMPARE_BRIDGE_H

#include <stddef.h>
#include <stdint.h>

/* The areas as one executor's hello sized them; NULL when comparisons are not traced. */
struct compare_areas {
  volatile uint64_t *records; /* Linux area: word 0 = count, then type, arg1, arg2, pc */
  size_t record_words;
  volatile uint8_t *strings;  /* string area: 32-byte header, 144-byte records */
  size_t string_bytes;
};

/* Memfds for the two areas, created before the executor's fork (it gets them as fds). */
void compare_areas_create(int fds[2]);

/* Maps both areas after the hello (words and records as it reports them); closes the fds. */
void compare_areas_map(struct compare_areas *areas, int fds[2], uint32_t record_words, uint32_t string_records);

void compare_areas_unmap(struct compare_areas *areas);

/*
 * Passes one run's records to the engine: in the libFuzzer build, to its comparison hooks
 * (__sanitizer_cov_trace_cmp*, __sanitizer_weak_hook_memcmp/memmem); in the AFL++ build,
 * into afl-fuzz's cmplog map, once compare_bridge_attach_cmplog has attached it.
 */
void compare_bridge_forward(const struct compare_areas *areas);

#ifdef JSKCOV_AFL
/* Attaches afl-fuzz's cmplog map (__AFL_CMPLOG_SHM_ID) when this harness is afl-fuzz's
 * cmplog forkserver (-c); returns 1 then, 0 otherwise. */
int compare_bridge_attach_cmplog(void);
#endif

#endif
