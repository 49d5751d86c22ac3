/*
 * afl-floor-persistent.c: the cheapest target AFL++ itself can fuzz, to measure afl-fuzz's
 * own cost per execution on this host (bench/native/afl-floor.mjs builds it with
 * afl-clang-fast). Persistent mode (__AFL_LOOP: afl-cc's forkserver forks one child, which
 * stops itself after each input and is continued for the next) with the input in shared
 * memory (__AFL_FUZZ_TESTCASE_BUF), as AFL++'s docs recommend for speed. Per execution
 * that is four switches, as through native/harness.c: afl-fuzz -> forkserver -> child ->
 * forkserver -> afl-fuzz. The run itself is one branch on the first byte.
 */
#include <unistd.h>

__AFL_FUZZ_INIT();

volatile unsigned jskcov_floor_sunk;
void jskcov_floor_sink(unsigned n) { jskcov_floor_sunk += n; }

/*
 * Never called. Its 8,175 blocks only make afl-cc's runtime announce a map of 8,192 bytes
 * (the blocks of main and of the runtime make up the rest), the size native/harness.c
 * announces for the bench's libraries (feedback_slots_for: 2^13): afl-fuzz clears,
 * classifies and hashes the whole map every run, so the floor compares like with like.
 */
#define P0(n) case (n): jskcov_floor_sink(n); break;
#define P1(n) P0(2 * (n)) P0(2 * (n) + 1)
#define P2(n) P1(2 * (n)) P1(2 * (n) + 1)
#define P3(n) P2(2 * (n)) P2(2 * (n) + 1)
#define P4(n) P3(2 * (n)) P3(2 * (n) + 1)
#define P5(n) P4(2 * (n)) P4(2 * (n) + 1)
#define P6(n) P5(2 * (n)) P5(2 * (n) + 1)
#define P7(n) P6(2 * (n)) P6(2 * (n) + 1)
#define P8(n) P7(2 * (n)) P7(2 * (n) + 1)
#define P9(n) P8(2 * (n)) P8(2 * (n) + 1)
#define P10(n) P9(2 * (n)) P9(2 * (n) + 1)
#define P11(n) P10(2 * (n)) P10(2 * (n) + 1)
#define P12(n) P11(2 * (n)) P11(2 * (n) + 1)
void jskcov_floor_padding(unsigned x) {
  switch (x) { P12(0) P11(2) P10(6) P9(14) P8(30) P7(62) P6(126) P5(254) P3(1020) P2(2042) P1(4086) P0(8174) }
}

int main(void) {
  __AFL_INIT();
  const unsigned char *input = __AFL_FUZZ_TESTCASE_BUF;
  while (__AFL_LOOP(1000000000)) {
    int length = __AFL_FUZZ_TESTCASE_LEN;
    if (length > 0 && input[0] == 'x') jskcov_floor_sunk++;
  }
  return 0;
}
