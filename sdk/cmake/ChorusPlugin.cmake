# chorus_add_plugin(<name> <source>... [OUTPUT_DIRECTORY <dir>])
#
# Builds a Chorus agent plugin: a MODULE library `<name>.so` (no "lib"
# prefix) linked against ChorusSDK::sdk, compiled with
#   -fPIC                position-independent code (it is dlopen'ed)
#   -fvisibility=hidden  only the entry symbol (CHORUS_PLUGIN_EXPORT) is
#                        exported; nothing else can clash with the host or
#                        with other plugins
#   -fno-gnu-unique      (GCC) no STB_GNU_UNIQUE symbols: glibc never
#                        unloads a library that has one, so a replaced or
#                        removed plugin would stay in memory
# C sources are C99, C++ sources C++17 (the SDK's minimum).
# OUTPUT_DIRECTORY puts the .so there (e.g. the host's plugins folder).
function(chorus_add_plugin name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "OUTPUT_DIRECTORY" "")
  if(NOT ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "chorus_add_plugin(${name}): no source files")
  endif()
  add_library(${name} MODULE ${ARG_UNPARSED_ARGUMENTS})
  target_link_libraries(${name} PRIVATE ChorusSDK::sdk)
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    POSITION_INDEPENDENT_CODE ON
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(NOT DEFINED CMAKE_C_STANDARD)
    set_property(TARGET ${name} PROPERTY C_STANDARD 99)
  endif()
  if(NOT DEFINED CMAKE_CXX_STANDARD)
    set_property(TARGET ${name} PROPERTY CXX_STANDARD 17)
  endif()
  target_compile_options(${name} PRIVATE
    -fPIC -fvisibility=hidden
    $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<CXX_COMPILER_ID:GNU>>:-fno-gnu-unique>)
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIRECTORY})
  endif()
endfunction()
