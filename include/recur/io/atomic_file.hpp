// Writing a file so that a crash or a full disk never destroys the previous version: the data
// goes to a temporary file beside the target, is flushed to disk, then renamed over it.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "recur/core/error.hpp"

namespace recur {

/// Replaces `path` with `data` atomically (mode 0644); throws io_error, leaving the previous
/// file untouched, when anything fails.
inline void write_file_atomically(const std::string& path, const std::string& data) {
  std::string tmp = path + ".tmp-XXXXXX";
  const int fd = ::mkstemp(&tmp[0]);
  if (fd < 0) throw io_error(path + ": cannot create a temporary file beside it (" + std::strerror(errno) + ")");
  auto fail = [&](const std::string& what) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    std::remove(tmp.c_str());
    throw io_error(path + ": " + what + " (" + why + "); the previous file is untouched");
  };
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t w = ::write(fd, data.data() + done, data.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) fail("write failed");
    done += static_cast<std::size_t>(w);
  }
  if (::fchmod(fd, 0644) != 0) fail("cannot set permissions");  // mkstemp makes 0600 files
  if (::fsync(fd) != 0) fail("could not flush to disk");
  if (::close(fd) != 0) {
    std::remove(tmp.c_str());
    throw io_error(path + ": could not close the temporary file; the previous file is untouched");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    throw io_error(path + ": cannot replace the file (" + why + ")");
  }
  // Make the rename itself durable.
  const std::string dir = std::filesystem::path(path).has_parent_path()
                              ? std::filesystem::path(path).parent_path().string()
                              : std::string(".");
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace recur
