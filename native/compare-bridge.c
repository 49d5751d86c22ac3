/*
 * compare-bridge.c: the executor's comparison records, handed to the engine's own
 * comparison solving (see compare-bridge.h for the interface, docs/compare-area.md for
 * the two areas, docs/executor-protocol.md for how the harness gets them).
 *
 * libFuzzer build: each Linux record becomes a call of __sanitizer_cov_trace_cmpN (or
 * _const_cmpN when it has KCOV_CMP_CONST), each string record a call of
 * __sanitizer_weak_hook_memcmp (equality, prefix, suffix) or __sanitizer_weak_hook_memmem
 * (includes, indexOf), exactly as clang's instrumentation of C code would call them: the
 * operands land in libFuzzer's tables of recent compares (TORC, -use_cmp) and memmem
 * words, and in its value profile (-use_value_profile=1).
 *
 * AFL++ build: the records are written into afl-fuzz's cmplog map, in AFL++ 4.04c's
 * layout (include/cmplog.h; the same fields as its __cmplog_ins_hookN and
 * __cmplog_rtn_hook_strn write), so that its input-to-state stage (Redqueen) solves them.
 *
 * Sites: the engines key comparisons by the caller's PC. Here every site has its own
 * synthetic PC, hashed (splitmix64's finalizer) into what each engine keys by:
 *  - cmplog: the header index, hash mod 65536, as AFL++ hashes a return address;
 *  - libFuzzer's memcmp/memmem hooks take the PC as an argument: the hash is passed, and
 *    libFuzzer's value profile uses its low 12 bits;
 *  - libFuzzer's cmp hooks read their return address: on x86-64 they are entered through
 *    a sled of 512 `ret` instructions, so the return address is sled + (hash mod 512) and
 *    distinct sites get distinct value-profile features (libFuzzer keys them by PC mod 512).
 *    Elsewhere all cmp records share one PC (the tables of recent compares do not use it).
 */
#define _GNU_SOURCE
#include "compare-bridge.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#ifdef JSKCOV_AFL
#include <sys/shm.h>
#endif

/* ---- The two areas (docs/compare-area.md) ------------------------------------------- */

#define KCOV_CMP_CONST 1u
#define STRING_HEADER_BYTES 32
#define STRING_RECORD_BYTES 144
#define STRING_OPERAND_BYTES 64
enum string_op { OP_COMPARE, OP_SWITCH_CASE, OP_STARTS_WITH, OP_ENDS_WITH, OP_INCLUDES, OP_INDEX_OF, OP_LOCALE_COMPARE, OP_EQUALS };

__attribute__((noreturn)) static void bridge_fatal(const char *what) {
  fprintf(stderr, "jskcov-harness: %s: %s\n", what, strerror(errno));
  _exit(1);
}

void compare_areas_create(int fds[2]) {
  fds[0] = memfd_create("jskcov-cmp-area", MFD_CLOEXEC);
  fds[1] = memfd_create("jskcov-cmp-strings", MFD_CLOEXEC);
  if (fds[0] < 0 || fds[1] < 0) bridge_fatal("memfd_create for the comparison areas");
}

void compare_areas_map(struct compare_areas *areas, int fds[2], uint32_t record_words, uint32_t string_records) {
  areas->record_words = record_words;
  areas->string_bytes = STRING_HEADER_BYTES + (size_t)string_records * STRING_RECORD_BYTES;
  void *records = mmap(NULL, areas->record_words * 8, PROT_READ, MAP_SHARED, fds[0], 0);
  void *strings = mmap(NULL, areas->string_bytes, PROT_READ, MAP_SHARED, fds[1], 0);
  close(fds[0]); /* the mappings keep the memfds alive */
  close(fds[1]);
  if (records == MAP_FAILED || strings == MAP_FAILED) bridge_fatal("mmap of the comparison areas");
  areas->records = records;
  areas->strings = strings;
}

void compare_areas_unmap(struct compare_areas *areas) {
  if (areas->records != NULL) munmap((void *)areas->records, areas->record_words * 8);
  if (areas->strings != NULL) munmap((void *)areas->strings, areas->string_bytes);
  areas->records = NULL;
  areas->strings = NULL;
}

/* splitmix64's finalizer: a site's PC -> the key an engine files its comparisons under. */
static inline uint64_t site_hash(uint64_t pc) {
  pc ^= pc >> 30;
  pc *= 0xbf58476d1ce4e5b9ull;
  pc ^= pc >> 27;
  pc *= 0x94d049bb133111ebull;
  return pc ^ (pc >> 31);
}

/* One string record, copied out of the shared area (operands zero-padded to 64 bytes). */
struct string_record {
  uint64_t pc;
  uint8_t op;
  size_t length[2];
  int truncated[2];
  uint8_t operand[2][STRING_OPERAND_BYTES];
};

static void read_string_record(const volatile uint8_t *at, struct string_record *record) {
  uint64_t pc = 0;
  for (int i = 7; i >= 0; i--) pc = (pc << 8) | at[i];
  record->pc = pc;
  record->op = at[9];
  for (int k = 0; k < 2; k++) {
    record->length[k] = at[10 + k] > STRING_OPERAND_BYTES ? STRING_OPERAND_BYTES : at[10 + k];
    record->truncated[k] = (at[12] >> k) & 1;
    memset(record->operand[k], 0, STRING_OPERAND_BYTES);
    for (size_t i = 0; i < record->length[k]; i++) record->operand[k][i] = at[16 + STRING_OPERAND_BYTES * k + i];
  }
}

/*
 * What a string record asks of the input, in the engines' terms: bytes equal to others
 * (`equal`, with `left`/`right` of `length` bytes), or bytes that contain a word
 * (`contains`: `right` is the word, `left` the text).
 */
struct string_question {
  int contains;
  const uint8_t *left, *right;
  size_t left_length, right_length, length;
};

static struct string_question question_of(struct string_record *record) {
  /* Operand 1 is the constant or method argument, operand 2 the other side or the receiver. */
  uint8_t *argument = record->operand[0], *receiver = record->operand[1];
  size_t argument_length = record->length[0], receiver_length = record->length[1];
  struct string_question question = {0, receiver, argument, receiver_length, argument_length, 0};
  switch (record->op) {
    case OP_STARTS_WITH: /* the receiver's first bytes against the argument */
      question.length = argument_length;
      return question;
    case OP_ENDS_WITH:
      if (!record->truncated[1] && receiver_length >= argument_length) {
        question.left = receiver + receiver_length - argument_length;
        question.length = argument_length;
        return question;
      }
      question.contains = 1; /* its end was not kept: the argument is still a word to try */
      return question;
    case OP_INCLUDES:
    case OP_INDEX_OF:
      question.contains = 1;
      return question;
    default: /* ==, switch cases, localeCompare, Buffer equals */
      question.length = argument_length > receiver_length ? argument_length : receiver_length;
      return question;
  }
}

static void forward_numbers(const struct compare_areas *areas, void (*each)(uint64_t type, uint64_t arg1, uint64_t arg2, uint64_t pc)) {
  uint64_t count = __atomic_load_n(&areas->records[0], __ATOMIC_ACQUIRE);
  uint64_t capacity = (areas->record_words - 1) / 4;
  if (count > capacity) count = capacity;
  for (uint64_t i = 0; i < count; i++) {
    const volatile uint64_t *record = &areas->records[1 + 4 * i];
    each(record[0], record[1], record[2], record[3]);
  }
}

static void forward_strings(const struct compare_areas *areas, void (*each)(struct string_record *record)) {
  const volatile uint64_t *header = (const volatile uint64_t *)areas->strings;
  if (header[3] != STRING_RECORD_BYTES) return; /* not the layout this bridge knows */
  uint64_t count = __atomic_load_n(&header[0], __ATOMIC_ACQUIRE);
  uint64_t capacity = (areas->string_bytes - STRING_HEADER_BYTES) / STRING_RECORD_BYTES;
  if (count > capacity) count = capacity;
  for (uint64_t i = 0; i < count; i++) {
    struct string_record record;
    read_string_record(areas->strings + STRING_HEADER_BYTES + i * STRING_RECORD_BYTES, &record);
    each(&record);
  }
}

#ifdef JSKCOV_LIBFUZZER
/* ---- libFuzzer ---------------------------------------------------------------------- */

typedef void (*cmp_hook)(uint64_t, uint64_t);
/* Defined by libFuzzer (its FuzzerTracePC.cpp); the narrow ones take uintN_t operands,
 * which the records hold zero-extended, as a caller passes them. */
void __sanitizer_cov_trace_cmp1(uint8_t, uint8_t);
void __sanitizer_cov_trace_cmp2(uint16_t, uint16_t);
void __sanitizer_cov_trace_cmp4(uint32_t, uint32_t);
void __sanitizer_cov_trace_cmp8(uint64_t, uint64_t);
void __sanitizer_cov_trace_const_cmp1(uint8_t, uint8_t);
void __sanitizer_cov_trace_const_cmp2(uint16_t, uint16_t);
void __sanitizer_cov_trace_const_cmp4(uint32_t, uint32_t);
void __sanitizer_cov_trace_const_cmp8(uint64_t, uint64_t);
void __sanitizer_weak_hook_memcmp(void *caller_pc, const void *s1, const void *s2, size_t n, int result);
void __sanitizer_weak_hook_memmem(void *caller_pc, const void *s1, size_t len1, const void *s2, size_t len2, void *result);

static const cmp_hook cmp_hooks[2][4] = {
    {(cmp_hook)__sanitizer_cov_trace_cmp1, (cmp_hook)__sanitizer_cov_trace_cmp2, (cmp_hook)__sanitizer_cov_trace_cmp4,
     (cmp_hook)__sanitizer_cov_trace_cmp8},
    {(cmp_hook)__sanitizer_cov_trace_const_cmp1, (cmp_hook)__sanitizer_cov_trace_const_cmp2,
     (cmp_hook)__sanitizer_cov_trace_const_cmp4, (cmp_hook)__sanitizer_cov_trace_const_cmp8},
};

#if defined(__x86_64__)
#define RET_SLED_SIZE 512
/*
 * call_hook_from(hook, arg1, arg2, slot) calls hook(arg1, arg2) so that its return address
 * is ret_sled + slot: it pushes a plain `ret` and then that sled address, and jumps. The
 * hook returns into the sled, whose `ret` returns to the plain one, which returns to our
 * caller. Two pushes keep the stack 16-byte aligned at the hook's entry, as the ABI wants.
 */
__asm__(
    ".pushsection .text\n"
    ".p2align 9\n"
    "jskcov_ret_sled:\n"
    ".rept 512\n"
    "  ret\n"
    ".endr\n"
    ".type jskcov_call_hook_from, @function\n"
    "jskcov_call_hook_from:\n" /* rdi = hook, rsi = arg1, rdx = arg2, rcx = slot */
    "  lea jskcov_plain_ret(%rip), %rax\n"
    "  push %rax\n"
    "  lea jskcov_ret_sled(%rip), %rax\n"
    "  add %rcx, %rax\n"
    "  push %rax\n"
    "  mov %rdi, %rax\n"
    "  mov %rsi, %rdi\n"
    "  mov %rdx, %rsi\n"
    "  jmp *%rax\n"
    "jskcov_plain_ret:\n"
    "  ret\n"
    ".size jskcov_call_hook_from, . - jskcov_call_hook_from\n"
    ".popsection\n");
void jskcov_call_hook_from(cmp_hook hook, uint64_t arg1, uint64_t arg2, uint64_t slot);
#define CALL_CMP_HOOK(hook, arg1, arg2, pc) jskcov_call_hook_from(hook, arg1, arg2, site_hash(pc) % RET_SLED_SIZE)
#else
#define CALL_CMP_HOOK(hook, arg1, arg2, pc) hook(arg1, arg2)
#endif

static void number_to_libfuzzer(uint64_t type, uint64_t arg1, uint64_t arg2, uint64_t pc) {
  if (type > 7) return; /* no other bit is ever set */
  CALL_CMP_HOOK(cmp_hooks[type & KCOV_CMP_CONST][type >> 1], arg1, arg2, pc);
}

static void string_to_libfuzzer(struct string_record *record) {
  struct string_question question = question_of(record);
  void *pc = (void *)(uintptr_t)site_hash(record->pc);
  if (question.contains) {
    __sanitizer_weak_hook_memmem(pc, question.left, question.left_length, question.right, question.right_length, NULL);
  } else {
    int result = memcmp(question.left, question.right, question.length);
    __sanitizer_weak_hook_memcmp(pc, question.left, question.right, question.length, result);
  }
}

void compare_bridge_forward(const struct compare_areas *areas) {
  forward_numbers(areas, number_to_libfuzzer);
  forward_strings(areas, string_to_libfuzzer);
}
#endif

#ifdef JSKCOV_AFL
/* ---- AFL++ cmplog (4.04c's include/cmplog.h) ----------------------------------------- */

#define CMP_MAP_W 65536
#define CMP_MAP_H 32
#define CMP_MAP_RTN_H (CMP_MAP_H / 4)
#define CMP_TYPE_INS 1
#define CMP_TYPE_RTN 2
#define CMP_IS_EQUAL 1 /* the attribute of ==; kcov records do not say which operator compared */
#define RTN_OPERAND_BYTES 31

/* struct cmp_header, one packed 64-bit word: hits:24, id:24, shape:5, type:2, attribute:4,
 * overflow:1, reserved:4, from bit 0 up (x86-64 and aarch64 lay bit-fields out so). */
#define HITS_SHIFT 0
#define HITS_BITS 24
#define SHAPE_SHIFT 48
#define SHAPE_BITS 5
#define TYPE_SHIFT 53
#define TYPE_BITS 2
#define ATTRIBUTE_SHIFT 55
#define ATTRIBUTE_BITS 4

struct cmp_operands { /* one logged INS comparison */
  uint64_t v0, v1, v0_128, v1_128;
};
struct cmpfn_operands { /* one logged RTN comparison; a length is 0x80 + bytes, as the string hooks write */
  uint8_t v0[RTN_OPERAND_BYTES];
  uint8_t v0_len;
  uint8_t v1[RTN_OPERAND_BYTES];
  uint8_t v1_len;
};
struct cmp_map {
  uint64_t headers[CMP_MAP_W];
  struct cmp_operands log[CMP_MAP_W][CMP_MAP_H];
};
_Static_assert(sizeof(struct cmp_operands) == 32 && sizeof(struct cmpfn_operands) == 64, "AFL++ 4.04c's cmplog layout");
_Static_assert(sizeof(struct cmp_map) == 8 * CMP_MAP_W + 32 * CMP_MAP_W * CMP_MAP_H, "AFL++ 4.04c's cmplog layout");

static struct cmp_map *cmplog_map;

int compare_bridge_attach_cmplog(void) {
  const char *id = getenv("__AFL_CMPLOG_SHM_ID");
  /* afl-fuzz sets the id for both of its forkservers; only the -c one is to log. */
  if (id == NULL || getenv("___AFL_EINS_ZWEI_POLIZEI___") == NULL) return 0;
  void *map = shmat(atoi(id), NULL, 0);
  if (map == (void *)-1) bridge_fatal("shmat(__AFL_CMPLOG_SHM_ID)");
  cmplog_map = map;
  return 1;
}

static inline uint64_t header_field(uint64_t header, int shift, int bits) {
  return (header >> shift) & ((1ull << bits) - 1);
}

static inline uint64_t with_field(uint64_t header, int shift, int bits, uint64_t value) {
  uint64_t mask = ((1ull << bits) - 1) << shift;
  return (header & ~mask) | ((value << shift) & mask);
}

/* The header's bookkeeping, as __cmplog_ins_hookN and __cmplog_rtn_hook_strn keep it: a
 * key first used by the other type starts over. Returns the log slot (the hits before). */
static uint32_t cmplog_log_slot(uint64_t *header, unsigned type, unsigned shape) {
  uint64_t h = *header;
  uint32_t hits;
  if (header_field(h, TYPE_SHIFT, TYPE_BITS) != type) {
    h = with_field(h, TYPE_SHIFT, TYPE_BITS, type);
    h = with_field(h, HITS_SHIFT, HITS_BITS, 1);
    h = with_field(h, SHAPE_SHIFT, SHAPE_BITS, shape);
    hits = 0;
  } else {
    hits = (uint32_t)header_field(h, HITS_SHIFT, HITS_BITS);
    h = with_field(h, HITS_SHIFT, HITS_BITS, hits + 1);
    if (header_field(h, SHAPE_SHIFT, SHAPE_BITS) < shape) h = with_field(h, SHAPE_SHIFT, SHAPE_BITS, shape);
  }
  if (type == CMP_TYPE_INS) h = with_field(h, ATTRIBUTE_SHIFT, ATTRIBUTE_BITS, CMP_IS_EQUAL);
  *header = h;
  return hits;
}

static void number_to_cmplog(uint64_t type, uint64_t arg1, uint64_t arg2, uint64_t pc) {
  if (type > 7) return;
  size_t key = site_hash(pc) % CMP_MAP_W;
  unsigned shape = (1u << (type >> 1)) - 1; /* SHAPE_BYTES(shape) = operand bytes */
  uint32_t slot = cmplog_log_slot(&cmplog_map->headers[key], CMP_TYPE_INS, shape);
  struct cmp_operands *operands = &cmplog_map->log[key][slot % CMP_MAP_H];
  operands->v0 = arg1;
  operands->v1 = arg2;
  operands->v0_128 = operands->v1_128 = 0;
}

static void string_to_cmplog(struct string_record *record) {
  struct string_question question = question_of(record);
  size_t length = question.contains ? (question.left_length > question.right_length ? question.left_length : question.right_length)
                                    : question.length;
  if (length > RTN_OPERAND_BYTES) length = RTN_OPERAND_BYTES;
  if (length < 2) return; /* as the hooks: one byte is left to coverage and the INS log */
  size_t key = site_hash(record->pc) % CMP_MAP_W;
  uint32_t slot = cmplog_log_slot(&cmplog_map->headers[key], CMP_TYPE_RTN, (unsigned)length - 1);
  struct cmpfn_operands *operands = &((struct cmpfn_operands *)cmplog_map->log[key])[slot % CMP_MAP_RTN_H];
  /* v0 is the side the input is most likely in (the receiver, the other operand). */
  memset(operands, 0, sizeof *operands);
  memcpy(operands->v0, question.left, question.left_length < length ? question.left_length : length);
  memcpy(operands->v1, question.right, question.right_length < length ? question.right_length : length);
  operands->v0_len = operands->v1_len = (uint8_t)(0x80 + length);
}

void compare_bridge_forward(const struct compare_areas *areas) {
  if (cmplog_map == NULL) return;
  forward_numbers(areas, number_to_cmplog);
  forward_strings(areas, string_to_cmplog);
}
#endif
