#pragma once
// The web client's files compiled into the binary (cmake/embed_web.cmake, from web/).

#include <string_view>
#include <vector>

namespace parkchat::api {

struct EmbeddedWebFile {
  std::string_view path;     // as served: /index.html, /app.js, /vendor/preact.module.js, ...
  std::string_view content;
};

const std::vector<EmbeddedWebFile>& embedded_web_files();

}  // namespace parkchat::api
