#pragma once
// The web client (web/, seed §7.2) on the listen address of the api role: GET / and the page's
// files, compiled into the binary, or read from a folder on every request (`serve --web-dir`,
// for working on the page). Every file has an ETag and is revalidated (Cache-Control:
// no-cache), so a new binary's page is seen at once and an unchanged one costs a 304. Only the
// page's own files are served: any other path (under /api/, /socket.io/, /engine.io/, the ops
// endpoints, or unknown) is never answered with the page; the page routes with the fragment.

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "core/base/error.hpp"
#include "daemon/web/http_server.hpp"

namespace parkchat::api {

class WebApp {
 public:
  // The files compiled in.
  static WebApp embedded();
  // The files of `dir` (a checkout's web/ with its node_modules); fails naming what is missing.
  static Result<WebApp> from_dir(const std::filesystem::path& dir);

  // Whether the request is for one of the page's files (GET or HEAD).
  bool serves(const web::HttpRequest& request) const;
  web::HttpResponse handle(const web::HttpRequest& request) const;

 private:
  struct File {
    std::string content;  // compiled in; empty for a folder's (read when asked for)
    std::string etag;
    std::filesystem::path source;  // a folder's file; empty when compiled in
  };
  std::map<std::string, File> files_;  // by served path
};

}  // namespace parkchat::api
