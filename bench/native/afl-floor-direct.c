/*
 * afl-floor-direct.c: a forkserver that runs each input itself, with no child: what
 * afl-fuzz costs per execution when only two processes take part (afl-fuzz -> this ->
 * afl-fuzz), the least any design of native/harness.c could reach (bench/native/afl-floor.mjs
 * builds it with the system's cc; no afl-cc). It speaks the forkserver protocol as
 * native/harness.c does (docs/executor-protocol.md): a hello announcing an 8,192-byte map
 * (the harness's size for the bench's libraries) and the shared-memory input, the
 * confirmation, then per run a 4-byte request, the pid, and the wait status, the next
 * pid sent with it (the harness's early pid). Its "pid" is its own: a bench target never
 * times out. The run sets one bitmap byte chosen by the first input byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/shm.h>
#include <unistd.h>

#define FORKSRV_FD 198
#define MAP_BYTES 8192u
#define FS_OPT_ENABLED 0x80000001u
#define FS_OPT_MAPSIZE 0x40000000u
#define FS_OPT_SHDMEM_FUZZ 0x01000000u
#define FS_OPT_SET_MAPSIZE(x) (((x) - 1) << 1)

static int read4(uint32_t *word) { return read(FORKSRV_FD, word, 4) == 4 ? 0 : -1; }

int main(void) {
  const char *map_id = getenv("__AFL_SHM_ID"), *input_id = getenv("__AFL_SHM_FUZZ_ID");
  if (map_id == NULL || input_id == NULL) return 2; /* only meant to run under afl-fuzz */
  uint8_t *bitmap = shmat(atoi(map_id), NULL, 0);
  const uint8_t *input = shmat(atoi(input_id), NULL, SHM_RDONLY);
  if (bitmap == (void *)-1 || input == (void *)-1) return 3;
  uint32_t hello = FS_OPT_ENABLED | FS_OPT_MAPSIZE | FS_OPT_SET_MAPSIZE(MAP_BYTES) | FS_OPT_SHDMEM_FUZZ, confirmed;
  if (write(FORKSRV_FD + 1, &hello, 4) != 4 || read4(&confirmed) != 0) return 4;
  uint32_t pid = (uint32_t)getpid(), request, reply[2] = {0, pid};
  if (read4(&request) != 0 || write(FORKSRV_FD + 1, &pid, 4) != 4) return 0;
  for (;;) {
    uint32_t length = *(const volatile uint32_t *)input;
    bitmap[length > 0 ? input[4] : 0] = 1;
    if (write(FORKSRV_FD + 1, reply, 8) != 8 || read4(&request) != 0) return 0; /* status + next pid; afl-fuzz is done */
  }
}
