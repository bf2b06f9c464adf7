// A look at a plugin file before dlopen runs any of its code: is it an ELF
// shared object for this machine and complete (every loadable segment and
// the section headers inside the file), does it define the entry symbol,
// and which GNU unique symbols does it export (STB_GNU_UNIQUE: glibc never
// unloads a library that has one, so dlclose would be a no-op and a
// replaced plugin would keep its old code and statics). Reads the dynamic
// symbol table (.dynsym) only; every offset is bounds-checked.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace chorus::plugins {

struct ElfInfo {
  // False when the file has no section headers (fully stripped): then the
  // symbol checks below could not be made and dlsym decides.
  bool has_symbols = false;
  bool defines_entry = false;  // a defined global function named `entry`
  // GNU unique symbols, as "<demangled> (<mangled>)" when they demangle.
  std::vector<std::string> gnu_unique;
};

// `bytes` is the whole file; `what` names it in errors ("plugins/x.so").
// Corruption for a file that is not a complete ELF shared object of this
// machine's kind, naming what is wrong.
Result<ElfInfo> inspect_elf(std::string_view bytes, std::string_view entry, std::string_view what);

}  // namespace chorus::plugins
