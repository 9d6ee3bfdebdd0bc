// Denormal (subnormal) floats, below about 1.2e-38 in float, take a slow path in the CPU's
// arithmetic: an operation on one can cost a hundred cycles instead of one. Training with L2
// shrinks the vectors of rare words toward zero until they are denormal, and the RNTN then
// trained at half speed. FlushDenormals makes the calling thread treat denormal inputs and
// results as zero (x86 MXCSR flush-to-zero and denormals-are-zero, as audio and real-time
// libraries do) until it goes out of scope, when the previous mode returns. Threads started
// while it is active inherit the mode (POSIX). Where the CPU has no such switch it does nothing.
#pragma once

#if defined(__SSE__) || defined(_M_X64)
#include <xmmintrin.h>
#define RECUR_HAS_MXCSR 1
#endif

namespace recur {

class FlushDenormals {
 public:
  FlushDenormals() {
#ifdef RECUR_HAS_MXCSR
    saved_ = _mm_getcsr();
    _mm_setcsr(saved_ | flush_to_zero | denormals_are_zero);
#endif
  }
  ~FlushDenormals() {
#ifdef RECUR_HAS_MXCSR
    _mm_setcsr(saved_);
#endif
  }
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;

  /// Whether this build can switch the mode (x86 with SSE).
  static constexpr bool supported() {
#ifdef RECUR_HAS_MXCSR
    return true;
#else
    return false;
#endif
  }

 private:
  static constexpr unsigned flush_to_zero = 0x8000;       // MXCSR bit 15: denormal results become 0
  static constexpr unsigned denormals_are_zero = 0x0040;  // MXCSR bit 6: denormal inputs read as 0
  unsigned saved_ = 0;
};

}  // namespace recur
