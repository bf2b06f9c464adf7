// The one place where configuration sections become module options. Every
// module owns its options struct and knows nothing of YAML or of
// host/config; the runtime and the CLI call these to map a loaded
// config::Config onto them. A new module adds one function here.
#pragma once

#include <string>

#include <spdlog/common.h>

#include "core/log.h"
#include "store/store_options.h"

namespace chorus::config {
struct Config;
struct LogSection;
}  // namespace chorus::config

namespace chorus::runtime {

// The store's options: path = <data_dir>/store, where data_dir is
// `data_dir` when not empty, else config.host.data_dir.
store::StoreOptions store_options_from(const config::Config& config,
                                       const std::string& data_dir = {});

struct LogOptions {
  spdlog::level::level_enum level = spdlog::level::info;
  log::Format format = log::Format::kText;
};
LogOptions log_options_from(const config::LogSection& section);

}  // namespace chorus::runtime

namespace chorus::api {
struct ApiOptions;
}

namespace chorus::runtime {

// The admin API's options from the `api:` section; `persist` is
// store.persist (publishes of those types answer with their seqs).
api::ApiOptions api_options_from(const config::Config& config);

}  // namespace chorus::runtime
