/*
 * jazzer-addon-standin.c: a native stand-in for the compare calls of Jazzer.js's addon
 * (@jazzer.js/fuzzer 4), for the `jazzer-cmp-native` variant of bench/variants.mjs. The real
 * addon cannot load on this project's CI (its prebuilt binary needs glibc 2.38 and
 * GLIBCXX_3.4.32). The JavaScript stand-in of `jazzer-cmp` keeps two references per call,
 * which leaves out what every real call pays: the crossing from JavaScript into a Node-API
 * function and the conversion of its arguments. This stand-in pays those as Jazzer.js's
 * callbacks do (`Napi::Number::Int64Value`, `Napi::String::Utf8Value`: the length, then the
 * bytes), then stores the operands in a table. It leaves out libFuzzer's own work behind
 * those calls (`__sanitizer_cov_trace_cmp8`, `__sanitizer_weak_hook_strcmp` and their
 * tables) and the heap allocation of each std::string: still a lower bound of Jazzer.js's
 * cost. Built by bench/jazzer-addon-standin.mjs with the system's C compiler; the few
 * Node-API prototypes are declared here, as native/afl-direct.c does.
 */
#include <stddef.h>
#include <stdint.h>

typedef struct napi_env__ *napi_env;
typedef struct napi_value__ *napi_value;
typedef struct napi_callback_info__ *napi_callback_info;
typedef napi_value (*napi_callback)(napi_env, napi_callback_info);
int napi_get_cb_info(napi_env, napi_callback_info, size_t *argc, napi_value *argv, napi_value *this_arg, void **data);
int napi_get_value_int64(napi_env, napi_value, int64_t *result);
int napi_get_value_string_utf8(napi_env, napi_value, char *buffer, size_t size, size_t *result);
int napi_create_function(napi_env, const char *name, size_t length, napi_callback, void *data, napi_value *result);
int napi_set_named_property(napi_env, napi_value object, const char *name, napi_value value);
int napi_create_double(napi_env, double value, napi_value *result);
int napi_get_undefined(napi_env, napi_value *result);

#define TABLE_SIZE 512
#define STRING_BYTES 4096

static struct {
  int64_t integers[2 * TABLE_SIZE];
  char strings[2][STRING_BYTES];
  double calls; /* what reached the addon: its records, counted as kcov's are */
} standin;

static napi_value undefined(napi_env env) {
  napi_value result;
  napi_get_undefined(env, &result);
  return result;
}

/* Utf8Value's work: ask the length, then copy the bytes (here into a fixed buffer). */
static void utf8_of(napi_env env, napi_value value, char *buffer) {
  size_t length = 0;
  napi_get_value_string_utf8(env, value, NULL, 0, &length);
  napi_get_value_string_utf8(env, value, buffer, length + 1 < STRING_BYTES ? length + 1 : STRING_BYTES, &length);
}

/* traceIntegerCompare(id, n1, n2) and tracePcIndir(id, state): Int64Value of each. */
static napi_value trace_integers(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int64_t id = 0, a = 0, b = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_get_value_int64(env, argv[0], &id);
  napi_get_value_int64(env, argv[1], &a);
  if (argc > 2) napi_get_value_int64(env, argv[2], &b);
  size_t slot = (size_t)((uint64_t)id % TABLE_SIZE);
  standin.integers[2 * slot] = a;
  standin.integers[2 * slot + 1] = b;
  standin.calls++;
  return undefined(env);
}

/* traceUnequalStrings(id, s1, s2) and traceStringContainment(id, needle, haystack). */
static napi_value trace_strings(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int64_t id = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_get_value_int64(env, argv[0], &id);
  utf8_of(env, argv[1], standin.strings[0]);
  utf8_of(env, argv[2], standin.strings[1]);
  standin.calls++;
  return undefined(env);
}

static napi_value calls(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  napi_create_double(env, standin.calls, &result);
  return result;
}

napi_value napi_register_module_v1(napi_env env, napi_value exports) {
  static const struct {
    const char *name;
    napi_callback function;
  } functions[] = {
      {"traceIntegerCompare", trace_integers}, {"tracePcIndir", trace_integers},
      {"traceUnequalStrings", trace_strings}, {"traceStringContainment", trace_strings},
      {"calls", calls},
  };
  for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++) {
    napi_value function;
    const char *name = functions[i].name;
    size_t length = 0;
    while (name[length] != '\0') length++;
    if (napi_create_function(env, name, length, functions[i].function, NULL, &function) != 0 ||
        napi_set_named_property(env, exports, name, function) != 0) {
      return NULL;
    }
  }
  return exports;
}
