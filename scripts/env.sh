# Sourced by the scripts: ccache settings that work with precompiled headers.
export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
# Paths relative to the checkout, so a fresh clone elsewhere (CI) hits the cache.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
JOBS="${JOBS:-$(nproc)}"
# The Release flags every script builds with (one build tree, no rebuild between scripts).
RELEASE_FLAGS=(-DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O3 -march=native -DNDEBUG"
  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
