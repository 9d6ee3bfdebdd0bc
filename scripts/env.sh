# Sourced by the scripts: ccache settings that work with precompiled headers.
export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
JOBS="${JOBS:-$(nproc)}"
