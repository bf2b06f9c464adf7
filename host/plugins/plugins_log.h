// The plugins module's logger ("plugins"). Plugin instances log under their
// own instance name (instance_log()).
#pragma once

#include <memory>
#include <string_view>

#include <spdlog/logger.h>

namespace chorus::plugins {

spdlog::logger& plugins_log();
// The logger of one plugin instance, named after it ("sensor_gateway").
std::shared_ptr<spdlog::logger> instance_log(std::string_view instance_name);

}  // namespace chorus::plugins
