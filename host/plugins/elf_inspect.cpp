// ELF64 inspection of plugin files (elf_inspect.h).
#include "plugins/elf_inspect.h"

#include <cstdlib>
#include <cstring>
#include <cxxabi.h>
#include <elf.h>
#include <memory>

#include <fmt/core.h>

namespace chorus::plugins {
namespace {

#if defined(__x86_64__)
constexpr uint16_t kMachine = EM_X86_64;
#elif defined(__aarch64__)
constexpr uint16_t kMachine = EM_AARCH64;
#else
#error "plugin loading supports x86-64 and AArch64 hosts"
#endif

constexpr size_t kMaxUniqueReported = 16;

// A bounded read of a T at `off` (unaligned-safe copy).
template <typename T>
bool read_at(std::string_view bytes, uint64_t off, T& out) {
  if (off > bytes.size() || bytes.size() - off < sizeof(T)) return false;
  std::memcpy(&out, bytes.data() + off, sizeof(T));
  return true;
}

bool range_fits(std::string_view bytes, uint64_t off, uint64_t len) {
  return off <= bytes.size() && len <= bytes.size() - off;
}

std::string describe_symbol(std::string_view mangled) {
  std::string name(mangled);
  int status = -1;
  std::unique_ptr<char, void (*)(void*)> demangled(
      abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status), std::free);
  if (status == 0 && demangled) return fmt::format("{} ({})", demangled.get(), name);
  return name;
}

}  // namespace

Result<ElfInfo> inspect_elf(std::string_view bytes, std::string_view entry, std::string_view what) {
  auto bad = [&](std::string_view why) {
    return Status::Corruption(fmt::format("{}: {}", what, why));
  };
  Elf64_Ehdr eh;
  if (bytes.size() < 4 || std::memcmp(bytes.data(), ELFMAG, SELFMAG) != 0)
    return bad("not an ELF file (a plugin must be a shared library built for this host)");
  if (!read_at(bytes, 0, eh)) return bad("truncated ELF header (file incomplete?)");
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
    return bad("not a 64-bit little-endian ELF file (built for another machine?)");
  if (eh.e_type != ET_DYN) return bad("not a shared library (ELF type is not ET_DYN)");
  if (eh.e_machine != kMachine)
    return bad(fmt::format("built for another machine (ELF machine {}, this host is {})",
                           eh.e_machine, kMachine));

  // Every loadable segment must be in the file: a copy cut short fails here.
  if (eh.e_phnum > 0) {
    if (eh.e_phentsize != sizeof(Elf64_Phdr) ||
        !range_fits(bytes, eh.e_phoff, uint64_t{eh.e_phnum} * sizeof(Elf64_Phdr)))
      return bad("program headers lie outside the file (file truncated?)");
    for (uint16_t i = 0; i < eh.e_phnum; ++i) {
      Elf64_Phdr ph;
      read_at(bytes, eh.e_phoff + uint64_t{i} * sizeof(Elf64_Phdr), ph);
      if (ph.p_type == PT_LOAD && !range_fits(bytes, ph.p_offset, ph.p_filesz))
        return bad(fmt::format("segment {} ends at byte {} but the file has {} (file truncated?)",
                               i, ph.p_offset + ph.p_filesz, bytes.size()));
    }
  } else {
    return bad("no program headers (not a loadable library)");
  }

  ElfInfo info;
  if (eh.e_shnum == 0 || eh.e_shoff == 0) return info;  // fully stripped: dlsym decides
  if (eh.e_shentsize != sizeof(Elf64_Shdr) ||
      !range_fits(bytes, eh.e_shoff, uint64_t{eh.e_shnum} * sizeof(Elf64_Shdr)))
    return bad("section headers lie outside the file (file truncated?)");

  auto section = [&](uint32_t index, Elf64_Shdr& out) {
    return index < eh.e_shnum &&
           read_at(bytes, eh.e_shoff + uint64_t{index} * sizeof(Elf64_Shdr), out);
  };
  for (uint16_t i = 0; i < eh.e_shnum; ++i) {
    Elf64_Shdr sh;
    section(i, sh);
    if (sh.sh_type != SHT_DYNSYM) continue;
    Elf64_Shdr strtab;
    if (sh.sh_entsize != sizeof(Elf64_Sym) || !range_fits(bytes, sh.sh_offset, sh.sh_size) ||
        !section(sh.sh_link, strtab) || strtab.sh_type != SHT_STRTAB ||
        !range_fits(bytes, strtab.sh_offset, strtab.sh_size))
      return bad("malformed dynamic symbol table");
    info.has_symbols = true;
    const std::string_view names(bytes.data() + strtab.sh_offset, strtab.sh_size);
    const uint64_t count = sh.sh_size / sizeof(Elf64_Sym);
    size_t unique_seen = 0;
    for (uint64_t s = 1; s < count; ++s) {  // symbol 0 is the null symbol
      Elf64_Sym sym;
      read_at(bytes, sh.sh_offset + s * sizeof(Elf64_Sym), sym);
      if (sym.st_name >= names.size()) return bad("symbol name outside the string table");
      const size_t end = names.find('\0', sym.st_name);
      if (end == std::string_view::npos) return bad("unterminated symbol name");
      const std::string_view name = names.substr(sym.st_name, end - sym.st_name);
      const unsigned bind = ELF64_ST_BIND(sym.st_info);
      if (bind == STB_GNU_UNIQUE && sym.st_shndx != SHN_UNDEF) {
        if (unique_seen++ < kMaxUniqueReported) info.gnu_unique.push_back(describe_symbol(name));
      }
      if (name == entry && sym.st_shndx != SHN_UNDEF && ELF64_ST_TYPE(sym.st_info) == STT_FUNC &&
          (bind == STB_GLOBAL || bind == STB_WEAK))
        info.defines_entry = true;
    }
    if (unique_seen > kMaxUniqueReported)
      info.gnu_unique.push_back(fmt::format("... and {} more", unique_seen - kMaxUniqueReported));
  }
  return info;
}

}  // namespace chorus::plugins
