#pragma once
// PARKCHAT_CHECK(cond): for cases that cannot happen. Crashes with file:line instead of carrying
// untested handling code.

#include <cstdio>
#include <cstdlib>

#define PARKCHAT_CHECK(cond)                                                          \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                   \
    }                                                                                 \
  } while (false)
