// Loading one plugin file (plugin_module.h).
#include "plugins/plugin_module.h"

#include <fmt/core.h>

#include "plugins/elf_inspect.h"
#include "plugins/file_checks.h"
#include "plugins/plugins_log.h"
#include "plugins/private_copy.h"

namespace chorus::plugins {

Result<std::shared_ptr<PluginModule>> PluginModule::load(const std::string& file,
                                                         const std::string& private_dir,
                                                         uint64_t generation,
                                                         std::optional<uint64_t> unchanged) {
  CHORUS_ASSIGN_OR_RETURN(OpenedFile opened, open_trusted_file(file));
  CHORUS_ASSIGN_OR_RETURN(PrivateCopy copy,
                          make_private_copy(opened, file, private_dir, generation));
  if (unchanged && *unchanged == copy.hash) {
    remove_private_copy(copy.path);
    return Status::AlreadyExists(fmt::format("{}: unchanged", file));
  }
  std::shared_ptr<PluginModule> m(new PluginModule());
  m->file_ = file;
  m->copy_path_ = copy.path;  // removed by the destructor from here on
  m->hash_ = copy.hash;

  CHORUS_ASSIGN_OR_RETURN(ElfInfo elf, inspect_elf(copy.bytes, CHORUS_PLUGIN_ENTRY_SYMBOL, file));
  copy.bytes = {};
  if (elf.has_symbols && !elf.defines_entry)
    return Status::NotFound(fmt::format(
        "{}: no entry symbol '{}' (a plugin defines it with CHORUS_PLUGIN(...) in C++, or "
        "exports 'const chorus_plugin_descriptor* chorus_plugin_entry(void)' in C)",
        file, CHORUS_PLUGIN_ENTRY_SYMBOL));
  for (const std::string& sym : elf.gnu_unique)
    m->warnings_.push_back(fmt::format(
        "exports the GNU unique symbol {}: the C library never unloads such a library, so a "
        "replaced or removed version stays in memory (build with -fno-gnu-unique, as "
        "chorus_add_plugin does)",
        sym));

  CHORUS_ASSIGN_OR_RETURN(m->library_, SharedLibrary::open(copy.path, file));
  auto entry_sym = m->library_.symbol(CHORUS_PLUGIN_ENTRY_SYMBOL);
  if (!entry_sym.ok())
    return Status::NotFound(
        fmt::format("{}: no entry symbol '{}'", file, CHORUS_PLUGIN_ENTRY_SYMBOL));
  auto entry = reinterpret_cast<chorus_plugin_entry_fn>(*entry_sym);
  CHORUS_ASSIGN_OR_RETURN(m->descriptor_, check_descriptor(entry(), file));
  return m;
}

PluginModule::~PluginModule() {
  if (!library_.close())
    plugins_log().warn(
        "{}: the library is still mapped after dlclose (GNU unique symbols?); its code stays "
        "in memory until the host exits",
        file_);
  remove_private_copy(copy_path_);
}

}  // namespace chorus::plugins
