// The message of the recur::error a call throws, or "(no error)": tests compare whole messages.
#pragma once

#include <recur/core/error.hpp>

#include <functional>
#include <string>

namespace test {

inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const recur::error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace test
