// A temporary directory for one test, removed with everything in it when the
// object goes away.
#pragma once

#include <string>
#include <string_view>

namespace chorus::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path()/rel
  std::string file(std::string_view rel) const;
  // Writes `content` to path()/rel (creating parent directories); returns the full path.
  std::string write(std::string_view rel, std::string_view content) const;

 private:
  std::string path_;
};

// The whole content of a file ("" when it cannot be read).
std::string read_file(const std::string& path);

}  // namespace chorus::test
