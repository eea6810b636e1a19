#pragma once
// Forward declaration of libpqxx 6's connection, so that headers which only hold one need not
// include <pqxx/pqxx>.

namespace pqxx {
template <typename CONNECTPOLICY>
class basic_connection_base;
class connect_direct;
using connection = basic_connection_base<connect_direct>;
}  // namespace pqxx
