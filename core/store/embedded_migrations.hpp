#pragma once
// The files of migrations/, compiled into the binary by cmake/embed_migrations.cmake.

#include <string_view>
#include <vector>

namespace parkchat::store {

struct EmbeddedFile {
  std::string_view name;
  std::string_view content;
};

const std::vector<EmbeddedFile>& embedded_migration_files();

}  // namespace parkchat::store
