/*
 * Drives native/compare-bridge.c with known records and prints what reaches the engine,
 * for __tests__/native-compare-bridge.test.ts. Built with the bridge in either mode:
 *   -DJSKCOV_LIBFUZZER  libFuzzer's hooks are stand-ins here that print their arguments
 *                       and their caller's PC modulo 512 (the ret sled's slot);
 *   -DJSKCOV_AFL        a private SysV segment plays afl-fuzz's cmplog map; the headers
 *                       and logs written are printed (the records are forwarded twice).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../native/compare-bridge.h"

static void print_hex(const void *data, size_t length) {
  for (size_t i = 0; i < length; i++) printf("%02x", ((const uint8_t *)data)[i]);
}

#ifdef JSKCOV_LIBFUZZER
#define CMP_HOOK(name, bits, is_const)                                                          \
  void name(uint##bits##_t a, uint##bits##_t b) {                                               \
    uintptr_t caller = (uintptr_t)__builtin_return_address(0);                                  \
    printf("cmp%d const=%d %llx %llx slot=%lu\n", bits / 8, is_const, (unsigned long long)a,    \
           (unsigned long long)b, (unsigned long)(caller % 512));                                \
  }
CMP_HOOK(__sanitizer_cov_trace_cmp1, 8, 0)
CMP_HOOK(__sanitizer_cov_trace_cmp2, 16, 0)
CMP_HOOK(__sanitizer_cov_trace_cmp4, 32, 0)
CMP_HOOK(__sanitizer_cov_trace_cmp8, 64, 0)
CMP_HOOK(__sanitizer_cov_trace_const_cmp1, 8, 1)
CMP_HOOK(__sanitizer_cov_trace_const_cmp2, 16, 1)
CMP_HOOK(__sanitizer_cov_trace_const_cmp4, 32, 1)
CMP_HOOK(__sanitizer_cov_trace_const_cmp8, 64, 1)

void __sanitizer_weak_hook_memcmp(void *caller_pc, const void *s1, const void *s2, size_t n, int result) {
  printf("memcmp pc=%llx n=%zu ", (unsigned long long)(uintptr_t)caller_pc, n);
  print_hex(s1, n);
  printf(" ");
  print_hex(s2, n);
  printf(" result=%d\n", result < 0 ? -1 : result > 0);
}

void __sanitizer_weak_hook_memmem(void *caller_pc, const void *s1, size_t len1, const void *s2, size_t len2, void *result) {
  (void)result;
  printf("memmem pc=%llx ", (unsigned long long)(uintptr_t)caller_pc);
  print_hex(s1, len1);
  printf(" ");
  print_hex(s2, len2);
  printf("\n");
}
#endif

#ifdef JSKCOV_AFL
#include <sys/ipc.h>
#include <sys/shm.h>
#define CMP_MAP_W 65536
#define CMP_MAP_BYTES (8 * CMP_MAP_W + 32 * 32 * CMP_MAP_W)
static uint8_t *cmplog;

static void attach(void) {
  int id = shmget(IPC_PRIVATE, CMP_MAP_BYTES, IPC_CREAT | 0600);
  if (id < 0) exit(2);
  char text[32];
  snprintf(text, sizeof text, "%d", id);
  setenv("__AFL_CMPLOG_SHM_ID", text, 1);
  setenv("___AFL_EINS_ZWEI_POLIZEI___", "1", 1);
  int attached = compare_bridge_attach_cmplog();
  cmplog = shmat(id, NULL, SHM_RDONLY);
  shmctl(id, IPC_RMID, NULL); /* gone once both mappings are */
  if (!attached || cmplog == (void *)-1) exit(3);
}

static void print_cmplog(void) {
  const uint64_t *headers = (const uint64_t *)cmplog;
  for (size_t key = 0; key < CMP_MAP_W; key++) {
    if (headers[key] == 0) continue;
    printf("header %zu %016llx\n", key, (unsigned long long)headers[key]);
    unsigned hits = headers[key] & 0xffffff, type = (headers[key] >> 53) & 3;
    const uint8_t *log = cmplog + 8 * CMP_MAP_W + key * 32 * 32;
    for (unsigned slot = 0; slot < hits; slot++) {
      printf("log %zu %u ", key, slot);
      if (type == 1) print_hex(log + 32 * slot, 32);
      else print_hex(log + 64 * slot, 64);
      printf("\n");
    }
  }
}
#endif

int main(void) {
  /* The Linux area: 3 records of type, arg1, arg2, pc (docs/compare-area.md). */
  uint64_t words[1 + 4 * 3] = {3, 5, 0xcafebabe, 0x1234, 0x1000, 2, 0xff, 0x01, 0x2000, 7, 1ull << 40, 7, 0x1000};
  /* The string area: header (count, dropped, dropped, record size) and 144-byte records. */
  static uint8_t strings[32 + 144 * 4];
  strings[0] = 4;
  strings[24] = 144;
  struct { uint16_t pc; uint8_t is_const, op; const char *operand1, *operand2; } records[4] = {
      {0x3000, 1, 2, "PK", "abcde"},             /* "abcde".startsWith("PK") */
      {0x4000, 0, 4, "key", "xxxxxx"},           /* "xxxxxx".includes("key") */
      {0x5000, 1, 0, "jskcov:magic", "aaaa"},    /* "jskcov:magic" === "aaaa" */
      {0x6000, 1, 3, "end", "at the ent"},       /* "at the ent".endsWith("end") */
  };
  for (int i = 0; i < 4; i++) {
    uint8_t *record = strings + 32 + 144 * i;
    record[0] = records[i].pc & 0xff;
    record[1] = records[i].pc >> 8;
    record[8] = records[i].is_const;
    record[9] = records[i].op;
    record[10] = (uint8_t)strlen(records[i].operand1);
    record[11] = (uint8_t)strlen(records[i].operand2);
    memcpy(record + 16, records[i].operand1, record[10]);
    memcpy(record + 80, records[i].operand2, record[11]);
  }
  struct compare_areas areas = {words, sizeof words / 8, strings, sizeof strings};
#ifdef JSKCOV_AFL
  attach();
  compare_bridge_forward(&areas);
  compare_bridge_forward(&areas);
  print_cmplog();
#else
  compare_bridge_forward(&areas);
#endif
  return 0;
}
