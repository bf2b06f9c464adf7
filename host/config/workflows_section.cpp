// Parsing of the `workflows:` section.
#include "config/workflows_section.h"

#include "config/yaml_reader.h"

namespace chorus::config {

void parse_workflows_section(MapReader& r, WorkflowsSection& out) {
  r.one_of("upgrade", out.upgrade,
           {{"pinned", WorkflowUpgrade::kPinned}, {"on_reload", WorkflowUpgrade::kOnReload}});
  r.integer("max_open", out.max_open, 0, 100'000'000);
  r.finish();
}

}  // namespace chorus::config
