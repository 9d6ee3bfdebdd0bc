// A small command-line parser shared by the example programs: --name value options, flags,
// --help, and errors that exit with code 2.
#pragma once

#include <cerrno>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <map>
#include <new>
#include <string>
#include <utility>
#include <vector>

namespace recur::cli {

class Args {
 public:
  Args(std::string program, std::string summary) : program_(std::move(program)), summary_(std::move(summary)) {
    flag("help", "print this help and exit");
    flag("quiet", "no progress output");
    option("seed", "N", "random seed", "1");
  }

  /// An option with a value, e.g. --steps 500.
  void option(const std::string& name, const std::string& meta, const std::string& help, const std::string& def) {
    specs_.push_back({name, meta, help, def, false});
    values_[name] = def;
  }
  void flag(const std::string& name, const std::string& help) {
    specs_.push_back({name, "", help, "", true});
    values_[name] = "";
  }
  /// An optional argument given without a name, e.g. the data file; read with str(name).
  void positional(const std::string& name, const std::string& help) {
    positionals_.push_back({name, help});
    values_[name] = "";
  }

  /// Parses argv; prints help and exits 0 on --help, prints the error and exits 2 on bad input.
  void parse(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      if (a.rfind("--", 0) != 0) {
        if (next_positional_ >= positionals_.size()) fail("unexpected argument '" + a + "'");
        values_[positionals_[next_positional_++].first] = a;
        continue;
      }
      std::string name = a.substr(2), value;
      const auto eq = name.find('=');
      if (eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
      const Spec* spec = find(name);
      if (!spec) fail("unknown option --" + name);
      if (spec->is_flag) {
        values_[name] = "1";
        continue;
      }
      if (eq == std::string::npos) {
        if (i + 1 >= argc) fail("--" + name + " needs a value");
        value = argv[++i];
      }
      values_[name] = value;
    }
    if (has("help")) {
      usage(std::cout);
      std::exit(0);
    }
  }

  bool has(const std::string& name) const { return !values_.at(name).empty(); }
  std::string str(const std::string& name) const { return values_.at(name); }
  long integer(const std::string& name, long min = 0, long max = 1L << 40) const {
    const std::string& v = values_.at(name);
    char* end = nullptr;
    errno = 0;
    const long x = std::strtol(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || errno == ERANGE) fail("--" + name + " needs an integer, got '" + v + "'");
    if (x < min) fail("--" + name + " must be at least " + std::to_string(min) + ", got " + v);
    if (x > max) fail("--" + name + " must be at most " + std::to_string(max) + ", got " + v);
    return x;
  }
  double number(const std::string& name) const {
    const std::string& v = values_.at(name);
    char* end = nullptr;
    const double x = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0') fail("--" + name + " needs a number, got '" + v + "'");
    return x;
  }
  bool quiet() const { return has("quiet"); }

  [[noreturn]] void fail(const std::string& message) const {
    std::cerr << program_ << ": " << message << " (see --help)\n";
    std::exit(2);
  }

  void usage(std::ostream& out) const {
    out << program_ << ": " << summary_ << "\n\nUsage: " << program_;
    for (const auto& p : positionals_) out << " [" << p.first << "]";
    out << " [options]\n";
    for (const auto& p : positionals_)
      out << "  " << p.first << std::string(p.first.size() < 22 ? 22 - p.first.size() : 1, ' ') << p.second << "\n";
    out << "\nOptions:\n";
    for (const auto& s : specs_) {
      std::string left = "--" + s.name + (s.is_flag ? "" : " " + s.meta);
      out << "  " << left << std::string(left.size() < 22 ? 22 - left.size() : 1, ' ') << s.help;
      if (!s.is_flag && !s.def.empty()) out << " (default " << s.def << ")";
      out << "\n";
    }
  }

 private:
  struct Spec {
    std::string name, meta, help, def;
    bool is_flag;
  };
  const Spec* find(const std::string& name) const {
    for (const auto& s : specs_)
      if (s.name == name) return &s;
    return nullptr;
  }
  std::string program_, summary_;
  std::vector<Spec> specs_;
  std::vector<std::pair<std::string, std::string>> positionals_;  // name, help
  std::size_t next_positional_ = 0;
  std::map<std::string, std::string> values_;
};

/// Runs a program's body; any exception becomes one line on stderr and exit code 2.
template <class Body>
int guarded(const std::string& program, Body&& body) {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    std::cerr << program << ": out of memory (are the sizes in the options or the model file sane?)\n";
  } catch (const std::exception& e) {
    std::cerr << program << ": " << e.what() << "\n";
  }
  return 2;
}

}  // namespace recur::cli
