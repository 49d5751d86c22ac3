/*
 * pc-map.h: the mapping from a synthetic PC to a feedback slot (libFuzzer's counter,
 * AFL++'s bitmap byte), shared by native/harness.c and native/afl-direct.c (the executor's
 * addon in the direct AFL++ mode, docs/executor-protocol.md), so that both give a block the
 * same slot. Startup blocks (the first hello's PCs) get slots 0..B-1 in ascending PC order,
 * through an open-addressing table; every other PC is hashed into the slots that remain.
 */
#ifndef JSKCOV_PC_MAP_H
#define JSKCOV_PC_MAP_H

#include <stdint.h>
#include <stdlib.h>

/* splitmix64's finalizer: every input bit moves every output bit, so PCs 8 apart spread. */
static inline uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

struct pc_map {
  uint64_t *keys; /* 0 = empty (no synthetic PC is 0) */
  uint32_t *values;
  size_t mask;
  size_t dense;   /* slots given to startup blocks */
  size_t slots;   /* all slots of the feedback array */
  int built;
};

/* Builds `map` for `slots` slots from the startup blocks' PCs (ascending); 0, or -1 when out of memory. */
static inline int pc_map_build(struct pc_map *map, const uint64_t *pcs, size_t count, size_t slots) {
  map->slots = slots;
  map->built = 1;
  if (count == 0 || count > slots / 2) return 0; /* too many: hash every PC */
  size_t table = 16;
  while (table < 2 * count) table <<= 1;
  map->keys = calloc(table, sizeof(uint64_t));
  map->values = calloc(table, sizeof(uint32_t));
  if (map->keys == NULL || map->values == NULL) return -1;
  map->mask = table - 1;
  for (size_t i = 0; i < count; i++) {
    size_t at = mix64(pcs[i]) & map->mask;
    while (map->keys[at] != 0 && map->keys[at] != pcs[i]) at = (at + 1) & map->mask;
    if (map->keys[at] == 0) {
      map->keys[at] = pcs[i];
      map->values[at] = (uint32_t)map->dense++;
    }
  }
  return 0;
}

static inline size_t pc_map_slot(const struct pc_map *map, uint64_t pc) {
  uint64_t hash = mix64(pc);
  if (map->keys != NULL) {
    for (size_t at = hash & map->mask; map->keys[at] != 0; at = (at + 1) & map->mask) {
      if (map->keys[at] == pc) return map->values[at];
    }
  }
  return map->dense + (size_t)(hash % (map->slots - map->dense));
}

/* A pseudo-PC no block has (synthetic PCs are 8-aligned): the feedback of a run whose
 * executor died or was killed, whose own coverage is lost with it. afl-fuzz keeps a hang
 * or crash only when its trace is new, so without it no hang would ever be saved. */
#define EXECUTOR_DIED_PC 0xffffffffffffff01ull

#endif
