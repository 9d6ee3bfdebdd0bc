# Strict warnings for recur's own code (tests, examples, benchmarks). Eigen, Catch2 and
# Google Benchmark come in as system headers and are not warned about.
add_library(recur_warnings INTERFACE)
target_compile_options(recur_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  # GCC 12 warns inside its own AVX-512 intrinsics under -march=native (GCC bug 105593).
  $<$<CXX_COMPILER_ID:GNU>:-Wno-maybe-uninitialized -Wno-uninitialized>)
option(RECUR_WERROR "Treat warnings as errors" OFF)
if(RECUR_WERROR)
  target_compile_options(recur_warnings INTERFACE -Werror)
endif()

add_library(recur_sanitize INTERFACE)
if(RECUR_SANITIZE)
  target_compile_options(recur_sanitize INTERFACE -fsanitize=address,undefined -fno-sanitize-recover=all
    -fno-omit-frame-pointer)
  target_link_options(recur_sanitize INTERFACE -fsanitize=address,undefined)
  # Uninitialised Eigen matrices hold NaN, so reading one shows up in the results. Eigen's own
  # assertions (eigen_assert: sizes, indices) are on because Debug does not define NDEBUG, and
  # libstdc++ checks bounds of operator[], front(), back() with _GLIBCXX_ASSERTIONS.
  target_compile_definitions(recur_sanitize INTERFACE EIGEN_INITIALIZE_MATRICES_BY_NAN _GLIBCXX_ASSERTIONS)
endif()
if(RECUR_SANITIZE_THREAD)
  target_compile_options(recur_sanitize INTERFACE -fsanitize=thread -fno-omit-frame-pointer)
  target_link_options(recur_sanitize INTERFACE -fsanitize=thread)
endif()
