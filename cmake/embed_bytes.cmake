# For the embed_*.cmake scripts: files as C++ byte arrays. embed_bytes(NAMES SOURCES) reads each
# file of the list SOURCES and sets `arrays` (one `const unsigned char kFileN[]` each) and
# `entries` (one `{"NAME", std::string_view(...)},` line each, NAME from the list NAMES) in the
# caller's scope.
function(embed_bytes names sources)
  set(arrays "")
  set(entries "")
  list(LENGTH sources count)
  if(count GREATER 0)
    math(EXPR last "${count} - 1")
    foreach(index RANGE ${last})
      list(GET names ${index} name)
      list(GET sources ${index} source)
      file(READ ${source} hex HEX)
      string(LENGTH "${hex}" hex_length)
      math(EXPR size "${hex_length} / 2")
      string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
      string(APPEND arrays "const unsigned char kFile${index}[] = {${bytes}0x00};\n")
      string(APPEND entries "      {\"${name}\", std::string_view(reinterpret_cast<const char*>(kFile${index}), ${size})},\n")
    endforeach()
  endif()
  set(arrays "${arrays}" PARENT_SCOPE)
  set(entries "${entries}" PARENT_SCOPE)
endfunction()
